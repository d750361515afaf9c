"""Results over seeds: every benchmark that repeats a run with several
seeds reports a measure the same way."""

from __future__ import annotations

import statistics


def seed_summary(values: list[float]) -> dict:
    """Mean, standard deviation (population) and the values of a measure over seeds."""
    return {"mean": statistics.mean(values), "std": statistics.pstdev(values) if len(values) > 1 else 0.0,
            "per_seed": values}
