"""Intensity scales: a channel mapped onto [0, 1] between two of its
percentiles. The models' input scale, the ``stretch`` pre-processing step,
display copies and the desktop client's contrast all use these functions,
so an image looks to a model as it looks to the person labelling it."""

from __future__ import annotations

import numpy as np

# Percentiles a channel is stretched between, as the models and the desktop client do.
STRETCH = (1.0, 99.8)
# Percentiles of a quarter-million evenly spread pixels are as good as of all, for a display.
DISPLAY_PIXELS = 250_000


def percentile_levels(channel: np.ndarray, percentiles: tuple[float, float] = STRETCH,
                      max_pixels: int | None = DISPLAY_PIXELS) -> tuple[float, float]:
    """The values a channel's stretch maps to 0 and 1: two of its
    percentiles (NaN and Inf ignored; (0, 0) for no finite value).

    Parameters
    ----------
    channel : ndarray
        An array of any real dtype.
    percentiles : (float, float)
        The low and high percentile.
    max_pixels : int or None
        Percentiles of at most about this many evenly spread pixels; None
        for all of them (a model's input, where the scale must be exact).

    Returns
    -------
    (float, float)
        The low and high level; equal for a flat channel.
    """
    low, high = percentiles
    if not 0 <= low < high <= 100:
        raise ValueError(f"percentiles must rise within 0..100, got {percentiles}")
    values = np.asarray(channel)
    if max_pixels is not None:
        values = values.ravel()[::max(values.size // max_pixels, 1)].astype(np.float64)
    finite = np.isfinite(values)
    if not finite.all():
        values = values[finite]
    if values.size == 0:
        return 0.0, 0.0
    bottom, top = np.percentile(values, (low, high))
    return float(bottom), float(top)


def to_unit(image: np.ndarray, scale: tuple[float, float]) -> np.ndarray:
    """``image`` mapped from (low, high) onto [0, 1] as float32, clipped
    (NaN to 0); zeros when the range is empty."""
    low, high = scale
    if high <= low:
        return np.zeros(np.shape(image), np.float32)
    return np.nan_to_num(np.clip((np.asarray(image, np.float32) - low) / (high - low), 0, 1)).astype(np.float32)


def stretch(channel: np.ndarray, percentiles: tuple[float, float] = STRETCH,
            max_pixels: int | None = DISPLAY_PIXELS) -> np.ndarray:
    """One channel scaled to 0..1 between two of its percentiles.

    Parameters
    ----------
    channel : ndarray
        An array of any real dtype (NaN and Inf are ignored).
    percentiles : (float, float)
        The low and high percentile mapped to 0 and 1.
    max_pixels : int or None
        As in :func:`percentile_levels`.

    Returns
    -------
    ndarray
        float32 in [0, 1]; all zeros for a flat channel.
    """
    values = np.asarray(channel, np.float32)
    return to_unit(values, percentile_levels(values, percentiles, max_pixels))


__all__ = ["DISPLAY_PIXELS", "STRETCH", "percentile_levels", "stretch", "to_unit"]
