"""Per-operation latency of the assist service on uint16 images: in-process
core against the same call through gRPC on loopback, and their ratio.

    python benchmarks/bench_assist.py [--sizes 1024,4096] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).parent))
from common import median_seconds, publish  # noqa: E402

from labelassist.assist.pipeline import postprocess_mask, prelabel_image, preprocess_image, refine_mask  # noqa: E402
from labelassist.client.sdk import LabelAssistClient  # noqa: E402
from labelassist.stack import Stack  # noqa: E402

# (family, operation, parameters)
CASES = [
    ("preprocess", "stretch", {}), ("preprocess", "clahe", {}), ("preprocess", "gamma", {"gamma": 0.7}),
    ("preprocess", "background", {"radius": 25}), ("preprocess", "gaussian", {"sigma": 2.0}),
    ("preprocess", "median", {"radius": 2}), ("preprocess", "nl_means", {}), ("preprocess", "bilateral", {}),
    ("preprocess", "unsharp", {}), ("prelabel", "otsu", {}), ("prelabel", "li", {}),
    ("prelabel", "local", {"block_size": 51}), ("prelabel", "default pipeline", {}),
    ("postprocess", "fill_holes", {}), ("postprocess", "remove_small_objects", {}),
    ("postprocess", "opening", {"radius": 2}), ("postprocess", "split_touching", {}),
    ("refine", "random_walker", {}), ("refine", "flood_fill", {}),
]


def synthetic_nuclei(size: int, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bright blobs on a noisy background, a mask of them, and scribbles on one."""
    count = max(size * size // 4000, 4)
    rows, cols = rng.integers(20, size - 20, (2, count))
    mask = np.zeros((size, size), bool)
    mask[rows, cols] = True
    from scipy import ndimage as ndi

    mask = ndi.binary_dilation(mask, iterations=8)
    image = (mask * 1500 + 500 + rng.normal(0, 60, mask.shape)).clip(0).astype(np.uint16)
    scribbles = np.zeros(mask.shape, np.uint8)
    scribbles[rows[0] - 2:rows[0] + 2, cols[0] - 2:cols[0] + 2] = 1
    return image, mask.astype(np.uint8), scribbles


def in_process(family, name, params, image, mask, scribbles):
    if family == "preprocess":
        return lambda: preprocess_image(image, [(name, params)])
    if family == "prelabel":
        method = None if name == "default pipeline" else (name, params)
        return lambda: prelabel_image(image, method)
    if family == "postprocess":
        return lambda: postprocess_mask(mask, [(name, params)])
    return lambda: refine_mask(image, scribbles, mask, (name, params))


def through_grpc(client, family, name, params, image, mask, scribbles):
    if family == "preprocess":
        return lambda: client.preprocess(image, [(name, params)])
    if family == "prelabel":
        return lambda: client.prelabel(image, None if name == "default pipeline" else (name, params))
    if family == "postprocess":
        return lambda: client.postprocess(mask, [(name, params)])
    return lambda: client.refine(image, scribbles, mask, (name, params))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1024,4096")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ops", default="", help="comma-separated subset of operation names")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    cases = [c for c in CASES if not args.ops or c[1] in args.ops.split(",")]
    rng = np.random.default_rng(0)
    stack = Stack(data_dir=Path("benchmarks/out/stack"), base_port=0)
    stack.start()
    results = []
    try:
        with LabelAssistClient(stack.wait_until_serving(), timeout=600) as client:
            for size in sizes:
                image, mask, scribbles = synthetic_nuclei(size, rng)
                for family, name, params in tqdm(cases, desc=f"{size}x{size}", file=sys.stderr):
                    local, _ = median_seconds(in_process(family, name, params, image, mask, scribbles),
                                              args.repeats)
                    remote, _ = median_seconds(through_grpc(client, family, name, params, image, mask, scribbles),
                                               args.repeats)
                    results.append({"size": size, "family": family, "operation": name,
                                    "in_process_s": local, "grpc_s": remote, "ratio": remote / local})
    finally:
        stack.stop()
    lines = ["# Assist operation latency: in-process vs. gRPC on loopback", "",
             f"uint16 images, median of {args.repeats} runs (after one warm-up); ratio = gRPC / in-process.", "",
             "| size | family | operation | in-process ms | gRPC ms | ratio |", "|---|---|---|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['size']}² | {r['family']} | {r['operation']} | {r['in_process_s'] * 1e3:.1f} | "
                     f"{r['grpc_s'] * 1e3:.1f} | {r['ratio']:.2f} |")
    return publish("assist_latency", {"results": results}, lines,
                   f"python benchmarks/bench_assist.py --sizes {args.sizes} --repeats {args.repeats}")


if __name__ == "__main__":
    sys.exit(main())
