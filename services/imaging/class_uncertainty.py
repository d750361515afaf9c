"""Uncertainty of a class model's posteriors, per object and per sample, and
the expected gain of a sample for the classes the labelled set lacks.

A sample (an image) holds objects, each with class posteriors: ``(n, k)``
from one model, or ``(members, n, k)`` from an ensemble (a forest's trees,
Monte-Carlo passes). An image-class posterior is the one-row case
``(1, k)``. The formulas are those of :mod:`labelassist.imaging.uncertainty`
with the classes on the last axis; each ranks objects as baal's heuristic of
the same name does (entropy and BALD highest first, ``Margin`` and
``Certainty`` lowest first, here turned so that higher is always more
uncertain).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from labelassist.imaging import uncertainty

MEASURES = ("entropy", "margin", "least_confidence", "bald")
AGGREGATIONS = ("mean", "max", "sum")
SCORE_NAMES = tuple(f"{m}_{a}" for m in MEASURES for a in AGGREGATIONS)


def _posteriors(posteriors, name: str = "posteriors") -> np.ndarray:
    """(n, k) or (members, n, k) probabilities whose classes sum to one."""
    p = np.asarray(posteriors, dtype=np.float64)
    if p.ndim not in (2, 3) or p.shape[-1] < 2:
        raise ValueError(f"'{name}' must be (objects, classes) or (members, objects, classes) with at least "
                         f"2 classes, got shape {p.shape}")
    if not np.isfinite(p).all() or (p.size and p.min() < 0):
        raise ValueError(f"'{name}' must be finite and non-negative")
    if p.size and not np.allclose(p.sum(axis=-1), 1.0, atol=1e-3):
        raise ValueError(f"'{name}' must sum to 1 over the classes (the last axis)")
    return p


def object_uncertainty(posteriors: np.ndarray, measure: str = "entropy") -> np.ndarray:
    """One uncertainty per object from its class posteriors.

    Parameters
    ----------
    posteriors : ndarray
        (n, k) class probabilities, or (members, n, k) from an ensemble;
        entropy, margin and least confidence use the members' mean (baal's
        ``singlepass``).
    measure : {"entropy", "margin", "least_confidence", "bald"}
        Entropy in nats; 1 - (top-1 minus top-2); 1 - top-1; BALD, the
        mutual information between the class and the model (Houlsby et al.
        2011, "Bayesian active learning for classification and preference
        learning"; Gal et al. 2017), which needs members.

    Returns
    -------
    ndarray
        (n,) float64, higher is more uncertain.
    """
    p = _posteriors(posteriors)
    if measure == "bald":
        if p.ndim != 3:
            raise ValueError("measure 'bald' needs member posteriors (members, objects, classes), got shape "
                             f"{p.shape}")
        return uncertainty.mutual_information(p, sample_axis=0, class_axis=2)
    mean = p.mean(axis=0) if p.ndim == 3 else p
    if measure == "entropy":
        return uncertainty.entropy(mean, class_axis=1)
    if measure == "margin":
        return uncertainty.margin(mean, class_axis=1)
    if measure == "least_confidence":
        return uncertainty.least_confidence(mean, class_axis=1)
    raise ValueError(f"measure must be one of {', '.join(MEASURES)}; got {measure!r}")


def aggregate(object_scores: np.ndarray, how: str = "mean") -> float:
    """One score per sample from its objects' scores: the mean (how unsure
    the model is of the image as a whole), the max (its most doubtful
    object) or the sum (how much there is to learn in it, which favours
    crowded images). A sample without objects scores 0.

    Parameters
    ----------
    object_scores : ndarray
        (n,) per-object scores.
    how : {"mean", "max", "sum"}

    Returns
    -------
    float
    """
    values = np.asarray(object_scores, dtype=np.float64).ravel()
    if how not in AGGREGATIONS:
        raise ValueError(f"aggregation must be one of {', '.join(AGGREGATIONS)}; got {how!r}")
    if values.size == 0:
        return 0.0
    return float({"mean": values.mean, "max": values.max, "sum": values.sum}[how]())


def sample_scores(posteriors: np.ndarray) -> np.ndarray:
    """Every measure x aggregation of one sample, in ``SCORE_NAMES`` order.

    Parameters
    ----------
    posteriors : ndarray
        The sample's (members, n, k) member posteriors, or (n, k), where BALD
        is 0 (one model has no disagreement to measure).

    Returns
    -------
    ndarray
        (len(SCORE_NAMES),) float32.
    """
    p = _posteriors(posteriors)
    per_object = {m: object_uncertainty(p, m) if m != "bald" or p.ndim == 3 else np.zeros(p.shape[0])
                  for m in MEASURES}
    return np.array([aggregate(per_object[m], a) for m in MEASURES for a in AGGREGATIONS], np.float32)


def expected_class_counts(posteriors: np.ndarray) -> np.ndarray:
    """How many objects of each class a sample is expected to hold: its
    objects' posteriors summed (members averaged first).

    Parameters
    ----------
    posteriors : ndarray
        (n, k) or (members, n, k).

    Returns
    -------
    ndarray
        (k,) float64.
    """
    p = _posteriors(posteriors)
    return (p.mean(axis=0) if p.ndim == 3 else p).sum(axis=0)


def rarity_weights(class_counts: np.ndarray) -> np.ndarray:
    """What one more object of each class is worth: 1 / (1 + count), so a
    class the labelled set barely holds outweighs a common one and each
    further example is worth less (diminishing returns).

    Parameters
    ----------
    class_counts : ndarray
        (k,) objects of each class labelled so far (non-negative).

    Returns
    -------
    ndarray
        (k,) float64.
    """
    counts = np.asarray(class_counts, dtype=np.float64)
    if counts.ndim != 1 or not np.isfinite(counts).all() or (counts.size and counts.min() < 0):
        raise ValueError(f"'class_counts' must be (classes,) finite and non-negative, got {counts}")
    return 1.0 / (1.0 + counts)


def rare_class_order(expected_counts: np.ndarray, labelled_counts: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` samples of greatest expected gain for the rarest
    classes, greedily: each pick's gain is its expected class counts
    weighted by :func:`rarity_weights` of the labelled counts plus what
    earlier picks are expected to add, so a batch does not spend itself on
    one rare class.

    Each pick scores every candidate again in one matrix product. Lazy
    greedy evaluation (re-scoring only the current best) saves nothing
    here: a pick lowers the weight of its classes for every candidate that
    holds them, so the stale best is re-scored one candidate at a time
    across most of the pool (minutes for 64 picks from 10^5 candidates,
    against milliseconds a pick in one product).

    Parameters
    ----------
    expected_counts : ndarray
        (N, k) :func:`expected_class_counts` of each candidate.
    labelled_counts : ndarray
        (k,) objects of each class in the labelled set.
    count : int
        Picks wanted.

    Returns
    -------
    ndarray
        Indices into ``expected_counts``, best first; ties go to the lower index.
    """
    expected = np.asarray(expected_counts, dtype=np.float64)
    counts = np.array(labelled_counts, dtype=np.float64)
    if expected.ndim != 2 or expected.shape[1] != counts.shape[0]:
        raise ValueError(f"'expected_counts' must be (candidates, {counts.shape[0]}), got shape {expected.shape}")
    available = np.ones(len(expected), bool)
    picks: list[int] = []
    for _ in range(min(int(count), len(expected))):
        gains = expected @ rarity_weights(counts)
        gains[~available] = -np.inf
        index = int(np.argmax(gains))  # the first of equal gains: the lower index
        picks.append(index)
        available[index] = False
        counts += expected[index]
    return np.asarray(picks, dtype=np.int64)


@dataclass(frozen=True)
class ClassSummary:
    """What class strategies rank candidates by, one row per candidate
    sample: every uncertainty score (``SCORE_NAMES``), the expected objects
    of each class, and the objects of each class already labelled."""

    classes: tuple[str, ...]
    scores: dict[str, np.ndarray]
    expected_counts: np.ndarray
    labelled_counts: np.ndarray

    def __len__(self) -> int:
        return len(self.expected_counts)

    def subset(self, keep: np.ndarray) -> ClassSummary:
        """The rows at ``keep``."""
        return replace(self, scores={name: column[keep] for name, column in self.scores.items()},
                       expected_counts=self.expected_counts[keep])


def summarise(posteriors: list[np.ndarray], classes, labelled_counts=None) -> ClassSummary:
    """A :class:`ClassSummary` of candidate samples from their objects' posteriors.

    Parameters
    ----------
    posteriors : list of ndarray
        Per sample, its objects' (members, n, k) or (n, k) posteriors (n may
        be 0), columns as ``classes``.
    classes : sequence of str
        The k class names.
    labelled_counts : ndarray, optional
        (k,) objects of each class in the labelled set; zeros if omitted.

    Returns
    -------
    ClassSummary
    """
    classes = tuple(str(name) for name in classes)
    k = len(classes)
    rows = [np.asarray(p, np.float64) for p in posteriors]
    for index, p in enumerate(rows):
        if p.shape[-1:] != (k,):
            raise ValueError(f"posteriors of sample {index} have shape {p.shape}; their last axis must hold the "
                             f"{k} classes")
    table = np.stack([sample_scores(p) for p in rows]) if rows else np.zeros((0, len(SCORE_NAMES)), np.float32)
    expected = np.stack([expected_class_counts(p) for p in rows]) if rows else np.zeros((0, k))
    counts = np.zeros(k) if labelled_counts is None else np.asarray(labelled_counts, np.float64)
    if counts.shape != (k,):
        raise ValueError(f"'labelled_counts' must hold one count per class ({k}), got shape {counts.shape}")
    return ClassSummary(classes, {name: table[:, i] for i, name in enumerate(SCORE_NAMES)}, expected, counts)
