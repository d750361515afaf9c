"""Checking a project's class model, through a running selector and assist
(RPC, SQLite): a project of ``--labelled`` samples labelled with object
classes. Each PredictClasses call checks whether the class model is
current: by the project's class stamp (one GetProject), which this release
does, or by listing the labelled samples and comparing their label versions
(ListSamples of every labelled sample), which the check did before the
stamp. Measured: PredictClasses on an unchanged project (p50/p99), the
listing the older check made in every call, GetProject, and the first call
after a new label (it trains the model again).

    python benchmarks/bench_class_models.py [--labelled 2000] [--repeats 50]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_pool import Selector, percentiles  # noqa: E402
from common import publish  # noqa: E402

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses  # noqa: E402

PROJECT = "class-model-checks"


def start_assist(folder: Path, selector: str) -> tuple[subprocess.Popen, str]:
    folder.mkdir(parents=True, exist_ok=True)
    ready = folder / "ready.json"
    log = open(folder / "assist.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "labelassist.assist", "--host", "127.0.0.1", "--port", "0",
                                "--data-dir", str(folder), "--selector-address", selector,
                                "--ready-file", str(ready)], stdout=log, stderr=log)
    while not ready.exists():
        if process.poll() is not None:
            raise RuntimeError((folder / "assist.log").read_text())
        time.sleep(0.05)
    return process, json.loads(ready.read_text())["address"]


def labelled_samples(count: int):
    """32×32 samples with a large dim object "big" and a small bright one "small"."""
    rng = np.random.default_rng(0)
    label = np.zeros((32, 32), np.uint16)
    label[3:17, 3:17], label[22:27, 22:27] = 1, 2
    for index in range(count):
        image = rng.integers(0, 200, (32, 32)).astype(np.uint16)
        image[label == 1] += 1000
        image[label == 2] += 3000
        yield {"stem": f"s{index:06d}", "image": image, "label": label,
               "object_classes": {1: "big", 2: "small"}}


def timed(function, repeats: int) -> dict:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - started)
    return percentiles(seconds)


def listing_check(client: LabelAssistClient) -> str:
    """The check before the stamp: every labelled sample listed, its label versions fingerprinted."""
    schema = client.get_project(PROJECT).classes
    labelled = [info for info in client.list_samples(PROJECT, labeled_only=True) if info.review != "rejected"]
    return hashlib.sha256(json.dumps([str(schema), sorted((i.sample_id, i.label_version) for i in labelled)])
                          .encode()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labelled", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        selector = Selector("sqlite", Path(folder) / "selector")
        assist, assist_address = start_assist(Path(folder) / "assist", selector.address)
        try:
            with LabelAssistClient(ServiceAddresses(selector=selector.address, assist=assist_address),
                                   timeout=3600) as client:
                client.create_project(PROJECT)
                client.set_class_schema(PROJECT, ["big", "small"])
                assert client.add_samples(PROJECT, labelled_samples(args.labelled)).added == args.labelled
                new = next(labelled_samples(1))
                sample_id = client.add_sample(PROJECT, "new", new["image"])
                started = time.perf_counter()
                first = client.assist.predict_classes(PROJECT, new["image"], new["label"])
                first_training = time.perf_counter() - started
                print(f"first call (measures {args.labelled} labels, trains): {first_training:.1f} s", flush=True)

                def predict():
                    assert client.assist.predict_classes(PROJECT, new["image"], new["label"]).model == first.model

                result = {"labelled": args.labelled, "repeats": args.repeats, "first_call_s": first_training,
                          "predict_classes": timed(predict, args.repeats),
                          "get_project": timed(lambda: client.get_project(PROJECT), args.repeats),
                          "listing_check": timed(lambda: listing_check(client), args.repeats)}
                client.submit_label(sample_id, "ann", new["label"], object_classes=new["object_classes"])
                started = time.perf_counter()
                again = client.assist.predict_classes(PROJECT, new["image"], new["label"])
                result["after_new_label_s"] = time.perf_counter() - started
                assert (first.model, again.model) == ("classes@1", "classes@2"), (first.model, again.model)
                for name in ("predict_classes", "get_project", "listing_check"):
                    print(f"  {name}: {result[name]['p50_ms']:.1f} / {result[name]['p99_ms']:.1f} ms", flush=True)
        finally:
            assist.send_signal(signal.SIGTERM)
            assist.wait(timeout=60)
            selector.stop()
    predict, listing, project = result["predict_classes"], result["listing_check"], result["get_project"]
    lines = ["# Checking a project's class model", "",
             f"Through a running selector (SQLite) and assist over gRPC: a project of {args.labelled:,} samples "
             "labelled with object classes (32×32, two objects each); "
             f"median / p99 ms of {args.repeats} calls on an unchanged project.", "",
             "| | ms |", "|---|---:|",
             f"| PredictClasses, checked by the class stamp (one GetProject) | {predict['p50_ms']:.1f} / "
             f"{predict['p99_ms']:.1f} |",
             f"| GetProject alone (the stamp check) | {project['p50_ms']:.1f} / {project['p99_ms']:.1f} |",
             f"| the check by listing the labelled samples (ListSamples of all {args.labelled:,}, their versions "
             f"fingerprinted), which every call made before the stamp | {listing['p50_ms']:.1f} / "
             f"{listing['p99_ms']:.1f} |", "",
             f"Per call, the listing check cost {listing['p50_ms']:.0f} ms on top of the call's "
             f"{predict['p50_ms']:.0f} ms (the class scorer makes one call per unlabelled sample, so it cost "
             f"that per sample scored); the stamp check costs the one GetProject the call made anyway. "
             f"The first call measured the {args.labelled:,} labels and trained in {result['first_call_s']:.1f} s; "
             f"the first call after one more label trained again in {result['after_new_label_s']:.2f} s "
             f"(classes@1 → classes@2; only the new label is measured)."]
    return publish("class_model_checks", result, lines, "python benchmarks/bench_class_models.py",
                   " (shared with other work: the load varied)")


if __name__ == "__main__":
    raise SystemExit(main())
