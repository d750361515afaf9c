"""Object-level bounds per object class: a project whose objects carry
classes (mitotic / interphase) learns the size, shape and intensity bounds
of each class from that class's objects, and judges each object by its own
class's bounds, since a "mitotic" object is smaller and brighter than an
"interphase" one and a bound of both together fits neither.

A class learns a criterion's bound with the project-wide learner (see
:mod:`labelassist.inspect.calibration`) once it holds that learner's
minimum of objects, blended with the project-wide bound until it holds the
learner's full evidence; a class with fewer objects, and an object without
a class, are judged by the project-wide bound. A class also learns bounds
the project-wide calibration leaves open, since a project's objects of
several classes span any size and brightness: the largest plausible object
and the range of plausible brightness (``object_brightness``). The criteria
measure each class's objects in the whole label (its background, its
other objects), so only whose bounds apply changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelassist.inspect.bounds import lower_tail, upper_tail
from labelassist.inspect.calibration import LEARNERS, ROUNDING, Calibration, size_bounds
from labelassist.inspect.conventions import Conventions, label_conventions
from labelassist.inspect.criteria import CRITERIA, LabelUnderInspection
from labelassist.inspect.criteria.by_class import CLASS_CRITERIA, class_members, class_view
from labelassist.inspect.criteria.image import object_contrast
from labelassist.inspect.settings import InspectionSettings

TAIL = 0.002  # the share of a class's inlying objects its largest-object bound may leave outside
MAX_AREA_MARGIN = 1.5  # the largest plausible object of a class: this many times its tail quantile
AREA_SPREAD = 0.05  # smallest robust spread of a class's areas assumed, as a share of their median
MIN_CLASS_OBJECTS = 30  # objects a class needs before it bounds the largest one and the brightness
# Plausible brightness of a class: these multiples of the tail quantiles of its objects' mean contrasts. Wide,
# since one class's brightness differs across images by exposure and staining.
BRIGHTNESS_MARGIN = (0.5, 1.6)
CONTRAST_SPREAD = 0.05  # smallest robust spread of a class's contrasts assumed, as a share of their median
# Robust deviations below a class's median area at which an object's area is held: one class is one kind of
# object, so a far smaller object labelled with it is a class slip (a class suspect), not a convention; the
# project-wide bound holds none, since a project may mix images of large and of small objects.
CLASS_SIZE_Z = 3.0
# Where a class learns a criterion other than with the project-wide learner.
CLASS_LEARN = {"object_size": lambda labels, learnt: (size_bounds(labels, CLASS_SIZE_Z), 0)}


@dataclass
class ClassObjects:
    """A class's objects in a project's labels: the conventions of each
    label's objects of the class, and the mean contrast of each whole
    object large enough for ``object_brightness`` (labels with images)."""
    conventions: list[Conventions] = field(default_factory=list)
    contrast: list[np.ndarray] = field(default_factory=list)


@dataclass(frozen=True)
class ClassBounds:
    """One class's learnt parameters (criterion -> parameters) and the
    objects they rest on."""
    criteria: dict[str, dict[str, Any]] = field(default_factory=dict)
    objects: int = 0


def class_objects(labels: Sequence[np.ndarray], images: Sequence[np.ndarray | None],
                  classes: Sequence[Mapping[int, str]]) -> dict[str, ClassObjects]:
    """Per class, what its objects in each label that holds any show (the
    conventions as :func:`~labelassist.inspect.conventions.label_conventions`
    measures them, and their brightness)."""
    out: dict[str, ClassObjects] = {}
    min_area = CRITERIA.get("object_brightness").bind({})["min_area"]
    for label, image, named in zip(labels, images, classes):
        if not named:
            continue
        whole = LabelUnderInspection(np.asarray(label), image)
        for name, ids in class_members(whole, named).items():
            if name is None:
                continue
            view = class_view(whole, ids)
            found = out.setdefault(name, ClassObjects())
            found.conventions.append(label_conventions(view))
            if image is not None and len(view.objects):
                found.contrast.append(object_contrast(view)[view.inner & (view.objects.area >= min_area)])
    return out


def _toward(criterion: str, parameter: str, measured: float, project: float, weight: float):
    """The class's value blended with the project-wide one by ``weight``,
    inside the parameter's range."""
    spec = next(p for p in CRITERIA.get(criterion).parameters if p.name == parameter)
    value = float(np.clip(weight * measured + (1 - weight) * project,
                          -np.inf if spec.minimum is None else spec.minimum,
                          np.inf if spec.maximum is None else spec.maximum))
    return int(round(value)) if spec.type is int else round(value, ROUNDING.get(parameter, 3))


def _largest_object(conventions: list[Conventions]) -> dict[str, float]:
    areas = np.concatenate([c.area for c in conventions]) if conventions else np.zeros(0)
    if len(areas) < MIN_CLASS_OBJECTS:
        return {}
    return {"max_area": round(MAX_AREA_MARGIN * upper_tail(areas, TAIL, AREA_SPREAD * float(np.median(areas))), 1)}


def _brightness(contrast: list[np.ndarray]) -> dict[str, float]:
    values = np.concatenate(contrast) if contrast else np.zeros(0)
    values = values[values > 0]
    if len(values) < MIN_CLASS_OBJECTS:
        return {}
    spread = CONTRAST_SPREAD * float(np.median(values))
    return {"min_contrast": round(BRIGHTNESS_MARGIN[0] * lower_tail(values, TAIL, spread), 2),
            "max_contrast": round(BRIGHTNESS_MARGIN[1] * upper_tail(values, TAIL, spread), 2)}


def learn_class_bounds(objects: Mapping[str, ClassObjects], project: Calibration | None = None
                       ) -> dict[str, ClassBounds]:
    """Each class's object-level bounds from what its objects show.

    Parameters
    ----------
    objects : mapping
        Class name -> its objects in the labels (see :func:`class_objects`).
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
    for name, found in objects.items():
        labels = found.conventions
        learnt: dict[str, dict[str, Any]] = {}
        for criterion in (c for c in CLASS_CRITERIA if c in LEARNERS):
            entry = LEARNERS[criterion]
            units = sum(entry.units(c) for c in labels)
            if units < entry.minimum:
                continue
            try:
                measured, _ = CLASS_LEARN.get(criterion, entry.learn)(labels, learnt)
            except ValueError:
                continue
            weight = min(1.0, units / entry.full)
            for target, values in measured.items():
                if target not in CLASS_CRITERIA:
                    continue
                defaults = {**CRITERIA.get(target).bind({}), **project_values.get(target, {})}
                learnt.setdefault(target, {}).update(
                    {p: _toward(target, p, v, defaults[p], weight) for p, v in values.items()})
        for criterion, values in (("object_size", _largest_object(labels)),
                                  ("object_brightness", _brightness(found.contrast))):
            if values:
                learnt.setdefault(criterion, {}).update(values)
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


__all__ = ["ClassBounds", "ClassObjects", "class_objects", "class_parameters", "learn_class_bounds"]
