"""``labelassist demo`` (``make run``): bring the stack up and run the main
workflow on the bundled HeLa sample, headless, with a summary and timings."""

from __future__ import annotations

import statistics
import sys
import threading
import signal
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from labelassist.client.sdk import LabelAssistClient
from labelassist.datasets import hela_sample
from labelassist.stack import Stack

POSTPROCESS = [("fill_holes", {}), ("remove_small_objects", {"min_size": 30})]


def dice(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a > 0, b > 0
    total = a.sum() + b.sum()
    return 1.0 if total == 0 else float(2 * (a & b).sum() / total)


def run_workflow(client: LabelAssistClient) -> list[dict]:
    """select -> pre-process -> pre-label -> post-process -> inspect, per sample."""
    images, references = hela_sample()
    rows = []
    for index in tqdm(range(len(images)), desc="samples", unit="sample", file=sys.stdout):
        image, timings = images[index], {}
        started = time.perf_counter()
        display, _ = client.preprocess(image, [("stretch", {})])
        timings["preprocess"] = time.perf_counter() - started
        started = time.perf_counter()
        outcome = client.prelabel(image)
        timings["prelabel"] = time.perf_counter() - started
        started = time.perf_counter()
        cleaned, _ = client.postprocess(outcome.mask, POSTPROCESS)
        timings["postprocess"] = time.perf_counter() - started
        started = time.perf_counter()
        report = client.inspect(cleaned, image=image, prelabel=outcome.mask)
        timings["inspect"] = time.perf_counter() - started
        rows.append({"sample": f"hela-frame-{index}", "objects": outcome.object_count,
                     "dice": dice(cleaned, references[index]), "findings": len(report.findings),
                     "criteria": sorted({f.criterion for f in report.findings}), **timings,
                     "display_range": (float(display.min()), float(display.max()))})
    return rows


def print_summary(rows: list[dict]) -> None:
    print(f"\n{'sample':<14} {'objects':>7} {'Dice':>6} {'findings':>8}  "
          f"{'pre ms':>7} {'label ms':>8} {'post ms':>7} {'inspect ms':>10}")
    for row in rows:
        print(f"{row['sample']:<14} {row['objects']:>7} {row['dice']:>6.3f} {row['findings']:>8}  "
              f"{row['preprocess'] * 1e3:>7.1f} {row['prelabel'] * 1e3:>8.1f} "
              f"{row['postprocess'] * 1e3:>7.1f} {row['inspect'] * 1e3:>10.1f}")
    print(f"median Dice of the default pre-label against the reference masks: "
          f"{statistics.median(r['dice'] for r in rows):.3f}")


def main(data_dir: Path, base_port: int, keep_running: bool | None) -> int:
    stack = Stack(data_dir=data_dir, base_port=base_port)
    print("starting the stack ...", flush=True)
    stack.start()
    try:
        addresses = stack.wait_until_serving(timeout=120)
        for name, address in addresses.as_dict().items():
            print(f"{name:<9} {address}  SERVING", flush=True)
        with LabelAssistClient(addresses) as client:
            print_summary(run_workflow(client))
        if keep_running if keep_running is not None else sys.stdin.isatty():
            stopping = threading.Event()
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stopping.set())
            print("\nthe stack keeps serving; Ctrl-C stops it", flush=True)
            stopping.wait()
    finally:
        stack.stop()
        print("stopped", flush=True)
    return 0
