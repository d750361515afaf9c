"""Inspection criteria: each a function from a label (and its image and
pre-label) to the findings it raises. Defaults suit 2D fluorescence
microscopy of cells and nuclei."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import ndimage as ndi
from skimage import filters, measure

from labelassist.inspect.measure import ObjectTable, best_overlap, dice, measure_objects, object_labels
from labelassist.runtime.registry import Parameter, Registry

CRITERIA = Registry("criterion", families=("coverage", "objects", "shape", "agreement", "intensity", "instances"))
SEVERITIES = ("info", "warning", "error")
SEVERITY = {name: Parameter("severity", str, name, "how serious a finding is", choices=SEVERITIES)
            for name in SEVERITIES}


@dataclass
class Finding:
    criterion: str
    severity: str
    message: str
    measured: float = float("nan")
    bound: float = float("nan")
    object_ids: list[int] = field(default_factory=list)
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)


@dataclass
class Label:
    """What the criteria look at, with measurements computed once on demand."""

    mask: np.ndarray
    image: np.ndarray | None = None
    prelabel: np.ndarray | None = None

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
        return np.asarray(self.image if self.image.ndim == 2 else self.image.mean(axis=-1), np.float64)

    @cached_property
    def object_threshold(self) -> tuple[float, bool]:
        """Otsu threshold of the smoothed image and whether objects are bright
        (the class the label's foreground falls in more)."""
        smooth = filters.gaussian(self.grey, sigma=1.0, preserve_range=True)
        threshold = filters.threshold_otsu(smooth) if smooth.max() > smooth.min() else smooth.max()
        inside = smooth[self.mask > 0]
        bright = inside.size == 0 or float(np.median(inside)) >= threshold
        return float(threshold), bright


def _objects_finding(name, severity, label: Label, selected, message, measured, bound) -> list[Finding]:
    if not np.any(selected):
        return []
    ids, boxes = label.objects.rows(selected)
    return [Finding(name, severity, message, float(measured), float(bound), ids, boxes)]


@CRITERIA.register("empty_mask", "coverage", [SEVERITY["error"]])
def empty_mask(label: Label, severity="error"):
    """The label has no foreground at all."""
    if (label.mask > 0).any():
        return []
    return [Finding("empty_mask", severity, "mask is empty: no labelled pixel", 0.0, 1.0)]


@CRITERIA.register("foreground_fraction", "coverage", [
    Parameter("min_fraction", float, 0.001, "smallest plausible labelled fraction", 0.0, 1.0),
    Parameter("max_fraction", float, 0.8, "largest plausible labelled fraction", 0.0, 1.0),
    SEVERITY["warning"],
])
def foreground_fraction(label: Label, min_fraction=0.001, max_fraction=0.8, severity="warning"):
    """The labelled fraction of the image is implausibly small or large."""
    fraction = float((label.mask > 0).mean())
    if fraction == 0:
        return []  # empty_mask says it
    if fraction < min_fraction:
        return [Finding("foreground_fraction", severity,
                        f"foreground fraction {fraction:.4f} is below the minimum {min_fraction}",
                        fraction, min_fraction)]
    if fraction > max_fraction:
        return [Finding("foreground_fraction", severity,
                        f"foreground fraction {fraction:.4f} is above the maximum {max_fraction}",
                        fraction, max_fraction)]
    return []


@CRITERIA.register("object_count", "objects", [
    Parameter("min_count", int, 1, "fewest expected objects", 0, 10**9),
    Parameter("max_count", int, 10000, "most expected objects", 0, 10**9),
    SEVERITY["warning"],
])
def object_count(label: Label, min_count=1, max_count=10000, severity="warning"):
    """The number of objects is outside the expected range."""
    count = len(label.objects)
    if count == 0:
        return []
    if count < min_count:
        return [Finding("object_count", severity, f"{count} objects, fewer than the expected minimum {min_count}",
                        count, min_count)]
    if count > max_count:
        return [Finding("object_count", severity, f"{count} objects, more than the expected maximum {max_count}",
                        count, max_count)]
    return []


@CRITERIA.register("object_size", "objects", [
    Parameter("min_area", float, 40.0, "smallest plausible object, in pixels", 0.0, 1e12),
    Parameter("max_area", float, 0.0, "largest plausible object in pixels; 0 for no bound", 0.0, 1e12),
    SEVERITY["warning"],
])
def object_size(label: Label, min_area=40.0, max_area=0.0, severity="warning"):
    """Objects smaller or larger than plausible for the structure."""
    area = label.objects.area
    small = _objects_finding("object_size", severity, label, area < min_area,
                             f"{int((area < min_area).sum())} object(s) smaller than {min_area:g} px "
                             f"(smallest {area.min() if len(area) else 0:g} px)",
                             area.min() if len(area) else 0, min_area)
    large = []
    if max_area:
        large = _objects_finding("object_size", severity, label, area > max_area,
                                 f"{int((area > max_area).sum())} object(s) larger than {max_area:g} px "
                                 f"(largest {area.max() if len(area) else 0:g} px)",
                                 area.max() if len(area) else 0, max_area)
    return small + large


@CRITERIA.register("holes", "shape", [
    Parameter("min_hole_area", float, 1.0, "smallest hole reported, in pixels", 1.0, 1e12),
    SEVERITY["warning"],
])
def holes(label: Label, min_hole_area=1.0, severity="warning"):
    """Objects with holes inside: usually an unfinished fill."""
    hole_area = label.objects.hole_area
    selected = hole_area >= min_hole_area
    return _objects_finding("holes", severity, label, selected,
                            f"{int(selected.sum())} object(s) with holes (largest hole "
                            f"{hole_area.max() if len(hole_area) else 0:g} px)",
                            hole_area.max() if len(hole_area) else 0, min_hole_area)


@CRITERIA.register("touching_border", "objects", [SEVERITY["info"]])
def touching_border(label: Label, severity="info"):
    """Objects cut by the image border: incomplete, may need excluding."""
    height, width = label.mask.shape
    box = label.objects.bbox
    selected = (box[:, 0] == 0) | (box[:, 1] == 0) | (box[:, 2] == height) | (box[:, 3] == width)
    return _objects_finding("touching_border", severity, label, selected,
                            f"{int(selected.sum())} object(s) touch the image border", selected.sum(), 0)


@CRITERIA.register("fragments", "objects", [
    Parameter("fragment_area", float, 10.0, "pieces up to this size count as fragments", 1.0, 1e12),
    Parameter("max_fragments", int, 2, "fragments tolerated", 0, 10**9),
    SEVERITY["warning"],
])
def fragments(label: Label, fragment_area=10.0, max_fragments=2, severity="warning"):
    """Many tiny labelled pieces: stray brush strokes or noise."""
    pieces = measure.label(label.mask > 0)
    sizes = np.bincount(pieces.ravel())[1:]
    tiny = np.flatnonzero(sizes <= fragment_area) + 1
    if len(tiny) <= max_fragments:
        return []
    slices = ndi.find_objects(pieces)
    boxes = [(s[0].start, s[1].start, s[0].stop, s[1].stop) for s in (slices[i - 1] for i in tiny)]
    ids = np.unique(label.labels[np.isin(pieces, tiny)]).tolist()
    return [Finding("fragments", severity,
                    f"{len(tiny)} fragments of at most {fragment_area:g} px (tolerated: {max_fragments})",
                    len(tiny), max_fragments, ids, boxes)]


@CRITERIA.register("irregular_shape", "shape", [
    Parameter("min_solidity", float, 0.8, "area over convex-hull area", 0.0, 1.0),
    Parameter("min_circularity", float, 0.3, "4*pi*area/perimeter^2", 0.0, 1.0),
    Parameter("min_area", float, 40.0, "only objects at least this large are judged", 0.0, 1e12),
    SEVERITY["warning"],
])
def irregular_shape(label: Label, min_solidity=0.8, min_circularity=0.3, min_area=40.0, severity="warning"):
    """Objects far from round where round objects (nuclei, cells) are expected:
    often two merged objects or a slip of the brush."""
    table = label.objects
    judged = table.area >= min_area
    selected = judged & ((table.solidity < min_solidity) | (table.circularity < min_circularity))
    worst = table.solidity[selected].min() if selected.any() else 1.0
    return _objects_finding("irregular_shape", severity, label, selected,
                            f"{int(selected.sum())} irregular object(s): solidity below {min_solidity} "
                            f"or circularity below {min_circularity} (lowest solidity {worst:.2f})",
                            worst, min_solidity)


@CRITERIA.register("prelabel_agreement", "agreement", [
    Parameter("min_iou", float, 0.5, "an object matches when IoU reaches this", 0.01, 1.0),
    Parameter("min_dice", float, 0.7, "overall Dice below this is reported", 0.0, 1.0),
    Parameter("min_area", float, 40.0, "smaller objects are not compared", 0.0, 1e12),
    SEVERITY["warning"],
])
def prelabel_agreement(label: Label, min_iou=0.5, min_dice=0.7, min_area=40.0, severity="warning"):
    """Object-by-object disagreement with the pre-label or model prediction:
    objects it has that the label lacks (missed) and the reverse (extra)."""
    if label.prelabel is None:
        return []
    reference = object_labels(label.prelabel)
    findings = []
    overall = dice(label.mask, reference)
    if overall < min_dice:
        findings.append(Finding("prelabel_agreement", severity,
                                f"Dice with the pre-label is {overall:.3f}, below {min_dice}", overall, min_dice))
    table = label.objects
    iou, _ = best_overlap(label.labels, reference)
    extra = (iou < min_iou) & (table.area >= min_area)
    findings += _objects_finding("prelabel_agreement", severity, label, extra,
                                 f"{int(extra.sum())} object(s) not in the pre-label (IoU below {min_iou})",
                                 extra.sum(), min_iou)
    reference_table = measure_objects(reference)
    reference_iou, _ = best_overlap(reference, label.labels)
    missed = (reference_iou < min_iou) & (reference_table.area >= min_area)
    if missed.any():
        boxes = [tuple(b) for b in reference_table.bbox[missed].tolist()]
        findings.append(Finding("prelabel_agreement", severity,
                                f"{int(missed.sum())} pre-labelled object(s) missing from the label "
                                f"(IoU below {min_iou}); boxes show where", missed.sum(), min_iou, [], boxes))
    return findings


@CRITERIA.register("background_intensity", "intensity", [
    Parameter("max_fraction_background", float, 0.5,
              "an object is flagged when more than this fraction of it looks like background", 0.0, 1.0),
    Parameter("min_area", float, 40.0, "only objects at least this large are judged", 0.0, 1e12),
    SEVERITY["warning"],
])
def background_intensity(label: Label, max_fraction_background=0.5, min_area=40.0, severity="warning"):
    """Labelled objects whose pixels look like background (Otsu on the image)."""
    if label.grey is None or len(label.objects) == 0:
        return []
    threshold, bright = label.object_threshold
    smooth = filters.gaussian(label.grey, sigma=1.0, preserve_range=True)
    looks_background = (smooth < threshold) if bright else (smooth > threshold)
    labels = label.labels
    fraction = ndi.mean(looks_background, labels=labels, index=label.objects.ids)
    selected = (np.asarray(fraction) > max_fraction_background) & (label.objects.area >= min_area)
    return _objects_finding("background_intensity", severity, label, selected,
                            f"{int(selected.sum())} object(s) mostly background-like in intensity "
                            f"(threshold {threshold:.4g})",
                            np.max(fraction) if len(fraction) else 0, max_fraction_background)


@CRITERIA.register("missed_objects", "intensity", [
    Parameter("min_area", float, 60.0, "smallest unlabelled object-like region reported, in pixels", 1.0, 1e12),
    SEVERITY["warning"],
])
def missed_objects(label: Label, min_area=60.0, severity="warning"):
    """Unlabelled regions that look like objects: likely missed objects."""
    if label.grey is None:
        return []
    threshold, bright = label.object_threshold
    smooth = filters.gaussian(label.grey, sigma=1.0, preserve_range=True)
    looks_object = (smooth > threshold) if bright else (smooth < threshold)
    # Grow the label a little so a slightly loose boundary is not a "missed object".
    candidates = looks_object & ~ndi.binary_dilation(label.mask > 0, iterations=3)
    candidates = ndi.binary_opening(candidates, iterations=2)
    regions = measure.label(candidates)
    table = measure_objects(regions)
    selected = table.area >= min_area
    if not selected.any():
        return []
    boxes = [tuple(b) for b in table.bbox[selected].tolist()]
    return [Finding("missed_objects", severity,
                    f"{int(selected.sum())} unlabelled region(s) of at least {min_area:g} px look like objects",
                    float(table.area[selected].max()), min_area, [], boxes)]


@CRITERIA.register("instance_defects", "instances", [SEVERITY["error"]])
def instance_defects(label: Label, severity="error"):
    """Instance-mask defects: one id in two separate pieces; ids with gaps."""
    mask = np.asarray(label.mask)
    if mask.max() <= 1:
        return []
    findings = []
    pieces = measure.label(mask, background=0)
    piece_ids = np.asarray(ndi.maximum(mask, pieces, np.arange(1, pieces.max() + 1)), np.int64)
    ids, counts = np.unique(piece_ids, return_counts=True)
    split_ids = ids[counts > 1]
    if len(split_ids):
        findings += _objects_finding("instance_defects", severity, label, np.isin(label.objects.ids, split_ids),
                                     f"{len(split_ids)} id(s) label two or more separate pieces: "
                                     f"{split_ids[:10].tolist()}", counts.max(), 1)
    present = np.unique(mask[mask > 0])
    if present.max() != len(present):
        findings.append(Finding("instance_defects", "info",
                                f"ids are not contiguous: {len(present)} objects but the highest id is "
                                f"{present.max()}", float(present.max()), float(len(present))))
    return findings
