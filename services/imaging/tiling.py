"""Run local filters tile by tile with overlap, so an 8192x8192 image costs a
bounded amount of scratch memory instead of several full-size temporaries,
and the tiles run on every core (scipy and scikit-image release the GIL in
their filters).

Plain numpy: work that may be cancelled takes ``check_cancelled``, a
callable that raises to stop it (a service passes
:func:`labelassist.runtime.calls.cancellation_check`'s), so the floor never
sees a gRPC call."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import numpy as np

from labelassist.imaging.checks import grey
from labelassist.io.intensity import STRETCH, stretch

DEFAULT_TILE = 1024


def _never_cancelled() -> None:
    """The check of work that nobody can cancel (a script, a test)."""


def tile_threads() -> int:
    """How many tiles run at once: LABELASSIST_TILE_THREADS, else every core
    (set it lower where several services share a host)."""
    value = os.environ.get("LABELASSIST_TILE_THREADS", "")
    return max(int(value), 1) if value.strip().isdigit() else (os.cpu_count() or 1)


@cache
def tile_pool(threads: int) -> ThreadPoolExecutor:
    """One pool per size for the process: calls from many request threads
    share the cores instead of each starting its own threads."""
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="tile")


def apply_tiled(
    function: Callable[[np.ndarray], np.ndarray],
    image: np.ndarray,
    margin: int,
    tile: int = DEFAULT_TILE,
    dtype: np.dtype = np.float32,
    check_cancelled: Callable[[], None] | None = None,
) -> np.ndarray:
    """``function`` on overlapping tiles of ``image`` (H, W[, C]).

    Each tile is extended by ``margin`` pixels on every side, filtered, and
    its core copied out, so the result equals filtering the whole image
    whenever the filter's reach is at most ``margin``. ``check_cancelled``
    runs before each tile, on the pool's threads; it raises to stop the work.
    """
    height, width = image.shape[:2]
    if height <= tile + 2 * margin and width <= tile + 2 * margin:
        return np.asarray(function(image), dtype=dtype)
    corners = [(top, left) for top in range(0, height, tile) for left in range(0, width, tile)]
    stop_if_cancelled = check_cancelled or _never_cancelled
    # A filter that itself tiles runs its tiles in the calling pool thread:
    # waiting on the pool from inside it could take every worker.
    serial = threading.current_thread().name.startswith("tile") or tile_threads() == 1

    def core(corner: tuple[int, int]) -> np.ndarray:
        stop_if_cancelled()
        top, left = corner
        y0, x0 = max(top - margin, 0), max(left - margin, 0)
        y1, x1 = min(top + tile + margin, height), min(left + tile + margin, width)
        filtered = np.asarray(function(image[y0:y1, x0:x1]))
        core_h, core_w = min(tile, height - top), min(tile, width - left)
        return filtered[top - y0:top - y0 + core_h, left - x0:left - x0 + core_w]

    cores = map(core, corners) if serial else tile_pool(tile_threads()).map(core, corners)
    result = None
    for (top, left), filtered in zip(corners, cores):
        if result is None:
            result = np.empty(image.shape[:2] + filtered.shape[2:], dtype=dtype)
        result[top:top + filtered.shape[0], left:left + filtered.shape[1]] = filtered
    return result


def normalize_image(image: np.ndarray) -> np.ndarray:
    """float32 percentile stretch (:data:`~labelassist.io.intensity.STRETCH`,
    of every pixel) of a grey image: the model's input scale."""
    return stretch(grey(image), STRETCH, max_pixels=None)


def pad_to_multiple(image: np.ndarray, multiple: int, shape: tuple[int, int] | None = None) -> np.ndarray:
    """``image`` reflected out at the bottom and right to sides that are
    multiples of ``multiple`` (or to ``shape``), as a U-Net takes it; crop
    its outputs back to the image."""
    height, width = shape or (image.shape[0] + -image.shape[0] % multiple, image.shape[1] + -image.shape[1] % multiple)
    return np.pad(image, ((0, height - image.shape[0]), (0, width - image.shape[1])), mode="reflect")


def blend_tiles(predict, image: np.ndarray, tile: int, overlap: int, classes: int = 2, batch: int = 1,
                check_cancelled: Callable[[], None] | None = None) -> np.ndarray:
    """Class probabilities of a large image from overlapping tiles, blended
    with weights that fall off towards each tile's edge (no seams).

    ``predict(windows)`` takes a list of up to ``batch`` windows and returns
    their (classes, h, w) probabilities, so a model server sees batches.
    ``check_cancelled`` runs before each batch; it raises to stop the work.
    """
    stop_if_cancelled = check_cancelled or _never_cancelled
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
    corners = [(top, left) for top in tops for left in lefts]
    for start in range(0, len(corners), batch):
        stop_if_cancelled()
        group = corners[start:start + batch]
        windows = [image[top:top + tile, left:left + tile] for top, left in group]
        for (top, left), window, probabilities in zip(group, windows, predict(windows)):
            h, w = window.shape
            total[:, top:top + h, left:left + w] += probabilities * weight[:h, :w]
            weights[top:top + h, left:left + w] += weight[:h, :w]
    return total / np.maximum(weights, 1e-12)
