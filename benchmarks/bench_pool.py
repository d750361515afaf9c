"""The selector at institute scale, through the running selector (RPC, not
the store): pools of 10^4 to 10^6 tiny samples on SQLite and PostgreSQL.

For each pool: the registration rate (AddSamples), then for every strategy
the first lease (which builds its ranked queue), NextSample latency with 1
and with 8 concurrent annotators (each in a process of its own; each leases,
then submits a label, as annotators do), NextSamples(32), Progress, the first
ListSamples page, and the selector's peak memory. Model scores for the
uncertainty strategies are written as the background scorer would (there is
no Triton in this run).

    python benchmarks/bench_pool.py [--sizes 10000,100000,1000000] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, footer, machine, write_results  # noqa: E402

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses  # noqa: E402
from labelassist.proto.v1 import selector_pb2  # noqa: E402
from labelassist.selector.scoring import SCORE_NAMES  # noqa: E402
from labelassist.selector.store import Store  # noqa: E402

STRATEGIES = ("sequential", "random", "sequence_aware", "uncertainty", "coreset", "hybrid")
BANK = 4096  # distinct 16x16 tiles; samples reuse them, so blobs dedupe and the run measures the metadata
SINGLE, CONCURRENT, PER_ANNOTATOR, BATCHES = 100, 8, 50, 10
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


class Selector:
    """The selector as a process of its own, on a fresh database."""

    def __init__(self, database: str, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.created = None
        if database == "postgresql":
            import psycopg

            self.created = f"labelassist_pool_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
                admin.execute(f"CREATE DATABASE {self.created}")
            self.url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.created}"
        else:
            self.url = f"sqlite:///{folder / 'selector.sqlite'}"
        ready = folder / "ready.json"
        self.log = open(folder / "selector.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "labelassist.selector", "--host", "127.0.0.1", "--port", "0", "--data-dir",
             str(folder), "--database-url", self.url, "--ready-file", str(ready)], stdout=self.log, stderr=self.log)
        while not ready.exists():
            if self.process.poll() is not None:
                raise RuntimeError((folder / "selector.log").read_text())
            time.sleep(0.05)
        self.address = json.loads(ready.read_text())["address"]
        self.blobs = folder / "blobs"

    def peak_memory_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        self.log.close()
        if self.created:
            import psycopg

            with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE {self.created} WITH (FORCE)")


def percentiles(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {"p50_ms": 1e3 * statistics.median(ordered),
            "p99_ms": 1e3 * ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))],
            "n": len(ordered)}


def register(client: LabelAssistClient, size: int, distinct: bool) -> float:
    rng = np.random.default_rng(0)
    bank = rng.integers(0, 4000, (BANK, 16, 16), dtype=np.uint16)

    def samples():
        for i in range(size):
            image = rng.integers(0, 4000, (16, 16), dtype=np.uint16) if distinct else bank[i % BANK]
            yield {"stem": f"t{i:07d}", "image": image, "sequence": f"stack{i % 1000:04d}"}

    started = time.perf_counter()
    response = client.add_samples("pool", samples())
    seconds = time.perf_counter() - started
    assert response.added == size and not response.rejected, response
    return size / seconds


def seed_scores(url: str, blobs: Path) -> float:
    """Scores and 32-d embeddings for every sample, as the scorer writes them."""
    store = Store(url, blobs)
    project = store.project("pool")
    rng = np.random.default_rng(1)
    started = time.perf_counter()
    rows = store.samples(project)
    while batch := list(itertools.islice(rows, 5000)):
        store.save_scores(batch, 1, list(rng.random((len(batch), len(SCORE_NAMES)), dtype=np.float32)),
                          list(rng.normal(size=(len(batch), 32)).astype(np.float32)))
    store.close()
    return time.perf_counter() - started


def lease_and_submit(client, strategy: str, annotator: str) -> tuple[float, bool]:
    """A lease's seconds, and whether it leased a sample (the pool here is never used up)."""
    started = time.perf_counter()
    response = client.next_sample("pool", annotator, strategy)
    seconds = time.perf_counter() - started
    if response.sample is None:
        return seconds, False
    client.submit_label(response.sample.sample_id, annotator, np.zeros((16, 16), np.uint8))
    return seconds, True


def annotator_run(address: str, strategy: str, index: int, count: int = PER_ANNOTATOR) -> list[tuple[float, bool]]:
    """One of the concurrent annotators: lease and submit, ``count`` times."""
    try:
        with LabelAssistClient(ServiceAddresses(selector=address), timeout=600) as client:
            client.list_strategies()  # connect
            return [lease_and_submit(client, strategy, f"{strategy}-crowd{index}") for _ in range(count)]
    except Exception as error:  # noqa: BLE001 - SDK errors do not pickle; the parent raises the text
        raise RuntimeError(f"annotator {index}: {type(error).__name__}: {error}") from None


def measure_strategy(address: str, strategy: str, counts: dict, annotators) -> dict:
    addresses = ServiceAddresses(selector=address)
    with LabelAssistClient(addresses, timeout=600) as client:
        started = time.perf_counter()
        client.submit_label(client.next_sample("pool", f"{strategy}-first", strategy).sample.sample_id,
                            f"{strategy}-first", np.zeros((16, 16), np.uint8))
        first = time.perf_counter() - started
        single = [lease_and_submit(client, strategy, f"{strategy}-solo") for _ in range(counts["leases"])]
    per_annotator = annotators.starmap(annotator_run, [(address, strategy, index, counts["per_annotator"])
                                                       for index in range(CONCURRENT)])
    concurrent = [seconds for times in per_annotator for seconds, _ in times]
    empty = sum(not leased for times in per_annotator + [single] for _, leased in times)
    batch = []
    with LabelAssistClient(addresses, timeout=600) as client:
        for _ in range(counts["batches"]):
            started = time.perf_counter()
            leased = client.next_samples("pool", f"{strategy}-tablet", 32, strategy).leased
            batch.append(time.perf_counter() - started)
            assert len(leased) == 32, len(leased)
            for item in leased:
                client.release_sample(item.sample.sample_id, f"{strategy}-tablet", skip=True, reason="benchmark")
    return {"first_lease_s": first, "single": percentiles([seconds for seconds, _ in single]),
            "concurrent": percentiles(concurrent), "batch32": percentiles(batch), "empty_answers": empty}


def run_pool(database: str, size: int, distinct_size: int, counts: dict, annotators) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        selector = Selector(database, Path(folder))
        try:
            result = {"database": database, "size": size}
            with LabelAssistClient(ServiceAddresses(selector=selector.address), timeout=3600) as client:
                client.create_project("pool", strategy="sequential")
                result["register_per_s"] = register(client, size, distinct=False)
            print(f"{database} {size:,}: registered at {result['register_per_s']:.0f}/s", flush=True)
            result["seed_scores_s"] = seed_scores(selector.url, selector.blobs)
            result["strategies"] = {}
            for strategy in STRATEGIES:
                s = result["strategies"][strategy] = measure_strategy(selector.address, strategy, counts,
                                                                      annotators)
                print(f"  {strategy}: first {s['first_lease_s']:.2f} s, 1: {s['single']['p50_ms']:.1f}/"
                      f"{s['single']['p99_ms']:.1f} ms, 8: {s['concurrent']['p50_ms']:.1f}/"
                      f"{s['concurrent']['p99_ms']:.1f} ms, batch 32 p50 {s['batch32']['p50_ms']:.1f} ms", flush=True)
            with LabelAssistClient(ServiceAddresses(selector=selector.address), timeout=600) as client:
                progress, listing = [], []
                for _ in range(20):
                    started = time.perf_counter()
                    client.progress("pool")
                    progress.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    client.selector.stub.ListSamples(selector_pb2.ListSamplesRequest(project="pool"))
                    listing.append(time.perf_counter() - started)
            result["progress"], result["list_first_page"] = percentiles(progress), percentiles(listing)
            result["peak_memory_mib"] = selector.peak_memory_mib()
        finally:
            selector.stop()
        if distinct_size:
            reference = Selector(database, Path(folder) / "distinct")
            try:
                with LabelAssistClient(ServiceAddresses(selector=reference.address), timeout=3600) as client:
                    client.create_project("pool")
                    result["register_distinct_per_s"] = register(client, distinct_size, distinct=True)
            finally:
                reference.stop()
        return result


def table(results: list[dict], command: str) -> str:
    lines = ["# The selector at institute scale", "",
             "Through the running selector over gRPC; tiny 16×16 samples (the point is the metadata). "
             "Latencies are NextSample round trips in ms (p50 / p99); each annotator submits a label after "
             "each lease. \"First lease\" includes building the strategy's ranked queue; \"empty answers\" "
             "counts leases answered with no sample although the pool held free ones.", "",
             "| database | pool | strategy | first lease s | 1 annotator | 8 annotators "
             "| NextSamples(32) p50 | empty answers |", "|---|---:|---|---:|---:|---:|---:|---:|"]
    for r in results:
        for name, s in r["strategies"].items():
            lines.append(f"| {r['database']} | {r['size']:,} | {name} | {s['first_lease_s']:.2f} "
                         f"| {s['single']['p50_ms']:.1f} / {s['single']['p99_ms']:.1f} "
                         f"| {s['concurrent']['p50_ms']:.1f} / {s['concurrent']['p99_ms']:.1f} "
                         f"| {s['batch32']['p50_ms']:.1f} | {s.get('empty_answers', '–')} |")
    lines += ["", "| database | pool | registration /s | distinct images /s | Progress p50 ms "
              "| ListSamples first page p50 ms | selector peak MiB |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        distinct = f"{r['register_distinct_per_s']:.0f}" if "register_distinct_per_s" in r else "–"
        lines.append(f"| {r['database']} | {r['size']:,} | {r['register_per_s']:.0f} | {distinct} "
                     f"| {r['progress']['p50_ms']:.1f} | {r['list_first_page']['p50_ms']:.1f} "
                     f"| {r['peak_memory_mib']:.0f} |")
    return "\n".join(lines + footer(machine(), command))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--name", default="pool", help="results file name")
    parser.add_argument("--out", type=Path, default=None, help="folder for the results (default benchmarks/results)")
    parser.add_argument("--leases", type=int, default=SINGLE, help="leases by the single annotator, per strategy")
    parser.add_argument("--per-annotator", type=int, default=PER_ANNOTATOR,
                        help="leases by each of the 8 concurrent annotators, per strategy")
    parser.add_argument("--batches", type=int, default=BATCHES, help="NextSamples(32) calls per strategy")
    parser.add_argument("--distinct", type=int, default=None,
                        help="images in the all-distinct registration (default: the smallest pool, where it is "
                             "10^4 or less; 0: none)")
    parser.add_argument("--update", action="store_true",
                        help="keep the other pools of an existing results file; replace the ones measured now")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    counts = {"leases": args.leases, "per_annotator": args.per_annotator, "batches": args.batches}
    # Each concurrent annotator in a process of its own, so client work does not share one interpreter
    # lock; one pool of them for the whole run (each annotator still opens its own channel per strategy),
    # not a pool started per strategy, whose start-up is never measured.
    with multiprocessing.get_context("spawn").Pool(CONCURRENT) as annotators:
        # The all-distinct registration (a fsynced file per sample) only beside the smallest pool.
        distinct = args.distinct if args.distinct is not None else min(sizes) * (min(sizes) <= 10_000)
        results = [run_pool(database, size, distinct * (size == min(sizes)), counts, annotators)
                   for database in args.databases.split(",") for size in sizes]
    command = ("python benchmarks/bench_pool.py " + " ".join(sys.argv[1:])).strip()
    existing = (args.out or RESULTS) / f"{args.name}.json"
    if args.update and existing.exists():
        previous = json.loads(existing.read_text())
        measured = {(r["database"], r["size"]) for r in results}
        results = [r for r in previous["results"] if (r["database"], r["size"]) not in measured] + results
        results.sort(key=lambda r: (r["database"] != "postgresql", r["size"]))
        command = f"{previous['command']}; then {command}"
    payload = {"results": results, "machine": machine(), "command": command}
    path = write_results(args.name, payload, table(results, command), args.out or RESULTS)
    print(path.read_text())
    return 0


if __name__ == "__main__":
    os.environ.setdefault("LABELASSIST_LOG_LEVEL", "WARNING")
    sys.exit(main())
