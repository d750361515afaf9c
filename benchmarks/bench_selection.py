"""Selection time against pool size, on precomputed scores and embeddings.

    python benchmarks/bench_selection.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import median_seconds, publish  # noqa: E402

from labelassist.selector.strategies import coreset, random, sequence_aware, uncertainty  # noqa: E402

BATCH = 32


def main() -> int:
    rng = np.random.default_rng(0)
    rows = []
    for pool in (10_000, 100_000, 1_000_000):
        candidates = np.arange(pool)
        scores = rng.random(pool)
        sequences = rng.integers(0, pool // 20, pool)
        for name, run in (("random", lambda: random(candidates, BATCH, seed=1)),
                          ("sequence_aware", lambda: sequence_aware(candidates, BATCH, sequences=sequences)),
                          ("uncertainty", lambda: uncertainty(candidates, BATCH, score_table={"entropy_mean": scores}))):
            rows.append((name, pool, "", median_seconds(run, 5)[0]))
    for pool in (10_000, 100_000):
        embeddings = rng.normal(size=(pool, 256)).astype(np.float32)
        rows.append(("coreset", pool, "256-d", median_seconds(
            lambda: coreset(np.arange(pool), BATCH, embeddings=embeddings), 3)[0]))
    baseline = {name: seconds for name, pool, _, seconds in rows if pool == 10_000}
    lines = ["# Selection time against pool size", "",
             f"Picking a batch of {BATCH}; median of 5 (core-set: 3) runs; growth = time / time at 10 k.", "",
             "| strategy | pool | embeddings | ms | growth vs 10 k |", "|---|---:|---|---:|---:|"]
    lines += [f"| {name} | {pool:,} | {dims} | {seconds * 1e3:.2f} | {seconds / baseline[name]:.1f}× |"
              for name, pool, dims, seconds in rows]
    return publish("selection", {"rows": rows}, lines, "python benchmarks/bench_selection.py")


if __name__ == "__main__":
    sys.exit(main())
