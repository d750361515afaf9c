"""Replicas that share the load: 16 clients streaming 2048² images through
``Preprocess`` against one assist replica, then against two behind one
balanced address (``host:p1,host:p2``: round robin, health-checked), in
the same run; and how the calls split between the two.

    python benchmarks/bench_replicas.py [--clients 16] [--seconds 30] [--size 2048]

On this 2-core machine the two replicas share the same cores, so the ratio
shows that calls spread (and what that costs), not a doubling.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_load import run_load  # noqa: E402
from common import publish  # noqa: E402

from labelassist.client.sdk import ServiceAddresses  # noqa: E402


def start_assist(folder: Path, index: int) -> tuple[subprocess.Popen, str, Path]:
    ready, log = folder / f"assist{index}.json", folder / f"assist{index}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "labelassist.assist", "--host", "127.0.0.1", "--port", "0",
                                    "--data-dir", str(folder / f"data{index}"), "--ready-file", str(ready)],
                                   stdout=out, stderr=out)
    deadline = time.monotonic() + 60
    while not ready.exists():
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit(f"assist {index} did not start")
        time.sleep(0.1)
    return process, json.loads(ready.read_text())["address"], log


def calls_in(log: Path) -> int:
    return sum(1 for line in log.read_text().splitlines()
               if line.startswith("{") and '"/labelassist.v1.AssistService/Preprocess"' in line and '"OK"' in line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--size", type=int, default=2048)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = [start_assist(Path(folder), index) for index in range(2)]
        try:
            one = run_load(ServiceAddresses(assist=started[0][1]), args.clients, args.seconds, args.size)
            before = [calls_in(log) for _, _, log in started]
            both = run_load(ServiceAddresses(assist=",".join(a for _, a, _ in started)), args.clients,
                            args.seconds, args.size)
            split = [calls_in(log) - b for (_, _, log), b in zip(started, before)]
        finally:
            for process, _, _ in started:
                process.send_signal(signal.SIGTERM)
                process.wait(30)
    rows = [("1 replica", one), ("2 replicas, one balanced address", both)]
    lines = [f"# Two assist replicas under {args.clients} clients", "",
             f"Each client is its own process calling Preprocess(stretch) back to back with a {args.size}² uint16 "
             "image on loopback, first against one assist replica, then against two behind one address list.", "",
             "| target | requests | errors | requests/s | p50 ms | p99 ms |", "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {name} | {r['requests']} | {r['errors']} | {r['requests_per_s']:.1f} | {r['p50_ms']:.0f} | "
              f"{r['p99_ms']:.0f} |" for name, r in rows]
    lines += ["", f"Throughput with two replicas / one: {both['requests_per_s'] / one['requests_per_s']:.2f}×; "
                  f"calls answered by each of the two: {split[0]} and {split[1]}."]
    return publish("replicas", {"one": one, "two": both, "split": split}, lines,
                   f"python benchmarks/bench_replicas.py --clients {args.clients} --seconds {args.seconds:g}")


if __name__ == "__main__":
    sys.exit(main())
