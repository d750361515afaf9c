"""Object-level bounds per object class: a project whose objects carry
classes (mitotic / interphase) learns the size, shape and intensity bounds
of each class from that class's objects, and judges each object by its own
class's bounds, since a "mitotic" object is smaller and brighter than an
"interphase" one and a bound of both together fits neither.

A class learns a criterion's bound with the project-wide learner (see
:mod:`labelassist.inspect.calibration`) once it holds that learner's
minimum of objects, blended with the project-wide bound until it holds the
learner's full evidence; a class with fewer objects, and an object without
a class, are judged by the project-wide bound. A class also learns the
largest plausible object (a bound the project-wide calibration leaves
open: a project's objects of several classes span any size). The criteria
measure each class's objects in the whole label (its background, its
other objects), so only whose bounds apply changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelassist.inspect.bounds import upper_tail
from labelassist.inspect.calibration import LEARNERS, ROUNDING, Calibration
from labelassist.inspect.conventions import Conventions, label_conventions
from labelassist.inspect.criteria import CRITERIA, LabelUnderInspection
from labelassist.inspect.criteria.by_class import CLASS_CRITERIA, class_members, class_view
from labelassist.inspect.settings import InspectionSettings

TAIL = 0.002  # the share of a class's inlying objects its largest-object bound may leave outside
MAX_AREA_MARGIN = 1.5  # the largest plausible object of a class: this many times its tail quantile
AREA_SPREAD = 0.05  # smallest robust spread of a class's areas assumed, as a share of their median
MIN_MAX_AREA_OBJECTS = 30  # objects a class needs before it bounds the largest one


@dataclass(frozen=True)
class ClassBounds:
    """One class's learnt parameters (criterion -> parameters) and the
    objects they rest on."""
    criteria: dict[str, dict[str, Any]] = field(default_factory=dict)
    objects: int = 0


def class_conventions(labels: Sequence[np.ndarray], images: Sequence[np.ndarray | None],
                      classes: Sequence[Mapping[int, str]]) -> dict[str, list[Conventions]]:
    """Per class, the conventions (see
    :func:`~labelassist.inspect.conventions.label_conventions`) of its
    objects in each label that holds any."""
    out: dict[str, list[Conventions]] = {}
    for label, image, named in zip(labels, images, classes):
        if not named:
            continue
        whole = LabelUnderInspection(np.asarray(label), image)
        for name, ids in class_members(whole, named).items():
            if name is not None:
                out.setdefault(name, []).append(label_conventions(class_view(whole, ids)))
    return out


def _toward(criterion: str, parameter: str, measured: float, project: float, weight: float):
    """The class's value blended with the project-wide one by ``weight``,
    inside the parameter's range."""
    spec = next(p for p in CRITERIA.get(criterion).parameters if p.name == parameter)
    value = float(np.clip(weight * measured + (1 - weight) * project,
                          -np.inf if spec.minimum is None else spec.minimum,
                          np.inf if spec.maximum is None else spec.maximum))
    return int(round(value)) if spec.type is int else round(value, ROUNDING.get(parameter, 3))


def _largest_object(conventions: list[Conventions]) -> float | None:
    areas = np.concatenate([c.area for c in conventions]) if conventions else np.zeros(0)
    if len(areas) < MIN_MAX_AREA_OBJECTS:
        return None
    return round(MAX_AREA_MARGIN * upper_tail(areas, TAIL, AREA_SPREAD * float(np.median(areas))), 1)


def learn_class_bounds(conventions: Mapping[str, list[Conventions]], project: Calibration | None = None
                       ) -> dict[str, ClassBounds]:
    """Each class's object-level bounds from its objects' conventions.

    Parameters
    ----------
    conventions : mapping
        Class name -> the conventions of its objects, one per label (see
        :func:`class_conventions`).
    project : Calibration, optional
        The project-wide calibration a class's bound is blended with until
        the class has the learner's full evidence (the criteria's defaults
        where it has none).

    Returns
    -------
    dict
        Class name -> its bounds; a class with too few objects for any
        learner has none (it is judged by the project-wide bounds).
    """
    project_values = dict(project.criteria) if project is not None else {}
    out = {}
    for name, labels in conventions.items():
        learnt: dict[str, dict[str, Any]] = {}
        for criterion in CLASS_CRITERIA:
            entry = LEARNERS[criterion]
            units = sum(entry.units(c) for c in labels)
            if units < entry.minimum:
                continue
            try:
                measured, _ = entry.learn(labels, learnt)
            except ValueError:
                continue
            weight = min(1.0, units / entry.full)
            for target, values in measured.items():
                if target not in CLASS_CRITERIA:
                    continue
                defaults = {**CRITERIA.get(target).bind({}), **project_values.get(target, {})}
                learnt.setdefault(target, {}).update(
                    {p: _toward(target, p, v, defaults[p], weight) for p, v in values.items()})
        largest = _largest_object(labels)
        if largest is not None:
            learnt.setdefault("object_size", {})["max_area"] = largest
        if learnt:
            out[name] = ClassBounds(learnt, sum(len(c.area) for c in labels))
    return out


def class_parameters(bounds: Mapping[str, ClassBounds], calibration: Calibration | None,
                     explicit: InspectionSettings | None) -> dict[str, dict[str, dict[str, Any]]]:
    """Per class, the parameters of each criterion it learnt a bound of:
    the class's bounds over the project-wide calibration, under the
    project's explicit settings (which win, as over any calibration).

    Returns
    -------
    dict
        Class -> criterion -> parameters; criteria a class learnt nothing
        of are absent (its objects are judged by the project's).
    """
    project = dict(calibration.criteria) if calibration is not None else {}
    chosen = dict(explicit.criteria) if explicit is not None else {}
    return {name: {criterion: {**project.get(criterion, {}), **values, **chosen.get(criterion, {})}
                   for criterion, values in own.criteria.items()}
            for name, own in bounds.items()}


__all__ = ["ClassBounds", "class_conventions", "class_parameters", "learn_class_bounds"]
