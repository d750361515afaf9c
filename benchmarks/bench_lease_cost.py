"""What one lease costs the selector on PostgreSQL, in-process: SQL
statements sent and CPU seconds per lease, for two checkouts of the
selector in one run (this one, and ``--baseline``: another checkout's
``services`` folder, imported as ``labelassist`` in a process of its own).

Each checkout gets a fresh database with a pool of tiny samples, scores for
every sample, and 200 leases per strategy by 8 annotators in turn (each
released again), with the background builder off. CPU seconds are the
process's, so they hold on a busy machine better than wall time does.

    python benchmarks/bench_lease_cost.py --baseline /path/to/other/checkout/services [--size 3000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, footer, machine, write_results  # noqa: E402

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
STRATEGIES = ("sequential", "random", "uncertainty", "hybrid")
LEASES = 200


def measure(size: int) -> dict:
    """Statements and CPU per lease for each strategy, with the ``labelassist`` this process imports."""
    import numpy as np
    import psycopg
    import sqlalchemy as sa

    from labelassist.selector.ranked_queue import RankedQueues
    from labelassist.selector.scoring import SCORE_NAMES
    from labelassist.selector.store import Store

    database = f"labelassist_lease_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {database}")
    try:
        store = Store(f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}", Path(tempfile.mkdtemp()) / "blobs")
        project = store.create_project("pool", strategy="sequential")
        rng = np.random.default_rng(0)
        bank = rng.integers(0, 4000, (64, 16, 16), dtype=np.uint16)
        for start in range(0, size, 2000):
            store.add_samples(project, [{"stem": f"t{i:07d}", "image": bank[i % 64], "sequence": f"s{i % 100}"}
                                        for i in range(start, min(size, start + 2000))])
        store.refresh_statistics()
        rows = store.samples(project)
        while batch := list(itertools.islice(rows, 5000)):
            store.save_scores(batch, 1, list(rng.random((len(batch), len(SCORE_NAMES)), dtype=np.float32)),
                              list(rng.normal(size=(len(batch), 32)).astype(np.float32)))
        counting, statements = [False], [0]

        def count(*_arguments):
            statements[0] += counting[0]

        for engine in {store.engine, getattr(store, "lease_engine", store.engine)}:
            sa.event.listen(engine, "before_cursor_execute", count)
        queues = RankedQueues(store, background=False)
        result = {}
        for strategy in STRATEGIES:
            queues.lease(project, "warm-up", strategy)
            statements[0], cpu = 0, 0.0
            for index in range(LEASES):
                started = time.process_time()
                counting[0] = True
                leased = queues.lease(project, f"annotator{index % 8}", strategy)
                counting[0] = False
                cpu += time.process_time() - started
                for row, _ in leased:
                    store.release_lease(row.id, f"annotator{index % 8}")
            result[strategy] = {"statements": statements[0] / LEASES, "cpu_ms": 1e3 * cpu / LEASES}
        store.close()
        return result
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {database} WITH (FORCE)")


def run_checkout(services: Path | None, size: int) -> dict:
    """:func:`measure` in a child process importing ``services`` as ``labelassist`` (None: this checkout)."""
    environment = dict(os.environ)
    if services is not None:
        # A folder named labelassist on the path, ahead of the installed package.
        link = Path(tempfile.mkdtemp()) / "labelassist"
        link.symlink_to(services.resolve())
        environment["PYTHONPATH"] = f"{link.parent}{os.pathsep}{environment.get('PYTHONPATH', '')}"
    run = subprocess.run([sys.executable, __file__, "--child", str(size)], env=environment, capture_output=True,
                         text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, required="--child" not in sys.argv,
                        help="the services folder of the checkout to compare with")
    parser.add_argument("--size", type=int, default=3000)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return 0
    results = {"baseline": run_checkout(args.baseline, args.size), "this": run_checkout(None, args.size),
               "size": args.size}
    lines = ["# What one lease costs on PostgreSQL", "",
             f"In-process, {args.size:,} samples, {LEASES} leases per strategy by 8 annotators in turn; "
             "statements sent and CPU ms (the process's) per lease.", "",
             "| strategy | statements, baseline | this | CPU ms, baseline | this |", "|---|---:|---:|---:|---:|"]
    for strategy in STRATEGIES:
        before, after = results["baseline"][strategy], results["this"][strategy]
        lines.append(f"| {strategy} | {before['statements']:.1f} | {after['statements']:.1f} "
                     f"| {before['cpu_ms']:.1f} | {after['cpu_ms']:.1f} |")
    command = "python benchmarks/bench_lease_cost.py " + " ".join(sys.argv[1:])
    path = write_results("lease_cost", {**results, "machine": machine(), "command": command},
                         "\n".join(lines + footer(machine(), command)), RESULTS)
    print(path.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
