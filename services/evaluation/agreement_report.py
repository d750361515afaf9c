"""Agreement between annotators over a project: every pair of annotators'
labels of each sample, summarised per sample, per annotator and for the
project with bootstrap intervals, and written as JSON and a table."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np

from labelassist.imaging.agreement import mean_interval, pair_agreement

MEASURES = ("f1", "mean_matched_iou", "boundary_f1", "panoptic_quality")


def agreement_report(labels: dict[str, dict[str, np.ndarray]], tolerance: float = 2.0) -> dict:
    """Agreement of every pair of annotators on every sample they both labelled.

    Parameters
    ----------
    labels : dict
        sample name -> {annotator -> label image}; samples with fewer than
        two annotators are counted but not compared.
    tolerance : float
        Outline tolerance in pixels (boundary F1).

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
    return {"tolerance": tolerance, "compared": len(samples),
            "single": sum(1 for by_annotator in labels.values() if len(by_annotator) < 2),
            "project": project, "annotators": annotators, "samples": samples, "pairs": pairs}


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
    return "\n".join(lines)


def write_agreement(report: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    return path
