"""Criterion bounds learnt from a project's accepted labels, so a project of
small, irregular or crowded objects is judged by its own conventions, not
by bounds tuned on another image set.

Each bound is a robust statistic of the accepted objects or images (a
quantile at the stated tail probability, with a margin) and is blended with
the default until enough objects exist: ``weight = objects / FULL_OBJECTS``.
Calibration only widens a default bound, where the accepted labels lie
beyond it: it removes false alarms a project's conventions would draw and
never adds any (tighter bounds, for more detection, are a project setting).
Until ``MIN_IMAGES`` accepted labels (or ``MIN_OBJECTS`` objects) exist
nothing moves. A project's explicit
settings still override the calibrated values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelassist.inspect.criteria import CRITERIA
from labelassist.inspect.measure import measure_objects, object_labels
from labelassist.inspect.settings import InspectionSettings

MIN_IMAGES = 10
MIN_OBJECTS = 200
FULL_OBJECTS = 50
TAIL = 0.002  # the share of accepted objects a calibrated bound may leave outside
MARGIN = 0.8  # size and count bounds sit this factor beyond the tail quantile
SHAPE_MARGIN = 0.05  # shape bounds sit this much below the tail quantile


@dataclass(frozen=True)
class Calibration:
    """Calibrated criterion parameters and what they rest on."""
    criteria: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    images: int = 0
    objects: int = 0
    min_images: int = MIN_IMAGES  # labels needed before any bound moves

    def under(self, settings: InspectionSettings | None) -> InspectionSettings:
        """The project's settings with the calibrated values beneath them:
        an explicit parameter of the project wins over a calibrated one."""
        settings = settings or InspectionSettings()
        explicit = dict(settings.criteria)
        merged = {name: {**values, **explicit.get(name, {})} for name, values in self.criteria}
        merged.update({name: values for name, values in explicit.items() if name not in merged})
        return InspectionSettings(list(merged.items()), list(settings.disabled), settings.min_confidence)


def _whole_objects(label: np.ndarray):
    """The measurements of the objects the image border does not cut (a cut
    object's size and shape say nothing of the project's objects, and the
    criteria do not judge them either)."""
    table = measure_objects(object_labels(label))
    height, width = label.shape
    inside = (table.bbox[:, 0] > 0) & (table.bbox[:, 1] > 0) & (table.bbox[:, 2] < height) & \
        (table.bbox[:, 3] < width)
    return dataclasses.replace(table, **{name: getattr(table, name)[inside] for name in (
        "ids", "area", "bbox", "solidity", "circularity", "hole_area", "mean_intensity")})


def _default(criterion: str, parameter: str) -> float:
    return CRITERIA.get(criterion).bind({})[parameter]


def calibrate(labels: Sequence[np.ndarray], images: Sequence[np.ndarray | None] = (),
              min_images: int = MIN_IMAGES, full_objects: int = FULL_OBJECTS) -> Calibration:
    """Bounds for the size, shape, count and coverage criteria from accepted labels.

    Parameters
    ----------
    labels : sequence of ndarray
        The project's accepted label images (object ids > 0).
    images : sequence of ndarray, optional
        Their images (not needed for the bounds learnt here).
    min_images : int
        Accepted labels needed before any bound moves (or ``MIN_OBJECTS`` objects).
    full_objects : int
        Objects at which the calibrated bounds replace the defaults entirely.

    Returns
    -------
    Calibration
        The calibrated parameters (none below ``min_images``) and the counts.
    """
    tables = [_whole_objects(np.asarray(label)) for label in labels]
    objects = sum(len(t) for t in tables)
    if (len(tables) < min_images and objects < MIN_OBJECTS) or objects == 0:
        return Calibration([], len(tables), objects, min_images)
    weight = min(1.0, objects / full_objects)

    def blend(measured: float, criterion: str, parameter: str, lower: bool = True) -> float:
        """The calibrated bound, widening the default only: where the
        project's accepted labels lie beyond it."""
        default = _default(criterion, parameter)
        value = float(weight * measured + (1 - weight) * default)
        return min(value, default) if lower else max(value, default)

    area = np.concatenate([t.area for t in tables])
    min_area = blend(np.quantile(area, TAIL) * MARGIN, "object_size", "min_area")
    judged = area >= min_area
    solidity = np.concatenate([t.solidity for t in tables])[judged]
    circularity = np.concatenate([t.circularity for t in tables])[judged]
    counts = np.array([len(t) for t in tables])
    fractions = np.array([np.count_nonzero(label) / np.size(label) for label in labels])
    criteria = [
        ("object_size", {"min_area": round(min_area, 1)}),
        ("irregular_shape", {
            "min_area": round(min_area, 1),
            "min_solidity": round(blend(np.quantile(solidity, TAIL) - SHAPE_MARGIN if len(solidity) else 0.8,
                                        "irregular_shape", "min_solidity"), 3),
            "min_circularity": round(blend(np.quantile(circularity, TAIL) - SHAPE_MARGIN if len(circularity)
                                           else 0.3, "irregular_shape", "min_circularity"), 3)}),
        ("object_count", {"max_count": int(round(blend(np.quantile(counts, 1 - TAIL) / MARGIN * 2,
                                                       "object_count", "max_count", lower=False)))}),
        ("foreground_fraction", {
            "min_fraction": round(blend(np.quantile(fractions, TAIL) * MARGIN / 2, "foreground_fraction",
                                        "min_fraction"), 5),
            "max_fraction": round(min(1.0, blend(np.quantile(fractions, 1 - TAIL) / MARGIN * 1.5,
                                                 "foreground_fraction", "max_fraction", lower=False)), 5)}),
    ]
    return Calibration(criteria, len(tables), objects, min_images)
