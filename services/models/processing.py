"""The pre- and post-processing operations a BioImage.IO model package
declares (bioimageio.spec 0.5 names and keyword arguments), as plain
functions on one sample laid out (channel, y, x).

They run on the whole image, never on a tile: a per-sample statistic
(``zero_mean_unit_variance``, ``scale_range``) is the image's, as the
package's authors computed it. The formulas follow the specification's
descriptions of each operation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# A sample's layout here; the specification names axes "channel", "y", "x"
# ("batch" reduces over the one sample, so it adds nothing).
LAYOUT = {"channel": 0, "y": 1, "x": 2}


def _reduced(axes: Sequence[str] | None) -> tuple[int, ...] | None:
    """The array axes a statistic reduces over; None (every axis) for None."""
    if axes is None:
        return None
    return tuple(LAYOUT[a] for a in axes if a in LAYOUT) or None


def _along(values: float | Sequence[float], axis: str | None) -> np.ndarray:
    """Per-index ``values`` shaped to broadcast along ``axis`` of a sample."""
    values = np.asarray(values, np.float32)
    if axis is None or values.ndim == 0:
        return values
    shape = [1, 1, 1]
    shape[LAYOUT[axis]] = -1
    return values.reshape(shape)


def zero_mean_unit_variance(x: np.ndarray, axes=None, eps: float = 1e-6) -> np.ndarray:
    """(x - mean) / (std + eps), statistics over ``axes`` of this sample."""
    reduced = _reduced(axes)
    return (x - x.mean(reduced, keepdims=True)) / (x.std(reduced, keepdims=True) + eps)


def fixed_zero_mean_unit_variance(x: np.ndarray, mean, std, axis: str | None = None) -> np.ndarray:
    """(x - mean) / std with the package's own mean and std."""
    return (x - _along(mean, axis)) / _along(std, axis)


def scale_range(x: np.ndarray, axes=None, min_percentile: float = 0.0, max_percentile: float = 100.0,
                eps: float = 1e-6, reference_tensor: str | None = None) -> np.ndarray:
    """(x - low) / (high - low + eps) between two percentiles of this sample."""
    reduced = _reduced(axes)
    low = np.percentile(x, min_percentile, axis=reduced, keepdims=True)
    high = np.percentile(x, max_percentile, axis=reduced, keepdims=True)
    return (x - low) / (high - low + eps)


def scale_linear(x: np.ndarray, gain=1.0, offset=0.0, axis: str | None = None) -> np.ndarray:
    """gain * x + offset."""
    return x * _along(gain, axis) + _along(offset, axis)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x))."""
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x: np.ndarray, axis: str = "channel") -> np.ndarray:
    """exp(x) normalised to sum 1 along ``axis``."""
    shifted = np.exp(x - x.max(LAYOUT[axis], keepdims=True))
    return shifted / shifted.sum(LAYOUT[axis], keepdims=True)


def clip(x: np.ndarray, min: float | None = None, max: float | None = None, min_percentile: float | None = None,
         max_percentile: float | None = None, axes=None) -> np.ndarray:
    """x limited to [min, max] (values or percentiles of this sample)."""
    reduced = _reduced(axes)
    low = np.percentile(x, min_percentile, axis=reduced, keepdims=True) if min_percentile is not None else min
    high = np.percentile(x, max_percentile, axis=reduced, keepdims=True) if max_percentile is not None else max
    return np.clip(x, low, high)


def binarize(x: np.ndarray, threshold, axis: str | None = None) -> np.ndarray:
    """1 where x exceeds the threshold, else 0."""
    return (x > _along(threshold, axis)).astype(np.float32)


def ensure_dtype(x: np.ndarray, dtype: str) -> np.ndarray:
    return x.astype(dtype)


PROCESSING: dict[str, Callable[..., np.ndarray]] = {
    function.__name__: function for function in (
        zero_mean_unit_variance, fixed_zero_mean_unit_variance, scale_range, scale_linear, sigmoid, softmax, clip,
        binarize, ensure_dtype)
}


def apply_processing(sample: np.ndarray, steps: Sequence[tuple[str, dict[str, Any]]]) -> np.ndarray:
    """Run declared steps in order on one (channel, y, x) sample.

    Parameters
    ----------
    sample : ndarray
        One sample, (channel, y, x).
    steps : sequence of (id, kwargs)
        Operation ids of :data:`PROCESSING` with the package's keyword arguments.

    Returns
    -------
    ndarray
        The processed sample (float32 unless a step cast it).
    """
    for name, kwargs in steps:
        if name not in PROCESSING:
            raise ValueError(f"unsupported processing step {name!r} (supported: {', '.join(PROCESSING)})")
        sample = PROCESSING[name](sample, **kwargs)
        if sample.dtype == np.float64:
            sample = sample.astype(np.float32)
    return sample
