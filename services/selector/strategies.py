"""Selection strategies: which unlabelled samples to label next.

Each strategy is a plain function over the candidate pool (positions in pool
order, plus whatever per-sample data it needs) that returns the positions to
label next, best first. Each declares what it needs ("sequences", model
"scores", "embeddings", image "features" or a class model's
"class_posteriors"), so the ranked queue loads only that, and strategies
that need embeddings run on a bounded candidate set.
"""

from __future__ import annotations

import numpy as np

from labelassist.imaging.class_uncertainty import AGGREGATIONS as CLASS_AGGREGATIONS
from labelassist.imaging.class_uncertainty import MEASURES as CLASS_MEASURES
from labelassist.imaging.class_uncertainty import ClassSummary, rare_class_order
from labelassist.runtime.errors import ConflictError
from labelassist.runtime.registry import Parameter, Registry

STRATEGIES = Registry("strategy", families=("baseline", "sequence", "uncertainty", "diversity",
                                                    "classification"))
SEED = Parameter("seed", int, 0, "random seed; the same seed gives the same picks", 0, 2**31 - 1)


def _check_count(count: int, pool_size: int) -> int:
    if count < 0:
        raise ValueError(f"'count' must be non-negative, got {count}")
    return min(count, pool_size)


@STRATEGIES.register("sequential", "baseline")
def sequential(candidates: np.ndarray, count: int, **_unused) -> np.ndarray:
    """Pool order: the baseline the paper shows to be poor (46.5 % Dice for 32 samples)."""
    return np.asarray(candidates)[: _check_count(count, len(candidates))]


@STRATEGIES.register("random", "baseline", [SEED])
def random(candidates: np.ndarray, count: int, seed: int = 0, **_unused) -> np.ndarray:
    """Uniformly random picks without replacement, reproducible by seed."""
    candidates = np.asarray(candidates)
    rng = np.random.default_rng(seed)
    return rng.choice(candidates, size=_check_count(count, len(candidates)), replace=False)


@STRATEGIES.register("sequence_aware", "sequence", [SEED], needs=["sequences"])
def sequence_aware(candidates: np.ndarray, count: int, sequences: np.ndarray | None = None,
                   seed: int = 0, taken_sequences: np.ndarray | None = None, **_unused) -> np.ndarray:
    """One random sample per sequence per round, so picks cover every sequence
    before any repeats (Schilling et al. 2021: 80.6 % Dice with 32 samples).

    ``taken_sequences`` lists the sequences of samples already labelled or
    leased, so picks made one at a time continue the current round.
    """
    candidates = np.asarray(candidates)
    count = _check_count(count, len(candidates))
    if sequences is None:
        return random(candidates, count, seed)
    sequences = np.asarray(sequences)
    if sequences.shape != candidates.shape:
        raise ValueError(f"'sequences' has {sequences.shape[0]} entries for {candidates.shape[0]} candidates")
    rng = np.random.default_rng(seed)
    # Shuffle, then rank each sample within its sequence: picking by
    # (rank, random sequence order) takes round r from every sequence first.
    order = rng.permutation(len(candidates))
    shuffled_sequences = sequences[order]
    _, inverse = np.unique(shuffled_sequences, return_inverse=True)
    by_group = np.argsort(inverse, kind="stable")
    grouped = inverse[by_group]
    rank = np.empty(len(order), np.int64)
    rank[by_group] = np.arange(len(order)) - np.searchsorted(grouped, grouped)
    if taken_sequences is not None and len(taken_sequences):
        names, counts = np.unique(np.asarray(taken_sequences), return_counts=True)
        already = dict(zip(names.tolist(), counts.tolist()))
        group_names = np.unique(shuffled_sequences)
        rank += np.array([already.get(name, 0) for name in group_names.tolist()], np.int64)[inverse]
    sequence_priority = rng.permutation(inverse.max() + 1)[inverse]
    picks = np.lexsort((sequence_priority, rank))[:count]
    return candidates[order[picks]]


def _require(values, name: str, strategy: str, candidates: np.ndarray) -> np.ndarray:
    if values is None:
        raise ConflictError(f"strategy '{strategy}' needs {name}; none are available for this project yet "
                            "(they come from a published model)")
    values = np.asarray(values)
    if len(values) != len(candidates):
        raise ValueError(f"'{name}' has {len(values)} entries for {len(candidates)} candidates")
    return values


def nearest_squared_distance(points: np.ndarray, centres: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """Each point's squared distance to its nearest centre, by matrix products
    over chunks of centres: memory O(points x chunk), not O(points x centres x D)."""
    points = np.asarray(points, dtype=np.float32)
    nearest = np.full(len(points), np.inf, dtype=np.float32)
    point_norms = (points**2).sum(axis=1)
    for start in range(0, len(centres), chunk):
        block = np.asarray(centres[start:start + chunk], dtype=np.float32)
        distances = point_norms[:, None] + (block**2).sum(axis=1)[None, :] - 2.0 * points @ block.T
        np.minimum(nearest, np.maximum(distances, 0.0).min(axis=1), out=nearest)
    return nearest


def k_center_greedy(embeddings: np.ndarray, count: int, selected: np.ndarray | None = None) -> np.ndarray:
    """Indices of ``count`` rows of ``embeddings``, each the farthest from
    everything chosen so far (Sener & Savarese 2018, core-set). Distances to
    the nearest centre are updated in place: O(count x N x D), one BLAS
    matrix-vector product per pick."""
    embeddings = np.asarray(embeddings, dtype=np.float32)
    count = min(count, len(embeddings))
    norms = (embeddings**2).sum(axis=1)
    nearest = np.full(len(embeddings), np.inf, dtype=np.float32)
    if selected is not None and len(selected):
        nearest = nearest_squared_distance(embeddings, np.asarray(selected, dtype=np.float32))
    picks = []
    for _ in range(count):
        # With no centre yet, start from the point farthest from the mean.
        scores = nearest if np.isfinite(nearest).any() else ((embeddings - embeddings.mean(0)) ** 2).sum(1)
        pick = int(np.argmax(scores))
        picks.append(pick)
        # |a - b|^2 = |a|^2 + |b|^2 - 2 a.b: one matrix-vector product per pick.
        distance = norms + norms[pick] - 2.0 * (embeddings @ embeddings[pick])
        np.minimum(nearest, np.maximum(distance, 0.0), out=nearest)
        nearest[pick] = -1.0  # never again
    return np.asarray(picks, dtype=np.int64)


def _without_near_duplicates(order: np.ndarray, embeddings, count: int, min_distance: float) -> np.ndarray:
    """Walk ``order`` keeping a candidate only if it is at least ``min_distance``
    from every kept one, so a batch holds no near-duplicates."""
    if embeddings is None or min_distance <= 0:
        return order[:count]
    embeddings = np.asarray(embeddings, dtype=np.float32)
    kept: list[int] = []
    kept_rows = np.empty((count, embeddings.shape[1]), np.float32)
    for index in order:
        if not kept or (((kept_rows[:len(kept)] - embeddings[index]) ** 2).sum(axis=1) >= min_distance**2).all():
            kept_rows[len(kept)] = embeddings[index]
            kept.append(int(index))
            if len(kept) == count:
                break
    return np.asarray(kept, dtype=np.int64)


MEASURE = Parameter("measure", str, "entropy", "pixel uncertainty: entropy, margin and least confidence of the "
                    "mean prediction; BALD and variance over Monte-Carlo dropout passes",
                    choices=("entropy", "margin", "least_confidence", "bald", "variance"))
AGGREGATION = Parameter("aggregation", str, "mean", "per image: the mean, or the mean of the top 10 % of pixels",
                        choices=("mean", "topk"))


def _score_column(score_table, measure: str, aggregation: str, strategy: str, candidates) -> np.ndarray:
    if score_table is None:
        return _require(None, "uncertainty scores", strategy, candidates)
    return _require(score_table[f"{measure}_{aggregation}"], "uncertainty scores", strategy, candidates)


MIN_DISTANCE = Parameter("min_distance", float, 0.0,
                         "drop candidates closer than this (embedding distance) to one already in the batch",
                         0.0, 1e6)


@STRATEGIES.register("uncertainty", "uncertainty", [MEASURE, AGGREGATION, MIN_DISTANCE], needs=["scores"])
def uncertainty(candidates: np.ndarray, count: int, score_table=None, embeddings=None, measure="entropy",
                aggregation="mean", min_distance=0.0, **_unused) -> np.ndarray:
    """Highest model uncertainty first: per-image aggregates of pixel entropy,
    margin, least confidence, BALD (Gal et al. 2017) or predictive variance."""
    candidates = np.asarray(candidates)
    scores = _score_column(score_table, measure, aggregation, "uncertainty", candidates)
    count = _check_count(count, len(candidates))
    if count == 0:
        return candidates[:0]
    # Only the best few need sorting (room to skip near-duplicates): O(N), not O(N log N).
    shortlist = count if min_distance <= 0 or embeddings is None else min(len(scores), count * 20)
    top = np.argpartition(-scores, shortlist - 1)[:shortlist]
    order = top[np.argsort(-scores[top], kind="stable")]
    return candidates[_without_near_duplicates(order, embeddings, count, min_distance)]


@STRATEGIES.register("coreset", "diversity", needs=["features"])
def coreset(candidates: np.ndarray, count: int, embeddings=None, taken_embeddings=None, **_unused) -> np.ndarray:
    """Core-set by k-center greedy over embeddings: each pick covers the part of
    the pool farthest from everything labelled or picked. Before a model
    exists the embeddings are image features (cold start)."""
    candidates = np.asarray(candidates)
    embeddings = _require(embeddings, "embeddings", "coreset", candidates)
    return candidates[k_center_greedy(embeddings, _check_count(count, len(candidates)), taken_embeddings)]


@STRATEGIES.register("hybrid", "diversity", [
    Parameter("prefilter", float, 4.0, "keep this many times the batch size by uncertainty first", 1.0, 1000.0),
    MEASURE, AGGREGATION,
], needs=["scores", "embeddings"])
def hybrid(candidates: np.ndarray, count: int, score_table=None, embeddings=None, taken_embeddings=None,
           prefilter=4.0, measure="entropy", aggregation="mean", **_unused) -> np.ndarray:
    """Uncertainty pre-filter, then core-set among those candidates: uncertain
    and diverse (Zhdanov 2019, "Diverse mini-batch active learning")."""
    candidates = np.asarray(candidates)
    scores = _score_column(score_table, measure, aggregation, "hybrid", candidates)
    embeddings = _require(embeddings, "embeddings", "hybrid", candidates)
    count = _check_count(count, len(candidates))
    shortlist = np.argsort(-scores, kind="stable")[: max(int(np.ceil(count * prefilter)), count)]
    chosen = k_center_greedy(embeddings[shortlist], count, taken_embeddings)
    return candidates[shortlist[chosen]]


CLASS_MEASURE = Parameter("measure", str, "entropy", "object uncertainty from the class posteriors: entropy, margin "
                          "and least confidence of the mean posterior; BALD over the class model's members",
                          choices=CLASS_MEASURES)
CLASS_AGGREGATION = Parameter("aggregation", str, "mean", "per image, over its objects: the mean, the max (its "
                              "most doubtful object) or the sum (favours crowded images)",
                              choices=CLASS_AGGREGATIONS)


def _class_summary(summary: ClassSummary | None, strategy: str, candidates: np.ndarray) -> ClassSummary:
    if summary is None:
        raise ConflictError(f"strategy '{strategy}' needs class posteriors of the unlabelled samples; the "
                            "selector holds none for this project yet: its class scorer asks assist for them "
                            "once the project's class model exists (labels with classes of at least 2 classes) "
                            "and the selector runs with --assist-address; ask again shortly, or use a strategy "
                            "of another family")
    if len(summary) != len(candidates):
        raise ValueError(f"class posteriors cover {len(summary)} samples for {len(candidates)} candidates")
    return summary


@STRATEGIES.register("class_uncertainty", "classification", [CLASS_MEASURE, CLASS_AGGREGATION],
                     needs=["class_posteriors"])
def class_uncertainty(candidates: np.ndarray, count: int, class_summary: ClassSummary | None = None,
                      measure: str = "entropy", aggregation: str = "mean", **_unused) -> np.ndarray:
    """Images whose objects the class model is least sure of first: entropy,
    margin, least confidence or BALD (Houlsby et al. 2011) of each object's
    class posterior, aggregated per image; an image-class posterior is an
    image's one object."""
    candidates = np.asarray(candidates)
    scores = _class_summary(class_summary, "class_uncertainty", candidates).scores[f"{measure}_{aggregation}"]
    count = _check_count(count, len(candidates))
    return candidates[np.argsort(-scores, kind="stable")[:count]]


@STRATEGIES.register("class_balance", "classification", needs=["class_posteriors"])
def class_balance(candidates: np.ndarray, count: int, class_summary: ClassSummary | None = None,
                  **_unused) -> np.ndarray:
    """Rare classes found early: images expected to hold most objects of the
    classes the labelled set has fewest of (each object weighted by
    1 / (1 + labelled objects of its class)), picked greedily so a batch
    spreads over the rare classes."""
    candidates = np.asarray(candidates)
    summary = _class_summary(class_summary, "class_balance", candidates)
    order = rare_class_order(summary.expected_counts, summary.labelled_counts, _check_count(count, len(candidates)))
    return candidates[order]
