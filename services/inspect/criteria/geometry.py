"""Criteria on the mask alone: coverage, object counts and sizes, holes,
fragments, shapes, objects cut by the border, instance-id defects."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from labelassist.inspect.criteria.base import (CRITERIA, EIGHT_NEIGHBOURS, SEVERITY, Finding, LabelUnderInspection,
                                               beyond, objects_finding, region_boxes)
from labelassist.runtime.registry import Parameter


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
                        fraction, min_fraction, confidence=beyond(fraction, min_fraction, min_fraction))]
    if fraction > max_fraction:
        return [Finding("foreground_fraction", severity,
                        f"foreground fraction {fraction:.4f} is above the maximum {max_fraction}",
                        fraction, max_fraction, confidence=beyond(fraction, max_fraction, 0.1))]
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
                        count, min_count, confidence=beyond(count, min_count, max(0.25 * min_count, 1)))]
    if count > max_count:
        return [Finding("object_count", severity, f"{count} objects, more than the expected maximum {max_count}",
                        count, max_count, confidence=beyond(count, max_count, max(0.25 * max_count, 1)))]
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
    smallest = area[too_small].min() if too_small.any() else 0
    small = objects_finding("object_size", severity, label, too_small,
                            f"{int(too_small.sum())} object(s) smaller than {min_area:g} px (smallest {smallest:g} px)",
                            smallest, min_area, beyond(smallest, min_area, 0.25 * min_area))
    large = []
    if max_area:
        largest = area.max() if len(area) else 0
        large = objects_finding("object_size", severity, label, area > max_area,
                                f"{int((area > max_area).sum())} object(s) larger than {max_area:g} px "
                                f"(largest {largest:g} px)", largest, max_area, beyond(largest, max_area, 0.25 * max_area))
    return small + large


@CRITERIA.register("holes", "shape", [
    Parameter("min_hole_area", float, 1.0, "smallest hole reported, in pixels", 1.0, 1e12),
    Parameter("minor_area", float, 4.0, "objects whose holes add up to at most this are a minor finding: info, "
              "with a fill-holes fix", 0.0, 1e12),
    SEVERITY["warning"],
])
def holes(label: LabelUnderInspection, min_hole_area=1.0, minor_area=4.0, severity="warning"):
    """Objects with holes inside: usually an unfinished fill. Pin-holes (up
    to ``minor_area``) are info with a fix that fills just them."""
    hole_area = label.objects.hole_area
    selected = hole_area >= min_hole_area
    minor = selected & (hole_area <= minor_area)
    major = selected & ~minor
    largest = hole_area[major].max() if major.any() else 0
    return (objects_finding("holes", severity, label, major,
                            f"{int(major.sum())} object(s) with holes (largest hole {largest:g} px)",
                            largest, min_hole_area, beyond(largest, max(minor_area, min_hole_area), 10.0),
                            ("fill_holes", {}))
            + objects_finding("holes", "info", label, minor,
                              f"{int(minor.sum())} object(s) with pin-holes of at most {minor_area:g} px",
                              hole_area[minor].max() if minor.any() else 0, min_hole_area, 1.0,
                              ("fill_holes", {"max_size": int(minor_area)})))


@CRITERIA.register("touching_border", "objects", [SEVERITY["info"]])
def touching_border(label: LabelUnderInspection, severity="info"):
    """Objects cut by the image border: incomplete, may need excluding."""
    height, width = label.mask.shape
    box = label.objects.bbox
    selected = (box[:, 0] == 0) | (box[:, 1] == 0) | (box[:, 2] == height) | (box[:, 3] == width)
    return objects_finding("touching_border", severity, label, selected,
                           f"{int(selected.sum())} object(s) touch the image border", selected.sum(), 0)


@CRITERIA.register("fragments", "objects", [
    Parameter("fragment_area", float, 10.0, "pieces up to this size count as fragments", 1.0, 1e12),
    Parameter("max_fragments", int, 2, "fragments tolerated", 0, 10**9),
    Parameter("minor_area", float, 3.0, "pieces up to this size are reported even when tolerated, as info with a "
              "fix that removes them", 0.0, 1e12),
    SEVERITY["warning"],
])
def fragments(label: LabelUnderInspection, fragment_area=10.0, max_fragments=2, minor_area=3.0, severity="warning"):
    """Many tiny labelled pieces: stray brush strokes or noise. Specks of a
    few pixels are info with a one-click fix even when tolerated. A piece
    the image (or tile) border cuts is the visible part of an object
    outside it, however small, and is no fragment."""
    pieces, _ = ndi.label(label.mask > 0, structure=EIGHT_NEIGHBOURS)
    sizes = np.bincount(pieces.ravel())
    sizes[0] = 0
    sizes[np.unique(np.concatenate([pieces[0], pieces[-1], pieces[:, 0], pieces[:, -1]]))] = 0
    is_tiny = (sizes > 0) & (sizes <= fragment_area)
    severe = int(is_tiny.sum()) > max_fragments
    if not severe:
        is_tiny = (sizes > 0) & (sizes <= minor_area)
    tiny = np.flatnonzero(is_tiny)
    if not len(tiny):
        return []
    boxes = region_boxes(pieces, tiny)
    ids = np.unique(label.labels[is_tiny[pieces]]).tolist()
    if severe:
        return [Finding("fragments", severity,
                        f"{len(tiny)} fragments of at most {fragment_area:g} px (tolerated: {max_fragments})",
                        len(tiny), max_fragments, ids, boxes, beyond(len(tiny), max_fragments, 2.0),
                        ("remove_fragments", {"max_size": int(fragment_area)}))]
    return [Finding("fragments", "info", f"{len(tiny)} speck(s) of at most {minor_area:g} px",
                    len(tiny), max_fragments, ids, boxes, 1.0, ("remove_fragments", {"max_size": int(minor_area)}))]


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
    roundness = table.circularity[selected].min() if selected.any() else 1.0
    confidence = max(beyond(worst, min_solidity, 0.1) if worst < min_solidity else 0.0,
                     beyond(roundness, min_circularity, 0.1) if roundness < min_circularity else 0.0)
    return objects_finding("irregular_shape", severity, label, selected,
                           f"{int(selected.sum())} irregular object(s): solidity below {min_solidity} "
                           f"or circularity below {min_circularity} (lowest solidity {worst:.2f})",
                           worst, min_solidity, confidence)


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
        findings += objects_finding("instance_defects", severity, label, np.isin(label.objects.ids, split_ids),
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


@CRITERIA.register("shared_id", "instances", [
    Parameter("min_region_area", float, 20.0, "regions of one id smaller than this, in pixels, are specks and not "
              "counted", 1.0, 1e12),
    Parameter("max_regions", int, 2, "separate regions one id may cover (an object cut by the crop or an "
              "occlusion)", 1, 10**9),
    SEVERITY["warning"],
])
def shared_id(label: LabelUnderInspection, min_region_area=20.0, max_regions=2, severity="warning"):
    """One id over many separate objects: a foreground mask where each object
    should carry its own id. Every export (COCO, CVAT, Label Studio) writes
    one annotation per id, so such a label leaves as a single object. An
    object with a few specks beside it, or cut in two, is no finding."""
    mask = np.asarray(label.mask)
    if not mask.any():
        return []
    if mask.max() <= 1:  # the measured objects are the one id's connected regions
        sizeable = label.objects.area >= min_region_area
        counts = {1: int(sizeable.sum())} if sizeable.sum() > max_regions else {}
        selected = sizeable if counts else np.zeros(len(label.objects), bool)
    else:
        counts = _sizeable_regions(label, min_region_area)
        counts = {object_id: count for object_id, count in counts.items() if count > max_regions}
        selected = np.isin(label.objects.ids, list(counts))
    if not counts:
        return []
    most = max(counts.values())
    ids = label.as_sent(list(counts)) if mask.max() > 1 else [int(mask.max())]
    return objects_finding("shared_id", severity, label, selected,
                           f"{len(counts)} id(s) ({ids[:10]}) each cover up to {most} separate objects of at "
                           f"least {min_region_area:g} px: give each object its own id (relabel), or every "
                           "export holds them as one object", most, max_regions,
                           beyond(most, max_regions, 2.0), ("relabel", {}))


def _sizeable_regions(label: LabelUnderInspection, min_region_area: float) -> dict[int, int]:
    """Per id of a label image, its separate regions of at least ``min_region_area`` px."""
    labels, table = label.labels, label.objects
    counts = {}
    for object_id, (r0, c0, r1, c1) in zip(table.ids.tolist(), table.bbox.tolist()):
        pieces, count = ndi.label(labels[r0:r1, c0:c1] == object_id, structure=EIGHT_NEIGHBOURS)
        if count > 1:
            counts[object_id] = int((np.bincount(pieces.ravel())[1:] >= min_region_area).sum())
    return counts
