"""Class suspects by confident learning: objects whose given class a
model's out-of-sample class probabilities confidently contradict.

Written from Northcutt, Jiang & Chuang (2021), "Confident Learning:
Estimating Uncertainty in Dataset Labels", J. Artif. Intell. Res. 70:1373.
Each class ``j`` has its own threshold ``t_j``, the mean probability of
``j`` over the objects labelled ``j`` (the model's average self-confidence
in that class), so a class the model is less sure of still counts as
predicted where its probability reaches what the class's own objects
reach. An object counts in the confident joint ``C[i, j]`` when it is
labelled ``i`` and ``j`` is the most probable of the classes whose
probability reaches their threshold; an object off the diagonal
(``j != i``) is a suspect. Plain numpy in and out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RANKINGS = ("self_confidence", "normalized_margin")


def _check(labels, probabilities) -> tuple[np.ndarray, np.ndarray]:
    probabilities = np.asarray(probabilities, np.float64)
    labels = np.asarray(labels)
    if probabilities.ndim != 2 or probabilities.shape[1] < 2:
        raise ValueError(f"'probabilities' must be (objects, classes) with at least 2 classes; "
                         f"got shape {probabilities.shape}")
    if labels.shape != (probabilities.shape[0],):
        raise ValueError(f"'labels' must hold one class index per object ({probabilities.shape[0]}); "
                         f"got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer) or (labels.size and (labels.min() < 0 or
                                                                        labels.max() >= probabilities.shape[1])):
        raise ValueError(f"'labels' must be class indices 0..{probabilities.shape[1] - 1}")
    if not np.all(np.isfinite(probabilities)) or probabilities.min(initial=0) < 0 or \
            probabilities.max(initial=0) > 1 + 1e-6:
        raise ValueError("'probabilities' must be finite and lie in [0, 1]")
    return labels.astype(np.int64), probabilities


def class_thresholds(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Per class ``j``: ``t_j``, the mean probability of ``j`` over the
    objects labelled ``j`` (Northcutt et al. 2021, eq. 2).

    Parameters
    ----------
    labels : ndarray of int, shape (n,)
        The given class index of each object.
    probabilities : ndarray, shape (n, m)
        Out-of-sample class probabilities of each object.

    Returns
    -------
    ndarray, shape (m,)
        The thresholds; ``inf`` for a class no object is labelled with (no
        object is confidently of a class the labels never show).
    """
    labels, probabilities = _check(labels, probabilities)
    count = np.bincount(labels, minlength=probabilities.shape[1])
    total = np.zeros(probabilities.shape[1])
    np.add.at(total, labels, probabilities[np.arange(len(labels)), labels])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.inf)


def confident_classes(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Per object, the class it confidently belongs to: among the classes
    whose probability reaches their threshold ``t_j``, the most probable;
    -1 where none does (such objects stay out of the confident joint).

    Parameters and thresholds as in :func:`class_thresholds`.

    Returns
    -------
    ndarray of int, shape (n,)
    """
    labels, probabilities = _check(labels, probabilities)
    above = probabilities >= class_thresholds(labels, probabilities)[None, :] - 1e-12
    confident = np.argmax(np.where(above, probabilities, -1.0), axis=1)
    return np.where(above.any(axis=1), confident, -1)


def confident_joint(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """The confident joint ``C[i, j]``: objects labelled ``i`` confidently
    of class ``j`` (Northcutt et al. 2021, eq. 1).

    Parameters
    ----------
    labels : ndarray of int, shape (n,)
    probabilities : ndarray, shape (n, m)

    Returns
    -------
    ndarray of int, shape (m, m)
        Rows: given class; columns: confident class.
    """
    labels, probabilities = _check(labels, probabilities)
    confident = confident_classes(labels, probabilities)
    joint = np.zeros((probabilities.shape[1],) * 2, np.int64)
    counted = confident >= 0
    np.add.at(joint, (labels[counted], confident[counted]), 1)
    return joint


def noise_matrix(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """The estimated joint distribution ``Q[i, j]`` of given class ``i``
    and true class ``j``: the confident joint calibrated so that each row
    sums to the share of objects labelled ``i`` (Northcutt et al. 2021,
    eq. 3). Its off-diagonal sum estimates the share of wrong classes.

    Returns
    -------
    ndarray, shape (m, m)
        Sums to 1 (all zeros when no object is confidently of any class).
    """
    labels, probabilities = _check(labels, probabilities)
    joint = confident_joint(labels, probabilities).astype(np.float64)
    given = np.bincount(labels, minlength=probabilities.shape[1]).astype(np.float64)
    rows = joint.sum(axis=1, keepdims=True)
    calibrated = np.divide(joint, rows, out=np.zeros_like(joint), where=rows > 0) * given[:, None]
    total = calibrated.sum()
    return calibrated / total if total > 0 else calibrated


@dataclass(frozen=True)
class ClassSuspects:
    """Objects whose given class is probably wrong, most likely first:
    their row in the input, the class suspected instead, the probability of
    that class, and the ranking score (see :func:`class_suspects`)."""
    index: np.ndarray
    suspected: np.ndarray
    confidence: np.ndarray
    score: np.ndarray

    def __len__(self) -> int:
        return len(self.index)


def class_suspects(labels: np.ndarray, probabilities: np.ndarray, ranking: str = "self_confidence"
                   ) -> ClassSuspects:
    """The objects off the diagonal of the confident joint: labelled ``i``,
    confidently of class ``j != i``; ranked most likely wrong first.

    Parameters
    ----------
    labels : ndarray of int, shape (n,)
        The given class index of each object.
    probabilities : ndarray, shape (n, m)
        Out-of-sample class probabilities (from a model that did not see
        the object's own label: cross-validated, say).
    ranking : {"self_confidence", "normalized_margin"}
        How suspects are ordered (Northcutt et al. 2021, sec. 3.2):
        ``self_confidence`` by ``1 - p[given]`` (the model's probability
        that the given class is wrong), ``normalized_margin`` by
        ``max_{j != given} p[j] - p[given]`` mapped to [0, 1].

    Returns
    -------
    ClassSuspects
        ``score`` is the value ranked by, in [0, 1], higher first.

    References
    ----------
    Northcutt, C. G., Jiang, L. & Chuang, I. L. (2021). Confident Learning:
    Estimating Uncertainty in Dataset Labels. JAIR 70:1373-1411.
    """
    if ranking not in RANKINGS:
        raise ValueError(f"'ranking' is {ranking!r}; one of {', '.join(RANKINGS)}")
    labels, probabilities = _check(labels, probabilities)
    confident = confident_classes(labels, probabilities)
    index = np.flatnonzero((confident >= 0) & (confident != labels))
    rows = np.arange(len(labels))
    self_confidence = probabilities[rows, labels]
    if ranking == "self_confidence":
        score = 1.0 - self_confidence
    else:
        others = probabilities.copy()
        others[rows, labels] = -np.inf
        score = 0.5 * (1.0 + others.max(axis=1) - self_confidence)
    order = index[np.argsort(-score[index], kind="stable")]
    return ClassSuspects(order, confident[order], probabilities[order, confident[order]], score[order])


__all__ = ["ClassSuspects", "class_suspects", "class_thresholds", "confident_classes", "confident_joint",
           "noise_matrix"]
