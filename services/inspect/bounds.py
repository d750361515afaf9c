"""Robust statistics for calibrated criterion bounds: tail quantiles after
outlier rejection (median and MAD), tail quantiles of objects pooled so
that each label weighs as one, the winsorized centre of per-label values,
and a cap on how far one label can move a bound.

A bound learnt from accepted labels must not follow the few labels that
slipped through with an error: one merged pair among ten labels would
otherwise lower a solidity bound to that pair's solidity, and one fragment
would lower a size bound to its size. Outliers are rejected per object
(Hampel's rule: beyond ``z`` robust standard deviations, 1.4826 x MAD, of
the median; Hampel 1974, J. Am. Stat. Assoc. 69:383), and a label whose own
presence still moves a bound by more than a share of it is left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Z = 4.0  # robust standard deviations beyond the median at which a value is an outlier
MAX_SHIFT = 0.10  # the share of a bound that one label may move it by
MAX_DROPPED = 0.25  # the share of labels that may be left out for moving a bound too far


def _check(values: np.ndarray, tail: float) -> np.ndarray:
    if not 0.0 <= tail <= 0.5:
        raise ValueError(f"'tail' is {tail}; it must lie between 0 and 0.5")
    values = np.asarray(values, np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("no finite values to learn a bound from")
    return values


def _robust_spread(values: np.ndarray, min_spread: float) -> tuple[float, float]:
    median = float(np.median(values))
    return median, max(1.4826 * float(np.median(np.abs(values - median))), min_spread)


def lower_tail(values: np.ndarray, tail: float, min_spread: float, z: float = Z) -> float:
    """The ``tail`` quantile of ``values`` after dropping those more than
    ``z`` robust standard deviations below the median.

    Parameters
    ----------
    values : ndarray
        One measurement per object or label.
    tail : float
        Share of the inliers the quantile leaves below it.
    min_spread : float
        Smallest robust standard deviation assumed, so identical values do
        not make every other value an outlier.
    z : float
        Robust standard deviations below the median beyond which a value is
        an outlier.

    Returns
    -------
    float
        The quantile of the inliers.
    """
    values = _check(values, tail)
    median, spread = _robust_spread(values, min_spread)
    return float(np.quantile(values[values >= median - z * spread], tail))


def upper_tail(values: np.ndarray, tail: float, min_spread: float, z: float = Z) -> float:
    """The ``1 - tail`` quantile of ``values`` after dropping those more than
    ``z`` robust standard deviations above the median (see
    :func:`lower_tail`)."""
    return -lower_tail(-np.asarray(values, np.float64), tail, min_spread, z)


def far_below_perfect(values: np.ndarray, z: float, min_spread: float) -> float:
    """A lower bound for a measure that is at most 1 for a perfect object
    (solidity, circularity): ``z`` robust standard deviations below the
    median on the scale ``log(1 - value)``.

    The shortfalls from a perfect shape spread by factors, so on this scale
    a project's distribution is close to symmetric and its far tail can be
    extrapolated from the median and MAD of a few hundred objects, where an
    empirical 0.2 % quantile of them is their one or two most irregular.

    Parameters
    ----------
    values : ndarray
        One measurement per object, at most 1.
    z : float
        Robust standard deviations of the shortfall the bound lies beyond
        the median.
    min_spread : float
        Smallest robust standard deviation assumed on the log scale.

    Returns
    -------
    float
        The bound, below 1.
    """
    values = _check(values, 0.0)
    shortfall = np.log(np.clip(1.0 - values, 1e-3, None))
    median, spread = _robust_spread(shortfall, min_spread)
    return float(1.0 - np.exp(median + z * spread))


def winsorized_centre(values: np.ndarray, share: float = 0.1) -> float:
    """The typical one of positive per-label values (objects per label,
    labelled fraction): the geometric mean after winsorizing their
    logarithms at the ``share`` and ``1 - share`` quantiles (Dixon 1960,
    Ann. Math. Stat. 31:385).

    Such values spread by factors (images differ in how crowded they are),
    hence the log scale. A label beyond the quantiles counts as one at them,
    so one label moves the centre by at most the spread between them over
    the number of labels; an empirical tail quantile of twenty labels, or
    their median where they form two groups, jumps with the one label that
    crosses it.

    Parameters
    ----------
    values : ndarray
        One positive measurement per label (values at or below 0 are left out).
    share : float
        Share of the labels winsorized on each side, between 0 and 0.5.

    Returns
    -------
    float
        The winsorized geometric mean.
    """
    values = _check(values, share)
    values = np.log(values[values > 0])
    if values.size == 0:
        raise ValueError("no positive values to learn a bound from")
    low, high = np.quantile(values, [share, 1.0 - share])
    return float(np.exp(np.clip(values, low, high).mean()))


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` each counted with its weight
    (interpolated between the midpoints of their cumulative weights, so it
    moves continuously as weights move)."""
    order = np.argsort(values, kind="stable")
    values, weights = np.asarray(values, np.float64)[order], np.asarray(weights, np.float64)[order]
    cumulative = (np.cumsum(weights) - 0.5 * weights) / weights.sum()
    return float(np.interp(q, cumulative, values))


def label_weighted(groups: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The finite values of all labels pooled, each weighted by one over the
    number of its label's values: every label weighs as one, however many
    objects it holds."""
    groups = [np.asarray(g, np.float64).ravel() for g in groups]
    groups = [g[np.isfinite(g)] for g in groups]
    groups = [g for g in groups if g.size]
    if not groups:
        raise ValueError("no finite values to learn a bound from")
    return np.concatenate(groups), np.concatenate([np.full(g.size, 1.0 / g.size) for g in groups])


def label_lower_tail(groups: Sequence[np.ndarray], tail: float, z: float = np.inf, min_spread: float = 0.0) -> float:
    """The ``tail`` quantile of the objects of many labels, each label
    weighing as one, with values more than ``z`` robust standard deviations
    below the median counted as lying at that limit (winsorized; Dixon 1960).

    A label that slipped through with an error (a merged pair, a brush
    slip) brings many good objects and one bad one; pooled, a crowded label
    would carry the tail, and an extreme quantile of the pooled objects
    follows its one or two lowest. Weighing each label as one caps what any
    label adds to a tail at one label's share, and the median and MAD
    (weighted the same way) hold the far outliers at a limit, where
    rejecting them would let the bound jump as one crosses it.

    Parameters
    ----------
    groups : sequence of ndarray
        One measurement per object, per label (empty labels are skipped).
    tail : float
        Share of the weight the quantile leaves below it, between 0 and 0.5.
    z : float
        Robust standard deviations (1.4826 x the weighted MAD) below the
        weighted median at which values are held; ``inf`` holds none.
    min_spread : float
        Smallest robust standard deviation assumed.

    Returns
    -------
    float
        The weighted quantile of the held values.
    """
    if not 0.0 <= tail <= 0.5:
        raise ValueError(f"'tail' is {tail}; it must lie between 0 and 0.5")
    values, weights = label_weighted(groups)
    if np.isfinite(z):
        median = weighted_quantile(values, weights, 0.5)
        spread = max(1.4826 * weighted_quantile(np.abs(values - median), weights, 0.5), min_spread)
        values = np.maximum(values, median - z * spread)
    return weighted_quantile(values, weights, tail)


Groups = Sequence[tuple[np.ndarray, ...]]


def _pooled(groups: Groups, kept: Sequence[int]) -> tuple[np.ndarray, ...]:
    return tuple(np.concatenate([np.ravel(groups[i][field]) for i in kept])
                 for field in range(len(groups[kept[0]])))


def _shift(value: float, without: float) -> float:
    return abs(value - without) / max(abs(without), 1e-9)


def bounded_influence(groups: Groups, statistic: Callable[..., float], max_shift: float = MAX_SHIFT,
                      max_dropped: float = MAX_DROPPED) -> tuple[float, int]:
    """A bound from the pooled measurements of labels, with no label moving
    it by more than ``max_shift`` of its value.

    The label whose absence moves the bound most is left out while that move
    exceeds ``max_shift`` (at most ``max_dropped`` of the labels; one bad
    label among many cannot hide behind a second one, since each is left
    out in turn).

    Parameters
    ----------
    groups : sequence of tuple of ndarray
        Per label, the measurement arrays ``statistic`` takes (the same
        number in each).
    statistic : callable
        The bound from pooled arrays, one argument per array of a group;
        raises ValueError when they are too few.
    max_shift : float
        Largest relative move of the bound one label may cause.
    max_dropped : float
        Largest share of the labels that may be left out.

    Returns
    -------
    bound : float
        The bound from the labels kept.
    dropped : int
        Labels left out.
    """
    if not groups:
        raise ValueError("no labels to learn a bound from")
    kept = list(range(len(groups)))
    value = statistic(*_pooled(groups, kept))
    for _ in range(int(max_dropped * len(groups))):
        shifts = []
        for position in range(len(kept)):
            others = kept[:position] + kept[position + 1:]
            try:
                shifts.append(_shift(value, statistic(*_pooled(groups, others))) if others else 0.0)
            except ValueError:
                shifts.append(0.0)  # the others alone hold too little to learn from: this label is needed
        worst = int(np.argmax(shifts))
        if shifts[worst] <= max_shift:
            break
        del kept[worst]
        value = statistic(*_pooled(groups, kept))
    return float(value), len(groups) - len(kept)
