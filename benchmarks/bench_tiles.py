"""Local filters run tile by tile on a thread pool: the same work with one
thread (the baseline, LABELASSIST_TILE_THREADS=1) and with every core, in
the same run, and their ratio.

    python benchmarks/bench_tiles.py [--sizes 2048,4096] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_inspect import synthetic_label  # noqa: E402
from common import median_seconds, publish  # noqa: E402

from labelassist.assist.pipeline import prelabel_image, preprocess_image  # noqa: E402
from labelassist.imaging.tiling import tile_threads  # noqa: E402
from labelassist.inspect.inspection import inspect_label  # noqa: E402


def cases(labels, image):
    return {
        "median (radius 2)": lambda: preprocess_image(image, [("median", {"radius": 2})]),
        "gaussian (sigma 2)": lambda: preprocess_image(image, [("gaussian", {"sigma": 2.0})]),
        "default pre-label": lambda: prelabel_image(image),
        "inspection with image and default pre-label": lambda: inspect_label(labels, image),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2048,4096")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    every_core = os.cpu_count() or 1
    rows, results = [], []
    for size in map(int, args.sizes.split(",")):
        labels, image = synthetic_label(size, max(size * size // 8400, 10), rng)
        for name, work in cases(labels, image).items():
            seconds = {}
            for threads in (1, every_core):
                os.environ["LABELASSIST_TILE_THREADS"] = str(threads)
                assert tile_threads() == threads
                seconds[threads] = median_seconds(work, args.repeats)[0]
            ratio = seconds[1] / seconds[every_core]
            results.append({"size": size, "case": name, "one_thread_s": seconds[1],
                            "every_core_s": seconds[every_core], "speedup": ratio})
            rows.append(f"| {size}² | {name} | {seconds[1]:.2f} | {seconds[every_core]:.2f} | {ratio:.2f} |")
            print(rows[-1], flush=True)
    os.environ.pop("LABELASSIST_TILE_THREADS")
    lines = ["# Tiled filters on a thread pool", "",
             f"uint16 images, median of {args.repeats}; tiles of 1024² run on 1 thread and on all "
             f"{every_core} cores in the same run.", "",
             f"| size | work | 1 thread s | {every_core} threads s | speed-up |", "|---|---|---:|---:|---:|", *rows]
    return publish("tiles", {"results": results}, lines,
                   f"python benchmarks/bench_tiles.py --sizes {args.sizes} --repeats {args.repeats}")


if __name__ == "__main__":
    sys.exit(main())
