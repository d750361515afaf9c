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
from labelassist.io.bundled import hela_sample
from labelassist.imaging.measures import dice
from labelassist.imaging.segmentation import DEFAULT_PRELABEL
from labelassist.stack import PortsInUseError, Stack



PROJECT = "hela-demo"


def register_sample(client: LabelAssistClient, project: str = PROJECT) -> dict[str, np.ndarray]:
    """The bundled HeLa crops as a project (reference masks kept aside for scoring)."""
    images, references = hela_sample()
    if project not in {p.name for p in client.list_projects()}:
        client.create_project(project, strategy="sequence_aware")
    for index, image in enumerate(images):
        client.add_sample(project, f"hela-frame-{index}", image, sequence="hela-crop")
    return {f"hela-frame-{index}": reference for index, reference in enumerate(references)}


def run_workflow(client: LabelAssistClient, annotator: str = "demo", project: str = PROJECT) -> list[dict]:
    """select -> pre-process -> pre-label -> post-process -> inspect -> submit, per sample."""
    references = register_sample(client, project)
    rows = []
    for _ in tqdm(range(len(references)), desc="samples", unit="sample", file=sys.stdout):
        timings = {}
        started = time.perf_counter()
        lease = client.next_sample(project, annotator)
        if lease.exhausted:
            break
        sample = client.get_sample(lease.sample.sample_id)
        image, stem = sample.require("image"), lease.sample.stem
        timings["select"] = time.perf_counter() - started
        started = time.perf_counter()
        display, _ = client.preprocess(image, [("stretch", {})])
        timings["preprocess"] = time.perf_counter() - started
        started = time.perf_counter()
        outcome = client.prelabel(image)
        timings["prelabel"] = time.perf_counter() - started
        started = time.perf_counter()
        cleaned, _ = client.postprocess(outcome.mask, DEFAULT_PRELABEL["postprocess"])
        timings["postprocess"] = time.perf_counter() - started
        started = time.perf_counter()
        report = client.inspect(cleaned, image=image, prelabel=outcome.mask, project=project)
        timings["inspect"] = time.perf_counter() - started
        started = time.perf_counter()
        version = client.submit_label(lease.sample.sample_id, annotator, cleaned, origin="edited_prelabel")
        timings["submit"] = time.perf_counter() - started
        stored = client.get_sample(lease.sample.sample_id, with_image=False).require("label")
        if not np.array_equal(stored, cleaned):
            raise RuntimeError(f"{stem}: the stored label differs from the submitted one")
        rows.append({"sample": stem, "objects": outcome.object_count, "version": version.version,
                     "dice": dice(cleaned, references[stem]), "findings": len(report.findings),
                     "criteria": sorted({f.criterion for f in report.findings}), **timings,
                     "display_range": (float(display.min()), float(display.max()))})
    return rows


def print_summary(rows: list[dict], project: str = PROJECT, criteria: dict[str, str] | None = None,
                  labelled: int = 0) -> None:
    """The table, what its findings mean, and what to do next."""
    if not rows:
        print(f"\nproject {project!r} is labelled already ({labelled} labels stored), so there was nothing to do.\n"
              f"To run the workflow afresh, give another project name: labelassist demo --project {project}-2\n"
              f"To look at the stored labels: labelassist up, then labelassist gui --project {project}")
        return
    steps = ("select", "preprocess", "prelabel", "postprocess", "inspect", "submit")
    print(f"\n{'sample':<14} {'objects':>7} {'Dice':>6} {'findings':>8}  " + " ".join(f"{s + ' ms':>14}" for s in steps))
    for row in rows:
        print(f"{row['sample']:<14} {row['objects']:>7} {row['dice']:>6.3f} {row['findings']:>8}  "
              + " ".join(f"{row[s] * 1e3:>14.1f}" for s in steps))
    print(f"median Dice of the submitted labels against the reference masks: "
          f"{statistics.median(r['dice'] for r in rows):.3f}; {len(rows)} labels submitted and read back")
    fired = sorted({name for row in rows for name in row["criteria"]})
    print("findings: what inspection flagged on each label before it was stored"
          + (" (none here)" if not fired else "; here:"))
    for name in fired:
        print(f"  {name}: {(criteria or {}).get(name, '')}")
    print(f"\nnext: correct these labels by hand in the desktop client:\n"
          f"  labelassist up                          # keeps the services running\n"
          f"  labelassist gui --project {project}      # in a second terminal")


def has_display() -> bool:
    import os

    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_client(addresses, project: str = PROJECT) -> int:
    """The desktop client on the demo project, until its window closes."""
    from labelassist.client.gui.app import Connection, run_app

    print("opening the desktop client on project", project, flush=True)
    return run_app(Connection.from_addresses(addresses), "demo", project)


def main(data_dir: Path, base_port: int, keep_running: bool | None, gui: str = "no", project: str = PROJECT) -> int:
    stack = Stack(data_dir=data_dir, base_port=base_port)
    print("starting the stack ...", flush=True)
    try:
        stack.start()
    except PortsInUseError as error:
        print(f"labelassist demo: {error}", file=sys.stderr)
        return 2
    try:
        addresses = stack.wait_until_serving(timeout=120)
        for name, address in addresses.as_dict().items():
            print(f"{name:<9} {address}  SERVING", flush=True)
        if gui == "yes" or (gui == "auto" and has_display()):
            with LabelAssistClient(addresses) as client:
                register_sample(client, project)
            return open_client(addresses, project)
        with LabelAssistClient(addresses) as client:
            rows = run_workflow(client, project=project)
            criteria = {spec.name: spec.description for spec in client.list_criteria()}
            print_summary(rows, project, criteria, client.progress(project).labeled)
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
