"""The classification strategies at scale, through the running selector
(RPC): a pool of ``--sizes`` tiny samples on SQLite with object classes
common/rare, 20 of them labelled with classes. Class scores are written
for every unlabelled sample as the class scorer writes them (one class
model version; there is no assist in this run, so scoring itself is not
measured). For class_uncertainty and class_balance: the first lease (which
ranks the pool into its queue), then NextSample latency (p50/p99) of one
annotator who leases and submits, and NextSamples(32).

    python benchmarks/bench_class_pool.py [--sizes 100000] [--leases 100]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_pool import BANK, Selector, percentiles  # noqa: E402
from common import publish  # noqa: E402

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses  # noqa: E402
from labelassist.imaging.class_uncertainty import SCORE_NAMES  # noqa: E402
from labelassist.selector.class_score_records import ClassScoreRecords  # noqa: E402
from labelassist.selector.store import Store  # noqa: E402

STRATEGIES = ("class_uncertainty", "class_balance")
CLASSES = ("common", "rare")
LABELLED = 20


def register(client: LabelAssistClient, size: int) -> float:
    rng = np.random.default_rng(0)
    bank = rng.integers(0, 4000, (BANK, 16, 16), dtype=np.uint16)
    label = np.zeros((16, 16), np.uint16)
    label[2:7, 2:7], label[9:14, 9:14] = 1, 2

    def samples():
        for i in range(size):
            entry = {"stem": f"t{i:07d}", "image": bank[i % BANK], "sequence": f"stack{i % 1000:04d}"}
            if i < LABELLED:
                entry |= {"label": label, "object_classes": {1: "common", 2: "rare" if i % 5 == 0 else "common"}}
            yield entry

    started = time.perf_counter()
    assert client.add_samples("pool", samples()).added == size
    return size / (time.perf_counter() - started)


def seed_class_scores(url: str, blobs: Path) -> float:
    """A class summary of every unlabelled sample from class model version 1, as the class scorer stores it."""
    store = Store(url, blobs)
    project = store.project("pool")
    records = ClassScoreRecords(store)
    records.set_model(project, 1, "object", CLASSES, records.labels_key(project))
    rng = np.random.default_rng(1)
    started = time.perf_counter()
    rows = (row for row in store.samples(project) if not row.labeled)
    while batch := list(itertools.islice(rows, 5000)):
        values = rng.random((len(batch), len(SCORE_NAMES)), dtype=np.float32)
        objects = rng.integers(0, 8, len(batch)).astype(np.float32)
        rare = objects * rng.beta(0.3, 6.0, len(batch)).astype(np.float32)
        records.save(project, 1, batch, list(values), list(np.stack([objects - rare, rare], axis=1)))
    store.close()
    return time.perf_counter() - started


def measure(address: str, strategy: str, leases: int) -> dict:
    with LabelAssistClient(ServiceAddresses(selector=address), timeout=600) as client:
        started = time.perf_counter()
        first = client.next_sample("pool", f"{strategy}-first", strategy)
        first_s = time.perf_counter() - started
        # A pool this large is served in its order while the ranking's first queue is built in the background.
        while first.strategy != strategy:
            client.release_sample(first.sample.sample_id, f"{strategy}-first")
            time.sleep(0.2)
            first = client.next_sample("pool", f"{strategy}-first", strategy)
        ranked_s = time.perf_counter() - started
        single = []
        for _ in range(leases):
            started = time.perf_counter()
            lease = client.next_sample("pool", f"{strategy}-solo", strategy)
            single.append(time.perf_counter() - started)
            client.submit_label(lease.sample.sample_id, f"{strategy}-solo", np.zeros((16, 16), np.uint8))
        batch = []
        for _ in range(10):
            started = time.perf_counter()
            leased = client.next_samples("pool", f"{strategy}-tablet", 32, strategy).leased
            batch.append(time.perf_counter() - started)
            for item in leased:
                client.release_sample(item.sample.sample_id, f"{strategy}-tablet", skip=True, reason="benchmark")
    return {"first_lease_s": first_s, "ranked_after_s": ranked_s, "single": percentiles(single),
            "batch32": percentiles(batch)}


def run(size: int, leases: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        selector = Selector("sqlite", Path(folder))
        try:
            with LabelAssistClient(ServiceAddresses(selector=selector.address), timeout=3600) as client:
                client.create_project("pool", strategy="sequential")
                client.set_class_schema("pool", list(CLASSES))
                result = {"size": size, "register_per_s": register(client, size)}
            result["seed_class_scores_s"] = seed_class_scores(selector.url, selector.blobs)
            print(f"{size:,}: registered at {result['register_per_s']:.0f}/s, class scores written in "
                  f"{result['seed_class_scores_s']:.1f} s", flush=True)
            for strategy in STRATEGIES:
                s = result[strategy] = measure(selector.address, strategy, leases)
                print(f"  {strategy}: first {s['first_lease_s']:.2f} s, ranked after {s['ranked_after_s']:.1f} s, "
                      f"NextSample {s['single']['p50_ms']:.1f}/"
                      f"{s['single']['p99_ms']:.1f} ms, NextSamples(32) {s['batch32']['p50_ms']:.1f} ms", flush=True)
            result["peak_memory_mib"] = selector.peak_memory_mib()
        finally:
            selector.stop()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--leases", type=int, default=100)
    args = parser.parse_args(argv)
    results = [run(int(size), args.leases) for size in args.sizes.split(",")]
    lines = ["# The classification strategies at scale", "",
             "Through the running selector (SQLite) over gRPC: pools of tiny samples with object classes "
             f"common/rare, {LABELLED} labelled with classes, class scores of every unlabelled sample written as "
             "the class scorer writes them (scoring itself not measured). The first lease (in the pool's order "
             "while the strategy's first queue is built in the background, for pools over 10,000), the time until "
             f"leases come ranked; then {args.leases} leases of one annotator who leases and submits (p50 / p99 ms), "
             "and NextSamples(32) (p50 ms of 10).", "",
             "| pool | strategy | first lease (s) | ranked from (s) | NextSample p50 / p99 (ms) | "
             "NextSamples(32) p50 (ms) |", "|---:|---|---:|---:|---:|---:|"]
    for result in results:
        for strategy in STRATEGIES:
            s = result[strategy]
            lines.append(f"| {result['size']:,} | {strategy} | {s['first_lease_s']:.2f} | {s['ranked_after_s']:.1f} | "
                         f"{s['single']['p50_ms']:.1f} / {s['single']['p99_ms']:.1f} | {s['batch32']['p50_ms']:.1f} |")
    lines += ["", "Registration: " + ", ".join(f"{r['size']:,} at {r['register_per_s']:.0f} samples/s" for r in results)
              + "; selector peak memory: " + ", ".join(f"{r['peak_memory_mib']:.0f} MiB" for r in results) + "."]
    return publish("class_pool", {"results": results}, lines, "python benchmarks/bench_class_pool.py",
                   " (shared with other work: the load varied)")


if __name__ == "__main__":
    raise SystemExit(main())
