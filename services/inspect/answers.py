"""Bounds moved by a project's answers: when enough findings of one
criterion on the same side of its bound were false alarms (answered "not
an error", or kept at submit and accepted by a reviewer), the bound moves
just past their median measured value, so findings like those stop being
warnings. A reviewer who takes answers back moves it back (answers taken
back do not count). Findings judged by an object class's own bounds
(inspection by class) move that class's bound; the others, the
project-wide one."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace
from statistics import median

from labelassist.inspect.calibration import Calibration
from labelassist.inspect.class_bounds import ClassBounds
from labelassist.inspect.criteria import CRITERIA
from labelassist.inspect.precision import answer_verdict

MIN_ANSWERS = 3  # standing answers on one side of a criterion's bound before it moves
NUDGE = 0.05  # the bound moves this share past the median answered value
# Criterion -> (the parameter a finding below its bound is about, the one a finding above it is about).
ANSWERED_PARAMETERS = {
    "object_size": ("min_area", "max_area"),
    "irregular_shape": ("min_solidity", None),
    "object_count": ("min_count", "max_count"),
    "foreground_fraction": ("min_fraction", "max_fraction"),
    "fragments": (None, "max_fragments"),
    "background_intensity": (None, "max_background_fraction"),
    "missed_objects": (None, "min_area"),
}


def answered_bounds(answers: Iterable, min_answers: int = MIN_ANSWERS) -> dict[str, dict[str, float]]:
    """The bounds a project's answers move, per criterion.

    Parameters
    ----------
    answers : iterable
        Answers with ``criterion``, ``measured``, ``bound``, ``undone_by``
        (empty while the answer stands) and, optionally, ``outcome`` and
        ``review``; only false alarms count (see
        :func:`~labelassist.inspect.precision.answer_verdict`).
    min_answers : int
        Standing answers on one side of a bound before it moves.

    Returns
    -------
    dict
        criterion -> {parameter: value past the median answered value}.
    """
    sides: dict[tuple[str, str], list[float]] = {}
    for answer in answers:
        if answer.undone_by or answer.criterion not in ANSWERED_PARAMETERS:
            continue
        if answer_verdict(getattr(answer, "outcome", ""), getattr(answer, "review", "")) != "false_alarm":
            continue
        below, above = ANSWERED_PARAMETERS[answer.criterion]
        parameter = below if answer.measured < answer.bound else above
        if parameter is not None:
            sides.setdefault((answer.criterion, parameter), []).append(float(answer.measured))
    moved: dict[str, dict[str, float]] = {}
    for (criterion, parameter), values in sides.items():
        if len(values) < min_answers:
            continue
        spec = next(p for p in CRITERIA.get(criterion).parameters if p.name == parameter)
        lower = parameter == ANSWERED_PARAMETERS[criterion][0]
        value = median(values) * (1 - NUDGE if lower else 1 + NUDGE)
        if spec.type is int:
            value = math.floor(value) if lower else math.ceil(value)
        value = min(max(value, spec.minimum if spec.minimum is not None else value),
                    spec.maximum if spec.maximum is not None else value)
        moved.setdefault(criterion, {})[parameter] = value
    return moved


def _relaxed(criterion: str, parameter: str, existing: float | None, answered: float) -> float:
    """Answers only ever relax a bound: one already past them stays."""
    existing = CRITERIA.get(criterion).bind({})[parameter] if existing is None else existing
    lower = parameter == ANSWERED_PARAMETERS[criterion][0]
    return min(existing, answered) if lower else max(existing, answered) if existing else answered


def _class_of(answer) -> str:
    return getattr(answer, "object_class", "") or ""


def with_answers(calibration: Calibration, answers: Iterable, min_answers: int = MIN_ANSWERS) -> Calibration:
    """``calibration`` with the bounds the answers to its project-wide
    findings move (see :func:`answered_bounds`) over its calibrated ones."""
    moved = answered_bounds([a for a in answers if not _class_of(a)], min_answers)
    if not moved:
        return calibration
    criteria = {name: dict(values) for name, values in calibration.criteria}
    for criterion, values in moved.items():
        current = criteria.setdefault(criterion, {})
        for parameter, value in values.items():
            current[parameter] = _relaxed(criterion, parameter, current.get(parameter), value)
    return replace(calibration, criteria=list(criteria.items()))


def with_class_answers(bounds: Mapping[str, ClassBounds], answers: Iterable, project: Calibration | None,
                       min_answers: int = MIN_ANSWERS) -> dict[str, ClassBounds]:
    """Each class's bounds with those the answers to findings by its own
    bounds move (as :func:`with_answers` for the project); a parameter the
    class did not learn starts from ``project``'s (the bound that judged
    the class's objects)."""
    by_class: dict[str, list] = {}
    for answer in answers:
        if _class_of(answer) in bounds:
            by_class.setdefault(_class_of(answer), []).append(answer)
    project_values = dict(project.criteria) if project is not None else {}
    out = dict(bounds)
    for name, given in by_class.items():
        moved = answered_bounds(given, min_answers)
        if not moved:
            continue
        criteria = {criterion: dict(values) for criterion, values in bounds[name].criteria.items()}
        for criterion, values in moved.items():
            current = criteria.setdefault(criterion, {})
            for parameter, value in values.items():
                existing = current.get(parameter, project_values.get(criterion, {}).get(parameter))
                current[parameter] = _relaxed(criterion, parameter, existing, value)
        out[name] = replace(bounds[name], criteria=criteria)
    return out
