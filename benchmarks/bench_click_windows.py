"""Where clicks from nothing stall, object by object: the bundled click
model in-process on the first objects of a set's first test images, each
object clicked by the effort benchmark's annotator (first click where the
error is largest, then corrective) until IoU 0.9 or 10 clicks, with the
IoU after every click and the mask's area against the reference's. A
variant changes the first click's window sides (``--first-sides``) or the
model's threshold (``--threshold``), so a change to the click loop is
measured on the same objects before and after.

    python benchmarks/bench_click_windows.py --dataset /tmp/datasets/dsb2018-fluo-small --out OUT.json
    python benchmarks/bench_click_windows.py --dataset ... --first-sides 32,64,128,256 --out OUT.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_unseen import click_segmenter  # noqa: E402

from labelassist.evaluation.evaluation_set import load_evaluation_set  # noqa: E402
from labelassist.imaging.checks import grey  # noqa: E402
from labelassist.imaging.measures import iou  # noqa: E402
from labelassist.models import clicks  # noqa: E402

CLICKS = 10


def click_objects(folder: Path, images: int, per_image: int) -> list[dict]:
    """Per object: area (px), IoU after each click, final area minus the reference's."""
    data = load_evaluation_set(folder)
    segmenter = click_segmenter()
    rows = []
    for index in list(data.test)[:images]:
        image, reference = grey(data.images[index]), data.labels[index]
        segment = segmenter(image)
        for value in [v for v in np.unique(reference) if v][:per_image]:
            target = reference == value
            mask, given, overlaps = np.zeros_like(target), [], []
            for _ in range(CLICKS):
                fix = clicks.corrective_click(target, mask)
                if fix is None:
                    break
                given.append((fix.y, fix.x, fix.positive))
                mask = segment(given, mask if mask.any() else None) > 0
                overlaps.append(round(iou(mask, target), 3))
                if overlaps[-1] >= 0.9:
                    break
            rows.append({"area": int(target.sum()), "ious": overlaps, "bias": int(mask.sum()) - int(target.sum())})
    return rows


def summary(rows: list[dict]) -> dict:
    """NoC@85/90 (an object not there in 10 clicks counts 20, as the effort benchmark's cap), first-click IoU."""
    def noc(row, target):
        return next((k + 1 for k, value in enumerate(row["ious"]) if value >= target), 20)

    return {"objects": len(rows), "noc85": statistics.mean(noc(r, 0.85) for r in rows),
            "noc90": statistics.mean(noc(r, 0.9) for r in rows),
            "first_click_iou": statistics.mean(r["ious"][0] for r in rows),
            "first_click_iou_under_100px": statistics.mean([r["ious"][0] for r in rows if r["area"] < 100] or [0]),
            "relative_area_bias": statistics.mean(r["bias"] / r["area"] for r in rows),
            "reached_90": sum(r["ious"][-1] >= 0.9 for r in rows)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--images", type=int, default=2)
    parser.add_argument("--objects-per-image", type=int, default=15)
    parser.add_argument("--first-sides", default="", help="e.g. 32,64,128,256 (default: the shipped sides)")
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    if args.first_sides:
        clicks.FIRST_SIDES = tuple(int(side) for side in args.first_sides.split(","))
        clicks.FIRST_WINDOW = clicks.FIRST_SIDES[0]
    if args.threshold is not None:
        clicks.THRESHOLD = args.threshold
    started = time.perf_counter()
    rows = click_objects(args.dataset, args.images, args.objects_per_image)
    result = {"dataset": str(args.dataset), "first_sides": list(clicks.FIRST_SIDES), "threshold": clicks.THRESHOLD,
              "summary": summary(rows), "seconds": time.perf_counter() - started, "objects": rows,
              "command": "python benchmarks/bench_click_windows.py " + " ".join(sys.argv[1:] if argv is None else argv)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result["summary"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
