"""Load: 16 concurrent clients, each in its own process, streaming 2048²
uint16 images through assist for 60 s (a pre-processing call that returns
the whole image: 8 MiB up, 16 MiB of float32 down); reports
errors, requests per second and latency p50/p99, against one client alone
in the same run.

    python benchmarks/bench_load.py [--clients 16] [--seconds 60] [--size 2048]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import footer, machine, write_results  # noqa: E402

from labelassist.client.sdk import LabelAssistClient  # noqa: E402
from labelassist.stack import temporary_stack  # noqa: E402

STEP = ("stretch", {})


def client_loop(addresses, size: int, seconds: float, seed: int, start_at: float, results) -> None:
    """One annotator's client: back-to-back calls until time is up."""
    image = np.random.default_rng(seed).integers(0, 65535, (size, size), dtype=np.uint16)
    latencies, errors, moved = [], [], 0
    with LabelAssistClient(addresses, timeout=120, retries=0) as client:
        client.preprocess(image[:64, :64], [STEP])  # connect
        while time.time() < start_at:
            time.sleep(0.005)
        stop_at = start_at + seconds
        while time.time() < stop_at:
            started = time.perf_counter()
            try:
                out, _ = client.preprocess(image, [STEP])
                moved += image.nbytes + out.nbytes
                if out.shape != image.shape:
                    errors.append(f"shape {out.shape}")
            except Exception as error:  # noqa: BLE001 - counted, and the run goes on
                errors.append(str(error)[:200])
            latencies.append(time.perf_counter() - started)
    results.put({"latencies": latencies, "errors": errors, "bytes": moved})


def run_load(addresses, clients: int, seconds: float, size: int) -> dict:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    start_at = time.time() + 5 + clients * 0.3
    workers = [context.Process(target=client_loop, args=(addresses, size, seconds, seed, start_at, results))
               for seed in range(clients)]
    for worker in workers:
        worker.start()
    collected = [results.get(timeout=seconds + 300) for _ in workers]
    for worker in workers:
        worker.join()
    latencies = sorted(x for c in collected for x in c["latencies"])
    errors = [e for c in collected for e in c["errors"]]
    quantile = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    return {"clients": clients, "seconds": seconds, "requests": len(latencies), "errors": len(errors),
            "error_samples": errors[:5], "requests_per_s": len(latencies) / seconds,
            "mib_per_s": sum(c["bytes"] for c in collected) / 2**20 / seconds,
            "p50_ms": 1e3 * statistics.median(latencies), "p99_ms": 1e3 * quantile(0.99),
            "max_ms": 1e3 * latencies[-1]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--size", type=int, default=2048)
    args = parser.parse_args()
    with temporary_stack() as addresses:
        single = run_load(addresses, 1, min(args.seconds, 20), args.size)
        loaded = run_load(addresses, args.clients, args.seconds, args.size)
        health = LabelAssistClient(addresses).health()
    rows = [("1 client alone", single), (f"{args.clients} clients at once", loaded)]
    lines = [f"# Load: concurrent clients streaming {args.size}² images through assist", "",
             f"Each client is its own process calling Preprocess({STEP[0]}) back to back with a {args.size}² "
             f"uint16 image ({args.size * args.size * 2 / 2**20:.0f} MiB up; the stretched float32 image down) on "
             "loopback; "
             "the services run as `labelassist up` starts them.", "",
             "| load | requests | errors | requests/s | MiB/s (up+down) | p50 ms | p99 ms | max ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {name} ({r['seconds']:.0f} s) | {r['requests']} | {r['errors']} | {r['requests_per_s']:.1f} | "
              f"{r['mib_per_s']:.0f} | {r['p50_ms']:.0f} | {r['p99_ms']:.0f} | {r['max_ms']:.0f} |"
              for name, r in rows]
    lines += ["", f"p50 under load / p50 alone: {loaded['p50_ms'] / single['p50_ms']:.1f}× "
              f"({args.clients} clients share the machine's cores); throughput under load / alone: "
              f"{loaded['requests_per_s'] / single['requests_per_s']:.2f}×. Health after the run: "
              + ", ".join(f"{k} {v}" for k, v in health.items()) + "."]
    info = machine()
    lines += footer(info, "python benchmarks/bench_load.py")
    table = "\n".join(lines)
    write_results("load", {"single": single, "loaded": loaded, "health": health, "machine": info}, table)
    print(table)
    return 0 if loaded["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
