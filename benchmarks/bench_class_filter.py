"""The sample list filtered by class at scale, through the running selector
(RPC): a project of 100,000 labelled tiny samples with object and image
classes on SQLite and PostgreSQL; the first ListSamples page (1,000
samples) unfiltered and filtered by a common, an uncommon and a rare object
class, an image class and objects without a class, and Progress (which
counts the samples per class).

    python benchmarks/bench_class_filter.py [--size 100000] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_pool import Selector, percentiles  # noqa: E402
from common import publish  # noqa: E402

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses  # noqa: E402
from labelassist.proto.v1 import selector_pb2  # noqa: E402

REPEATS = 20
FILTERS = {"none": None, "object: common": {"object_class": "common"},
           "object: uncommon (10 %)": {"object_class": "uncommon"}, "object: rare (0.1 %)": {"object_class": "rare"},
           "image: blurred (2 %)": {"image_class": "blurred"},
           "objects without a class (13 %)": {"unclassified_objects": True}}


def labelled_samples(size: int):
    """Samples with a two-object label: object 1 "common", object 2 "uncommon"
    in every 10th, "rare" in every 1000th, without a class in every 7th
    other, else "common"; every 50th image "blurred", the others "in-focus"."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 4000, (256, 16, 16), dtype=np.uint16)
    label = np.zeros((16, 16), np.uint16)
    label[2:7, 2:7], label[9:14, 9:14] = 1, 2
    for i in range(size):
        second = "rare" if i % 1000 == 0 else "uncommon" if i % 10 == 0 else None if i % 7 == 0 else "common"
        objects = {1: "common"} | ({2: second} if second else {})
        yield {"stem": f"t{i:07d}", "image": images[i % len(images)], "label": label, "object_classes": objects,
               "image_classes": ["blurred" if i % 50 == 0 else "in-focus"]}


def run(database: str, size: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        selector = Selector(database, Path(folder))
        try:
            with LabelAssistClient(ServiceAddresses(selector=selector.address), timeout=3600) as client:
                client.create_project("pool")
                client.set_class_schema("pool", ["common", "uncommon", "rare"], ["in-focus", "blurred"])
                started = time.perf_counter()
                added = client.add_samples("pool", labelled_samples(size)).added
                assert added == size, added
                result = {"database": database, "size": size, "register_per_s": size / (time.perf_counter() - started)}
                print(f"{database} {size:,}: registered at {result['register_per_s']:.0f}/s", flush=True)
                for name, wanted in FILTERS.items():
                    request = selector_pb2.ListSamplesRequest(
                        project="pool", class_filter=selector_pb2.SampleClassFilter(**wanted) if wanted else None)
                    seconds, listed = [], 0
                    for _ in range(REPEATS):
                        started = time.perf_counter()
                        listed = len(client.selector.stub.ListSamples(request).samples)
                        seconds.append(time.perf_counter() - started)
                    result[name] = {**percentiles(seconds), "listed": listed}
                    print(f"  {name}: {result[name]['p50_ms']:.1f} ms for {listed}", flush=True)
                seconds = []
                for _ in range(REPEATS):
                    started = time.perf_counter()
                    counts = client.progress("pool").class_counts
                    seconds.append(time.perf_counter() - started)
                result["progress"] = percentiles(seconds)
                result["class_counts"] = {f"{c.kind}: {c.name}": c.samples for c in counts}
        finally:
            selector.stop()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    results = [run(database, args.size) for database in args.databases.split(",")]
    lines = ["# The sample list filtered by class", "",
             f"Through the running selector over gRPC: {args.size:,} labelled 16×16 samples with object and image "
             f"classes; the first ListSamples page (at most 1,000 samples), median / p99 ms of {REPEATS} calls, "
             "and how many samples it listed.", "",
             "| filter | " + " | ".join(r["database"] for r in results) + " |",
             "|---|" + "---:|" * len(results)]
    for name in FILTERS:
        lines.append(f"| {name} | " + " | ".join(f"{r[name]['p50_ms']:.1f} / {r[name]['p99_ms']:.1f} "
                                                  f"({r[name]['listed']})" for r in results) + " |")
    lines.append("| Progress (with the counts per class) | " + " | ".join(
        f"{r['progress']['p50_ms']:.1f} / {r['progress']['p99_ms']:.1f}" for r in results) + " |")
    lines += ["", "Registration (AddSamples with labels and classes): " + ", ".join(
        f"{r['database']} {r['register_per_s']:.0f} samples/s" for r in results) + "."]
    command = ("python benchmarks/bench_class_filter.py " + " ".join(sys.argv[1:])).strip()
    return publish("class_filter", {"results": results}, lines, command)


if __name__ == "__main__":
    sys.exit(main())
