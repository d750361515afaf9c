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
