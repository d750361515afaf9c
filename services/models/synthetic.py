"""Synthetic microscopy-like scenes with instance labels, for training the
bundled generalist models and for tests: objects of varied shapes (ellipses,
star-convex cells, blobs, silhouettes), sizes, textures and densities on
flat, graded or textured backgrounds, bright or dark, blurred and noisy."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage import data, draw, transform


def _texture_sources() -> list[np.ndarray]:
    """Grey photographs from scikit-image's bundled images, used as backgrounds and object textures."""
    sources = [data.grass(), data.gravel(), data.brick(), data.moon(), data.camera()]
    return [s.astype(np.float32) / 255.0 for s in sources]


_TEXTURES: list[np.ndarray] | None = None
_HORSE: np.ndarray | None = None


def _texture(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    global _TEXTURES
    if _TEXTURES is None:
        _TEXTURES = _texture_sources()
    source = _TEXTURES[rng.integers(len(_TEXTURES))]
    scale = rng.uniform(0.25, 1.0)
    small = transform.rescale(source, scale, anti_aliasing=True) if scale < 1 else source
    if small.shape[0] < shape[0] or small.shape[1] < shape[1]:
        small = transform.resize(source, shape, anti_aliasing=True)
    top = rng.integers(small.shape[0] - shape[0] + 1)
    left = rng.integers(small.shape[1] - shape[1] + 1)
    patch = small[top:top + shape[0], left:left + shape[1]]
    return (patch - patch.mean()) / (patch.std() + 1e-6)


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    field = ndimage.gaussian_filter(rng.normal(size=shape), sigma)
    return field / (field.std() + 1e-6)


def _star_convex(rng: np.random.Generator, radius: float, shape: tuple[int, int], centre) -> np.ndarray:
    rays = 24
    angles = np.linspace(0, 2 * np.pi, rays, endpoint=False)
    wobble = ndimage.gaussian_filter1d(rng.normal(0, 0.25, rays), 1.5, mode="wrap")
    radii = radius * np.clip(1 + wobble, 0.4, 1.8)
    rows = centre[0] + radii * np.sin(angles)
    cols = centre[1] + radii * np.cos(angles)
    mask = np.zeros(shape, bool)
    mask[draw.polygon(rows, cols, shape)] = True
    return mask


def _ellipse(rng: np.random.Generator, radius: float, shape: tuple[int, int], centre) -> np.ndarray:
    mask = np.zeros(shape, bool)
    ratio = rng.uniform(0.4, 1.0)
    mask[draw.ellipse(centre[0], centre[1], radius, radius * ratio, shape, rotation=rng.uniform(0, np.pi))] = True
    return mask


def _blob(rng: np.random.Generator, radius: float, shape: tuple[int, int], centre) -> np.ndarray:
    base = _ellipse(rng, radius, shape, centre)
    noise = _smooth_noise(rng, shape, max(radius / 3, 1.0))
    distance = ndimage.distance_transform_edt(base)
    blob = (distance / max(distance.max(), 1) + 0.35 * noise) > 0.3
    labelled, count = ndimage.label(blob)
    if count == 0:
        return base
    sizes = ndimage.sum(blob, labelled, range(1, count + 1))
    return labelled == int(np.argmax(sizes)) + 1


def _silhouette(rng: np.random.Generator, radius: float, shape: tuple[int, int], centre) -> np.ndarray:
    global _HORSE
    if _HORSE is None:
        _HORSE = ~data.horse()
    side = max(int(radius * 2), 8)
    small = transform.resize(_HORSE.astype(np.float32), (side, int(side * _HORSE.shape[1] / _HORSE.shape[0])),
                             order=1) > 0.5
    small = np.rot90(small, rng.integers(4))
    mask = np.zeros(shape, bool)
    top, left = int(centre[0] - small.shape[0] / 2), int(centre[1] - small.shape[1] / 2)
    rows = slice(max(top, 0), min(top + small.shape[0], shape[0]))
    cols = slice(max(left, 0), min(left + small.shape[1], shape[1]))
    mask[rows, cols] = small[rows.start - top:rows.stop - top, cols.start - left:cols.stop - left]
    return mask


SHAPES = (_ellipse, _star_convex, _blob, _silhouette)
SHAPE_WEIGHTS = (0.3, 0.35, 0.25, 0.1)


def synthetic_scene(rng: np.random.Generator, side: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """One scene: a float32 image in [0, 1] and its instance labels (uint16).

    Parameters
    ----------
    rng : numpy.random.Generator
    side : int
        Height and width in pixels.

    Returns
    -------
    image, labels : ndarray
    """
    shape = (side, side)
    labels = np.zeros(shape, np.uint16)
    radius_typical = float(np.exp(rng.uniform(np.log(5), np.log(side / 5))))
    density = rng.uniform(0.05, 0.5)
    count = int(np.clip(density * side * side / (np.pi * radius_typical**2), 0, 120))
    touching = rng.random() < 0.4
    next_id = 1
    for _ in range(count):
        radius = radius_typical * rng.uniform(0.6, 1.4)
        centre = rng.uniform(0, side, 2)
        shape_maker = SHAPES[rng.choice(len(SHAPES), p=SHAPE_WEIGHTS)]
        mask = shape_maker(rng, radius, shape, centre)
        if not touching:
            mask &= ndimage.binary_erosion(labels == 0, iterations=2)
        else:
            mask &= labels == 0
        if mask.sum() >= 12:
            labels[mask] = next_id
            next_id += 1
    background = rng.uniform(0.05, 0.6)
    image = np.full(shape, background, np.float32)
    kind = rng.integers(3)
    if kind == 1:
        grade = np.linspace(0, 1, side, dtype=np.float32)
        image += rng.uniform(-0.2, 0.2) * (grade[:, None] if rng.random() < 0.5 else grade[None, :])
    elif kind == 2:
        image += rng.uniform(0.02, 0.12) * _texture(rng, shape)
    image += rng.uniform(0.0, 0.08) * _smooth_noise(rng, shape, rng.uniform(5, 30))
    polarity = 1.0 if rng.random() < 0.7 else -1.0
    contrast = rng.uniform(0.12, 0.6)
    for value in range(1, next_id):
        mask = labels == value
        level = polarity * contrast * rng.uniform(0.6, 1.4)
        style = rng.integers(4)
        if style == 1:  # textured inside
            level = level + 0.3 * abs(level) * _texture(rng, shape)[mask]
        elif style == 2:  # bright rim, as membrane-stained cells
            inner = ndimage.binary_erosion(mask, iterations=max(int(mask.sum() ** 0.5 / 8), 1))
            level = np.where(inner[mask], 0.5 * level, level)
        elif style == 3:  # graded from the centre, as nuclei
            distance = ndimage.distance_transform_edt(mask)[mask]
            level = level * (0.6 + 0.4 * distance / max(distance.max(), 1))
        image[mask] += level
    image = ndimage.gaussian_filter(image, rng.uniform(0.3, 2.0))
    image += rng.normal(0, rng.uniform(0.005, 0.06), shape)
    image = np.clip(image, 0, None)
    peak = max(float(image.max()), 1e-6)
    image = (image / peak) ** rng.uniform(0.7, 1.4)
    return image.astype(np.float32), labels
