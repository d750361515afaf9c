"""Per-pixel uncertainty of a segmentation model, from its class
probabilities or Monte-Carlo dropout samples of them. The one home of these
formulas: the selector scores with them, the U-Net's predictions compute
BALD with them (the Triton model repeats BALD in torch, since it must run
without this package, and a test holds the two equal)."""

from __future__ import annotations

import numpy as np

EPS = 1e-12


def _checked(probabilities, ndim: int | None, name: str) -> np.ndarray:
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if ndim is not None and probabilities.ndim != ndim:
        raise ValueError(f"'{name}' must have {ndim} dimensions, got shape {probabilities.shape}")
    if not np.isfinite(probabilities).all() or (probabilities.size and probabilities.min() < 0):
        raise ValueError(f"'{name}' must be finite and non-negative")
    return probabilities


def entropy(probabilities: np.ndarray, class_axis: int = 0) -> np.ndarray:
    """Shannon entropy per pixel.

    Parameters
    ----------
    probabilities : ndarray
        Class probabilities, classes along ``class_axis``.
    class_axis : int
        The axis of the classes.

    Returns
    -------
    ndarray
        The entropy in nats, with ``class_axis`` removed.
    """
    p = _checked(probabilities, None, "probabilities")
    return -(p * np.log(p + EPS)).sum(axis=class_axis)


def margin(probabilities: np.ndarray, class_axis: int = 0) -> np.ndarray:
    """1 - (top-1 minus top-2 probability), classes along ``class_axis``:
    high where two classes compete. It ranks as baal's ``Margin`` (the
    smallest top-1 minus top-2 first)."""
    p = np.sort(_checked(probabilities, None, "probabilities"), axis=class_axis)
    if p.shape[class_axis] < 2:
        raise ValueError(f"'probabilities' needs at least 2 classes along axis {class_axis}, got shape {p.shape}")
    return 1.0 - (np.take(p, -1, axis=class_axis) - np.take(p, -2, axis=class_axis))


def least_confidence(probabilities: np.ndarray, class_axis: int = 0) -> np.ndarray:
    """1 - the top class probability, classes along ``class_axis``; ranks as
    baal's ``Certainty`` (the least confident first)."""
    return 1.0 - _checked(probabilities, None, "probabilities").max(axis=class_axis)


def mutual_information(samples: np.ndarray, sample_axis: int = 0, class_axis: int = 1) -> np.ndarray:
    """BALD per pixel: the entropy of the mean prediction minus the mean
    entropy of the Monte-Carlo samples (Houlsby et al. 2011; Gal et al. 2017).

    Parameters
    ----------
    samples : ndarray
        Class probabilities of several dropout passes, e.g. (T, C, H, W) or
        (T, B, C, H, W).
    sample_axis, class_axis : int
        The axes of the passes and of the classes in ``samples``.

    Returns
    -------
    ndarray
        Mutual information in nats, with both axes removed; zero where the
        passes agree.
    """
    s = _checked(samples, None, "samples")
    mean_entropy = entropy(s, class_axis).mean(axis=sample_axis if sample_axis < class_axis else sample_axis - 1)
    return entropy(s.mean(axis=sample_axis), class_axis - 1 if sample_axis < class_axis else class_axis) - mean_entropy


def predictive_variance(samples: np.ndarray) -> np.ndarray:
    """Variance per pixel over the passes, summed over classes, of (T, C, H, W) samples."""
    return _checked(samples, 4, "samples").var(axis=0).sum(axis=0)
