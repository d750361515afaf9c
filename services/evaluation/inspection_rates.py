"""Inspection measured like a detector on any dataset folder: on each test
label as it is (false alarms, per label and per object) and with each kind
of planted error (detection), with the default criteria and calibrated on
the training split's labels; and the label-error ranking's average
precision, in-process with the bundled generalist U-Net.

A planted error counts as detected when a warning or error points at it (a
box overlapping what it changed) or when a finding without a place appears
that the clean label did not raise. A false alarm is a clean label with
any warning or error; at object level, each warned object, each box of a
missing-object claim and each finding without a place counts once. Info
findings are shown to the annotator but are neither.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from labelassist.evaluation.corruptions import BAD_LABELS, CORRUPTIONS, interior_ids
from labelassist.imaging.measures import instance_labels

ALARM = ("warning", "error")


def alarms(findings) -> list:
    return [f for f in findings if f.severity in ALARM]


def points_at(finding, region: np.ndarray, pad: int = 3) -> bool:
    for r0, c0, r1, c1 in finding.boxes:
        if region[max(r0 - pad, 0):r1 + pad, max(c0 - pad, 0):c1 + pad].any():
            return True
    return False


def detected(clean_findings, corrupted_findings, region: np.ndarray) -> bool:
    """Whether the corrupted label's inspection points at the planted error."""
    clean_global = {f.criterion for f in alarms(clean_findings) if not f.boxes}
    for finding in alarms(corrupted_findings):
        if finding.boxes and points_at(finding, region):
            return True
        if not finding.boxes and finding.criterion not in clean_global:
            return True
    return False


def warned_objects(findings) -> int:
    """Objects and places a label's warnings name (see the module's note)."""
    objects, places = set(), 0
    for finding in alarms(findings):
        if finding.object_ids:
            objects.update(finding.object_ids)
        else:
            places += max(len(finding.boxes), 1)
    return len(objects) + places


def inspection_rates(images: Sequence[np.ndarray], labels: Sequence[np.ndarray], inspect: Callable,
                     seed: int = 0, progress: Callable[[], None] = lambda: None) -> dict:
    """False alarms on the clean labels and detection of each planted error.

    ``inspect(label, image)`` returns findings (the criteria under test).
    Errors are planted only in labels with two objects away from the border.
    """
    rng = np.random.default_rng(seed)
    flagged = objects = warned = 0
    raised: dict[str, int] = {}
    hits = {kind: [0, 0] for kind in CORRUPTIONS}
    for image, label in zip(images, labels):
        label = instance_labels(label)
        clean = inspect(label, image)
        objects += len(np.unique(label[label > 0]))
        warned += warned_objects(clean)
        flagged += bool(alarms(clean))
        for finding in alarms(clean):
            raised[finding.criterion] = raised.get(finding.criterion, 0) + 1
        if len(interior_ids(label)) >= 2:
            for kind, corrupt in CORRUPTIONS.items():
                try:
                    corrupted, region = corrupt(label, rng)
                except ValueError:
                    continue  # no room for this kind in this label (a blob needs background)
                hits[kind][0] += detected(clean, inspect(corrupted, image), region)
                hits[kind][1] += 1
        progress()
    planted = sum(total for _, total in hits.values())
    return {"labels": len(labels), "flagged_labels": flagged, "objects": objects, "warned_objects": warned,
            "raised": raised, "detected": {kind: {"found": found, "planted": total} for kind, (found, total)
                                           in hits.items()},
            "detection": sum(found for found, _ in hits.values()) / max(planted, 1)}


def bad_labels(labels: Sequence[np.ndarray], count: int, seed: int = 0) -> list[tuple[int, np.ndarray]]:
    """``count`` of ``labels`` each with an error planted, the kinds of
    :data:`~labelassist.evaluation.corruptions.BAD_LABELS` in turn (labels
    with no room for one are skipped), as (position in ``labels``, bad label)."""
    rng = np.random.default_rng(seed)
    kinds, bad = list(BAD_LABELS.values()), []
    for position, label in enumerate(labels):
        if len(bad) == count:
            break
        label = instance_labels(label)
        if len(interior_ids(label)) < 2:
            continue
        try:
            bad.append((position, kinds[len(bad) % len(kinds)](label, rng)[0]))
        except ValueError:
            continue
    return bad


def dismissed_warnings(images: Sequence[np.ndarray], labels: Sequence[np.ndarray], inspect: Callable,
                       count: int) -> list:
    """Up to ``count`` warnings the clean ``labels`` draw, each answered "not
    an error" as an annotator would (criterion, measured value, bound), in the
    form a project's answers take (see :mod:`labelassist.inspect.answers`)."""
    from types import SimpleNamespace

    answers = []
    for image, label in zip(images, labels):
        for finding in alarms(inspect(instance_labels(label), image)):
            if len(answers) == count:
                return answers
            answers.append(SimpleNamespace(criterion=finding.criterion, measured=finding.measured,
                                           bound=finding.bound, outcome="not_an_error", review="", undone_by=""))
    return answers


def bound_moves(reference: Sequence[tuple[str, dict]], other: Sequence[tuple[str, dict]]) -> dict[str, float]:
    """Per calibrated parameter ("criterion.parameter"), how far ``other``
    moved it from ``reference``, as a share of the reference value (numbers
    only: a criterion turned to hints is a severity, reported apart). A
    parameter one of them leaves unset is at its default there: a criterion
    only ``other`` moves along its ladder has moved from its defaults."""
    from labelassist.inspect.criteria import CRITERIA

    def numbers(criteria):
        return {(name, key): value for name, values in criteria for key, value in values.items()
                if isinstance(value, (int, float)) and not isinstance(value, bool)}

    def default(name, key):
        return CRITERIA.get(name).bind({}).get(key) if name in CRITERIA else None

    before, after = numbers(reference), numbers(other)
    moves = {}
    for name, key in sorted(before.keys() | after.keys()):
        first, second = before.get((name, key), default(name, key)), after.get((name, key), default(name, key))
        if isinstance(first, (int, float)) and isinstance(second, (int, float)):
            moves[f"{name}.{key}"] = abs(second - first) / max(abs(first), 1e-12)
    return moves


def ranking_in_process(stems: Sequence[str], images: Sequence[np.ndarray], labels: Sequence[np.ndarray],
                       settings, probability: Callable, share: float, seed: int,
                       progress: Callable[[], None] = lambda: None) -> dict:
    """The label-error ranking's average precision with errors planted in
    ``share`` of the labels, scored as inspect scores them (the same core,
    in-process); see :mod:`labelassist.evaluation.label_error_ranking`."""
    from labelassist.client.results import Box, LabelErrorRanking, SuspectedError
    from labelassist.evaluation.label_error_ranking import measure_ranking, plant_errors
    from labelassist.inspect.ranking import LabelRanking

    planted_labels, planted = plant_errors(stems, [instance_labels(label) for label in labels], share, seed)
    ranking = LabelRanking(probability, settings, skip=())
    for stem, image, label in zip(stems, images, planted_labels):
        ranking.add(stem, lambda: (label, image))
        progress()
    ranked = ranking.ranked()
    suspects = [SuspectedError(0, stem, 1, s.score, s.signals, s.reason, s.object_id,
                               Box(tuple(s.box[:2]), tuple(s.box[2:]))) for stem, s in ranked.suspects]
    rows = [(0, stem, 1, score, count) for stem, score, count in ranked.labels]
    return measure_ranking(LabelErrorRanking(suspects, rows, "generalist", 0, None, []), planted)


def write_outputs(results: dict, out: Path, command: str, machine: dict) -> list[Path]:
    """results.json and results.md."""
    out.mkdir(parents=True, exist_ok=True)
    results = {**results, "command": command, "machine": machine}
    (out / "results.json").write_text(json.dumps(results, indent=2))
    runs = results["runs"]
    kinds = list(CORRUPTIONS)
    lines = ["# Label inspection as a detector", "", results["description"], "",
             "| criteria | clean labels with warnings | clean objects with warnings | "
             + " | ".join(kinds) + " | detection | ranking AP (places / labels) |",
             "|---|---:|---:|" + "---:|" * len(kinds) + "---:|---:|"]
    for run in runs:
        rates = run["rates"]
        cells = [f"{rates['flagged_labels']}/{rates['labels']} = {rates['flagged_labels'] / max(rates['labels'], 1):.1%}",
                 f"{rates['warned_objects']}/{rates['objects']} = "
                 f"{rates['warned_objects'] / max(rates['objects'], 1):.2%}"]
        cells += [f"{d['found']}/{d['planted']}" for d in (rates["detected"][kind] for kind in kinds)]
        cells.append(f"{rates['detection']:.1%}")
        ranking = run.get("ranking")
        cells.append(f"{ranking['average_precision']:.3f} / {ranking['label_average_precision']:.3f}"
                     if ranking else "-")
        lines.append(f"| {run['criteria']} | " + " | ".join(cells) + " |")
    lines += [""] + [f"Warnings on clean labels, {run['criteria']}: "
                     + (", ".join(f"{k} {v}" for k, v in sorted(run["rates"]["raised"].items())) or "none") + "."
                     for run in runs]
    for run in runs:
        checked = run.get("alarm_shares") or {}
        changed = [f"{criterion} {share['before']:.0%} → " + ("hints only" if share["step"] < 0 else
                                                              f"{share['after']:.0%} (step {share['step']:g})")
                   + (f", {share['slips']} label(s) no step quietens left out as slips" if share.get("slips") else "")
                   for criterion, share in checked.items() if share["step"] or share.get("slips")]
        if checked:
            lines.append(f"Criteria checked on the accepted labels, {run['criteria']} (share of them warned): "
                         + ("; ".join(changed) or "every criterion within its share") + ".")
    moved = [run for run in runs if "bound_moves" in run]
    if moved:
        references = list(moved[0]["bound_moves"])
        lines += ["", "Robustness: calibration on good labels with bad ones among them; the largest move of any "
                  "calibrated bound (a parameter one calibration leaves at its default counted at it), against "
                  + " and against ".join(f"the {reference}" for reference in references) + ":", "",
                  "| calibration | " + " | ".join(f"largest move against the {reference} (parameter)"
                                                   for reference in references) + " |",
                  "|---|" + "---:|" * len(references)]
        for run in moved:
            worst = [max(run["bound_moves"][reference].items(), key=lambda item: item[1], default=("-", 0.0))
                     for reference in references]
            lines.append(f"| {run['criteria']} | " + " | ".join(f"{move:.1%} ({parameter})"
                                                              for parameter, move in worst) + " |")
    lines += ["", f"Machine: {machine['cpus']} CPUs, {machine['processor']}, Python {machine['python']}; "
              f"{results['seconds']:.0f} s.", f"Command: `{command}`", ""]
    (out / "results.md").write_text("\n".join(lines))
    return [out / "results.json", out / "results.md"]
