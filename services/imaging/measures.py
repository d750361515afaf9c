"""Agreement between two label images and the objects they hold, one
definition for training, inspection, the demo and the benchmarks."""

from __future__ import annotations

import numpy as np


def dice(a: np.ndarray, b: np.ndarray) -> float:
    """Foreground Dice coefficient of two label images (Dice 1945).

    Parameters
    ----------
    a, b : ndarray
        Label images of one shape; any id > 0 is foreground.

    Returns
    -------
    float
        2|A∩B| / (|A| + |B|); 1.0 when both are empty.
    """
    a, b = np.asarray(a) > 0, np.asarray(b) > 0
    total = a.sum() + b.sum()
    return 1.0 if total == 0 else float(2 * (a & b).sum() / total)


def pooled_dice(pairs) -> float:
    """Foreground Dice over the pixels of many (prediction, reference) pairs
    together: each image weighs by its objects' pixels, so a set of mostly
    empty tiles does not reward predicting nothing, as a mean of per-image
    Dice (1.0 on every empty tile left empty) does.

    Parameters
    ----------
    pairs : iterable of (ndarray, ndarray)
        Label images, pair by pair of one shape; any id > 0 is foreground.

    Returns
    -------
    float
        2 Σ|A∩B| / Σ(|A| + |B|); 1.0 when everything is empty.
    """
    overlap = total = 0
    for a, b in pairs:
        a, b = np.asarray(a) > 0, np.asarray(b) > 0
        overlap += int((a & b).sum())
        total += int(a.sum() + b.sum())
    return 1.0 if total == 0 else 2 * overlap / total


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Foreground intersection over union of two label images; 1.0 when both are empty."""
    a, b = np.asarray(a) > 0, np.asarray(b) > 0
    union = (a | b).sum()
    return 1.0 if union == 0 else float((a & b).sum() / union)


def instance_labels(mask: np.ndarray) -> np.ndarray:
    """The objects of a mask as ids: a label image as it is, a binary mask's
    connected components."""
    from skimage import measure

    mask = np.asarray(mask)
    return measure.label(mask > 0) if mask.max() <= 1 else mask


def match_objects(truth: np.ndarray, predicted: np.ndarray, min_iou: float = 0.5) -> dict[int, int]:
    """Pairs of objects that overlap with IoU >= ``min_iou``, each object in
    at most one pair (at 0.5 and above a pair is unique anyway).

    Parameters
    ----------
    truth, predicted : ndarray
        Instance label images of one shape (0 background).
    min_iou : float

    Returns
    -------
    dict
        truth id -> predicted id.
    """
    t, p = np.asarray(truth).ravel(), np.asarray(predicted).ravel()
    both = (t > 0) & (p > 0)
    if not both.any():
        return {}
    pairs, overlaps = np.unique(np.stack([t[both], p[both]]), axis=1, return_counts=True)
    truth_area = dict(zip(*np.unique(t[t > 0], return_counts=True)))
    predicted_area = dict(zip(*np.unique(p[p > 0], return_counts=True)))
    scored = sorted(((overlap / (truth_area[ti] + predicted_area[pi] - overlap), int(ti), int(pi))
                     for (ti, pi), overlap in zip(pairs.T, overlaps)), reverse=True)
    matches: dict[int, int] = {}
    taken: set[int] = set()
    for score, ti, pi in scored:
        if score >= min_iou and ti not in matches and pi not in taken:
            matches[ti] = pi
            taken.add(pi)
    return matches
