"""Per-object measurements for inspection, vectorised over objects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from skimage import measure


def object_labels(mask: np.ndarray) -> np.ndarray:
    """Instance ids: a binary mask's connected components, else the ids themselves."""
    mask = np.asarray(mask)
    if mask.max() <= 1:
        return measure.label(mask > 0).astype(np.int64)
    return mask.astype(np.int64)


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


def measure_objects(labels: np.ndarray, image: np.ndarray | None = None) -> ObjectTable:
    properties = ["label", "area", "bbox", "solidity", "perimeter", "area_filled"]
    intensity = None
    if image is not None:
        intensity = image if image.ndim == 2 else image.mean(axis=-1)
        properties.append("intensity_mean")
    table = measure.regionprops_table(labels, intensity_image=intensity, properties=properties)
    area = np.asarray(table["area"], dtype=np.float64)
    perimeter = np.asarray(table["perimeter"], dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        circularity = np.where(perimeter > 0, 4 * np.pi * area / perimeter**2, 1.0)
    return ObjectTable(
        ids=np.asarray(table["label"], dtype=np.int64),
        area=area,
        bbox=np.stack([table[f"bbox-{i}"] for i in range(4)], axis=1).astype(np.int64)
        if len(area) else np.zeros((0, 4), np.int64),
        solidity=np.asarray(table["solidity"], dtype=np.float64),
        circularity=np.minimum(circularity, 1.0),
        hole_area=np.asarray(table["area_filled"], dtype=np.float64) - area,
        mean_intensity=np.asarray(table["intensity_mean"], dtype=np.float64)
        if intensity is not None else np.full(len(area), np.nan),
    )


def best_overlap(labels: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each object id of ``labels`` (ascending), its best IoU with any
    ``reference`` object, and that object's id (0 when none overlaps)."""
    a = labels.ravel().astype(np.int64)
    b = reference.ravel().astype(np.int64)
    both = (a > 0) & (b > 0)
    ids_a, area_a = np.unique(a[a > 0], return_counts=True)
    ids_b, area_b = np.unique(b[b > 0], return_counts=True)
    best_iou = np.zeros(len(ids_a))
    best_id = np.zeros(len(ids_a), np.int64)
    if not both.any():
        return best_iou, best_id
    pairs, intersection = np.unique(np.stack([a[both], b[both]]), axis=1, return_counts=True)
    row = np.searchsorted(ids_a, pairs[0])
    union = area_a[row] + area_b[np.searchsorted(ids_b, pairs[1])] - intersection
    iou = intersection / union
    order = np.lexsort((iou, row))  # last entry per row has the highest IoU
    last = np.r_[row[order][1:] != row[order][:-1], True]
    best_iou[row[order][last]] = iou[order][last]
    best_id[row[order][last]] = pairs[1][order][last]
    return best_iou, best_id


def dice(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a > 0, b > 0
    total = a.sum() + b.sum()
    return 1.0 if total == 0 else float(2 * (a & b).sum() / total)
