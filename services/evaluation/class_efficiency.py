"""Class active learning: how few labelled objects a class model needs when
the selector picks the images, against random picks.

Each object of a dataset folder's ``classes.csv`` is described by
:func:`~labelassist.imaging.object_classes.object_features`. Round by
round, a :class:`~labelassist.imaging.object_classes.ClassModel` is
trained on the objects of the picked images, scores the rest of the
training pool (its trees' posteriors) and the selector's own ranking
(``rank_pool``) picks the next batch; the first batch is random (the cold
start). At every round the model's macro-F1 on the test split's objects is
measured, and beside it the queries until the rarest class's first examples
and the effort of correcting the model's class pre-labels.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labelassist.imaging.class_uncertainty import summarise
from labelassist.evaluation.seeds import seed_summary
from labelassist.imaging.object_classes import MIN_OBJECTS, ClassModel, object_features
from labelassist.selector.candidate_pool import Pool, needs, rank_pool
from labelassist.selector.strategies import STRATEGIES


@dataclass(frozen=True)
class ClassBenchStrategy:
    """A row of the benchmark: a selector strategy with parameter values."""

    name: str
    strategy: str
    values: dict
    description: str

    @property
    def model_based(self) -> bool:
        return "class_posteriors" in needs(self.strategy, self.values)


CLASS_BENCH_STRATEGIES = {s.name: s for s in (
    ClassBenchStrategy("random", "random", {}, "uniformly random images, seeded"),
    ClassBenchStrategy("entropy", "class_uncertainty", {"measure": "entropy"}, "entropy of the mean posterior"),
    ClassBenchStrategy("margin", "class_uncertainty", {"measure": "margin"}, "smallest top-1 minus top-2"),
    ClassBenchStrategy("least-confidence", "class_uncertainty", {"measure": "least_confidence"},
                       "lowest top-1 probability"),
    ClassBenchStrategy("bald", "class_uncertainty", {"measure": "bald"}, "BALD over the forest's trees"),
    ClassBenchStrategy("class-balance", "class_balance", {}, "expected gain for the rarest classes"),
)}
COLD_START = CLASS_BENCH_STRATEGIES["random"]


@dataclass
class ClassSet:
    """A dataset folder's classified objects, per sample, in pool order."""

    folder: str
    stems: list[str]
    classes: tuple[str, ...]  # sorted names
    features: list[np.ndarray]  # per sample (n_i, f)
    codes: list[np.ndarray]  # per sample (n_i,) index into ``classes``
    train: np.ndarray
    test: np.ndarray
    split_source: str

    def objects(self, samples) -> tuple[np.ndarray, np.ndarray]:
        """Features and class codes of the samples' objects, stacked."""
        samples = list(samples)
        if not samples:
            return np.zeros((0, self.features[0].shape[1]), np.float32), np.zeros(0, np.int64)
        return (np.concatenate([self.features[i] for i in samples]),
                np.concatenate([self.codes[i] for i in samples]))

    def counts(self, samples) -> np.ndarray:
        """Objects of each class in the samples."""
        return np.bincount(self.objects(samples)[1], minlength=len(self.classes))


def load_class_set(folder: str | Path, classes_file: str = "classes.csv") -> ClassSet:
    """A dataset folder with its ``classes.csv`` (as the COCO export writes
    it): the features and class of every classified object."""
    from labelassist.evaluation.evaluation_set import load_evaluation_set
    from labelassist.io.formats import class_table

    path = Path(folder) / classes_file
    if not path.exists():
        raise ValueError(f"{folder}: no {classes_file}; give each object's class as rows of sample,object_id,class "
                         "(as `labelassist project export --format coco` writes it)")
    table = class_table.read(path)
    data = load_evaluation_set(folder)
    names = tuple(sorted({name for entry in table.values() for name in entry.get("objects", {}).values()}))
    if len(names) < 2:
        raise ValueError(f"{path}: a class benchmark needs objects of at least 2 classes, found {len(names)}")
    code = {name: i for i, name in enumerate(names)}
    features, codes = [], []
    for stem, image, label in zip(data.stems, data.images, data.labels):
        given = table.get(stem, {}).get("objects", {})
        ids, measured = object_features(image, label)
        keep = np.array([str(i) in given for i in ids.tolist()], bool)
        features.append(measured[keep])
        codes.append(np.array([code[given[str(i)]] for i in ids[keep].tolist()], np.int64))
    return ClassSet(str(folder), data.stems, names, features, codes, data.train, data.test, data.split_source)


def _fit(data: ClassSet, samples, seed: int) -> ClassModel | int:
    """A model of the samples' objects; with objects of a single class, that class's code."""
    features, codes = data.objects(samples)
    present = np.unique(codes)
    if len(present) < 2 or len(codes) < MIN_OBJECTS:
        return int(present[0]) if len(present) else 0
    return ClassModel().fit(features, np.asarray(data.classes)[codes], seed=seed)


def _posteriors(model: ClassModel, data: ClassSet, features: np.ndarray, members: bool) -> np.ndarray:
    """Posteriors with columns as ``data.classes`` (a class the model never saw gets 0)."""
    found = model.member_proba(features) if members else model.predict_proba(features)
    full = np.zeros(found.shape[:-1] + (len(data.classes),), np.float64)
    full[..., [data.classes.index(name) for name in model.classes_]] = found
    return full


def macro_f1(model: ClassModel | int, data: ClassSet) -> tuple[float, float]:
    """Macro-F1 and accuracy on the test split's objects."""
    from sklearn.metrics import f1_score

    features, truth = data.objects(data.test)
    predicted = (np.full(len(truth), model) if isinstance(model, int)
                 else _posteriors(model, data, features, False).argmax(axis=1))
    labels = list(range(len(data.classes)))
    return (float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)),
            float((predicted == truth).mean()))


def pick(strategy: ClassBenchStrategy, data: ClassSet, candidates: np.ndarray, labelled: np.ndarray,
         model: ClassModel | int | None, seed: int, count: int) -> np.ndarray:
    """The strategy's next ``count`` picks by the selector's ``rank_pool``,
    with the class model's view of the candidates; random until a model of
    two classes exists."""
    if strategy.model_based and not isinstance(model, ClassModel):
        strategy = COLD_START
    entry = STRATEGIES.get(strategy.strategy)
    seeded = {"seed": seed} if any(p.name == "seed" for p in entry.parameters) else {}
    values = entry.bind({**strategy.values, **seeded})
    candidates = np.sort(candidates)
    pool = Pool(ids=candidates, positions=candidates, taken_ids=labelled, unlabelled=len(candidates))
    if strategy.model_based:
        features, _ = data.objects(candidates)
        member = _posteriors(model, data, features, True)
        splits = np.cumsum([len(data.codes[i]) for i in candidates])[:-1]
        per_sample = np.split(member, splits, axis=1)
        pool.class_summary = summarise(per_sample, data.classes, data.counts(labelled))
    return rank_pool(strategy.strategy, values, pool, count)


@dataclass
class ClassBenchConfig:
    batch: int = 12  # images per round
    budget_fraction: float = 0.3  # of the training pool's images
    seeds: int = 3
    strategies: tuple[str, ...] = tuple(CLASS_BENCH_STRATEGIES)
    aggregation: str = "mean"
    first_examples: int = 10

    def __post_init__(self):
        unknown = [s for s in self.strategies if s not in CLASS_BENCH_STRATEGIES]
        if unknown:
            raise ValueError(f"unknown strategy {', '.join(map(repr, unknown))}; "
                             f"known: {', '.join(CLASS_BENCH_STRATEGIES)}")
        if self.batch < 1 or self.seeds < 1 or not 0 < self.budget_fraction <= 1:
            raise ValueError("batch and seeds must be at least 1, budget_fraction in (0, 1]")

    def rounds(self, pool_size: int) -> int:
        return max(1, math.ceil(self.budget_fraction * pool_size / self.batch))


def run_strategy(data: ClassSet, name: str, seed: int, config: ClassBenchConfig,
                 step: Callable[[str], None] = lambda _: None) -> dict:
    """One strategy, one seed: macro-F1 after every round, and every pick."""
    strategy = CLASS_BENCH_STRATEGIES[name]
    if strategy.strategy == "class_uncertainty":
        strategy = ClassBenchStrategy(name, strategy.strategy, {**strategy.values, "aggregation": config.aggregation},
                                      strategy.description)
    rare = int(np.argmin(data.counts(data.train)))
    labelled, model, curve = np.zeros(0, np.int64), None, []
    for _ in range(config.rounds(len(data.train))):
        candidates = data.train[~np.isin(data.train, labelled)]
        if not len(candidates):
            break
        picks = pick(strategy, data, candidates, labelled, model, seed, min(config.batch, len(candidates)))
        labelled = np.concatenate([labelled, picks])
        model = _fit(data, labelled, seed)
        f1, accuracy = macro_f1(model, data)
        counts = data.counts(labelled)
        curve.append({"samples": int(len(labelled)), "objects": int(counts.sum()), "macro_f1": f1,
                      "accuracy": accuracy, "class_counts": counts.tolist()})
        step(f"{name} seed {seed}: {len(labelled)} images, {counts.sum()} objects, macro-F1 {f1:.3f}")
    found = np.cumsum([int((data.codes[i] == rare).sum()) for i in labelled])
    reached = np.flatnonzero(found >= config.first_examples)
    return {"curve": curve, "picked": [data.stems[i] for i in labelled],
            "queries_to_first_rare": int(reached[0]) + 1 if len(reached) else None,
            "objects_to_first_rare": int(sum(len(data.codes[i]) for i in labelled[:reached[0] + 1]))
            if len(reached) else None,
            "final_test_error": 1.0 - curve[-1]["accuracy"]}



def run_class_efficiency(data: ClassSet, config: ClassBenchConfig,
                         step: Callable[[str], None] = lambda _: None) -> dict:
    """Every strategy over ``config.seeds`` seeds, and the full training pool."""
    started = time.perf_counter()
    full, full_accuracy = [], []
    for seed in range(config.seeds):
        f1, accuracy = macro_f1(_fit(data, data.train, seed), data)
        full.append(f1)
        full_accuracy.append(accuracy)
        step(f"full training pool seed {seed}: macro-F1 {f1:.3f}")
    full_summary = {**seed_summary(full), "accuracy": seed_summary(full_accuracy)}
    pool_objects = int(data.counts(data.train).sum())
    results = {}
    for name in config.strategies:
        runs = [run_strategy(data, name, seed, config, step) for seed in range(config.seeds)]
        rounds = min(len(run["curve"]) for run in runs)
        curve = [{"samples": runs[0]["curve"][r]["samples"],
                  "objects": statistics.mean(run["curve"][r]["objects"] for run in runs),
                  **seed_summary([run["curve"][r]["macro_f1"] for run in runs])} for r in range(rounds)]
        reached = [p for p in curve if p["mean"] >= 0.95 * full_summary["mean"]]
        queries = [run["queries_to_first_rare"] for run in runs]
        results[name] = {
            "description": CLASS_BENCH_STRATEGIES[name].description, "curve": curve,
            "final_macro_f1": curve[-1]["mean"], "final_macro_f1_std": curve[-1]["std"],
            "fraction_of_full": curve[-1]["mean"] / full_summary["mean"] if full_summary["mean"] else float("nan"),
            "to_95_percent": ({"samples": reached[0]["samples"], "objects": reached[0]["objects"],
                               "fraction_of_pool_samples": reached[0]["samples"] / len(data.train),
                               "fraction_of_pool_objects": reached[0]["objects"] / pool_objects}
                              if reached else None),
            "queries_to_first_rare": queries,
            "queries_to_first_rare_mean": statistics.mean(queries) if None not in queries else None,
            "final_test_error": seed_summary([run["final_test_error"] for run in runs]),
            "runs": runs,
        }
    counts = data.counts(data.train)
    return {
        "dataset": data.folder, "classes": list(data.classes), "split": data.split_source,
        "pool_samples": int(len(data.train)), "pool_objects": pool_objects, "pool_class_counts": counts.tolist(),
        "test_samples": int(len(data.test)), "test_class_counts": data.counts(data.test).tolist(),
        "rarest_class": data.classes[int(np.argmin(counts))], "first_examples": config.first_examples,
        "batch": config.batch, "rounds": config.rounds(len(data.train)), "seeds": config.seeds,
        "aggregation": config.aggregation, "full": full_summary, "strategies": results,
        "seconds": round(time.perf_counter() - started, 1),
    }


# Cost model of class annotation, in the effort benchmark's unit (one click
# or key press, SECONDS_PER_CLICK). Without pre-labels every object takes
# one class key; with them the annotator looks at each shown class and
# presses a key only where it is wrong. Looking costs VERIFY_SECONDS: an
# assumption, not a measurement.
VERIFY_SECONDS = 0.5


def annotation_effort(error_rate: float, seconds_per_key: float, verify_seconds: float = VERIFY_SECONDS) -> dict:
    """Seconds per object without and with class pre-labels of this error rate."""
    return {"without": seconds_per_key, "with": verify_seconds + error_rate * seconds_per_key,
            "error_rate": error_rate}


def markdown_tables(results: dict, seconds_per_key: float) -> list[str]:
    full, rarest = results["full"], results["rarest_class"]
    random_queries = results["strategies"].get("random", {}).get("queries_to_first_rare_mean")
    counts = [p["samples"] for p in next(iter(results["strategies"].values()))["curve"]]
    lines = [f"| strategy | macro-F1 at {counts[-1]} images (mean ± std) | of full | "
             "labels to 95 % of full: images (objects, % of pool objects) | "
             f"queries to the first {results['first_examples']} {rarest} (per seed) | s / object with pre-labels |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, row in results["strategies"].items():
        reached = row["to_95_percent"]
        reach = "not within the budget" if not reached else (
            f"{reached['samples']} ({reached['objects']:.0f}, {100 * reached['fraction_of_pool_objects']:.1f} %)")
        queries = ", ".join("-" if q is None else str(q) for q in row["queries_to_first_rare"])
        mean = row["queries_to_first_rare_mean"]
        better = (" ✓" if mean is not None and random_queries is not None and mean < random_queries
                  and name != "random" else "")
        effort = annotation_effort(row["final_test_error"]["mean"], seconds_per_key)
        lines.append(f"| {name} | {row['final_macro_f1']:.3f} ± {row['final_macro_f1_std']:.3f} | "
                     f"{100 * row['fraction_of_full']:.1f} % | {reach} | "
                     f"{'-' if mean is None else f'{mean:.1f}'} ({queries}){better} | {effort['with']:.2f} |")
    effort = annotation_effort(1.0 - full["accuracy"]["mean"], seconds_per_key)
    lines.append(f"| full training pool ({results['pool_samples']} images, {results['pool_objects']} objects) | "
                 f"{full['mean']:.3f} ± {full['std']:.3f} | 100 % | | | {effort['with']:.2f} |")
    lines += ["", "Macro-F1 (mean over seeds) after each round, by images labelled:", "",
              "| strategy | " + " | ".join(map(str, counts)) + " |", "|---|" + "---:|" * len(counts)]
    for name, row in results["strategies"].items():
        lines.append(f"| {name} | " + " | ".join(f"{p['mean']:.3f}" for p in row["curve"]) + " |")
    return lines


def write_class_outputs(results: dict, out: Path, command: str, machine: dict) -> list[Path]:
    """results.json and results.md."""
    import json

    from labelassist.evaluation.effort import COST_SOURCE, SECONDS_PER_CLICK

    out.mkdir(parents=True, exist_ok=True)
    results = {**results, "command": command, "machine": machine,
               "cost_model": {"seconds_per_key": SECONDS_PER_CLICK, "verify_seconds": VERIFY_SECONDS}}
    (out / "results.json").write_text(json.dumps(results, indent=2))
    counts = ", ".join(f"{n} {name}" for name, n in zip(results["classes"], results["pool_class_counts"]))
    test = ", ".join(f"{n} {name}" for name, n in zip(results["classes"], results["test_class_counts"]))
    lines = [
        "# Class active learning", "",
        f"Dataset `{results['dataset']}`: training pool {results['pool_samples']} images with "
        f"{results['pool_objects']} classified objects ({counts}); test {results['test_samples']} images ({test}); "
        f"split: {results['split']}. Rounds of {results['batch']} images up to {results['rounds']} rounds "
        f"(the first random), {results['seeds']} seeds; images ranked by their objects' {results['aggregation']} "
        "score. Class model: a random forest of 100 trees on object features, classes weighted equally; "
        "macro-F1 over the test split's classified objects.", "",
        *markdown_tables(results, results["cost_model"]["seconds_per_key"]), "",
        f"Annotation effort: without pre-labels {SECONDS_PER_CLICK:.2f} s per object (one class key; "
        f"{COST_SOURCE}); with class pre-labels {VERIFY_SECONDS} s to check each object (assumed) plus one key "
        "for each wrong prediction, at the test error of the model each strategy ends with.", "",
        f"Machine: {machine['cpus']} CPUs, {machine['processor']}, Python {machine['python']}; "
        f"{results['seconds'] / 60:.1f} minutes.", f"Command: `{command}`", ""]
    (out / "results.md").write_text("\n".join(lines))
    return [out / "results.json", out / "results.md"]
