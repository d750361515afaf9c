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


# Radius (a share of the grid step) and brightness of each kind of disc;
# "middle" lies between the two classes, where a class model is unsure.
KINDS = {"big": (0.38, 3000.0), "small": (0.16, 900.0), "middle": (0.27, 1950.0)}


def two_kinds(rng, shape=(128, 128), per_kind=4, dtype=np.uint16):
    """Big bright discs ("big") and small dim ones ("small") on a noisy
    background, on a grid in random order; returns image, mask, {id: class}."""
    return discs_of_kinds(rng, rng.permutation(["big"] * per_kind + ["small"] * per_kind), shape, dtype)


def discs_of_kinds(rng, kinds, shape=(128, 128), dtype=np.uint16):
    """Discs of the :data:`KINDS` named, on a grid in that order; returns image, mask, {id: kind}."""
    image = rng.normal(500.0, 40.0, shape)
    mask = np.zeros(shape, np.int32)
    side = int(np.ceil(np.sqrt(len(kinds))))
    step = min(shape) // side
    classes = {}
    for index, kind in enumerate(kinds):
        center = (step // 2 + step * (index // side), step // 2 + step * (index % side))
        share, brightness = KINDS[str(kind)]
        region = disc(shape, center, step * share * rng.uniform(0.9, 1.1))
        image[region] += brightness + rng.normal(0, 60, int(region.sum()))
        mask[region] = index + 1
        classes[index + 1] = str(kind)
    return np.clip(image, 0, None).astype(dtype), mask, classes
