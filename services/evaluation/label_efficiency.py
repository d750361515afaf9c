"""Label efficiency of selection strategies (Schilling et al. 2021, Table 2):
train the same U-Net on the samples each strategy picks and compare test
Dice with a U-Net trained on the whole training pool.

Every strategy is measured at the same label counts (``rounds`` steps up to
the budget). One-shot strategies rank the pool once and take prefixes;
model-based ones pick a cold start, then train, score the rest of the pool
with the model (Monte-Carlo dropout) and pick the next batch, round by round.
The picks themselves come from the selector's strategy registry, so this
measures what the service does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from labelassist.models.training import TrainingConfig, model_input, train_unet
from labelassist.models.unet import UNet, predict_maps
from labelassist.evaluation.evaluation_set import EvaluationSet
from labelassist.evaluation.seeds import seed_summary
from labelassist.imaging.measures import dice as foreground_dice
from labelassist.selector.candidate_pool import Pool, needs, rank_pool
from labelassist.selector.scoring import SCORE_NAMES, image_features, image_scores
from labelassist.selector.strategies import STRATEGIES


@dataclass(frozen=True)
class PoolState:
    """What a strategy may look at when it picks: the unlabelled candidates
    (sample indices), what is labelled, and the current model (None before
    the first round)."""
    candidates: np.ndarray
    labelled: np.ndarray
    data: EvaluationSet
    model: UNet | None
    seed: int
    mc_samples: int


@dataclass(frozen=True)
class BenchStrategy:
    """A row of the benchmark: one of the selector's strategies with
    parameter values. Strategies that read a model pick at random until the
    first model is trained (the cold start of the paper's protocol)."""
    name: str
    strategy: str
    values: dict
    description: str

    @property
    def model_based(self) -> bool:
        return bool(needs(self.strategy, self.values) & {"scores", "embeddings"})


BENCH_STRATEGIES: dict[str, BenchStrategy] = {s.name: s for s in (
    BenchStrategy("sequential", "sequential", {}, "pool order: sequence after sequence (the paper's baseline)"),
    BenchStrategy("random", "random", {}, "uniformly random, seeded"),
    BenchStrategy("sequence-aware", "sequence_aware", {}, "one random sample per sequence per round (the paper's best)"),
    BenchStrategy("entropy", "uncertainty", {"measure": "entropy"},
                  "highest mean predictive entropy; random cold start"),
    BenchStrategy("bald", "uncertainty", {"measure": "bald"},
                  "highest mean BALD over Monte-Carlo dropout; random cold start"),
    BenchStrategy("coreset", "coreset", {}, "k-center greedy on image features"),
    BenchStrategy("hybrid", "hybrid", {},
                  "entropy pre-filter (4x the batch), then core-set on the U-Net's embeddings; random cold start"),
)}
COLD_START = BENCH_STRATEGIES["random"]
MONTE_CARLO_MEASURES = {"bald", "variance"}


def _scores(state: PoolState, indices: np.ndarray, monte_carlo: bool = False
            ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Scores and embeddings of ``indices`` under the current model; the
    Monte-Carlo passes (which BALD needs) only when asked for."""
    maps, embeddings = score_images(state.model, [state.data.images[i] for i in indices],
                                    state.mc_samples if monte_carlo else 0)
    table = np.stack([image_scores(m) for m in maps])
    return {name: table[:, column] for column, name in enumerate(SCORE_NAMES)}, embeddings


def bench_pool(strategy: BenchStrategy, state: PoolState) -> Pool:
    """The selector's ``Pool`` of the candidates (sample indices as ids and
    positions) holding what the strategy needs, as the selector reads it
    from its store: sequences, the model's scores and embeddings, image
    features for the labelled and the candidates."""
    wanted = needs(strategy.strategy, strategy.values)
    candidates, labelled = np.sort(state.candidates), np.asarray(state.labelled, np.int64)
    both, size = np.concatenate([candidates, labelled]), len(candidates)
    pool = Pool(ids=candidates, positions=candidates, taken_ids=labelled, unlabelled=size)
    if "sequences" in wanted:
        pool.sequences, pool.taken_sequences = state.data.sequences[candidates], state.data.sequences[labelled]
    if wanted & {"scores", "embeddings"}:
        measure = strategy.values.get("measure", "entropy")
        table, embeddings = _scores(state, both, monte_carlo=measure in MONTE_CARLO_MEASURES)
        pool.score_table = {name: column[:size] for name, column in table.items()}
        if "embeddings" in wanted:
            pool.embeddings, pool.taken_embeddings = embeddings[:size], embeddings[size:]
    elif "features" in wanted:
        features = np.stack([image_features(state.data.images[i]) for i in both])
        pool.embeddings = features[:size]
        pool.taken_embeddings = features[size:] if len(labelled) else None
    return pool


def pick(strategy: BenchStrategy, state: PoolState, count: int) -> np.ndarray:
    """The strategy's next ``count`` picks by the selector's own ranking
    (``rank_pool``), seeded with the run's seed."""
    if strategy.model_based and state.model is None:
        strategy = COLD_START
    entry = STRATEGIES.get(strategy.strategy)
    seeded = {"seed": state.seed} if any(p.name == "seed" for p in entry.parameters) else {}
    values = entry.bind({**strategy.values, **seeded})
    return rank_pool(strategy.strategy, values, bench_pool(strategy, state), count)


def _batches(images: list[np.ndarray], multiple: int, batch_size: int):
    """Normalised, padded images grouped by shape: (indices, batch, original shapes)."""
    prepared = [(model_input(image, multiple), np.shape(image)[:2]) for image in images]
    by_shape: dict[tuple, list[int]] = {}
    for index, (padded, _) in enumerate(prepared):
        by_shape.setdefault(padded.shape, []).append(index)
    for indices in by_shape.values():
        for start in range(0, len(indices), batch_size):
            chunk = indices[start:start + batch_size]
            yield chunk, np.stack([prepared[i][0] for i in chunk])[:, None], [prepared[i][1] for i in chunk]


def score_images(model: UNet, images: list[np.ndarray], mc_samples: int, batch_size: int = 32
                 ) -> tuple[list[dict[str, np.ndarray]], np.ndarray]:
    """Per-image maps (probability, variance, bald) and embeddings, in batches."""
    maps: list[dict | None] = [None] * len(images)
    embeddings: list[np.ndarray | None] = [None] * len(images)
    for chunk, batch, shapes in _batches(images, model.multiple, batch_size):
        probability, variance, embedding, bald = predict_maps(model, batch, mc_samples)
        for k, (index, (height, width)) in enumerate(zip(chunk, shapes)):
            maps[index] = {"probability": probability[k, :, :height, :width],
                           "variance": variance[k, :, :height, :width], "bald": bald[k, :height, :width]}
            embeddings[index] = embedding[k]
    return maps, np.stack(embeddings)


def test_dice(model: UNet, images: list[np.ndarray], labels: list[np.ndarray], batch_size: int = 32
              ) -> tuple[float, float]:
    """Foreground Dice on the test images: pooled over all their pixels
    (for tiles cut from frames, the Dice of the frames themselves) and the
    mean per image (which over-weights tiles holding a sliver of a nucleus
    cut by the tile border)."""
    scores = [0.0] * len(images)
    overlap = total = 0
    for chunk, batch, shapes in _batches(images, model.multiple, batch_size):
        probability, _, _, _ = predict_maps(model, batch)
        for k, (index, (height, width)) in enumerate(zip(chunk, shapes)):
            predicted, reference = probability[k, 1, :height, :width] >= 0.5, labels[index] > 0
            scores[index] = foreground_dice(predicted, reference)
            overlap += int((predicted & reference).sum())
            total += int(predicted.sum() + reference.sum())
    return (2 * overlap / total if total else 1.0), float(np.mean(scores))


@dataclass
class EfficiencyConfig:
    budget: int = 32
    rounds: int = 4
    strategies: tuple[str, ...] = tuple(BENCH_STRATEGIES)
    seeds: int = 3
    mc_samples: int = 4
    training: TrainingConfig = field(default_factory=TrainingConfig)
    # The full-pool reference trains this many times as many steps: it holds
    # far more variety and converges more slowly (with the subsets' schedule
    # it ends below 32 random samples), and it is the ceiling to compare with.
    full_steps_factor: float = 4.0

    def __post_init__(self):
        unknown = [s for s in self.strategies if s not in BENCH_STRATEGIES]
        if unknown:
            raise ValueError(f"unknown strategy {', '.join(map(repr, unknown))}; "
                             f"known: {', '.join(BENCH_STRATEGIES)}")
        if self.budget < 1 or self.rounds < 1 or self.seeds < 1:
            raise ValueError("budget, rounds and seeds must be at least 1")
        self.rounds = min(self.rounds, self.budget)

    def label_counts(self, pool_size: int) -> list[int]:
        """Doubling up to the budget: 8, 16, 32 for a budget of 32 in 3 rounds."""
        budget = min(self.budget, pool_size)
        return sorted({max(1, budget // 2**k) for k in range(self.rounds)})

    def full_training(self, seed: int) -> TrainingConfig:
        epochs = max(1, round(self.training.epochs * self.full_steps_factor))
        return TrainingConfig(**{**asdict(self.training), "epochs": epochs, "seed": seed})

    def trainings(self, pool_size: int) -> int:
        return self.seeds * (len(self.strategies) * len(self.label_counts(pool_size)) + 1)


def _train_and_test(data: EvaluationSet, indices: np.ndarray, config: TrainingConfig
                    ) -> tuple[UNet, tuple[float, float]]:
    model = train_unet([data.images[i] for i in indices], [data.labels[i] for i in indices], config).model
    return model, test_dice(model, [data.images[i] for i in data.test], [data.labels[i] for i in data.test])


def run_strategy(data: EvaluationSet, name: str, seed: int, config: EfficiencyConfig,
                 step: Callable[[str], None] = lambda _: None) -> list[dict]:
    """One strategy, one seed: test Dice at every label count."""
    strategy = BENCH_STRATEGIES[name]
    training = TrainingConfig(**{**asdict(config.training), "seed": seed})
    labelled = np.array([], np.int64)
    model = None
    curve = []
    ranking = None
    for count in config.label_counts(len(data.train)):
        candidates = data.train[~np.isin(data.train, labelled)]  # in pool order
        state = PoolState(candidates, labelled, data, model, seed, config.mc_samples)
        if strategy.model_based:
            labelled = np.concatenate([labelled, pick(strategy, state, count - len(labelled))])
        else:
            if ranking is None:
                ranking = pick(strategy, state, len(candidates))
            labelled = ranking[:count]
        started = time.perf_counter()
        model, (dice, per_image) = _train_and_test(data, labelled, training)
        curve.append({"labels": int(count), "dice": dice, "per_image_dice": per_image,
                      "picked": [data.stems[i] for i in labelled], "seconds": round(time.perf_counter() - started, 2)})
        step(f"{name} seed {seed}: {count} labels, Dice {dice:.3f}")
    return curve


def run_label_efficiency(data: EvaluationSet, config: EfficiencyConfig,
                         step: Callable[[str], None] = lambda _: None) -> dict:
    """Every strategy and the full training pool, over ``config.seeds`` seeds."""
    started = time.perf_counter()
    full, full_per_image = [], []
    for seed in range(config.seeds):
        dice, per_image = _train_and_test(data, data.train, config.full_training(seed))[1]
        full.append(dice)
        full_per_image.append(per_image)
        step(f"full training pool seed {seed}: Dice {dice:.3f}")
    full_summary = {**seed_summary(full), "per_image": seed_summary(full_per_image)}
    results = {}
    for name in config.strategies:
        runs = [run_strategy(data, name, seed, config, step) for seed in range(config.seeds)]
        curve = []
        for position, count in enumerate(config.label_counts(len(data.train))):
            curve.append({"labels": count, **seed_summary([run[position]["dice"] for run in runs]),
                          "per_image": seed_summary([run[position]["per_image_dice"] for run in runs])})
        final = curve[-1]
        reached = [point["labels"] for point in curve if point["mean"] >= 0.95 * full_summary["mean"]]
        results[name] = {
            "description": BENCH_STRATEGIES[name].description,
            "model_based": BENCH_STRATEGIES[name].model_based,
            "curve": curve,
            "dice_mean": final["mean"], "dice_std": final["std"],
            "per_image_dice_mean": final["per_image"]["mean"], "per_image_dice_std": final["per_image"]["std"],
            "fraction_of_full": final["mean"] / full_summary["mean"] if full_summary["mean"] else float("nan"),
            "labels_to_95_percent": reached[0] if reached else None,
            "runs": runs,
        }
    return {
        "dataset": data.folder, "pool_size": int(len(data.train)), "test_size": int(len(data.test)),
        "split": data.split_source, "sequences": int(len(np.unique(data.sequences[data.train]))),
        "budget": min(config.budget, len(data.train)),
        "label_counts": config.label_counts(len(data.train)),
        "budget_fraction_of_pool": min(config.budget, len(data.train)) / len(data.train),
        "seeds": config.seeds, "mc_samples": config.mc_samples, "training": asdict(config.training),
        "full_steps_factor": config.full_steps_factor,
        "full": full_summary, "strategies": results, "seconds": round(time.perf_counter() - started, 1),
    }


def markdown_table(results: dict, paper: bool = True) -> str:
    full = results["full"]
    lines = [
        f"| strategy | test Dice at {results['budget']} labels (mean ± std over seeds) | of full-set Dice | "
        "labels to reach 95 % of full | mean Dice per test tile |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in results["strategies"].items():
        reached = row["labels_to_95_percent"]
        lines.append(f"| {name} | {row['dice_mean']:.4f} ± {row['dice_std']:.4f} | "
                     f"{100 * row['fraction_of_full']:.1f} % | {reached if reached else '> ' + str(results['budget'])} | "
                     f"{row['per_image_dice_mean']:.4f} ± {row['per_image_dice_std']:.4f} |")
    lines.append(f"| full training pool ({results['pool_size']}) | {full['mean']:.4f} ± {full['std']:.4f} | "
                 f"100 % | | {full['per_image']['mean']:.4f} ± {full['per_image']['std']:.4f} |")
    return "\n".join(lines)


def write_outputs(results: dict, out: Path, command: str, machine: dict) -> list[Path]:
    """results.json, results.md and results.png (Dice against labels)."""
    out.mkdir(parents=True, exist_ok=True)
    results = {**results, "command": command, "machine": machine}
    (out / "results.json").write_text(json.dumps(results, indent=2))
    training = results["training"]
    lines = [
        "# Label efficiency", "",
        f"Dataset `{results['dataset']}`: training pool {results['pool_size']} samples in "
        f"{results['sequences']} sequences, test {results['test_size']} (split: {results['split']}). "
        f"Budget {results['budget']} labels ({100 * results['budget_fraction_of_pool']:.1f} % of the pool), "
        f"measured at {', '.join(map(str, results['label_counts']))} labels; {results['seeds']} seeds; "
        f"{results['mc_samples']} Monte-Carlo dropout passes for scoring.", "",
        f"U-Net depth {training['depth']}, width {training['width']}, {training['tile']}² training tiles, "
        f"{training['epochs']} epochs × {training['steps_per_epoch']} steps of batch {training['batch_size']} "
        f"for every subset; the full pool {results['full_steps_factor']:g}× as many steps (it converges more "
        "slowly). Test Dice: foreground Dice (probability ≥ 0.5) pooled over all test pixels, which for tiles "
        "cut from frames is the Dice of the test frames; the last column is the mean over test tiles, which "
        "over-weights tiles holding a sliver of a nucleus.", "",
        markdown_table(results), "",
        "Test Dice (mean over seeds) at each label count:", "",
        "| strategy | " + " | ".join(str(c) for c in results["label_counts"]) + " |",
        "|---|" + "---:|" * len(results["label_counts"]),
    ]
    for name, row in results["strategies"].items():
        lines.append(f"| {name} | " + " | ".join(f"{p['mean']:.4f}" for p in row["curve"]) + " |")
    lines += ["", f"Machine: {machine['cpus']} CPUs, {machine['processor']}, Python {machine['python']}; "
              f"{results['seconds'] / 60:.1f} minutes.", f"Command: `{command}`", ""]
    (out / "results.md").write_text("\n".join(lines))
    _plot(results, out / "results.png")
    return [out / "results.json", out / "results.md", out / "results.png"]


def _plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7, 4.5), dpi=120)
    for name, row in results["strategies"].items():
        counts = [p["labels"] for p in row["curve"]]
        means = np.array([p["mean"] for p in row["curve"]])
        stds = np.array([p["std"] for p in row["curve"]])
        axes.plot(counts, means, marker="o", label=name)
        axes.fill_between(counts, means - stds, means + stds, alpha=0.12)
    full = results["full"]["mean"]
    axes.axhline(full, color="black", linestyle="--", label=f"full pool ({results['pool_size']})")
    axes.axhline(0.975 * full, color="grey", linestyle=":", label="97.5 % of full")
    axes.set_xlabel("labelled samples")
    axes.set_ylabel("test Dice")
    axes.set_title(f"Label efficiency: {Path(results['dataset']).name}")
    axes.legend(fontsize=8, loc="lower right")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
