"""Per-object measurements for inspection, vectorised over objects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from labelassist.imaging.checks import grey
from labelassist.imaging.measures import instance_labels
from scipy import ndimage as ndi
from scipy.spatial import ConvexHull
from skimage import measure


def object_labels(mask: np.ndarray) -> np.ndarray:
    """:func:`~labelassist.imaging.measures.instance_labels` as int64, the
    dtype the per-object measurements index with."""
    return instance_labels(mask).astype(np.int64)


@dataclass(frozen=True)
class ObjectTable:
    """Columns of per-object measurements; row i describes object ``ids[i]``."""

    ids: np.ndarray
    area: np.ndarray
    bbox: np.ndarray  # (n, 4): row0, col0, row1, col1 (half-open)
    solidity: np.ndarray
    circularity: np.ndarray
    hole_area: np.ndarray
    mean_intensity: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self, selected: np.ndarray) -> tuple[list[int], list[tuple[int, int, int, int]]]:
        return self.ids[selected].tolist(), [tuple(b) for b in self.bbox[selected].tolist()]


CORNERS = np.array([[-0.5, -0.5], [-0.5, 0.5], [0.5, -0.5], [0.5, 0.5]])


def hull_area(region: np.ndarray) -> float:
    """Area of the convex hull of the object's pixels taken as unit squares:
    a polygon area from the outline's corners, where scikit-image's
    ``solidity`` rasterises the hull per object, which dominated inspection
    time on large masks."""
    outline = np.argwhere(region & ~ndi.binary_erosion(region))
    # Four corners per pixel: never fewer than three points off one line, so qhull always has a hull.
    return float(ConvexHull((outline[:, None, :] + CORNERS).reshape(-1, 2)).volume)


def measure_objects(labels: np.ndarray, image: np.ndarray | None = None) -> ObjectTable:
    properties = ["label", "area", "bbox", "perimeter", "area_filled"]
    intensity = None
    if image is not None:
        intensity = grey(image)
        properties.append("intensity_mean")
    table = measure.regionprops_table(labels, intensity_image=intensity, properties=properties,
                                      extra_properties=[hull_area])
    area = np.asarray(table["area"], dtype=np.float64)
    perimeter = np.asarray(table["perimeter"], dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        circularity = np.where(perimeter > 0, 4 * np.pi * area / perimeter**2, 1.0)
    return ObjectTable(
        ids=np.asarray(table["label"], dtype=np.int64),
        area=area,
        bbox=np.stack([table[f"bbox-{i}"] for i in range(4)], axis=1).astype(np.int64)
        if len(area) else np.zeros((0, 4), np.int64),
        solidity=np.minimum(area / np.maximum(np.asarray(table["hull_area"], dtype=np.float64), 1), 1.0),
        circularity=np.minimum(circularity, 1.0),
        hole_area=np.asarray(table["area_filled"], dtype=np.float64) - area,
        mean_intensity=np.asarray(table["intensity_mean"], dtype=np.float64)
        if intensity is not None else np.full(len(area), np.nan),
    )


def coverage(labels: np.ndarray, foreground: np.ndarray) -> np.ndarray:
    """Per id of ``labels`` (indexable by id): the fraction of its pixels that
    are ``foreground``; 0 for ids that do not occur."""
    area = np.bincount(labels.ravel())
    covered = np.bincount(labels.ravel(), weights=foreground.ravel().astype(np.float64), minlength=len(area))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(area > 0, covered / np.maximum(area, 1), 0.0)


def neck_ratio(region: np.ndarray, min_excess: float = 1.5) -> float:
    """How deeply one object is pinched into two lobes: the half-width of
    the narrowest neck that separates two lobes over the smaller lobe's
    inscribed radius (1 for one lobe).

    The object is eroded level by level along its distance transform; the
    first level at which it falls apart into two pieces whose radii still
    exceed that level by ``min_excess`` px is the neck. Two touching nuclei
    under one id meet at a neck narrower than either; a single nucleus,
    even an elongated one, does not fall apart.

    Parameters
    ----------
    region : ndarray of bool
        The object's pixels (a crop around it is enough).
    min_excess : float
        How far, in pixels, a lobe's radius must exceed the neck to count.

    Returns
    -------
    float
        Neck half-width over the smaller lobe's radius, in (0, 1].
    """
    distance = ndi.distance_transform_edt(np.pad(np.asarray(region, bool), 1))
    for level in np.arange(1.0, distance.max(), 0.5):
        pieces, count = ndi.label(distance > level)
        if count < 2:
            continue
        radii = np.sort(ndi.maximum(distance, pieces, np.arange(1, count + 1)))[::-1]
        if radii[1] >= level + min_excess:
            return float(level / radii[1])
    return 1.0


def intensity_dip(contrast: np.ndarray, region: np.ndarray, min_area: float) -> float:
    """How deep the darker seam between the two brightest lobes of one
    object is, as a share of the dimmer lobe's brightness (0 when the object
    has one bright lobe of at least ``min_area`` px).

    The object's pixels are thresholded at its own intensity quantiles (5 %
    to 95 %); at each level where two or more pieces of ``min_area`` px
    stand apart, the dip is (dimmer peak - level) / dimmer peak. Touching
    nuclei are separated by a darker seam however they touch.

    Parameters
    ----------
    contrast : ndarray
        Smoothed intensity as contrast over the background (0 at the
        background level), over the same crop as ``region``.
    region : ndarray of bool
        The object's pixels.
    min_area : float
        Smallest lobe, in pixels.

    Returns
    -------
    float
        The deepest dip found, 0 to 1 (above 1 where the seam is darker
        than the background).
    """
    region = np.asarray(region, bool)
    values = contrast[region]
    if values.size < 2 * min_area:
        return 0.0
    deepest = 0.0
    for level in np.quantile(values, np.linspace(0.05, 0.95, 19)):
        pieces, count = ndi.label(region & (contrast > level))
        if count < 2:
            continue
        large = np.flatnonzero(np.bincount(pieces.ravel())[1:] >= min_area) + 1
        if len(large) < 2:
            continue
        dimmer = np.sort(ndi.maximum(contrast, pieces, large))[-2]
        deepest = max(deepest, float((dimmer - level) / max(dimmer, 1e-9)))
    return deepest


def edge_contrast(contrast: np.ndarray, labels: np.ndarray, object_id: int, width: int = 2) -> float:
    """How much brighter an object's rim is than the unlabelled ring just
    outside it (mean contrast of the ``width``-px inner band minus that of
    the outer band); NaN where no unlabelled pixel borders it.

    A labelled object, however dim, stands out from what surrounds it; a
    blob painted on background or an outline shifted off its nucleus does
    not (its rim and its ring lie on the same background, or the ring on
    the nucleus it left).

    Parameters
    ----------
    contrast : ndarray
        Smoothed intensity as contrast over the background, over a crop.
    labels : ndarray
        Object ids over the same crop, padded by at least ``width`` px
        where the image allows.
    object_id : int
        The object.
    width : int
        Band width, in pixels.

    Returns
    -------
    float
        Inner minus outer band contrast.
    """
    region = labels == object_id
    inner = region & ~ndi.binary_erosion(region, iterations=width)
    outer = ndi.binary_dilation(region, iterations=width) & (labels == 0)
    if not outer.any() or not inner.any():
        return float("nan")
    return float(contrast[inner].mean() - contrast[outer].mean())
