"""Label-error ranking for stored labels: where is a stored label most
likely wrong? Plain numpy in and out.

Three signals from a model's foreground probability ``P`` (the served
U-Net, or the bundled generalist), in the manner of confident learning
(Northcutt et al. 2021; cleanlab's segmentation label-quality scores rank
images by the softmin of the pixels' self-confidence), but per object, so a
reviewer is shown the place, not only the image:

* ``model_disagrees``: a labelled object the model does not support,
  scored by 1 - soft IoU, where the soft IoU of object R is
  ``sum(P in R) / (|R| + sum(P in the unlabelled pixels next to R))``.
  A blob painted on background has P near 0 inside (score near 1); an
  outline shifted off its nucleus loses probability inside and leaves it
  beside (about 0.5); a good outline scores 0.1 to 0.2 (soft edges).
* ``missed_object``: a region the model calls foreground (P >= 0.5) that no
  label covers, at least a quarter of the typical labelled object's area:
  its mean P.
* ``model_splits``: one labelled object over two or more separate objects of
  the model, each a substantial part of it;
* ``model_fills_hole``: a hole in a labelled object where the model sees
  object (its mean probability there).

Pixels the image shows bright above its background count as support for a
labelled object whatever the model says, so dim objects a model was never
taught to see are not called wrong when the image shows them.

The project's criteria (with its calibration, see
:mod:`labelassist.inspect.calibration`) add their warnings and errors on
objects as further signals, at :data:`CRITERION_SCORE`. Signals at one
place combine as independent evidence, 1 - prod(1 - s); a label's score is
its most likely error's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage as ndi
from skimage import measure

from labelassist.inspect.criteria import Finding, LabelUnderInspection, missing_regions, region_boxes
from labelassist.inspect.inspection import inspect_label
from labelassist.inspect.measure import object_labels
from labelassist.inspect.settings import InspectionSettings

Box = tuple[int, int, int, int]
# What a criterion's finding on an object adds as evidence of an error.
CRITERION_SCORE = {"error": 0.7, "warning": 0.5}
# Criteria whose findings the model's signals already cover (they compare with a pre-label).
MODEL_COVERED = ("prelabel_agreement",)
FOREGROUND = 0.5
# Objects smaller than this share of the typical labelled object are not missed-object claims.
RELATIVE_AREA = 0.25
# Holes smaller than this (pixels) are not judged by the model.
MIN_HOLE = 4


@dataclass
class SuspectedError:
    """One likely error in one label: where (object id, 0 for none; box),
    how likely (0..1), and the signals that point at it, in words; for a
    class suspect, the object's given class, the class the model sees
    instead and its probability."""
    score: float
    box: Box
    object_id: int = 0
    signals: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    given_class: str = ""
    suspected_class: str = ""
    class_confidence: float = 0.0

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    def add(self, signal: str, score: float, reason: str) -> None:
        """Another signal at this place: independent evidence."""
        self.score = 1.0 - (1.0 - self.score) * (1.0 - score)
        self.signals.append(signal)
        self.reasons.append(reason)


def _slices_box(slices, margin: int, shape) -> tuple[slice, slice]:
    return (slice(max(slices[0].start - margin, 0), min(slices[0].stop + margin, shape[0])),
            slice(max(slices[1].start - margin, 0), min(slices[1].stop + margin, shape[1])))


def _overlap(first: Box, second: Box) -> float:
    """Intersection over the smaller box's area."""
    rows = min(first[2], second[2]) - max(first[0], second[0])
    cols = min(first[3], second[3]) - max(first[1], second[1])
    if rows <= 0 or cols <= 0:
        return 0.0
    smaller = min((b[2] - b[0]) * (b[3] - b[1]) for b in (first, second))
    return rows * cols / max(smaller, 1)


def doubted_objects(labels: np.ndarray, probability: np.ndarray, supported: np.ndarray | None = None
                    ) -> dict[int, tuple[float, float]]:
    """Per labelled object: 1 - its soft IoU with the model's foreground,
    and the mean probability in the holes it encloses (0 without holes).

    The neighbourhood that counts against an object is the unlabelled ring
    of ``3 + 10 %`` of its size around it: probability left there is
    foreground the outline missed. ``supported`` marks pixels the image
    itself shows as object-like (bright above the background); they count
    as foreground inside an object whatever the model says, so a dim
    object a model was never taught to see is not called wrong when the
    image shows it.
    """
    out = {}
    for index, slices in enumerate(ndi.find_objects(labels)):
        if slices is None:
            continue
        object_id = index + 1
        height, width = slices[0].stop - slices[0].start, slices[1].stop - slices[1].start
        margin = 3 + int(0.1 * max(height, width))
        window = _slices_box(slices, margin + 1, labels.shape)
        local, p = labels[window], probability[window]
        region = local == object_id
        inside = p[region] if supported is None else np.maximum(p[region], supported[window][region])
        holes = ndi.binary_fill_holes(region) & (local == 0)
        ring = ndi.binary_dilation(region, iterations=margin) & (local == 0) & ~holes
        soft_iou = float(inside.sum()) / (float(region.sum()) + float(p[ring].sum()))
        out[object_id] = (1.0 - soft_iou, float(p[holes].mean()) if holes.sum() >= MIN_HOLE else 0.0)
    return out


def missed_regions(label: LabelUnderInspection, probability: np.ndarray, min_area: float,
                   relative_contrast: float = 0.3) -> list[tuple[float, Box, float]]:
    """Regions the model calls foreground that no label covers: (mean
    probability, box, area). The missed-object criteria's conventions hold:
    regions cut by the image border, smaller than ``RELATIVE_AREA`` of the
    typical labelled object or dimmer than ``relative_contrast`` of it are
    left to the annotator. A two-pixel band around labelled objects does
    not count: a loose outline is no miss."""
    unlabelled = (probability >= FOREGROUND) & ~ndi.binary_dilation(label.mask > 0, iterations=2)
    regions = measure.label(ndi.binary_opening(unlabelled, iterations=1))
    areas = np.bincount(regions.ravel())
    ids = np.flatnonzero(areas >= min_area)
    ids, boxes = missing_regions(label, regions, ids[ids > 0], relative_contrast, False, RELATIVE_AREA)
    means = ndi.mean(probability, labels=regions, index=ids) if len(ids) else []
    return [(float(mean), tuple(box), float(areas[i])) for mean, box, i in zip(means, boxes, ids)]


def split_by_model(labels: np.ndarray, probability: np.ndarray, typical_area: float) -> dict[int, tuple[int, float]]:
    """Labelled objects that cover two or more of the model's separate
    objects, each at least half inside the object and ``RELATIVE_AREA`` of
    the typical object large: object id -> (pieces, share of the second
    largest piece in the object's area)."""
    model = measure.label(probability >= FOREGROUND)
    inside = (labels > 0) & (model > 0)
    if not inside.any():
        return {}
    pairs, overlap = np.unique(np.stack([labels[inside], model[inside]]), axis=1, return_counts=True)
    model_area = np.bincount(model.ravel())
    object_area = np.bincount(labels.ravel())
    substantial = (overlap >= 0.5 * model_area[pairs[1]]) & (overlap >= RELATIVE_AREA * typical_area)
    out = {}
    for object_id in np.unique(pairs[0][substantial]):
        pieces = np.sort(overlap[substantial & (pairs[0] == object_id)])[::-1]
        if len(pieces) >= 2:
            out[int(object_id)] = (len(pieces), float(pieces[1] / object_area[object_id]))
    return out


def score_label(label: np.ndarray, probability: np.ndarray, image: np.ndarray | None = None,
                findings: Sequence[Finding] = (), min_area: float = 40.0, min_contrast: float = 2.0,
                under: LabelUnderInspection | None = None) -> list[SuspectedError]:
    """The likely errors of one stored label, most likely first.

    Parameters
    ----------
    label : ndarray
        The stored label (H, W): 0 background, object ids > 0 (a binary
        mask's connected components are its objects).
    probability : ndarray
        The model's foreground probability (H, W), in [0, 1].
    image : ndarray, optional
        The labelled image: pixels at least ``min_contrast`` background
        spreads from the background count as supporting an object the
        model doubts, and dim regions are no missed objects (as in the
        intensity criteria).
    findings : sequence of Finding
        The label's inspection (with the project's calibrated criteria);
        warnings and errors on objects or places become signals.
    min_area : float
        Objects smaller than this are not judged by the model (nor are
        unlabelled regions smaller than it claimed as missed).
    min_contrast : float
        See ``image``.
    under : LabelUnderInspection, optional
        The measurements the inspection of this label and image took
        (smoothing, background, contrast), reused instead of taken again.

    Returns
    -------
    list of SuspectedError
        Every place with any signal, by descending score.
    """
    labels = object_labels(label)
    probability = np.asarray(probability, np.float64)
    if probability.shape != labels.shape:
        raise ValueError(f"shape mismatch: probability {probability.shape}, label {labels.shape}")
    under = under if under is not None else LabelUnderInspection(labels, image)
    supported = under.contrast >= min_contrast if image is not None else None
    areas = np.bincount(labels.ravel())
    present = np.flatnonzero(areas[1:]) + 1
    typical = float(np.median(areas[present])) if len(present) else 0.0
    object_boxes = dict(zip(present.tolist(), region_boxes(labels, present)))
    suspects: dict[int, SuspectedError] = {}
    places: list[SuspectedError] = []

    def at(object_id: int) -> SuspectedError:
        return suspects.setdefault(object_id, SuspectedError(0.0, object_boxes[object_id], object_id))

    def place(box: Box) -> SuspectedError:
        """The place without an object at ``box``: one already named that
        overlaps it (the model's missed region and a criterion's), or a new one."""
        for known in places:
            if _overlap(known.box, box) >= 0.3:
                return known
        places.append(SuspectedError(0.0, box))
        return places[-1]

    for object_id, (doubt, hole) in doubted_objects(labels, probability, supported).items():
        if areas[object_id] >= min_area:
            at(object_id).add("model_disagrees", doubt, f"the model supports {1 - doubt:.0%} of the object "
                                                        "(soft IoU with its foreground probability)")
        if hole:
            at(object_id).add("model_fills_hole", hole, f"the model sees object inside its hole "
                                                        f"(mean probability {hole:.2f})")
    for object_id, (pieces, share) in split_by_model(labels, probability, typical).items():
        at(object_id).add("model_splits", min(0.5 + share, 0.9), f"the model sees {pieces} separate objects in it")
    for mean, box, area in missed_regions(under, probability, min_area):
        place(box).add("missed_object", mean, f"unlabelled region of {area:g} px the model calls an object "
                                               f"(mean probability {mean:.2f})")
    for finding in findings:
        weight = CRITERION_SCORE.get(finding.severity)
        if weight is None or finding.criterion in MODEL_COVERED:
            continue
        if finding.object_ids:
            for object_id in finding.object_ids:
                if int(object_id) in object_boxes:
                    at(int(object_id)).add(finding.criterion, weight, finding.message)
        else:
            for box in finding.boxes or [(0, 0, *labels.shape)]:
                place(tuple(box)).add(finding.criterion, weight, finding.message)
    ranked = [s for s in [*suspects.values(), *places] if s.score > 0]
    return sorted(ranked, key=lambda s: -s.score)


def suspect_label(label: np.ndarray, image: np.ndarray | None, probability: np.ndarray,
                  settings: InspectionSettings | None = None, classes: Mapping[int, str] | None = None,
                  class_parameters: Mapping[str, Mapping[str, Mapping]] | None = None) -> list[SuspectedError]:
    """:func:`score_label` with the findings of the project's criteria
    (``settings``, calibrated or not; with its object ``classes``, each
    class with ``class_parameters`` of its own judged by them) on the
    label: the ranking of one stored label as the inspect service makes it."""
    inspection = inspect_label(label, image, compute_prelabel=False, settings=settings, classes=classes,
                               class_parameters=class_parameters)
    return score_label(label, probability, image, inspection.findings, under=inspection.under)
