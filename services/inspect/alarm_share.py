"""Each criterion checked on the accepted labels it was calibrated on: a
criterion that still warns on more than :data:`ALARM_SHARE` of them warns
about this project's conventions, not its errors, and an annotator who sees
it on one good label in five learns to click through every warning.

Such a criterion is made less sensitive along its ladder (:data:`LADDERS`:
the parameters that decide how far a measurement must lie beyond its
bound, and by how much each step moves them): to the position, in steps
and parts of one, from which no more than that share of the accepted
labels warn, and as far again (at most one step more), so the project's
next labels of the same convention fall quiet too. A label no step
quietens lies as far past the bound as the ladder reaches: a slip (a
merged pair that slipped through review), left out of the count while it
alone would move that position by more than a tenth of a parameter's
value, and still warned about. Where no position gets there
(a classical pre-label that does not fit the project's images, say) the
criterion speaks in hints only (severity "info") for the project. The
accepted labels are correct by the project's own standard, so every
warning on them is a false alarm: the share is the criterion's false-alarm
rate on the project, measured before an annotator sees a single one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from labelassist.imaging import segmentation
from labelassist.inspect.bounds import MAX_DROPPED, MAX_SHIFT
from labelassist.inspect.criteria import CRITERIA, LabelUnderInspection
from labelassist.inspect.precision import judge_findings
from labelassist.inspect.settings import InspectionSettings

ALARM_SHARE = 0.05  # the most accepted labels, as a share, one criterion may warn on
# Warned labels always tolerated: a few that slipped through review with an error (a merged pair) draw the
# warning that finds it, and must not quieten it; a convention recurs on more.
SLIPS = 3
MIN_LABELS = 10  # accepted labels (with images, for the criteria that read them) before a criterion is checked
STEPS = 4  # the most steps along a ladder before the criterion turns to hints
HALVINGS = 7  # bisections finding where along the ladder a label falls quiet (to 1/32 of a step)


@dataclass(frozen=True)
class Rung:
    """How one parameter moves per step: ``value * factor ** step``, or for
    a bound on a share of a whole (``of_whole``) its shortfall from 1 scaled
    so: ``1 - (1 - value) * factor ** step`` (solidity 0.8 with factor 1.25:
    0.75, 0.69, ...); never past ``limit``, beyond which the criterion would
    miss the very error it is for (a missing object as bright as those
    labelled, a hole a brush punches), so a criterion still too loud there
    turns to hints instead."""
    parameter: str
    factor: float
    of_whole: bool = False
    limit: float | None = None

    def at(self, value: float, step: float) -> float:
        moved = 1.0 - (1.0 - value) * self.factor ** step if self.of_whole else value * self.factor ** step
        if self.limit is None:
            return moved
        return max(value, min(moved, self.limit)) if moved >= value else min(value, max(moved, self.limit))


# Criterion -> the rungs of its ladder; a criterion not listed is not checked.
# Only criteria whose false alarms are conventions the learnt bounds cannot capture: what a project leaves
# unlabelled, how its outlines sit on the image, what its pre-label finds. The size, shape and count bounds are
# learnt robustly from the labels (see labelassist.inspect.calibration), and fragments and holes are slips, not
# conventions: a few labels that slipped through with them must not quieten them.
# The limits: a deleted object of the labelled kind (its region as bright as 0.8 of the typical object, and 0.6
# of its area once opened) is still claimed; a merged pair 2.5 times the typical object with a seam 0.6 deep,
# an outline shifted by a third of its width (offset about 0.3) are still found.
LADDERS: dict[str, tuple[Rung, ...]] = {
    "prelabel_agreement": (Rung("min_dice", 0.85, limit=0.4), Rung("relative_contrast", 1.3, limit=0.8),
                           Rung("relative_area", 1.3, limit=0.6)),
    "background_intensity": (Rung("max_background_fraction", 0.8, of_whole=True, limit=0.6),
                             Rung("min_edge_contrast", 0.7)),
    "missed_objects": (Rung("relative_contrast", 1.3, limit=0.8), Rung("relative_area", 1.3, limit=0.6)),
    "outline_offset": (Rung("max_offset", 1.12, limit=0.28),),
    "merged_objects": (Rung("min_dip", 1.3, limit=0.6), Rung("min_unpinched_dip", 1.3, limit=1.0),
                       Rung("min_relative_area", 1.15, limit=2.5), Rung("min_piece_area", 1.3)),
}
HINTS = -1  # the step recorded for a criterion that no step of its ladder quietens


@dataclass(frozen=True)
class AlarmShare:
    """What the check found for one criterion: the share of the accepted
    labels it warned on as calibrated, the share at the position taken, that
    position in steps (0: as calibrated; :data:`HINTS`: hints only), the
    labels judged and the warned ones left out of the count as slips (see
    :func:`robust_position`)."""
    before: float
    after: float
    step: float
    labels: int
    slips: int = 0


def on_ladder(criterion: str, values: Mapping[str, object], step: float) -> dict[str, object]:
    """``values`` (a criterion's bound parameters) ``step`` steps along its
    ladder, inside each parameter's range."""
    entry = CRITERIA.get(criterion)
    bound = entry.bind(values)
    moved = {}
    for rung in LADDERS[criterion]:
        spec = next(p for p in entry.parameters if p.name == rung.parameter)
        value = float(np.clip(rung.at(float(bound[rung.parameter]), step),
                              -np.inf if spec.minimum is None else spec.minimum,
                              np.inf if spec.maximum is None else spec.maximum))
        moved[rung.parameter] = int(np.ceil(value)) if spec.type is int else round(value, 4)
    return moved


def _warns(criterion: str, label: LabelUnderInspection, values: Mapping[str, object], min_confidence: float) -> bool:
    entry = CRITERIA.get(criterion)
    findings = entry.function(label, **entry.bind(values))
    judge_findings(findings, None, min_confidence)
    return any(finding.severity in ("warning", "error") for finding in findings)


def quiet_from(criterion: str, label: LabelUnderInspection, values: Mapping[str, object],
               min_confidence: float) -> float:
    """The least position along the criterion's ladder, in steps (not
    whole ones), from which ``label`` draws no warning: 0 where it draws
    none as calibrated, inf where :data:`STEPS` steps do not quieten it."""
    def warns(step: float) -> bool:
        return _warns(criterion, label, {**values, **on_ladder(criterion, values, step)}, min_confidence)

    if not warns(0.0):
        return 0.0
    if warns(STEPS):
        return np.inf
    quiet, loud = float(STEPS), 0.0
    for _ in range(HALVINGS):
        middle = (quiet + loud) / 2
        quiet, loud = (middle, loud) if not warns(middle) else (quiet, middle)
    return quiet


def ladder_position(quiet: Sequence[float], allowed: int) -> float:
    """The least position at which no more than ``allowed`` of the labels
    (each given by :func:`quiet_from`) still warn, moved on by as much
    again, by at most one step: the labels of a convention spread around
    it, and the project's next labels must fall quiet too."""
    if len(quiet) <= allowed:
        return 0.0
    position = float(np.sort(quiet)[::-1][allowed])
    return position + min(position, 1.0)


def ladder_move(criterion: str, values: Mapping[str, object], position: float, other: float) -> float:
    """The largest move of a ladder parameter from ``other`` to ``position``,
    as a share of its value at ``other`` (inf to or from hints)."""
    if position == other:
        return 0.0
    if np.isinf(position) or np.isinf(other):
        return np.inf
    at, reference = on_ladder(criterion, values, position), on_ladder(criterion, values, other)
    return max(abs(float(at[name]) - float(value)) / max(abs(float(value)), 1e-9)
               for name, value in reference.items())


def robust_position(criterion: str, values: Mapping[str, object], quiet: Sequence[float], allowed: int,
                    max_shift: float = MAX_SHIFT, max_dropped: float = MAX_DROPPED) -> tuple[float, int]:
    """The :func:`ladder_position` of the labels, with the labels no step
    quietens left out, one at a time, while leaving one out moves it by more
    than ``max_shift`` of a parameter (at most ``max_dropped`` of them).

    A convention warns on many labels just past the bound, that fall quiet
    close together along the ladder. A warning no step quietens lies as far
    past the bound as the ladder reaches: a slip (a merged pair that slipped
    through review), which the criterion is for and must keep finding. A few
    such labels must not tip the count and move the bounds a step for all
    labels; many of them still turn the criterion to hints (inf), since one
    left out then moves nothing.

    Returns
    -------
    position : float
        Steps along the ladder (inf: hints only).
    dropped : int
        Labels left out.
    """
    warned = sorted((q for q in quiet if q > 0), reverse=True)
    position, dropped = ladder_position(warned, allowed), 0
    while warned and np.isinf(warned[0]) and dropped < int(max_dropped * len(quiet)):
        without = ladder_position(warned[1:], allowed)
        if ladder_move(criterion, values, position, without) <= max_shift:
            break
        warned, position, dropped = warned[1:], without, dropped + 1
    return position, dropped


def with_prelabels(labels: Sequence[LabelUnderInspection],
                   prelabel: Callable[[np.ndarray], np.ndarray] = segmentation.default_prelabel
                   ) -> list[LabelUnderInspection]:
    """The accepted labels with ``prelabel`` of their images (the default
    pre-label, which inspection compares with when no source is named) for
    the agreement check, where they have none yet."""
    for label in labels:
        if label.image is not None and label.prelabel is None:
            label.prelabel = prelabel(label.image)
    return list(labels)


def check_alarm_shares(labels: Sequence[LabelUnderInspection], settings: InspectionSettings,
                       share: float = ALARM_SHARE, min_labels: int = MIN_LABELS
                       ) -> tuple[dict[str, dict[str, object]], dict[str, AlarmShare]]:
    """Each laddered criterion judged on the accepted ``labels`` under
    ``settings`` (the calibrated ones) and moved along its ladder until it
    warns on at most ``share`` of them or :data:`SLIPS` labels, whichever is
    more, and as far again (see :func:`ladder_position`), no label that no
    step quietens moving it by more than ``MAX_SHIFT`` (see
    :func:`robust_position`).

    Parameters
    ----------
    labels : sequence of LabelUnderInspection
        The accepted labels (see :func:`with_prelabels`).
    settings : InspectionSettings
        The calibrated settings the criteria are judged by.
    share : float
        The most labels, as a share, a criterion may warn on.
    min_labels : int
        Labels a criterion must be judged on before it is checked (criteria
        that read the image count the labels with one).

    Returns
    -------
    parameters : dict
        criterion -> the parameters the check moved (the ladder's, or
        ``{"severity": "info"}`` for hints only); absent where unchanged.
    shares : dict
        criterion -> :class:`AlarmShare`, for every criterion checked.
    """
    if not 0.0 <= share < 1.0:
        raise ValueError(f"'share' is {share}; it must lie between 0 and 1")
    calibrated = {name: dict(values) for name, values in settings.criteria}
    moved, shares = {}, {}
    for criterion in LADDERS:
        if criterion in settings.disabled:
            continue
        family = CRITERIA.get(criterion).family
        judged = [label for label in labels
                  if label.image is not None or family not in ("intensity", "agreement")]
        if len(judged) < min_labels:
            continue
        allowed = max(SLIPS, int(np.floor(share * len(judged))))
        values = calibrated.get(criterion, {})
        loud = [label for label in judged if _warns(criterion, label, values, settings.min_confidence)]
        first, quiet, position, slips = len(loud), [], 0.0, 0
        if first > allowed:  # where along the ladder each warned label falls quiet: only when the criterion moves
            quiet = [quiet_from(criterion, label, values, settings.min_confidence) for label in loud]
            quiet += [0.0] * (len(judged) - first)
            position, slips = robust_position(criterion, values, quiet, allowed)
        if np.isinf(position):
            step, warned = HINTS, 0
            moved[criterion] = {"severity": "info"}
        else:
            # At most STEPS along, once the labels' influence is bounded: capped before, the cap would hide it.
            position = min(position, float(STEPS))
            step, warned = round(position, 2), sum(q > position for q in quiet) if position else first
            if position:
                moved[criterion] = on_ladder(criterion, values, position)
        shares[criterion] = AlarmShare(first / len(judged), warned / len(judged), step, len(judged), slips)
    return moved, shares
