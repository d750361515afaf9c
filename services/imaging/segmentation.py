"""The classical segmentation steps more than one service runs: the median
filter, a global threshold with the objects' polarity, hole filling and
small-object removal, and the default pre-label they make together.

Assist registers them as operations (with its other ones); inspect runs the
default pre-label itself when it checks a label's agreement and no
pre-label was sent. One implementation serves both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import ndimage as ndi
from skimage import filters, morphology

from labelassist.imaging.checks import single_channel
from labelassist.imaging.tiling import apply_tiled

# Chosen on the HeLa nuclei (README, "Pre-label quality"): Li's threshold
# beats Otsu's on dim nuclei next to bright mitotic ones; no per-image tuning.
DEFAULT_PRELABEL: dict[str, Any] = {
    "preprocess": [("median", {"radius": 2})],
    "method": ("li", {}),
    "postprocess": [("fill_holes", {}), ("remove_small_objects", {"min_size": 30})],
}


def median_filter(image: np.ndarray, radius: int = 2,
                  check_cancelled: Callable[[], None] | None = None) -> np.ndarray:
    """Median over a disk of ``radius`` pixels, tiled (float32, one channel);
    ``check_cancelled`` as in :func:`~labelassist.imaging.tiling.apply_tiled`."""
    footprint = np.hypot(*np.mgrid[-radius:radius + 1, -radius:radius + 1]) <= radius
    return apply_tiled(lambda tile: ndi.median_filter(np.asarray(tile, np.float32), footprint=footprint),
                       image, radius + 1, check_cancelled=check_cancelled)


def background_is_bright(image: np.ndarray, threshold: float) -> bool:
    """Whether the histogram's peak, taken as the background, lies above the
    threshold. Sturdier than "objects are the minority class", which flips
    with thresholds that cut into the background (Yen's, on nuclei)."""
    counts, edges = np.histogram(image, bins=256)
    peak = int(np.argmax(counts))
    return bool((edges[peak] + edges[peak + 1]) / 2 > np.mean(threshold))


def foreground_from_threshold(image: np.ndarray, threshold, polarity: str = "auto") -> np.ndarray:
    """Apply a threshold with the objects' polarity ("auto": opposite the background)."""
    bright = image > threshold
    if polarity == "dark" or (polarity == "auto" and background_is_bright(image, threshold)):
        return ~bright
    return bright


def nearest_label_fill(labels: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Labels where every pixel of ``region`` takes its nearest object's id."""
    if not labels.any() or not region.any():
        return labels
    if labels.max() == labels[labels > 0].min():  # one id: no distance transform needed
        filled = labels.copy()
        filled[region] = labels.max()
        return filled
    _, (rows, cols) = ndi.distance_transform_edt(labels == 0, return_indices=True)
    filled = labels.copy()
    filled[region] = labels[rows[region], cols[region]]
    return filled


def fill_holes(mask: np.ndarray, max_size: int = 0) -> np.ndarray:
    """Fill background enclosed by an object (holes up to ``max_size`` pixels; 0 fills all)."""
    foreground = mask > 0
    if max_size:
        filled = morphology.remove_small_holes(foreground, max_size=max_size)
    else:
        filled = ndi.binary_fill_holes(foreground)
    return nearest_label_fill(np.asarray(mask), filled & ~foreground)


def remove_small_objects(mask: np.ndarray, min_size: int = 64) -> np.ndarray:
    """Remove objects (connected pieces of a binary mask, or ids) below ``min_size`` pixels."""
    labels = mask if mask.dtype != np.bool_ else mask.astype(np.uint8)
    if labels.max() <= 1:  # binary: objects are the connected components
        kept = morphology.remove_small_objects(labels > 0, max_size=min_size - 1)
        return np.where(kept, labels, 0).astype(mask.dtype)
    return morphology.remove_small_objects(labels, max_size=min_size - 1)


def default_prelabel(image: np.ndarray) -> np.ndarray:
    """:data:`DEFAULT_PRELABEL` on a grey image: the same label image as
    assist's default pipeline.

    Parameters
    ----------
    image : ndarray
        A grey image (H, W), or (H, W, 1).

    Returns
    -------
    ndarray
        uint8 foreground mask (1 object, 0 background).
    """
    steps = {name: values for name, values in [*DEFAULT_PRELABEL["preprocess"], DEFAULT_PRELABEL["method"],
                                               *DEFAULT_PRELABEL["postprocess"]]}
    smoothed = median_filter(single_channel(image, "the default pre-label"), **steps["median"])
    if smoothed.min() == smoothed.max():
        mask = np.zeros(smoothed.shape, np.uint8)
    else:
        mask = foreground_from_threshold(smoothed, filters.threshold_li(smoothed), "auto").astype(np.uint8)
    return remove_small_objects(fill_holes(mask, **steps["fill_holes"]), **steps["remove_small_objects"])
