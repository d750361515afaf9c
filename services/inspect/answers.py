"""Bounds moved by a project's answers: when enough findings of one
criterion on the same side of its bound were false alarms (answered "not
an error", or kept at submit and accepted by a reviewer), the bound moves
just past their median measured value, so findings like those stop being
warnings. A reviewer who takes answers back moves it back (answers taken
back do not count)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from statistics import median

from labelassist.inspect.calibration import Calibration
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


def with_answers(calibration: Calibration, answers: Iterable, min_answers: int = MIN_ANSWERS) -> Calibration:
    """``calibration`` with the bounds the answers move (see
    :func:`answered_bounds`) over its calibrated ones."""
    moved = answered_bounds(answers, min_answers)
    if not moved:
        return calibration
    criteria = {name: dict(values) for name, values in calibration.criteria}
    for criterion, values in moved.items():
        current = criteria.setdefault(criterion, {})
        for parameter, value in values.items():
            lower = parameter == ANSWERED_PARAMETERS[criterion][0]
            # Answers only ever relax a bound: a calibrated bound already past them stays.
            existing = current.get(parameter, CRITERIA.get(criterion).bind({})[parameter])
            current[parameter] = min(existing, value) if lower else max(existing, value) if existing else value
    return replace(calibration, criteria=list(criteria.items()))
