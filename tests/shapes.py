"""Constructed images and masks with known answers."""

import numpy as np


def disc(shape, center, radius) -> np.ndarray:
    rows, cols = np.ogrid[: shape[0], : shape[1]]
    return (rows - center[0]) ** 2 + (cols - center[1]) ** 2 <= radius**2


def dice(a, b) -> float:
    a, b = np.asarray(a) > 0, np.asarray(b) > 0
    return float(2 * (a & b).sum() / (a.sum() + b.sum()))


def noisy_bimodal(rng, shape=(128, 128), center=(64, 64), radius=30, dtype=np.uint16):
    """A bright disc on a dark background with Gaussian noise; returns image, truth."""
    truth = disc(shape, center, radius)
    image = np.where(truth, 3000.0, 1000.0) + rng.normal(0, 150, shape)
    return np.clip(image, 0, None).astype(dtype), truth
