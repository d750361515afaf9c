"""Neighbour propagation on the HeLa time-lapse.

    python benchmarks/bench_propagate.py

For each frame k from 1 to 19, the reference label of frame k-1 (as if the
annotator had just labelled it) is followed to frame k by the ``propagate``
pre-label, and the result is compared with frame k's reference label:
foreground Dice, and how many nuclei keep their id (the object with id j in
frame k-1 becomes the object in frame k that overlaps nucleus j's successor
most). Beside it, in the same run: propagation that keeps the shapes as they
were (``adapt=False``), propagation with edge snapping, the previous label
copied unchanged, and the classical default pre-label of frame k.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import publish  # noqa: E402
from hela import hela_frames  # noqa: E402

from labelassist.assist.pipeline import prelabel_image  # noqa: E402
from labelassist.assist.propagate import Reference  # noqa: E402
from labelassist.imaging.measures import dice  # noqa: E402

MIN_IOU = 0.3  # a nucleus and its successor in the next frame's reference overlap at least this much


def _overlaps(a: np.ndarray, b: np.ndarray) -> dict[int, tuple[int, float]]:
    """For each object of ``a``: the object of ``b`` it overlaps best and their IoU."""
    best = {}
    pairs, counts = np.unique(np.stack([a.ravel(), b.ravel()]), axis=1, return_counts=True)
    area_a = dict(zip(*np.unique(a, return_counts=True)))
    area_b = dict(zip(*np.unique(b, return_counts=True)))
    for (i, j), overlap in zip(pairs.T, counts):
        if i == 0 or j == 0:
            continue
        iou = overlap / (area_a[i] + area_b[j] - overlap)
        if iou > best.get(int(i), (0, 0.0))[1]:
            best[int(i)] = (int(j), float(iou))
    return best


def ids_kept(before: np.ndarray, after: np.ndarray, propagated: np.ndarray) -> tuple[int, int]:
    """Of the nuclei of ``before`` with a clear successor in ``after``, how
    many are followed by the propagated object with their id."""
    successors = {i: j for i, (j, iou) in _overlaps(before, after).items() if iou >= MIN_IOU}
    found = _overlaps(propagated, after)
    kept = sum(1 for i, j in successors.items() if found.get(i, (None, 0))[0] == j)
    return kept, len(successors)


def main() -> int:
    images, masks = hela_frames()
    rows = {name: [] for name in ("propagate (each object at its own contrast)", "propagate, shapes only",
                                  "propagate, snapped to edges", "previous label copied", "default pre-label")}
    main_row = "propagate (each object at its own contrast)"
    kept = total = 0
    seconds = []
    for k in range(1, len(images)):
        reference = Reference(masks[k - 1].astype(np.int32), images[k - 1])
        started = time.perf_counter()
        followed = prelabel_image(images[k], ("propagate", {}), reference=reference).mask
        seconds.append(time.perf_counter() - started)
        snapped = prelabel_image(images[k], ("propagate", {"snap": True}), reference=reference).mask
        shapes = prelabel_image(images[k], ("propagate", {"adapt": False}), reference=reference).mask
        truth = masks[k] > 0
        rows[main_row].append(dice(followed > 0, truth))
        rows["propagate, shapes only"].append(dice(shapes > 0, truth))
        rows["propagate, snapped to edges"].append(dice(snapped > 0, truth))
        rows["previous label copied"].append(dice(masks[k - 1] > 0, truth))
        rows["default pre-label"].append(dice(prelabel_image(images[k]).mask > 0, truth))
        frame_kept, frame_total = ids_kept(masks[k - 1], masks[k], followed)
        kept, total = kept + frame_kept, total + frame_total
        print(f"frame {k}: Dice {rows[main_row][-1]:.3f}, ids kept {frame_kept}/{frame_total}", file=sys.stderr)
    lines = ["# Neighbour propagation on the HeLa time-lapse", "",
             f"Frames 1-{len(images) - 1} (700×1100), each pre-labelled from the reference label of the frame "
             "before; foreground Dice against the frame's own reference label (mean, worst over frames).", "",
             "| pre-label of frame k | Dice mean | Dice worst |", "|---|---:|---:|"]
    lines += [f"| {name} | {statistics.mean(v):.3f} | {min(v):.3f} |" for name, v in rows.items()]
    lines += ["", f"**Ids kept:** {kept}/{total} = {kept / total:.1%} of the nuclei with a clear successor "
                  f"(IoU ≥ {MIN_IOU} between consecutive reference labels) are followed by the object with "
                  "their id.", "",
              f"Propagation takes {statistics.median(seconds):.2f} s per frame (median).", ""]
    return publish("propagate_hela", {"dice": rows, "ids_kept": kept, "ids_total": total,
                                      "seconds_per_frame": seconds}, lines, "python benchmarks/bench_propagate.py")


if __name__ == "__main__":
    sys.exit(main())
