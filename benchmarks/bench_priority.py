"""Click-to-segment latency alone and under batch load, in one stack and one run:

1. Clicks (Segment on a selector sample, the crop returned) at 512² and
   2048², with the bundled click model served by the local tritonserver.
2. The same clicks while batch work runs at the same time: a U-Net training
   job on the project's labels, a label-error ranking of its labels
   (repeated until the clicks end), and 8 annotators leasing and
   releasing samples, each every 0.2 s (about 40 leases a second: far
   more than people labelling, who lease every few seconds at most).

The goal: p95 under load at most 2x p95 alone.

    python benchmarks/bench_priority.py [--clicks 30] [--labels 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_clicks import centres, percentile, scenes  # noqa: E402
from common import publish  # noqa: E402

from labelassist.client.sdk import LabelAssistClient  # noqa: E402
from labelassist.models.synthetic import synthetic_scene  # noqa: E402
from labelassist.stack import temporary_stack  # noqa: E402

PROJECT = "priority"
LEASE_INTERVAL = 0.2  # seconds between one annotator's leases


def click_seconds(client: LabelAssistClient, sample_id: int, points: list) -> list[float]:
    seconds = []
    for point in points:
        started = time.perf_counter()
        client.segment(None, [(*point, True)], sample_id=sample_id, crop_to_object=True)
        seconds.append(time.perf_counter() - started)
    return seconds


def summary(seconds: list[float]) -> dict:
    return {"median_ms": 1000 * statistics.median(seconds), "p95_ms": 1000 * percentile(seconds, 0.95),
            "clicks": len(seconds)}


def labelled_pool(client: LabelAssistClient, count: int) -> None:
    """``count`` labelled 256² synthetic scenes (what the training job and the
    ranking read) and as many unlabelled ones (what the annotators lease)."""
    rng = np.random.default_rng(11)
    for index in range(count):
        image, labels = synthetic_scene(rng, 256)
        sample_id = client.add_sample(PROJECT, f"labelled-{index:04d}", (image * 4000).astype(np.uint16))
        client.submit_label(sample_id, "bench", labels.astype(np.uint16))
    client.add_samples(PROJECT, ({"stem": f"open-{index:04d}", "image": (synthetic_scene(rng, 256)[0] * 4000)
                                  .astype(np.uint16)} for index in range(count)))


class BatchLoad:
    """Training, a repeated label-error ranking and 8 leasing annotators, until stopped."""

    def __init__(self, addresses, labels: int):
        self.addresses, self.labels = addresses, labels
        self.stop = threading.Event()
        self.counts = {"rankings": 0, "leases": 0, "training_events": 0}
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._train, daemon=True),
                        threading.Thread(target=self._rank, daemon=True),
                        *[threading.Thread(target=self._lease, args=(f"annotator-{i}",), daemon=True)
                          for i in range(8)]]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        time.sleep(5)  # every kind of work under way before the first click
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads[1:]:
            thread.join(timeout=120)
        return False

    def _guard(self, work) -> None:
        try:
            with LabelAssistClient(self.addresses, timeout=600) as client:
                work(client)
        except Exception as error:  # noqa: BLE001 - reported in the results
            self.errors.append(f"{type(error).__name__}: {error}")

    def _train(self) -> None:
        def work(client):
            job = client.train(project=PROJECT, epochs=50)
            for _ in client.train_status(job):
                self.counts["training_events"] += 1
                if self.stop.is_set():
                    return
        self._guard(work)

    def _rank(self) -> None:
        def work(client):
            while not self.stop.is_set():
                client.rank_label_errors(PROJECT, max_samples=self.labels)
                self.counts["rankings"] += 1
        self._guard(work)

    def _lease(self, annotator: str) -> None:
        def work(client):
            while not self.stop.is_set():
                lease = client.next_sample(PROJECT, annotator)
                if lease.sample is not None:
                    client.release_sample(lease.sample.sample_id, annotator)
                self.counts["leases"] += 1
                self.stop.wait(LEASE_INTERVAL)
        self._guard(work)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=30)
    parser.add_argument("--labels", type=int, default=200)
    args = parser.parse_args()
    data = scenes()
    results: dict = {"alone": {}, "under_load": {}}
    with temporary_stack(timeout=240) as addresses, LabelAssistClient(addresses, timeout=600) as client:
        client.create_project(PROJECT)
        samples = {size: client.add_sample(PROJECT, f"clicks-{size}", image) for size, (image, _) in data.items()}
        points = {size: centres(labels, args.clicks) for size, (_, labels) in data.items()}
        labelled_pool(client, args.labels)
        for size in data:
            click_seconds(client, samples[size], points[size][:2])  # warm-up
            results["alone"][size] = summary(click_seconds(client, samples[size], points[size]))
        with BatchLoad(addresses, args.labels) as load:
            for size in data:
                results["under_load"][size] = summary(click_seconds(client, samples[size], points[size]))
        results["load"] = {**load.counts, "errors": load.errors[:5]}
    lines = ["# Clicks alone and under batch load", "",
             f"Batch load: a U-Net training job on {args.labels} labelled 256² scenes, label-error rankings of "
             f"those labels one after another ({results['load']['rankings']} finished), 8 annotators leasing and "
             f"releasing every {LEASE_INTERVAL} s ({results['load']['leases']} leases). Errors in the load: "
             f"{len(results['load']['errors'])}.", "",
             "| image | alone p50 | alone p95 | under load p50 | under load p95 | p95 ratio (goal ≤ 2) |",
             "|---|---|---|---|---|---|"]
    for size in data:
        alone, loaded = results["alone"][size], results["under_load"][size]
        ratio = loaded["p95_ms"] / alone["p95_ms"]
        results["under_load"][size]["p95_ratio"] = ratio
        lines.append(f"| {size}² | {alone['median_ms']:.0f} ms | {alone['p95_ms']:.0f} ms | "
                     f"{loaded['median_ms']:.0f} ms | {loaded['p95_ms']:.0f} ms | {ratio:.2f} |")
    return publish("priority", results, lines,
                   f"python benchmarks/bench_priority.py --clicks {args.clicks} --labels {args.labels}")


if __name__ == "__main__":
    raise SystemExit(main())
