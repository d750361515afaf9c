"""Run local filters tile by tile with overlap, so an 8192x8192 image costs a
bounded amount of scratch memory instead of several full-size temporaries."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

DEFAULT_TILE = 2048


def apply_tiled(
    function: Callable[[np.ndarray], np.ndarray],
    image: np.ndarray,
    margin: int,
    tile: int = DEFAULT_TILE,
    dtype: np.dtype = np.float32,
) -> np.ndarray:
    """``function`` on overlapping tiles of ``image`` (H, W[, C]).

    Each tile is extended by ``margin`` pixels on every side, filtered, and
    its core copied out, so the result equals filtering the whole image
    whenever the filter's reach is at most ``margin``.
    """
    height, width = image.shape[:2]
    if height <= tile + 2 * margin and width <= tile + 2 * margin:
        return np.asarray(function(image), dtype=dtype)
    result = None
    for top in range(0, height, tile):
        for left in range(0, width, tile):
            y0, x0 = max(top - margin, 0), max(left - margin, 0)
            y1, x1 = min(top + tile + margin, height), min(left + tile + margin, width)
            filtered = np.asarray(function(image[y0:y1, x0:x1]))
            if result is None:
                result = np.empty(image.shape[:2] + filtered.shape[2:], dtype=dtype)
            core_h, core_w = min(tile, height - top), min(tile, width - left)
            result[top:top + core_h, left:left + core_w] = \
                filtered[top - y0:top - y0 + core_h, left - x0:left - x0 + core_w]
    return result


def normalize_image(image: np.ndarray) -> np.ndarray:
    """float32 percentile stretch (1 %, 99.8 %) of a grey image: the model's input scale."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 3:
        image = image.mean(axis=-1)
    low, high = np.percentile(image, (1.0, 99.8))
    if high <= low:
        return np.zeros(image.shape, np.float32)
    return np.clip((image - low) / (high - low), 0, 1).astype(np.float32)


def blend_tiles(predict, image: np.ndarray, tile: int, overlap: int, classes: int = 2) -> np.ndarray:
    """Class probabilities of a large image from overlapping tiles, blended
    with weights that fall off towards each tile's edge (no seams)."""
    height, width = image.shape
    step = max(tile - overlap, 1)
    tops = list(range(0, max(height - tile, 0) + 1, step)) or [0]
    lefts = list(range(0, max(width - tile, 0) + 1, step)) or [0]
    if tops[-1] + tile < height:
        tops.append(height - tile)
    if lefts[-1] + tile < width:
        lefts.append(width - tile)
    ramp = np.minimum(np.arange(tile) + 1, np.arange(tile)[::-1] + 1).astype(np.float32)
    weight = np.minimum.outer(ramp, ramp)
    total = np.zeros((classes, height, width), np.float32)
    weights = np.zeros((height, width), np.float32)
    for top in tops:
        for left in lefts:
            window = image[top:top + tile, left:left + tile]
            probabilities = predict(window)
            h, w = window.shape
            total[:, top:top + h, left:left + w] += probabilities * weight[:h, :w]
            weights[top:top + h, left:left + w] += weight[:h, :w]
    return total / np.maximum(weights, 1e-12)
