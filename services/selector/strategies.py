"""Selection strategies: which unlabelled samples to label next.

Each strategy is a plain function over the candidate pool (positions in pool
order, plus whatever per-sample data it needs) that returns the positions to
label next, best first. Model-based strategies (uncertainty, BALD, core-set)
join the registry with the model issue.
"""

from __future__ import annotations

import numpy as np

from labelassist.runtime.registry import Parameter, Registry

STRATEGIES = Registry("strategy", families=("baseline", "sequence", "uncertainty", "diversity"))
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


@STRATEGIES.register("sequence_aware", "sequence", [SEED])
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
