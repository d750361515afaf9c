"""Inspection criteria: each a function from a label (and its image and
pre-label) to the findings it raises. Defaults suit 2D fluorescence
microscopy of cells and nuclei."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import ndimage as ndi
from skimage import filters, measure

from labelassist.imaging.tiling import apply_tiled
from labelassist.inspect.measure import ObjectTable, coverage, measure_objects, object_labels
from labelassist.imaging.measures import dice
from labelassist.runtime.registry import Parameter, Registry
from labelassist.imaging.checks import grey

CRITERIA = Registry("criterion", families=("coverage", "objects", "shape", "agreement", "intensity", "instances"))
SEVERITIES = ("info", "warning", "error")
EIGHT_NEIGHBOURS = np.ones((3, 3), bool)  # connectivity of pieces, as scikit-image's default in 2D
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
                           margin=5, dtype=np.float64)

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
                    include_border: bool, relative_area: float = 0.0
                    ) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """The regions worth a missing-object claim, and their boxes: as bright
    and as large as what this annotator labels elsewhere in the image (so
    debris and slivers are no "missing object"), and (unless asked) not cut
    by the image border."""
    ids = ids[label.looks_labelable(regions, ids, relative_contrast)]
    if relative_area > 0 and len(ids) and label.typical_area > 0:
        areas = np.bincount(regions.ravel(), minlength=int(ids.max()) + 1)[ids]
        ids = ids[areas >= relative_area * label.typical_area]
    boxes = region_boxes(regions, ids)
    if not include_border:
        keep = np.array([not touches_border(box, label.mask.shape) for box in boxes], bool)
        ids, boxes = ids[keep] if len(ids) else ids, [b for b, k in zip(boxes, keep) if k]
    return ids, boxes


def _objects_finding(name, severity, label: LabelUnderInspection, selected, message, measured, bound) -> list[Finding]:
    if not np.any(selected):
        return []
    ids, boxes = label.objects.rows(selected)
    return [Finding(name, severity, message, float(measured), float(bound), ids, boxes)]


@CRITERIA.register("empty_mask", "coverage", [SEVERITY["error"]])
def empty_mask(label: LabelUnderInspection, severity="error"):
    """The label has no foreground at all."""
    if (label.mask > 0).any():
        return []
    return [Finding("empty_mask", severity, "mask is empty: no labelled pixel", 0.0, 1.0)]


@CRITERIA.register("foreground_fraction", "coverage", [
    Parameter("min_fraction", float, 0.001, "smallest plausible labelled fraction", 0.0, 1.0),
    Parameter("max_fraction", float, 0.8, "largest plausible labelled fraction", 0.0, 1.0),
    SEVERITY["warning"],
])
def foreground_fraction(label: LabelUnderInspection, min_fraction=0.001, max_fraction=0.8, severity="warning"):
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
def object_count(label: LabelUnderInspection, min_count=1, max_count=10000, severity="warning"):
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
def object_size(label: LabelUnderInspection, min_area=40.0, max_area=0.0, severity="warning"):
    """Objects smaller or larger than plausible for the structure; objects cut
    by the border are only judged against the upper bound."""
    area = label.objects.area
    too_small = (area < min_area) & label.inner
    small = _objects_finding("object_size", severity, label, too_small,
                             f"{int(too_small.sum())} object(s) smaller than {min_area:g} px "
                             f"(smallest {area[too_small].min() if too_small.any() else 0:g} px)",
                             area[too_small].min() if too_small.any() else 0, min_area)
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
def holes(label: LabelUnderInspection, min_hole_area=1.0, severity="warning"):
    """Objects with holes inside: usually an unfinished fill."""
    hole_area = label.objects.hole_area
    selected = hole_area >= min_hole_area
    return _objects_finding("holes", severity, label, selected,
                            f"{int(selected.sum())} object(s) with holes (largest hole "
                            f"{hole_area.max() if len(hole_area) else 0:g} px)",
                            hole_area.max() if len(hole_area) else 0, min_hole_area)


@CRITERIA.register("touching_border", "objects", [SEVERITY["info"]])
def touching_border(label: LabelUnderInspection, severity="info"):
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
def fragments(label: LabelUnderInspection, fragment_area=10.0, max_fragments=2, severity="warning"):
    """Many tiny labelled pieces: stray brush strokes or noise."""
    pieces, _ = ndi.label(label.mask > 0, structure=EIGHT_NEIGHBOURS)
    sizes = np.bincount(pieces.ravel())
    sizes[0] = 0
    is_tiny = (sizes > 0) & (sizes <= fragment_area)
    tiny = np.flatnonzero(is_tiny)
    if len(tiny) <= max_fragments:
        return []
    slices = ndi.find_objects(pieces)
    boxes = [(s[0].start, s[1].start, s[0].stop, s[1].stop) for s in (slices[i - 1] for i in tiny)]
    ids = np.unique(label.labels[is_tiny[pieces]]).tolist()
    return [Finding("fragments", severity,
                    f"{len(tiny)} fragments of at most {fragment_area:g} px (tolerated: {max_fragments})",
                    len(tiny), max_fragments, ids, boxes)]


@CRITERIA.register("irregular_shape", "shape", [
    Parameter("min_solidity", float, 0.8, "area over convex-hull area", 0.0, 1.0),
    Parameter("min_circularity", float, 0.3, "4*pi*area/perimeter^2", 0.0, 1.0),
    Parameter("min_area", float, 40.0, "only objects at least this large are judged", 0.0, 1e12),
    SEVERITY["warning"],
])
def irregular_shape(label: LabelUnderInspection, min_solidity=0.8, min_circularity=0.3, min_area=40.0, severity="warning"):
    """Objects far from round where round objects (nuclei, cells) are expected:
    often two merged objects or a slip of the brush. Objects cut by the
    border are not judged."""
    table = label.objects
    judged = (table.area >= min_area) & label.inner
    selected = judged & ((table.solidity < min_solidity) | (table.circularity < min_circularity))
    worst = table.solidity[selected].min() if selected.any() else 1.0
    return _objects_finding("irregular_shape", severity, label, selected,
                            f"{int(selected.sum())} irregular object(s): solidity below {min_solidity} "
                            f"or circularity below {min_circularity} (lowest solidity {worst:.2f})",
                            worst, min_solidity)


@CRITERIA.register("prelabel_agreement", "agreement", [
    Parameter("min_coverage", float, 0.5,
              "an object agrees when at least this fraction of it is foreground in the other mask", 0.01, 1.0),
    Parameter("min_dice", float, 0.7, "overall Dice below this is reported", 0.0, 1.0),
    Parameter("min_area", float, 40.0, "smaller objects are not compared", 0.0, 1e12),
    SEVERITY["warning"],
    Parameter("extra_severity", str, "info", "severity of objects the pre-label lacks", choices=SEVERITIES),
    Parameter("include_border", bool, False, "also report regions cut by the image border (many "
              "labelling conventions leave those out)"),
    Parameter("relative_contrast", float, 0.3, "only regions at least this fraction as bright as the "
              "typical labelled object count as missing", 0.0, 10.0),
    Parameter("relative_area", float, 0.25, "only regions at least this fraction of the typical labelled "
              "object's area count as missing", 0.0, 10.0),
    Parameter("min_source_dice", float, 0.8, "with a project: compare with a pre-label source only once its mean "
              "Dice against the project's submitted labels reaches this", 0.0, 1.0),
])
def prelabel_agreement(label: LabelUnderInspection, min_coverage=0.5, min_dice=0.7, min_area=40.0, severity="warning",
                       extra_severity="info", include_border=False, relative_contrast=0.3, relative_area=0.25,
                       min_source_dice=0.8):
    """Object-by-object disagreement with the pre-label or model prediction:
    objects it has that the label lacks (missed) and the reverse (extra).

    Objects are compared by coverage, not one-to-one IoU, so two touching
    nuclei that a threshold merged into one blob still agree with the two
    separate objects of the label. Extra objects are only "info" by default:
    annotators routinely add dim objects a classical pre-label misses.
    ``min_source_dice`` is applied before: which source, if any, a label
    of a project is compared with (see ``inspect_label``).
    """
    if label.prelabel is None:
        return []
    source = f" ({label.prelabel_note})" if label.prelabel_note else ""
    reference = object_labels(label.prelabel)
    findings = []
    overall = dice(label.mask, reference)
    if overall < min_dice:
        findings.append(Finding("prelabel_agreement", severity,
                                f"Dice with the pre-label is {overall:.3f}, below {min_dice}{source}", overall,
                                min_dice))
    table = label.objects
    extra = (coverage(label.labels, reference > 0)[table.ids] < min_coverage) & (table.area >= min_area)
    findings += _objects_finding("prelabel_agreement", extra_severity, label, extra,
                                 f"{int(extra.sum())} object(s) not in the pre-label "
                                 f"(less than {min_coverage:.0%} covered)", extra.sum(), min_coverage)
    reference_coverage = coverage(reference, label.mask > 0)
    reference_area = np.bincount(reference.ravel())
    missed = np.flatnonzero((reference_coverage < min_coverage) & (reference_area >= min_area))
    missed = missed[missed > 0]
    missed, boxes = missing_regions(label, reference, missed, relative_contrast, include_border, relative_area)
    if len(missed):
        findings.append(Finding("prelabel_agreement", severity,
                                f"{len(missed)} pre-labelled object(s) missing from the label "
                                f"(less than {min_coverage:.0%} covered){source}; boxes show where",
                                len(missed), min_coverage, [], boxes))
    return findings


@CRITERIA.register("background_intensity", "intensity", [
    Parameter("min_contrast", float, 2.0,
              "pixels fewer background spreads than this from the background level look like background",
              0.0, 1e3),
    Parameter("max_background_fraction", float, 0.2,
              "objects with more background-like pixels than this fraction are flagged", 0.0, 1.0),
    Parameter("min_area", float, 40.0, "only objects at least this large are judged", 0.0, 1e12),
    SEVERITY["warning"],
])
def background_intensity(label: LabelUnderInspection, min_contrast=2.0, max_background_fraction=0.2, min_area=40.0,
                         severity="warning"):
    """Labelled objects that partly or wholly cover background: a blob on
    background, a shifted outline, a bridge painted between two objects."""
    if label.grey is None or len(label.objects) == 0:
        return []
    looks_background = label.contrast < min_contrast
    fraction = np.asarray(ndi.mean(looks_background, labels=label.labels, index=label.objects.ids))
    selected = (fraction > max_background_fraction) & (label.objects.area >= min_area)
    return _objects_finding("background_intensity", severity, label, selected,
                            f"{int(selected.sum())} object(s) with more than {max_background_fraction:.0%} "
                            f"background-like pixels (worst {fraction.max():.0%})",
                            fraction.max(), max_background_fraction)


@CRITERIA.register("missed_objects", "intensity", [
    Parameter("min_contrast", float, 6.0, "unlabelled pixels this many background spreads from the "
              "background level look like objects", 0.0, 1e3),
    Parameter("min_area", float, 60.0, "smallest unlabelled object-like region reported, in pixels", 1.0, 1e12),
    Parameter("include_border", bool, False, "also report regions cut by the image border (many "
              "labelling conventions leave those out)"),
    Parameter("relative_contrast", float, 0.3, "only regions at least this fraction as bright as the "
              "typical labelled object count as missing", 0.0, 10.0),
    Parameter("relative_area", float, 0.25, "only regions at least this fraction of the typical labelled "
              "object's area count as missing", 0.0, 10.0),
    SEVERITY["warning"],
])
def missed_objects(label: LabelUnderInspection, min_contrast=6.0, min_area=60.0, relative_contrast=0.3, include_border=False,
                   relative_area=0.25, severity="warning"):
    """Unlabelled regions that look like objects: likely missed objects."""
    if label.grey is None:
        return []
    # Grow the label a little so a slightly loose boundary is not a "missed object".
    candidates = (label.contrast > min_contrast) & ~ndi.binary_dilation(label.mask > 0, iterations=3)
    candidates = ndi.binary_opening(candidates, iterations=2)
    regions = measure.label(candidates)
    areas = np.bincount(regions.ravel())
    large = np.flatnonzero(areas >= min_area)
    large = large[large > 0]
    large, boxes = missing_regions(label, regions, large, relative_contrast, include_border, relative_area)
    if not len(large):
        return []
    return [Finding("missed_objects", severity,
                    f"{len(large)} unlabelled region(s) of at least {min_area:g} px look like objects",
                    float(areas[large].max()), min_area, [], boxes)]


@CRITERIA.register("merged_objects", "intensity", [
    Parameter("min_contrast", float, 3.0, "pixels this many background spreads from the background level "
              "look like object", 0.0, 1e3),
    Parameter("min_piece_area", float, 40.0, "object-like pieces at least this large count", 1.0, 1e12),
    SEVERITY["warning"],
])
def merged_objects(label: LabelUnderInspection, min_contrast=3.0, min_piece_area=40.0, severity="warning"):
    """One labelled object over two or more separate object-like regions of
    the image: likely two objects merged under one label."""
    if label.grey is None or len(label.objects) == 0:
        return []
    pieces = measure.label((label.labels > 0) & (label.contrast > min_contrast))
    piece_area = np.bincount(pieces.ravel())
    piece_owner = np.zeros(len(piece_area), np.int64)
    piece_owner[pieces.ravel()] = label.labels.ravel()
    substantial = np.flatnonzero(piece_area >= min_piece_area)
    owners = piece_owner[substantial[substantial > 0]]
    counts = np.bincount(owners, minlength=int(label.objects.ids.max()) + 1)[label.objects.ids]
    selected = counts >= 2
    return _objects_finding("merged_objects", severity, label, selected,
                            f"{int(selected.sum())} object(s) each spanning two or more separate bright regions "
                            f"(most: {counts.max() if len(counts) else 0})",
                            counts.max() if len(counts) else 0, 1)


@CRITERIA.register("instance_defects", "instances", [SEVERITY["error"]])
def instance_defects(label: LabelUnderInspection, severity="error"):
    """Instance-mask defects: one id in two separate pieces; ids with gaps.

    An id whose pieces all touch the image border is one object that the
    crop cut in several places (a bent nucleus at a tile's edge), not a
    defect: it is left to ``touching_border``.
    """
    mask = np.asarray(label.mask)
    if mask.max() <= 1:
        return []
    findings = []
    split_ids, most_pieces = split_objects(label)
    if split_ids:
        findings += _objects_finding("instance_defects", severity, label, np.isin(label.objects.ids, split_ids),
                                     f"{len(split_ids)} id(s) label two or more separate pieces: "
                                     f"{label.as_sent(split_ids[:10])}", most_pieces, 1)
    present = np.asarray(label.as_sent(label.objects.ids))
    if present.max() != len(present):
        findings.append(Finding("instance_defects", "info",
                                f"ids are not contiguous: {len(present)} objects but the highest id is "
                                f"{present.max()}", float(present.max()), float(len(present))))
    return findings


def split_objects(label: LabelUnderInspection) -> tuple[list[int], int]:
    """Ids in two or more pieces with at least one piece away from the image
    border, and the most pieces any has. Each object is labelled inside its
    own box: a loop over objects, cheap beside labelling the whole mask."""
    labels, table = label.labels, label.objects
    height, width = labels.shape
    split, most = [], 1
    for object_id, (r0, c0, r1, c1) in zip(table.ids.tolist(), table.bbox.tolist()):
        pieces, count = ndi.label(labels[r0:r1, c0:c1] == object_id, structure=EIGHT_NEIGHBOURS)
        if count < 2:
            continue
        edges = [edge for edge, on_border in ((pieces[0], r0 == 0), (pieces[-1], r1 == height),
                                              (pieces[:, 0], c0 == 0), (pieces[:, -1], c1 == width)) if on_border]
        on_border = np.unique(np.concatenate(edges)) if edges else np.zeros(1, int)
        if np.setdiff1d(np.arange(1, count + 1), on_border).size:
            split.append(object_id)
            most = max(most, count)
    return split, most
