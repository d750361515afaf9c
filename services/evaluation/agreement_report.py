"""Agreement between annotators over a project: every pair of annotators'
labels of each sample, summarised per sample, per annotator and for the
project with bootstrap intervals, and written as JSON and a table."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np

from labelassist.imaging.agreement import mean_interval, pair_agreement
from labelassist.imaging.class_agreement import ClassCounts, class_agreement, class_counts, pooled_class_agreement

MEASURES = ("f1", "mean_matched_iou", "boundary_f1", "panoptic_quality")


def agreement_report(labels: dict[str, dict[str, np.ndarray]], tolerance: float = 2.0,
                     classes: dict[str, dict[str, dict]] | None = None) -> dict:
    """Agreement of every pair of annotators on every sample they both labelled.

    Parameters
    ----------
    labels : dict
        sample name -> {annotator -> label image}; samples with fewer than
        two annotators are counted but not compared.
    tolerance : float
        Outline tolerance in pixels (boundary F1).
    classes : dict, optional
        sample name -> {annotator -> that label's classes ({"objects":
        {"<id>": name}, "image": [...]})}: with any, the report has
        "classes" (:func:`class_report`).

    Returns
    -------
    dict
        "pairs" (sample, annotators and every measure), "samples" (the mean
        of its pairs), "annotators" (each one's mean agreement with the
        others and its interval), "project" (mean and 95 % interval of each
        measure over samples), "compared" and "single" sample counts.
    """
    pairs = []
    for sample, by_annotator in labels.items():
        for first, second in itertools.combinations(sorted(by_annotator), 2):
            measured = pair_agreement(by_annotator[first], by_annotator[second], tolerance).as_dict()
            pairs.append({"sample": sample, "annotators": [first, second], **measured})
    samples = {}
    for sample in dict.fromkeys(p["sample"] for p in pairs):
        own = [p for p in pairs if p["sample"] == sample]
        samples[sample] = {m: _mean([p[m] for p in own]) for m in MEASURES}
    annotators = {}
    for name in sorted({a for p in pairs for a in p["annotators"]}):
        own = [p for p in pairs if name in p["annotators"]]
        annotators[name] = {"pairs": len(own), **{m: _interval([p[m] for p in own]) for m in MEASURES}}
    project = {m: _interval([s[m] for s in samples.values()]) for m in MEASURES}
    report = {"tolerance": tolerance, "compared": len(samples),
              "single": sum(1 for by_annotator in labels.values() if len(by_annotator) < 2),
              "project": project, "annotators": annotators, "samples": samples, "pairs": pairs}
    if classes and any(c for by_annotator in classes.values() for c in by_annotator.values()):
        report["classes"] = class_report(labels, classes)
    return report


def class_report(labels: dict[str, dict[str, np.ndarray]], classes: dict[str, dict[str, dict]]) -> dict:
    """Class agreement over a project: "objects" (every pair's matched
    objects pooled, Cohen's kappa of the pooled pairs and Krippendorff's
    alpha over every annotator of each object), "images" (image classes,
    :func:`~labelassist.imaging.class_agreement.image_class_agreement`) and
    "pairs" (each pair of annotators' object classes over the samples both
    labelled, with Cohen's kappa) and "annotators" (each one's against
    everyone they share samples with, they the first rater)."""
    by_pair, by_annotator_counts = {}, {}
    for sample, by_annotator in labels.items():
        names = sorted(by_annotator)
        given = classes.get(sample, {})
        if len(names) < 2:
            continue
        for first, second in itertools.combinations(names, 2):
            counts = class_counts(by_annotator[first], given.get(first, {}), by_annotator[second],
                                  given.get(second, {}))
            by_pair[f"{first} & {second}"] = by_pair.get(f"{first} & {second}", ClassCounts()) + counts
            by_annotator_counts[first] = by_annotator_counts.get(first, ClassCounts()) + counts
            by_annotator_counts[second] = by_annotator_counts.get(second, ClassCounts()) + counts.swapped()
    objects, images = pooled_class_agreement(
        ([by_annotator[n] for n in sorted(by_annotator)], 
         [classes.get(sample, {}).get(n, {}) for n in sorted(by_annotator)])
        for sample, by_annotator in labels.items() if len(by_annotator) >= 2)
    return {"objects": objects.as_dict(), "images": images.as_dict(),
            "pairs": {pair: class_agreement(counts).as_dict() for pair, counts in by_pair.items()},
            "annotators": {name: class_agreement(counts).as_dict()
                           for name, counts in sorted(by_annotator_counts.items())}}


def _mean(values) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def _interval(values) -> dict | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    mean, low, high = mean_interval(present)
    return {"mean": mean, "low": low, "high": high}


def agreement_table(report: dict) -> str:
    """The report as the lines a person reads: the project, then each annotator."""
    def cell(value) -> str:
        return "-" if value is None else f"{value['mean']:.3f} [{value['low']:.3f}, {value['high']:.3f}]"

    header = f"{'':<20} {'pairs':>5}  " + "  ".join(f"{m:<24}" for m in MEASURES)
    lines = [f"{report['compared']} samples labelled by two or more annotators, {report['single']} by one; "
             f"outline tolerance {report['tolerance']:g} px; mean [95 % interval]", header]
    lines.append(f"{'project':<20} {len(report['pairs']):>5}  "
                 + "  ".join(f"{cell(report['project'][m]):<24}" for m in MEASURES))
    for name, summary in report["annotators"].items():
        lines.append(f"{name:<20} {summary['pairs']:>5}  " + "  ".join(f"{cell(summary[m]):<24}" for m in MEASURES))
    if "classes" in report:
        lines += class_table(report["classes"])
    return "\n".join(lines)


def _number(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def class_table(classes: dict) -> list[str]:
    """The class part of the table: kappa and alpha, then per class."""
    lines = []
    for kind, what in (("objects", "object classes of matched objects"), ("images", "image classes")):
        found = classes[kind]
        if not found["compared"]:
            continue
        lines += ["", f"{what}: {found['compared']} compared, observed {_number(found['observed'])}, "
                      f"kappa {_number(found['kappa'])}, Krippendorff's alpha {_number(found['alpha'])}",
                  f"{'class':<20} {'objects':>7}  {'agreement F1':>12}  {'detection F1':>12}"]
        lines += [f"{name:<20} {score['objects']:>7}  {_number(score['agreement_f1']):>12}  "
                  f"{_number(score['detection_f1']):>12}" for name, score in found["classes"].items()]
    for who, found in [*classes["pairs"].items(), *classes["annotators"].items()]:
        if found["compared"]:
            lines.append(f"{who}: kappa {_number(found['kappa'])} over {found['compared']} matched objects")
    return lines


def write_agreement(report: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    return path
