"""Criteria that look at more than the mask: agreement with a pre-label,
and the image's intensities (objects over background, missed and merged
objects)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from skimage import measure

from labelassist.imaging.measures import dice
from labelassist.inspect.criteria.base import (CRITERIA, SEVERITIES, SEVERITY, Finding, LabelUnderInspection,
                                               beyond, objects_finding, missing_regions)
from labelassist.inspect.measure import coverage, edge_contrast, intensity_dip, neck_ratio, object_labels
from labelassist.runtime.registry import Parameter


# What makes an unlabelled region a missing object, the same for every criterion that claims one.
MISSING_REGION_PARAMETERS = [
    Parameter("include_border", bool, False, "also report regions cut by the image border (many "
              "labelling conventions leave those out)"),
    Parameter("relative_contrast", float, 0.3, "only regions at least this fraction as bright as the "
              "typical labelled object count as missing", 0.0, 10.0),
    Parameter("relative_area", float, 0.25, "only regions at least this fraction of the typical labelled "
              "object's area count as missing", 0.0, 10.0),
    Parameter("max_relative_area", float, 10.0, "regions more than this many times the typical labelled object "
              "are background structure (a bright yolk, stroma), not a missing object; 0 for no bound", 0.0, 1e6),
]


def missing_confidence(label: LabelUnderInspection, areas: np.ndarray, relative_area: float) -> float:
    """How sure a missing-object claim is: its largest region's area as a
    share of the typical labelled object's, beyond ``relative_area`` (half an
    object's size counts as clearly beyond)."""
    if not len(areas) or label.typical_area <= 0:
        return 1.0
    return beyond(float(np.max(areas)) / label.typical_area, relative_area, 0.5)


@CRITERIA.register("prelabel_agreement", "agreement", [
    Parameter("min_coverage", float, 0.5,
              "an object agrees when at least this fraction of it is foreground in the other mask", 0.01, 1.0),
    Parameter("min_dice", float, 0.7, "overall Dice below this is reported", 0.0, 1.0),
    Parameter("min_area", float, 40.0, "smaller objects are not compared", 0.0, 1e12),
    SEVERITY["warning"],
    Parameter("extra_severity", str, "info", "severity of objects the pre-label lacks", choices=SEVERITIES),
    *MISSING_REGION_PARAMETERS,
    Parameter("min_source_dice", float, 0.8, "with a project: compare with a pre-label source only once its mean "
              "Dice against the project's submitted labels reaches this", 0.0, 1.0),
])
def prelabel_agreement(label: LabelUnderInspection, min_coverage=0.5, min_dice=0.7, min_area=40.0, severity="warning",
                       extra_severity="info", include_border=False, relative_contrast=0.3, relative_area=0.25,
                       max_relative_area=10.0, min_source_dice=0.8):
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
                                min_dice, confidence=beyond(overall, min_dice, 0.1)))
    table = label.objects
    extra = (coverage(label.labels, reference > 0)[table.ids] < min_coverage) & (table.area >= min_area)
    findings += objects_finding("prelabel_agreement", extra_severity, label, extra,
                                 f"{int(extra.sum())} object(s) not in the pre-label "
                                 f"(less than {min_coverage:.0%} covered)", extra.sum(), min_coverage)
    reference_coverage = coverage(reference, label.mask > 0)
    reference_area = np.bincount(reference.ravel())
    missed = np.flatnonzero((reference_coverage < min_coverage) & (reference_area >= min_area))
    missed = missed[missed > 0]
    uncovered, areas = uncovered_parts(label, reference, missed)
    missed = missed[areas[missed] >= min_area]
    missed, boxes = missing_regions(label, uncovered, missed, relative_contrast, include_border, relative_area,
                                    max_relative_area)
    if len(missed):
        findings.append(Finding("prelabel_agreement", severity,
                                f"{len(missed)} pre-labelled object(s) missing from the label "
                                f"(less than {min_coverage:.0%} covered){source}; boxes show where",
                                len(missed), min_coverage, [], boxes,
                                missing_confidence(label, areas[missed], relative_area)))
    return findings


def uncovered_parts(label: LabelUnderInspection, reference: np.ndarray, ids: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The parts of the pre-label objects ``ids`` that no labelled object
    covers, beyond the same 3-px band as :func:`unlabelled_regions` leaves
    around labelled objects, and their areas (indexable by id).

    A missing-object claim is judged on this part: a pre-label object that
    joins a labelled nucleus to its halo or to debris beside it is no
    missing object, however little of it the label covers.
    """
    outside = ~ndi.binary_dilation(label.mask > 0, iterations=3)
    # Opened as those regions are: a rim of the pre-label around a labelled nucleus (its halo) is no object.
    uncovered = np.where(ndi.binary_opening(np.isin(reference, ids) & outside, iterations=2), reference, 0)
    return uncovered, np.bincount(uncovered.ravel(), minlength=len(np.bincount(reference.ravel())))


@CRITERIA.register("background_intensity", "intensity", [
    Parameter("min_contrast", float, 2.0,
              "pixels fewer background spreads than this from the background level look like background",
              0.0, 1e3),
    Parameter("max_background_fraction", float, 0.2,
              "objects with more background-like pixels than this fraction are judged", 0.0, 1.0),
    Parameter("min_edge_contrast", float, 1.0,
              "judged objects whose rim is at least this many background spreads brighter than the "
              "unlabelled ring around them stand out as objects (dim nuclei) and are not flagged", 0.0, 1e3),
    Parameter("min_area", float, 40.0, "only objects at least this large are judged", 0.0, 1e12),
    SEVERITY["warning"],
])
def background_intensity(label: LabelUnderInspection, min_contrast=2.0, max_background_fraction=0.2,
                         min_edge_contrast=1.0, min_area=40.0, severity="warning"):
    """Labelled objects that partly or wholly cover background and do not
    stand out from their surroundings: a blob on background, a shifted
    outline, a bridge painted between two objects. Two pieces of evidence,
    since either alone also fits a correct dim nucleus (mostly
    background-like pixels, yet brighter than the ring around it). Objects
    cut by the border are not judged."""
    if label.grey is None or len(label.objects) == 0:
        return []
    looks_background = label.contrast < min_contrast
    fraction = np.asarray(ndi.mean(looks_background, labels=label.labels, index=label.objects.ids))
    # An object cut by the border shows part of itself and of its ring: judged as a cut object, not a whole one.
    selected = label.inner & (fraction > max_background_fraction) & (label.objects.area >= min_area)
    for row in np.flatnonzero(selected):
        window = label.window(row, pad=3)
        rim = edge_contrast(label.contrast[window], label.labels[window], int(label.objects.ids[row]))
        selected[row] = not rim >= min_edge_contrast  # no unlabelled ring (NaN): judged by its pixels alone
    worst = fraction[selected].max() if selected.any() else 0.0
    return objects_finding("background_intensity", severity, label, selected,
                           f"{int(selected.sum())} object(s) with more than {max_background_fraction:.0%} "
                           f"background-like pixels and no brighter than the ring around them (worst {worst:.0%})",
                           worst, max_background_fraction, beyond(worst, max_background_fraction, 0.2))


def unlabelled_regions(label: LabelUnderInspection, min_contrast: float, min_area: float
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The unlabelled regions brighter than ``min_contrast`` background
    spreads and at least ``min_area`` large: the candidates of a
    missed-object claim, before they are compared with what the annotator
    labels (see :func:`missing_regions`).

    Returns
    -------
    regions : ndarray
        Region ids per pixel.
    ids : ndarray
        The ids of the regions large enough.
    areas : ndarray
        Area per region id.
    """
    # Grow the label a little so a slightly loose boundary is not a "missed object".
    candidates = (label.contrast > min_contrast) & ~ndi.binary_dilation(label.mask > 0, iterations=3)
    candidates = ndi.binary_opening(candidates, iterations=2)
    regions = measure.label(candidates)
    areas = np.bincount(regions.ravel())
    large = np.flatnonzero(areas >= min_area)
    return regions, large[large > 0], areas


@CRITERIA.register("missed_objects", "intensity", [
    Parameter("min_contrast", float, 6.0, "unlabelled pixels this many background spreads from the "
              "background level look like objects", 0.0, 1e3),
    Parameter("min_area", float, 60.0, "smallest unlabelled object-like region reported, in pixels", 1.0, 1e12),
    *MISSING_REGION_PARAMETERS,
    SEVERITY["warning"],
])
def missed_objects(label: LabelUnderInspection, min_contrast=6.0, min_area=60.0, relative_contrast=0.3, include_border=False,
                   relative_area=0.25, max_relative_area=10.0, severity="warning"):
    """Unlabelled regions that look like objects: likely missed objects."""
    if label.grey is None:
        return []
    regions, large, areas = unlabelled_regions(label, min_contrast, min_area)
    large, boxes = missing_regions(label, regions, large, relative_contrast, include_border, relative_area,
                                   max_relative_area)
    if not len(large):
        return []
    return [Finding("missed_objects", severity,
                    f"{len(large)} unlabelled region(s) of at least {min_area:g} px look like objects",
                    float(areas[large].max()), min_area, [], boxes,
                    missing_confidence(label, areas[large], relative_area))]


@CRITERIA.register("merged_objects", "intensity", [
    Parameter("min_contrast", float, 3.0, "pixels this many background spreads from the background level "
              "look like object", 0.0, 1e3),
    Parameter("min_piece_area", float, 40.0, "object-like pieces at least this large count", 1.0, 1e12),
    Parameter("min_relative_piece", float, 0.25, "and at least this share of the label's typical object: a "
              "clump of chromatin in a textured nucleus is a piece of one object, not an object", 0.0, 1e3),
    Parameter("min_relative_area", float, 1.5, "objects at least this many times the label's typical object "
              "are judged for two lobes", 0.0, 1e3),
    Parameter("max_neck", float, 0.8, "a neck narrower than this share of the smaller lobe's radius "
              "is a two-lobed outline", 0.0, 1.0),
    Parameter("min_dip", float, 0.2, "a seam darker than the dimmer lobe by this share of its brightness "
              "is two lobes by intensity (needed besides the outline)", 0.0, 10.0),
    Parameter("min_unpinched_dip", float, 0.4, "the seam needed where the outline is irregular (solidity or "
              "circularity) but not pinched at a neck", 0.0, 10.0),
    Parameter("min_solidity", float, 0.85, "a large object less solid than this has a two-lobed outline", 0.0, 1.0),
    Parameter("min_circularity", float, 0.7, "a large object less circular than this has a two-lobed outline", 0.0, 1.0),
    SEVERITY["warning"],
])
def merged_objects(label: LabelUnderInspection, min_contrast=3.0, min_piece_area=40.0, min_relative_piece=0.25,
                   min_relative_area=1.5, max_neck=0.8, min_dip=0.2, min_unpinched_dip=0.4, min_solidity=0.85,
                   min_circularity=0.7, severity="warning"):
    """One labelled object over two objects: over two separate bright
    regions of the image, or well larger than the label's typical object
    and in two lobes by outline and by intensity (see :func:`two_lobed`).
    Size, shape or a seam alone also fit a large, irregular or textured
    nucleus; together they describe two nuclei under one id. Objects cut by the border are
    judged by the bright regions only."""
    if label.grey is None or len(label.objects) == 0:
        return []
    counts = bright_regions_per_object(label, min_contrast, min_piece_area, min_relative_piece * label.typical_area)
    separate = counts >= 2
    lobed = two_lobed(label, min_relative_area, max_neck, min_dip, min_solidity, min_circularity,
                      min_unpinched_dip) & ~separate
    relative = label.objects.area / max(label.typical_area, 1.0)
    largest = relative[lobed].max() if lobed.any() else 0.0
    return (objects_finding("merged_objects", severity, label, separate,
                            f"{int(separate.sum())} object(s) each spanning two or more separate bright regions "
                            f"(most: {counts.max() if len(counts) else 0})",
                            counts.max() if len(counts) else 0, 1, beyond(counts.max() if len(counts) else 1, 1, 1.0))
            + objects_finding("merged_objects", severity, label, lobed,
                              f"{int(lobed.sum())} object(s) {min_relative_area:g}x or more the typical size and "
                              f"in two lobes: two objects under one id? (largest {largest:.1f}x)",
                              largest, min_relative_area, beyond(largest, min_relative_area, 1.0)))


def bright_regions_per_object(label: LabelUnderInspection, min_contrast: float, min_piece_area: float,
                              min_whole_piece: float = 0.0) -> np.ndarray:
    """Per object, its separate regions brighter than ``min_contrast`` of at
    least ``min_piece_area`` px, and of ``min_whole_piece`` px unless the
    image border cuts them (a neighbour cut to a sliver is still an object;
    a small clump inside a nucleus is part of it).

    Regions are connected within one object only: two touching nuclei make
    one bright region across their shared edge, and owned by one of them it
    would give that one a second region of its neighbour's."""
    pieces = measure.label(np.where(label.contrast > min_contrast, label.labels, 0), background=0)
    piece_area = np.bincount(pieces.ravel())
    piece_owner = np.zeros(len(piece_area), np.int64)
    piece_owner[pieces.ravel()] = label.labels.ravel()
    cut = np.zeros(len(piece_area), bool)
    cut[np.concatenate([pieces[0], pieces[-1], pieces[:, 0], pieces[:, -1]])] = True
    substantial = np.flatnonzero((piece_area >= min_piece_area) & ((piece_area >= min_whole_piece) | cut))
    owners = piece_owner[substantial[substantial > 0]]
    return np.bincount(owners, minlength=int(label.objects.ids.max()) + 1)[label.objects.ids]


def two_lobed(label: LabelUnderInspection, min_relative_area: float, max_neck: float, min_dip: float,
              min_solidity: float, min_circularity: float, min_unpinched_dip: float = 0.4) -> np.ndarray:
    """Per object: whole, at least ``min_relative_area`` x the typical
    object, and in two lobes by its outline and by its intensity (a darker
    seam between two bright lobes): pinched at a neck with a seam of
    ``min_dip``, or far from convex or round with a seam of
    ``min_unpinched_dip``.

    Both, since either alone fits a single large nucleus: an irregular or
    kidney-shaped one has the outline, a textured or speckled one the seam.
    Two nuclei under one id meet at a neck; without one, an irregular
    outline is as often one large textured nucleus, and only a deep seam
    tells two apart.
    """
    table = label.objects
    large = label.inner & (table.area >= min_relative_area * max(label.typical_area, 1.0))
    lobed = np.zeros(len(table), bool)
    for row in np.flatnonzero(large):
        window = label.window(row)
        region = label.labels[window] == table.ids[row]
        irregular = table.solidity[row] < min_solidity or table.circularity[row] < min_circularity
        pinched = neck_ratio(region) < max_neck
        if not (irregular or pinched):
            continue
        dip = intensity_dip(label.contrast[window], region, 0.2 * label.typical_area)
        lobed[row] = dip >= (min_dip if pinched else min_unpinched_dip)
    return lobed


def object_contrast(label: LabelUnderInspection) -> np.ndarray:
    """Per object, its mean contrast: background spreads above the
    background (below it for dark objects)."""
    return np.asarray(ndi.mean(label.contrast, labels=label.labels, index=label.objects.ids), np.float64)


@CRITERIA.register("object_brightness", "intensity", [
    Parameter("min_contrast", float, 0.0, "objects dimmer than this, as their mean contrast in background spreads "
              "above the background, are reported; 0 for no bound", 0.0, 1e6),
    Parameter("max_contrast", float, 0.0, "objects brighter than this are reported; 0 for no bound", 0.0, 1e6),
    Parameter("min_area", float, 40.0, "only objects at least this large are judged", 0.0, 1e12),
    SEVERITY["warning"],
])
def object_brightness(label: LabelUnderInspection, min_contrast=0.0, max_contrast=0.0, min_area=40.0,
                      severity="warning"):
    """Objects far dimmer or brighter than plausible. Without bounds (the
    default) nothing is judged: brightness differs across image sets, so
    its bounds come from a project's objects of one class (a mitotic
    nucleus is brighter than an interphase one; see
    :mod:`labelassist.inspect.class_bounds`) or from the project's settings."""
    if label.grey is None or len(label.objects) == 0 or not (min_contrast or max_contrast):
        return []
    contrast = object_contrast(label)
    judged = label.objects.area >= min_area
    findings = []
    for bound, selected, words in ((min_contrast, judged & (contrast < min_contrast), "dimmer"),
                                   (max_contrast, judged & (contrast > max_contrast), "brighter")):
        if not bound or not selected.any():
            continue
        worst = contrast[selected].min() if words == "dimmer" else contrast[selected].max()
        findings += objects_finding("object_brightness", severity, label, selected,
                                    f"{int(selected.sum())} object(s) {words} than {bound:g} background spreads "
                                    f"(mean contrast; {'dimmest' if words == 'dimmer' else 'brightest'} {worst:.1f})",
                                    worst, bound, beyond(worst, bound, 0.25 * bound))
    return findings
