"""The effort benchmark: a simulated annotator turns each test image's
starting point into its reference label with the client's tools, through
the services, and every action is counted.

Starting points: nothing ("scratch", drawn with polygons; "click", with the
click model), the default classical pre-label, the bundled generalist
U-Net, and the project-trained U-Net. From a pre-label the annotator keeps
objects that already match (object Dice >= 0.95), deletes false ones (one
click each), corrects wrong ones with the click model (starting from the
object's mask) and adds missed ones with clicks. A click loop stops at IoU
>= 0.90; an object not reached in :data:`MAX_CLICKS` clicks is drawn as a
polygon instead (the clicks still count). A polygon costs one click per
vertex of the reference contour simplified at 1 px (Douglas-Peucker).

Cost model: every click, deletion and polygon vertex takes
:data:`SECONDS_PER_CLICK` = 1.75 s: Papadopoulos et al. 2017 ("Extreme
clicking for efficient object annotation", ICCV) measured 7.0 s for four
precise clicks on an object's extreme points. Counting polygon effort in
vertex clicks follows Castrejón et al. 2017 (Polygon-RNN, CVPR).
"""

from __future__ import annotations

import json
import logging
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from skimage import measure

from labelassist.imaging.measures import dice, instance_labels, iou, match_objects
from labelassist.models.clicks import corrective_click

logger = logging.getLogger("labelassist.effort")

MAX_CLICKS = 20
ACCEPT_DICE = 0.95
TARGET_IOU = 0.90
MATCH_IOU = 0.5
SECONDS_PER_CLICK = 1.75
COST_SOURCE = ("1.75 s per click, deletion or polygon vertex: Papadopoulos et al. 2017 (ICCV), 7.0 s for four "
               "extreme-point clicks per object; polygon effort in vertex clicks as in Castrejón et al. 2017 "
               "(Polygon-RNN, CVPR)")
STARTS = ("scratch", "classical", "generalist", "unet", "click")

# segment(clicks [(y, x, positive)], current object mask or None) -> mask (H, W)
Segment = Callable[[list, np.ndarray | None], np.ndarray]


@dataclass
class ObjectEffort:
    how: str  # "accepted", "corrected", "added", "polygon"
    clicks: int = 0
    vertices: int = 0
    noc85: int | None = None
    noc90: int | None = None


@dataclass
class StartEffort:
    """One starting point over the whole test set."""

    start: str
    objects: int = 0
    accepted: int = 0
    deleted: int = 0
    clicks: int = 0
    vertices: int = 0
    polygons: int = 0
    noc85: list[int] = field(default_factory=list)
    noc90: list[int] = field(default_factory=list)
    segment_seconds: list[float] = field(default_factory=list)
    # Per image, the pre-label against the reference as the product's evidence measures it.
    prelabel_dice: list[float] = field(default_factory=list)
    prelabel_matched: list[float] = field(default_factory=list)
    # Why this starting point could not be measured (a failed call or training).
    failure: str | None = None

    @property
    def actions(self) -> int:
        return self.deleted + self.clicks + self.vertices

    def summary(self) -> dict:
        per_object = self.actions / max(self.objects, 1)
        latency = sorted(self.segment_seconds)
        return {"start": self.start, "objects": self.objects, "accepted_as_is": self.accepted,
                "accepted_fraction": self.accepted / max(self.objects, 1), "deleted": self.deleted,
                "clicks": self.clicks, "polygon_vertices": self.vertices, "polygons_drawn": self.polygons,
                "actions_per_object": per_object, "seconds_per_object": per_object * SECONDS_PER_CLICK,
                "noc85": statistics.mean(self.noc85) if self.noc85 else None,
                "noc90": statistics.mean(self.noc90) if self.noc90 else None,
                "segment_median_ms": 1000 * statistics.median(latency) if latency else None,
                "segment_p95_ms": 1000 * latency[int(0.95 * (len(latency) - 1))] if latency else None,
                "prelabel_dice": self.prelabel_dice, "prelabel_matched": self.prelabel_matched,
                "failure": self.failure}


def polygon_vertices(target: np.ndarray) -> int:
    """Vertices an annotator clicks to outline ``target``: its outer
    contours simplified at 1 px (Douglas-Peucker), at least 3 per part."""
    total = 0
    for contour in measure.find_contours(np.pad(target, 1).astype(np.uint8), 0.5):
        if len(contour) < 3:
            continue
        total += max(len(measure.approximate_polygon(contour, tolerance=1.0)) - 1, 3)
    return total


def click_until_done(segment: Segment, target: np.ndarray, current: np.ndarray | None,
                     record: StartEffort) -> ObjectEffort:
    """Clicks (first where the error is largest, then corrective), each
    sent with the object's mask so far, until IoU >= 0.90; a polygon when
    :data:`MAX_CLICKS` clicks do not get there."""
    clicks: list[tuple[float, float, bool]] = []
    mask = current.copy() if current is not None else np.zeros_like(target)
    effort = ObjectEffort("corrected" if current is not None else "added")
    for count in range(1, MAX_CLICKS + 1):
        fix = corrective_click(target, mask)
        if fix is None:
            break
        clicks.append((fix.y, fix.x, fix.positive))
        started = time.perf_counter()
        # As the client does: the object's mask so far goes with the clicks.
        mask = segment(clicks, mask if mask.any() else None) > 0
        record.segment_seconds.append(time.perf_counter() - started)
        effort.clicks = count
        overlap = iou(mask, target)
        if effort.noc85 is None and overlap >= 0.85:
            effort.noc85 = count
        if overlap >= TARGET_IOU:
            effort.noc90 = count
            return effort
    effort.how, effort.vertices = "polygon", polygon_vertices(target)
    return effort


def annotate(reference: np.ndarray, start: np.ndarray | None, segment: Segment | None,
             record: StartEffort) -> None:
    """Turn ``start`` (None: nothing) into ``reference`` and add the actions to ``record``."""
    truth = instance_labels(reference)
    ids = [int(i) for i in np.unique(truth) if i]
    record.objects += len(ids)
    matched: dict[int, np.ndarray] = {}
    if start is not None:
        predicted = instance_labels(start)
        pairs = match_objects(truth, predicted, MATCH_IOU)
        matched = {tid: predicted == pid for tid, pid in pairs.items()}
        record.prelabel_dice.append(dice(predicted > 0, truth > 0))
        record.prelabel_matched.append(len(pairs) / len(ids) if ids else float(not predicted.any()))
        record.deleted += len([i for i in np.unique(predicted) if i]) - len(pairs)
    for tid in ids:
        target = truth == tid
        current = matched.get(tid)
        if current is not None:
            if dice(current, target) >= ACCEPT_DICE:
                record.accepted += 1
                continue
        if segment is None:
            effort = ObjectEffort("polygon", vertices=polygon_vertices(target))
            if current is not None:
                record.deleted += 1  # the wrong object goes before it is drawn again
        else:
            effort = click_until_done(segment, target, current, record)
            if current is None:
                record.noc85.append(effort.noc85 or MAX_CLICKS)
                record.noc90.append(effort.noc90 or MAX_CLICKS)
        record.clicks += effort.clicks
        record.vertices += effort.vertices
        record.polygons += effort.how == "polygon"


def write_effort_outputs(results: dict, out: Path, command: str, machine: dict) -> list[Path]:
    """results.json, results.md and results.png (seconds per object by starting point)."""
    out.mkdir(parents=True, exist_ok=True)
    results = {**results, "command": command, "machine": machine}
    (out / "results.json").write_text(json.dumps(results, indent=2))
    rows = results["starts"]
    scratch = next((r for r in rows if r["start"] == "scratch"), None)
    lines = ["# Annotation effort", "", results["description"], "",
             f"Cost model: {COST_SOURCE}. An object counts as accepted as it is at object Dice ≥ {ACCEPT_DICE}; "
             f"click loops stop at IoU ≥ {TARGET_IOU}, at most {MAX_CLICKS} clicks, then a polygon.", "",
             "| start | objects | accepted as is | actions / object | NoC@85 | NoC@90 | s / object | "
             "effort vs. polygons | Segment median / p95 (ms) |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if r.get("failure"):
            lines.append(f"| {r['label']} | failed: {r['failure']} |||||||||")
            continue
        relative = f"{100 * r['actions_per_object'] / scratch['actions_per_object']:.0f} %" \
            if scratch and scratch["actions_per_object"] else "-"
        noc = [f"{r[k]:.2f}" if r[k] is not None else "-" for k in ("noc85", "noc90")]
        latency = (f"{r['segment_median_ms']:.0f} / {r['segment_p95_ms']:.0f}"
                   if r["segment_median_ms"] is not None else "-")
        lines.append(f"| {r['label']} | {r['objects']} | {100 * r['accepted_fraction']:.1f} % | "
                     f"{r['actions_per_object']:.2f} | {noc[0]} | {noc[1]} | {r['seconds_per_object']:.1f} | "
                     f"{relative} | {latency} |")
    lines += ["", evidence_choice(rows)]
    lines += ["", f"Machine: {machine['cpus']} CPUs, {machine['processor']}, Python {machine['python']}; "
              f"{results['seconds'] / 60:.1f} minutes.", f"Command: `{command}`", ""]
    (out / "results.md").write_text("\n".join(lines))
    _plot(rows, out / "results.png")
    return [out / "results.json", out / "results.md", out / "results.png"]


def evidence_choice(rows: list[dict]) -> str:
    """In words: the pre-label start the product would choose on these
    images by its own rule (the selector's pre-label evidence: mean Dice
    against the submitted labels, once a source has enough of them), and the
    start that cost least."""
    from labelassist.selector.prelabel_evidence import MIN_LABELS, summary

    measured = [r for r in rows if not r.get("failure") and r.get("prelabel_dice")]
    evidence = {"sources": {r["start"]: {"dice": r["prelabel_dice"], "matched": r["prelabel_matched"]}
                            for r in measured}}
    _, best, reason = summary(evidence)
    cheapest = min((r for r in rows if not r.get("failure") and r["objects"]), default=None,
                   key=lambda r: r["actions_per_object"])
    chosen = (f"The product's choice of pre-label by evidence (services/selector/prelabel_evidence.py) on "
              f"these images: {reason}." if best else
              f"The product's choice of pre-label by evidence needs {MIN_LABELS} labels; with fewer it pre-labels "
              "with the project's settings (by default the classical pipeline).")
    return chosen + (f" Least effort: {cheapest['label']}." if cheapest else "")


def _plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    rows = [r for r in rows if not r.get("failure")]
    figure, axes = pyplot.subplots(figsize=(7, 4), dpi=120)
    labels = [r["label"] for r in rows]
    axes.barh(labels, [r["seconds_per_object"] for r in rows], color="#4a7bb7")
    axes.invert_yaxis()
    axes.set_xlabel(f"estimated seconds per object ({SECONDS_PER_CLICK} s per click or vertex)")
    axes.set_title("Annotation effort by starting point")
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


def as_rows(records: dict[str, StartEffort], labels: dict[str, str]) -> list[dict]:
    return [{**record.summary(), "label": labels.get(name, name)} for name, record in records.items()]



LABELS = {"scratch": "scratch, polygons", "classical": "classical pre-label + clicks",
          "generalist": "generalist U-Net + clicks", "click": "clicks from nothing (generalist click model)",
          "unet": "project U-Net + clicks (project click model)",
          "click-trained": "clicks from nothing (project click model)"}


def run_effort(client, project: str, sample_ids: list[int], references: list[np.ndarray], starts: list[str],
               progress: Callable[[str], None] = lambda _: None) -> dict[str, StartEffort]:
    """Each starting point over the samples, through the services that
    ``client`` (a LabelAssistClient) reaches: pre-labels from assist,
    every click a Segment call on the selector's sample."""
    records: dict[str, StartEffort] = {}
    for start in starts:
        record = records[start] = StartEffort(start)
        try:
            _annotate_samples(client, sample_ids, references, start, record, progress)
        except Exception as error:  # noqa: BLE001 - one failed start is reported, the others still run
            logger.exception("effort: starting point %s failed", start)
            records[start] = StartEffort(start, failure=f"{type(error).__name__}: {error}")
    return records


def _annotate_samples(client, sample_ids: list[int], references: list[np.ndarray], start: str,
                      record: StartEffort, progress: Callable[[str], None]) -> None:
    """One starting point over every sample, into ``record``."""
    for sample_id, reference in zip(sample_ids, references):
        def segment(clicks, current, sample_id=sample_id):
            found = client.segment(None, clicks, mask=None if current is None else current.astype(np.uint8),
                                   sample_id=sample_id, crop_to_object=True)
            return found.full(reference.shape[:2])

        if start == "scratch":
            annotate(reference, None, None, record)
        elif start in ("click", "click-trained"):
            annotate(reference, None, segment, record)
        else:
            method = {"classical": None, "generalist": "unet", "unet": "unet"}[start]
            prelabel = client.prelabel(None, method, sample_id=sample_id).mask
            annotate(reference, prelabel, segment, record)
        progress(start)
