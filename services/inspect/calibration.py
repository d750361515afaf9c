"""Criterion bounds learnt from a project's labels, so a project of small,
irregular, crowded or faint objects is judged by its own conventions, not
by bounds tuned on another image set.

Each criterion has a learner (:data:`LEARNERS`) with its own minimum of
evidence (objects or labels). An object-level bound is a tail quantile of
the labels' measurements after outlier rejection (median and MAD, see
:mod:`labelassist.inspect.bounds`), with a margin; a label-level bound
(objects per label, labelled fraction) a multiple of the labels'
winsorized geometric mean, since thirty labels say little of a label-level
tail. A bound may lie above or below the default, and is blended with the
default until the learner has its full evidence: ``weight = units /
full``. No single label moves a bound by more than
:data:`~labelassist.inspect.bounds.MAX_SHIFT` of it (a label that would is
left out).

Labels count when a reviewer accepted them, or when they were not reviewed
and draw no warning from the criteria calibrated on every label not
rejected: a label that still carries a warning the annotator did not
resolve teaches nothing. Until the project has ``min_images`` such labels
(or ``MIN_OBJECTS`` objects) nothing moves. A project's explicit settings
still override the calibrated values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from labelassist.inspect.alarm_share import check_alarm_shares, with_prelabels
from labelassist.inspect.bounds import bounded_influence, label_lower_tail, lower_tail, winsorized_centre
from labelassist.inspect.conventions import Conventions, label_conventions
from labelassist.inspect.criteria import CRITERIA, LabelUnderInspection
from labelassist.inspect.settings import InspectionSettings

MIN_IMAGES = 10
MIN_OBJECTS = 200
# Object-level bounds are tail quantiles of the objects of all labels with each label weighing as one (see
# label_lower_tail): a label that slipped through with a merged pair, or an image far more crowded than the
# others, then moves a bound by at most one label's share of the tail.
SIZE_MARGIN = 0.5  # the smallest plausible object: this share of the labels' small whole objects' areas
SIZE_TAIL = 0.01  # the labels' small whole objects: this quantile of their areas
SHAPE_TAIL = 0.02  # the labels' least regular shape-judged objects: this quantile of their solidity, circularity
# The solidity bound: this many times the tail quantile's shortfall from a convex object (1 - solidity) below
# 1. Shortfalls spread by factors: a project whose tail already holds irregular objects has rarer ones further
# out, a project of smooth round objects has none far beyond its tail.
SHORTFALL_MARGIN = 2.0
# The circularity bound: this share of the tail quantile (the perimeters of small objects are noisy).
CIRCULARITY_MARGIN = 0.7
# Shapes are judged on objects at least this share of the project's median whole object: the outlines of
# small objects are a few pixels long, and their solidity and circularity are mostly rasterisation.
SHAPE_AREA = 0.5
# Shapes beyond this many robust standard deviations of the labels' median (a merged pair, a brush slip) count
# as lying there: the tail stays the project's own irregular objects.
SHAPE_Z = 3.0
# The smallest robust standard deviations assumed on those scales (log shortfall of solidity, log circularity):
# a quarter of a project's objects dented is its convention, not outliers, however alike the rest are.
SHAPE_SPREAD = {"solidity": 0.25, "circularity": 0.1}
# Label-level bounds (counts, fractions) are multiples of the labels' typical value, their geometric mean with
# the 10 % at each end winsorized (see winsorized_centre). Thirty labels say little of a label-level tail: an
# empirical 90 % quantile of them follows one or two labels, and one more label moved it by 36 %. The multiples
# cover the spread of crowding seen across image sets (the 90 % quantile at 1.6-3.1 times the centre, the 10 %
# quantile at 0.3-0.45 times it) with the margins the quantile bounds had (3 and 0.1).
LABEL_WINSORIZED = 0.1
COUNT_MARGIN = 8.0  # the most objects plausible: this many times the labels' typical count
FRACTION_MARGIN = (0.03, 8.0)  # plausible labelled fractions: these multiples of the labels' typical fraction
BACKGROUND_MARGIN = 0.1  # background-like share an object may have beyond the labels' tail quantile
MIN_LEFT_OUT = 3  # unlabelled object-like regions needed before claims of their kind can stop
LEFT_OUT_QUANTILE = 0.9  # the left-out regions a calibrated missing-object bound leaves unclaimed
CLAIM_MARGIN = 0.6  # without a convention of leaving regions out: claims from this share of the labelled tail
CLAIM_RAMP = 0.5  # left-out regions this share beyond the labelled tail are the labelled kind: the margin holds
# The highest claim bounds, as multiples of the defaults. Few labels of similar objects (sparse tiles) make a
# narrow labelled tail, and a bound from it would stop claiming dim deleted objects and the crescent a shifted
# outline leaves uncovered. The area bound keeps at most its default: a region is measured on its bright part,
# away from its neighbours, so it is smaller than the object an annotator draws, and the labelled objects' areas
# overstate it.
CLAIM_CEILING = {"relative_contrast": 1.5, "relative_area": 1.0}
# The criteria calibration checks a not-reviewed label with before it counts.
CHECKED = ("empty_mask", "fragments", "holes", "instance_defects", "object_size", "irregular_shape",
           "background_intensity", "missed_objects")


@dataclass(frozen=True)
class Calibration:
    """Calibrated criterion parameters and what they rest on."""
    criteria: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    images: int = 0
    objects: int = 0
    min_images: int = MIN_IMAGES  # labels needed before any bound moves
    # Labels left out: not reviewed and carrying a warning, or moving a bound too far (per learner).
    unresolved: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    # Per criterion, its false-alarm share on the accepted labels and the step that brought it down (see
    # labelassist.inspect.alarm_share).
    alarm_shares: dict[str, Any] = field(default_factory=dict)

    def under(self, settings: InspectionSettings | None) -> InspectionSettings:
        """The project's settings with the calibrated values beneath them:
        an explicit parameter of the project wins over a calibrated one."""
        settings = settings or InspectionSettings()
        explicit = dict(settings.criteria)
        merged = {name: {**values, **explicit.get(name, {})} for name, values in self.criteria}
        merged.update({name: values for name, values in explicit.items() if name not in merged})
        return InspectionSettings(list(merged.items()), list(settings.disabled), settings.min_confidence)


def _default(criterion: str, parameter: str) -> float:
    return CRITERIA.get(criterion).bind({})[parameter]


@dataclass(frozen=True)
class Learner:
    """How one criterion is calibrated: what it counts as evidence in a
    label, how much it needs before it moves a bound (``minimum``) and at
    which it replaces the default entirely (``full``), and the function
    from the labels' conventions to (measured parameters, labels left out)."""
    name: str
    units: Callable[[Conventions], int]
    minimum: int
    full: int
    learn: Callable[[list[Conventions], dict], tuple[dict[str, dict[str, float]], int]]


# Criterion name -> its learner, in the order they learn (shape bounds use the learnt size bound).
LEARNERS: dict[str, Learner] = {}


def learner(name: str, units: Callable[[Conventions], int], minimum: int, full: int):
    def register(function):
        LEARNERS[name] = Learner(name, units, minimum, full, function)
        return function
    return register


def _objects(conventions: Conventions) -> int:
    return len(conventions.area)


def _one(conventions: Conventions) -> int:
    return 1


def size_bounds(labels: list[Conventions], z: float = np.inf) -> dict[str, dict[str, float]]:
    """The smallest plausible object: a low quantile of the whole objects'
    areas (log scale), each label weighing as one, with values more than
    ``z`` robust deviations below the median held at that limit.

    Project-wide nothing is held (``z`` infinite): a project that mixes
    images of large and of small nuclei keeps the small ones' bound, where
    a tail of the pooled objects follows the crowded images and a quantile
    of per-label values jumps by a rank with one more label. Specks are
    already left out (see label_conventions)."""
    smallest = label_lower_tail([np.log(c.area) for c in labels], SIZE_TAIL, z)
    measured = SIZE_MARGIN * float(np.exp(smallest))
    return {"object_size": {"min_area": measured}, "irregular_shape": {"min_area": measured}}


@learner("object_size", _objects, minimum=30, full=50)
def _object_size(labels: list[Conventions], learnt: dict):
    return size_bounds(labels), 0


def shape_bounds(solidity: Sequence[np.ndarray], circularity: Sequence[np.ndarray]) -> tuple[float, float]:
    """The lowest plausible solidity and circularity from the shape-judged
    objects of each label, each label weighing as one (see
    :func:`~labelassist.inspect.bounds.label_lower_tail`).

    Solidity is judged on its shortfall from a convex object, ``1 -
    solidity``, circularity on its logarithm: both spread by factors, so
    on these scales a median and MAD describe a project's objects and
    hold a merged pair or a brush slip at a few robust deviations."""
    convex = label_lower_tail([-np.log(np.clip(1.0 - s, 1e-3, None)) for s in solidity], SHAPE_TAIL, SHAPE_Z,
                              SHAPE_SPREAD["solidity"])
    round_ = label_lower_tail([np.log(np.clip(c, 1e-3, None)) for c in circularity], SHAPE_TAIL, SHAPE_Z,
                              SHAPE_SPREAD["circularity"])
    return (float(np.clip(1.0 - SHORTFALL_MARGIN * np.exp(-convex), 0, 1)),
            float(np.clip(CIRCULARITY_MARGIN * np.exp(round_), 0, 1)))


@learner("irregular_shape", _objects, minimum=30, full=50)
def _irregular_shape(labels: list[Conventions], learnt: dict):
    min_area = max(learnt.get("object_size", {}).get("min_area", _default("irregular_shape", "min_area")),
                   SHAPE_AREA * float(np.median(np.concatenate([c.area for c in labels]))))
    judged = [c.area >= min_area for c in labels]
    solidity, circularity = shape_bounds([c.solidity[j] for c, j in zip(labels, judged)],
                                         [c.circularity[j] for c, j in zip(labels, judged)])
    return {"irregular_shape": {"min_solidity": solidity, "min_area": min_area, "min_circularity": circularity}}, 0


@learner("object_count", _one, minimum=10, full=20)
def _object_count(labels: list[Conventions], learnt: dict):
    groups = [(np.array([max(c.count, 1)], np.float64),) for c in labels]
    measured, dropped = bounded_influence(
        groups, lambda n: COUNT_MARGIN * winsorized_centre(n, LABEL_WINSORIZED))
    return {"object_count": {"max_count": measured}}, dropped


@learner("foreground_fraction", _one, minimum=10, full=20)
def _foreground_fraction(labels: list[Conventions], learnt: dict):
    groups = [(np.array([c.fraction]),) for c in labels if c.fraction > 0]
    low, dropped = bounded_influence(groups, lambda f: FRACTION_MARGIN[0] * winsorized_centre(f, LABEL_WINSORIZED))
    high, dropped_too = bounded_influence(
        groups, lambda f: min(1.0, FRACTION_MARGIN[1] * winsorized_centre(f, LABEL_WINSORIZED)))
    return {"foreground_fraction": {"min_fraction": low, "max_fraction": high}}, max(dropped, dropped_too)


@learner("background_intensity", lambda c: len(c.background_share), minimum=30, full=50)
def _background_intensity(labels: list[Conventions], learnt: dict):
    # The upper tail of the objects' background-like shares, each label weighing as one.
    highest = -label_lower_tail([-c.background_share for c in labels], SHAPE_TAIL, SHAPE_Z, 0.03)
    return {"background_intensity": {"max_background_fraction": float(np.clip(highest + BACKGROUND_MARGIN,
                                                                               0.05, 0.9))}}, 0


def claim_bound(labelled: np.ndarray, left_out: np.ndarray, min_spread: float) -> float:
    """The smallest relative measure (contrast or area) from which an
    unlabelled region is claimed as a missing object.

    Where the annotators consistently leave regions out that are dimmer (or
    smaller) than what they label, the bound sits between the two (geometric
    mean of the left-out regions' ``LEFT_OUT_QUANTILE`` and the labelled
    objects' 5 % quantile): those regions stop being claimed and deleted
    objects of the labelled kind still are. Where the left-out regions reach
    into the labelled ones' range the bound falls to its margin over
    ``CLAIM_RAMP`` of that quantile (a project that leaves out objects of
    the labelled kind cannot be told from a deleted one), so it moves
    continuously with the labels. It is never below ``CLAIM_MARGIN`` of the
    labelled objects' 5 % quantile.
    """
    low = lower_tail(labelled, 0.05, min_spread)
    if len(left_out) < MIN_LEFT_OUT or low <= 0:
        return CLAIM_MARGIN * low
    ratio = float(np.quantile(left_out, LEFT_OUT_QUANTILE)) / low
    # Continuous in the left-out regions' quantile, so one more label holding one more region moves the bound
    # a little, not from the geometric mean to the margin: above the labelled tail it fades out over CLAIM_RAMP.
    share = np.sqrt(max(ratio, 0.0)) if ratio < 1 else 1.0 - (1.0 - CLAIM_MARGIN) * (ratio - 1.0) / CLAIM_RAMP
    return max(float(share), CLAIM_MARGIN) * low


@learner("missed_objects", lambda c: int(len(c.labelled_contrast) > 0), minimum=10, full=20)
def _missed_objects(labels: list[Conventions], learnt: dict):
    groups = [(c.labelled_contrast, c.left_out_contrast, c.labelled_area, c.left_out_area)
              for c in labels if len(c.labelled_contrast)]
    # A wide spread floor: labelled objects of two brightnesses are a convention, not outliers. No label is
    # left out: the quantiles of the pooled regions already weigh each label by the regions it holds, and a
    # label with many left-out regions moves them more than 10 % without being wrong; leaving such labels out
    # would move the bound further than any one of them does.
    contrast, dropped = bounded_influence(groups, lambda lc, uc, la, ua: claim_bound(lc, uc, 0.25), max_dropped=0)
    area, dropped_too = bounded_influence(groups, lambda lc, uc, la, ua: claim_bound(la, ua, 0.25), max_dropped=0)
    values = {name: min(value, CLAIM_CEILING[name] * _default("missed_objects", name))
              for name, value in (("relative_contrast", contrast), ("relative_area", area))}
    # Both criteria that claim missing objects judge a region the same way.
    return {"missed_objects": dict(values), "prelabel_agreement": dict(values)}, max(dropped, dropped_too)


ROUNDING = {"min_area": 1, "min_solidity": 3, "min_circularity": 3, "min_fraction": 5, "max_fraction": 5,
            "max_background_fraction": 3, "relative_contrast": 3, "relative_area": 3}


def _blend(criterion: str, parameter: str, measured: float, weight: float):
    """The learnt value blended with the default by ``weight``, inside the
    parameter's range (so a calibration never makes a setting invalid)."""
    spec = next(p for p in CRITERIA.get(criterion).parameters if p.name == parameter)
    value = float(np.clip(weight * measured + (1 - weight) * spec.default,
                          -np.inf if spec.minimum is None else spec.minimum,
                          np.inf if spec.maximum is None else spec.maximum))
    return int(round(value)) if spec.type is int else round(value, ROUNDING.get(parameter, 3))


def learn_bounds(labels: Sequence[Conventions], min_images: int = MIN_IMAGES) -> Calibration:
    """Every learner's bounds from the labels' conventions (see the module's
    note); none below ``min_images`` labels and ``MIN_OBJECTS`` objects."""
    labels = list(labels)
    objects = sum(_objects(c) for c in labels)
    if (len(labels) < min_images and objects < MIN_OBJECTS) or objects == 0:
        return Calibration([], len(labels), objects, min_images)
    learnt: dict[str, dict[str, Any]] = {}
    dropped = {}
    for entry in LEARNERS.values():
        units = sum(entry.units(c) for c in labels)
        if units < entry.minimum:
            continue
        try:
            measured, dropped[entry.name] = entry.learn(labels, learnt)
        except ValueError:
            continue  # too little of what this learner measures (say, no object of plausible size): defaults stay
        weight = min(1.0, units / entry.full)
        for criterion, values in measured.items():
            learnt.setdefault(criterion, {}).update(
                {parameter: _blend(criterion, parameter, value, weight) for parameter, value in values.items()})
    return Calibration(list(learnt.items()), len(labels), objects, min_images, dropped=dropped)


def unresolved(label: np.ndarray, image: np.ndarray | None, settings: InspectionSettings) -> bool:
    """Whether ``label`` draws a warning or error from the :data:`CHECKED`
    criteria under ``settings``."""
    from labelassist.inspect.inspection import inspect_label

    report = inspect_label(label, image, overrides=[(name, {}) for name in CHECKED], only_listed=True,
                           compute_prelabel=False, settings=settings)
    return any(finding.severity in ("warning", "error") for finding in report.findings)


def calibrate(labels: Sequence[np.ndarray], images: Sequence[np.ndarray | None] = (),
              accepted: Sequence[bool] | None = None, settings: InspectionSettings | None = None,
              min_images: int = MIN_IMAGES) -> Calibration:
    """Bounds for the criteria from a project's labels.

    Parameters
    ----------
    labels : sequence of ndarray
        The project's labels not rejected (object ids > 0).
    images : sequence of ndarray, optional
        Their images (or None each), for the intensity criteria; without,
        those keep their defaults.
    accepted : sequence of bool, optional
        Per label, whether a reviewer accepted it; default: all were.
        A label not accepted counts only when it draws no warning from the
        criteria calibrated on all the labels (see the module's note).
    settings : InspectionSettings, optional
        The project's settings, over the calibration, for that check.
    min_images : int
        Labels needed before any bound moves (or ``MIN_OBJECTS`` objects).

    Returns
    -------
    Calibration
        The calibrated parameters (none below ``min_images``) and the counts.
    """
    labels = [np.asarray(label) for label in labels]
    images = list(images) + [None] * (len(labels) - len(images))
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images for {len(labels)} labels")
    accepted = [True] * len(labels) if accepted is None else [bool(a) for a in accepted]
    if len(accepted) != len(labels):
        raise ValueError(f"'accepted' has {len(accepted)} entries for {len(labels)} labels")
    # Measured once, for the conventions and for the check of each criterion on the labels.
    under = [LabelUnderInspection(label, image) for label, image in zip(labels, images)]
    conventions = [label_conventions(label) for label in under]
    first = learn_bounds(conventions, min_images)
    if all(accepted) or not first.criteria:
        return checked(first, under, settings)
    judged = first.under(settings)
    counted = [index for index, label in enumerate(labels)
               if accepted[index] or not unresolved(label, images[index], judged)]
    second = learn_bounds([conventions[index] for index in counted], min_images)
    return checked(Calibration(second.criteria, second.images, second.objects, min_images,
                               len(labels) - len(counted), second.dropped),
                   [under[index] for index in counted], settings)


def checked(calibration: Calibration, labels: Sequence[LabelUnderInspection],
            settings: InspectionSettings | None) -> Calibration:
    """``calibration`` with each criterion that still warns on too many of
    the labels it learnt from moved along its ladder or turned to hints (see
    :mod:`labelassist.inspect.alarm_share`)."""
    if not calibration.criteria:
        return calibration
    moved, shares = check_alarm_shares(with_prelabels(labels), calibration.under(settings))
    criteria = {name: dict(values) for name, values in calibration.criteria}
    for criterion, values in moved.items():
        criteria.setdefault(criterion, {}).update(values)
    return replace(calibration, criteria=list(criteria.items()), alarm_shares=shares)
