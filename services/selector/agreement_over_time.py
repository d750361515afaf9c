"""Agreement over time: for the project and for each annotator, matched-object
F1 per calendar week or per N labels, so a lab sees whether an annotator
improves and whether guidance given on a date changed anything. The labels
are those of :func:`~labelassist.selector.agreement_records.annotator_labels`
(each annotator's newest own label of a sample several labelled)."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from labelassist.imaging.agreement import mean_interval, pair_agreement
from labelassist.selector.agreement_records import DEFAULT_TOLERANCE, annotator_labels
from labelassist.selector.records import Project
from labelassist.selector.store import Store

DEFAULT_LABELS_PER_WINDOW = 10


@dataclass(frozen=True)
class Measured:
    """One label's (or sample's) agreement with the others, and when it was made."""

    time: float
    f1: float
    boundary_f1: float
    panoptic_quality: float


def _week(time: float, index: int, size: int) -> str:
    year, week, _ = datetime.datetime.fromtimestamp(time, datetime.timezone.utc).isocalendar()
    return f"{year}-W{week:02d}"


def _labels(time: float, index: int, size: int) -> int:
    return index // size


def _all(time: float, index: int, size: int) -> int:
    return 0


def _all_name(key: int, first: int, last: int) -> str:
    return "all"


def _week_name(key: str, first: int, last: int) -> str:
    return key


def _labels_name(key: int, first: int, last: int) -> str:
    return f"{first + 1}-{last + 1}"


# Window name -> (the key of the window a measurement falls in, given its time, its
# position in time order and the window size; the window's name, given its key and the
# positions of its first and last measurement).
WINDOWS: dict[str, tuple[Callable[[float, int, int], object], Callable[[object, int, int], str]]] = {
    "week": (_week, _week_name), "labels": (_labels, _labels_name), "all": (_all, _all_name)}


def check_window(window: str, size: int) -> tuple[str, int]:
    """The window name (default "week") and size, or ``ValueError`` naming the choices."""
    window = window or "week"
    if window not in WINDOWS:
        raise ValueError(f"'window' must be one of {', '.join(WINDOWS)}, got {window!r}")
    size = size or DEFAULT_LABELS_PER_WINDOW
    if not 1 <= size <= 10_000:
        raise ValueError(f"'labels_per_window' must be 1 to 10000, got {size}")
    return window, size


def windowed(measured: Sequence[Measured], window: str = "week", size: int = DEFAULT_LABELS_PER_WINDOW
             ) -> list[dict]:
    """Measurements grouped into windows, oldest first.

    Parameters
    ----------
    measured : sequence of Measured
        One per label (or sample), in any order.
    window : {"week", "labels", "all"}
        Calendar weeks (ISO, UTC), every ``size`` measurements in time
        order, or one window of them all.
    size : int
        Measurements per window for "labels".

    Returns
    -------
    list of dict
        Per window: "name", "start" and "end" (its first and last time),
        "labels", "f1" with "f1_low" and "f1_high" (mean and 95 % bootstrap
        interval), and "boundary_f1" and "panoptic_quality" likewise.
    """
    window, size = check_window(window, size)
    key, name = WINDOWS[window]
    ordered = sorted(measured, key=lambda m: m.time)
    found = []
    for group_key, group in itertools.groupby(enumerate(ordered), key=lambda item: key(item[1].time, item[0], size)):
        positions, members = zip(*group)
        entry = {"name": name(group_key, positions[0], positions[-1]), "start": members[0].time,
                 "end": members[-1].time, "labels": len(members)}
        for measure in ("f1", "boundary_f1", "panoptic_quality"):
            mean, low, high = mean_interval([getattr(m, measure) for m in members])
            entry.update({measure: mean, f"{measure}_low": low, f"{measure}_high": high})
        found.append(entry)
    return found


def agreement_over_time(store: Store, project: Project, window: str = "week", size: int = 0,
                        tolerance: float = DEFAULT_TOLERANCE, annotators: Sequence[str] = ()
                        ) -> tuple[list[dict], dict[str, list[dict]]]:
    """The project's agreement per window (each sample the mean of its pairs,
    at the time its last label came) and each annotator's (each of their
    labels its mean agreement with the sample's other annotators, at the time
    they made it); only ``annotators`` when given."""
    window, size = check_window(window, size)
    samples: list[Measured] = []
    labels: dict[str, list[Measured]] = {}
    for sample in annotator_labels(store, project):
        names = sorted(sample.masks)
        pairs = {(a, b): pair_agreement(sample.masks[a], sample.masks[b], tolerance)
                 for a, b in itertools.combinations(names, 2)}
        samples.append(Measured(max(v.created_at for v in sample.own.values()), *_means(pairs.values())))
        for name in names:
            if annotators and name not in annotators:
                continue
            own = [m for pair, m in pairs.items() if name in pair]
            labels.setdefault(name, []).append(Measured(sample.own[name].created_at, *_means(own)))
    return (windowed(samples, window, size),
            {name: windowed(measured, window, size) for name, measured in sorted(labels.items())})


def _means(measured) -> tuple[float, float, float]:
    """Mean F1, boundary F1 and panoptic quality of several pairs' agreement."""
    measured = list(measured)
    return tuple(float(np.mean([getattr(m, name) for m in measured]))
                 for name in ("f1", "boundary_f1", "panoptic_quality"))


__all__ = ["Measured", "WINDOWS", "agreement_over_time", "check_window", "windowed"]
