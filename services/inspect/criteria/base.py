"""What every criterion shares: the registry, the finding, the label under
inspection with its measurements computed once, and helpers for boxes and
missing regions."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import ndimage as ndi
from skimage import filters

from labelassist.imaging.tiling import apply_tiled
from labelassist.inspect.measure import ObjectTable, measure_objects, object_labels
from labelassist.runtime.calls import cancellation_check
from labelassist.runtime.registry import Parameter, Registry
from labelassist.imaging.checks import grey

CRITERIA = Registry("criterion", families=("coverage", "objects", "shape", "agreement", "intensity", "instances"))
SEVERITIES = ("info", "warning", "error")
EIGHT_NEIGHBOURS = np.ones((3, 3), bool)  # connectivity of pieces, as scikit-image's default in 2D
SEVERITY = {name: Parameter("severity", str, name, "how serious a finding is", choices=SEVERITIES)
            for name in SEVERITIES}


@dataclass
class Finding:
    """What a criterion found: the measured value against its bound, where
    (object ids and boxes), how sure it is (0.5 at the bound, towards 1 far
    beyond it; see :func:`beyond`) and, where one post-processing step
    fixes it, that step as (name, parameters)."""
    criterion: str
    severity: str
    message: str
    measured: float = float("nan")
    bound: float = float("nan")
    object_ids: list[int] = field(default_factory=list)
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)
    confidence: float = 1.0
    fix: tuple[str, dict] | None = None
    object_class: str = ""  # the class whose own bounds judged its objects (inspect.class_bounds)


def beyond(measured: float, bound: float, scale: float) -> float:
    """Confidence of a finding from how far its measurement lies beyond the
    bound, in units of ``scale`` (what counts as clearly beyond for that
    measure): 0.5 at the bound, 0.82 one scale beyond, 0.93 two."""
    distance = abs(float(measured) - float(bound)) / max(float(scale), 1e-12)
    return 0.5 + 0.5 * (1.0 - math.exp(-distance))


@dataclass
class LabelUnderInspection:
    """What the criteria look at, with measurements computed once on demand."""

    mask: np.ndarray
    image: np.ndarray | None = None
    prelabel: np.ndarray | None = None
    # The id each mask id had as sent, when sparse ids were renumbered 1..n.
    original_ids: np.ndarray | None = None
    # Which pre-label source, and how well it has agreed with the project's labels, for messages.
    prelabel_note: str = ""

    def as_sent(self, ids) -> list[int]:
        """Ids as the client sent them, for messages."""
        ids = np.asarray(ids, np.int64)
        return (ids if self.original_ids is None else self.original_ids[ids]).tolist()

    @cached_property
    def labels(self) -> np.ndarray:
        return object_labels(self.mask)

    @cached_property
    def objects(self) -> ObjectTable:
        return measure_objects(self.labels, self.grey)

    @cached_property
    def grey(self) -> np.ndarray | None:
        if self.image is None:
            return None
        return np.asarray(grey(self.image), np.float64)

    @cached_property
    def smooth(self) -> np.ndarray:
        return apply_tiled(lambda tile: filters.gaussian(tile, sigma=1.0, preserve_range=True), self.grey,
                           margin=5, dtype=np.float64, check_cancelled=cancellation_check())

    @cached_property
    def background(self) -> tuple[float, float, bool]:
        """Level and robust spread (1.4826 x MAD) of the unlabelled pixels, and
        whether the objects are brighter than that background.

        Robust statistics of the background, not a global threshold: a
        threshold such as Otsu's lands between dim and bright nuclei and calls
        the dim ones background.
        """
        outside = self.smooth[self.mask == 0]
        if outside.size == 0:
            outside = self.smooth.ravel()
        # Medians of a few million evenly spread pixels are as good as of all.
        outside = outside[::max(outside.size // 4_000_000, 1)]
        level = float(np.median(outside))
        spread = float(1.4826 * np.median(np.abs(outside - level))) or float(outside.std()) or 1.0
        inside = self.smooth[self.mask > 0]
        bright = inside.size == 0 or float(np.median(inside)) >= level
        return level, spread, bright

    @cached_property
    def contrast(self) -> np.ndarray:
        """Per pixel: how many background spreads brighter (for bright objects)
        or darker than the background level."""
        level, spread, bright = self.background
        return (self.smooth - level) / spread * (1 if bright else -1)

    @cached_property
    def typical_contrast(self) -> float:
        """Median over the labelled objects of their mean contrast: how bright
        the objects this annotator labels are."""
        if len(self.objects) == 0:
            return 0.0
        return float(np.median(ndi.mean(self.contrast, labels=self.labels, index=self.objects.ids)))

    @cached_property
    def typical_area(self) -> float:
        """Median area of the labelled objects not cut by the border (of all
        when every one is): how large the objects this annotator labels are."""
        if len(self.objects) == 0:
            return 0.0
        areas = self.objects.area[self.inner] if self.inner.any() else self.objects.area
        return float(np.median(areas))

    def looks_labelable(self, regions: np.ndarray, ids: np.ndarray, relative_contrast: float) -> np.ndarray:
        """Which regions are at least ``relative_contrast`` x as bright as the
        typical labelled object, so a missing-object claim matches what the
        annotator labels elsewhere in the image (without an image: all)."""
        if self.grey is None or len(ids) == 0 or relative_contrast <= 0:
            return np.ones(len(ids), bool)
        contrast = np.asarray(ndi.mean(self.contrast, labels=regions, index=ids))
        return contrast >= relative_contrast * self.typical_contrast

    def window(self, row: int, pad: int = 4) -> tuple[slice, slice]:
        """The box of object ``row`` of :attr:`objects`, ``pad`` px wider
        where the image allows: where its per-object measures look."""
        r0, c0, r1, c1 = self.objects.bbox[row].tolist()
        return slice(max(r0 - pad, 0), r1 + pad), slice(max(c0 - pad, 0), c1 + pad)

    @cached_property
    def inner(self) -> np.ndarray:
        """Objects not cut by the image border: only these have a full shape."""
        height, width = self.mask.shape
        box = self.objects.bbox
        return (box[:, 0] > 0) & (box[:, 1] > 0) & (box[:, 2] < height) & (box[:, 3] < width)


def region_boxes(regions: np.ndarray, ids: np.ndarray) -> list[tuple[int, int, int, int]]:
    slices = ndi.find_objects(regions)
    return [(slices[i - 1][0].start, slices[i - 1][1].start, slices[i - 1][0].stop, slices[i - 1][1].stop)
            for i in ids]


def touches_border(box: tuple[int, int, int, int], shape: tuple[int, ...]) -> bool:
    return box[0] == 0 or box[1] == 0 or box[2] == shape[0] or box[3] == shape[1]


def missing_regions(label: LabelUnderInspection, regions: np.ndarray, ids: np.ndarray, relative_contrast: float,
                    include_border: bool, relative_area: float = 0.0, max_relative_area: float = 0.0
                    ) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """The regions worth a missing-object claim, and their boxes: as bright
    and as large as what this annotator labels elsewhere in the image (so
    debris and slivers are no "missing object"), no more than
    ``max_relative_area`` times that large (0: no bound; a bright yolk or a
    sheet of stroma is background the annotator leaves out, not an object)
    and (unless asked) not cut by the image border."""
    ids = ids[label.looks_labelable(regions, ids, relative_contrast)]
    if (relative_area > 0 or max_relative_area > 0) and len(ids) and label.typical_area > 0:
        areas = np.bincount(regions.ravel(), minlength=int(ids.max()) + 1)[ids] / label.typical_area
        ids = ids[(areas >= relative_area) & ((areas <= max_relative_area) | (max_relative_area <= 0))]
    boxes = region_boxes(regions, ids)
    if not include_border:
        keep = np.array([not touches_border(box, label.mask.shape) for box in boxes], bool)
        ids, boxes = ids[keep] if len(ids) else ids, [b for b, k in zip(boxes, keep) if k]
    return ids, boxes


def objects_finding(name, severity, label: LabelUnderInspection, selected, message, measured, bound,
                    confidence: float = 1.0, fix: tuple[str, dict] | None = None) -> list[Finding]:
    if not np.any(selected):
        return []
    ids, boxes = label.objects.rows(selected)
    return [Finding(name, severity, message, float(measured), float(bound), ids, boxes, float(confidence), fix)]
