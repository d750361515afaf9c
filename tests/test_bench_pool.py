"""The institute-scale selector benchmark runs end to end on SQLite and
PostgreSQL, here at 2,000 samples and 200 all-distinct images (its results
at 10^4-10^6 are in benchmarks/results/pool.md; timings are reported, never
asserted here)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
SCRIPT = Path(__file__).parent.parent / "benchmarks" / "bench_pool.py"


def test_bench_pool_runs_end_to_end_on_both_databases(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--sizes", "2000", "--databases", "sqlite,postgresql", "--leases", "5",
         "--per-annotator", "3", "--batches", "1", "--distinct", "200", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    runs = json.loads((tmp_path / "pool.json").read_text())["results"]
    assert [(r["database"], r["size"]) for r in runs] == [("sqlite", 2000), ("postgresql", 2000)]
    for run in runs:
        assert set(run["strategies"]) == {"sequential", "random", "sequence_aware", "uncertainty", "coreset",
                                          "hybrid"}
        for measured in run["strategies"].values():
            assert measured["single"]["n"] == 5 and measured["concurrent"]["n"] == 8 * 3
        assert run["register_per_s"] > 0 and run["register_distinct_per_s"] > 0 and run["peak_memory_mib"] > 0
    assert "| sqlite | 2,000 | coreset |" in (tmp_path / "pool.md").read_text()
