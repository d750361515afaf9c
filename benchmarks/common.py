"""Shared benchmark helpers: medians over repeats, machine description, output."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from labelassist.evaluation.machine import machine  # noqa: F401 - re-exported for the scripts

RESULTS = Path(__file__).parent / "results"


def median_seconds(function: Callable[[], object], repeats: int, warmup: int = 1) -> tuple[float, list[float]]:
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), samples


def write_results(name: str, payload: dict, table: str, folder: Path = RESULTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(payload, indent=2))
    path = folder / f"{name}.md"
    path.write_text(table)
    return path


def footer(info: dict, command: str, extra: str = "") -> list[str]:
    """The closing lines of every results table: the machine and the command."""
    return ["", f"Machine: {info['cpus']} CPUs, {info['processor']}, Python {info['python']}{extra}.",
            f"Command: `{command}`", ""]


def publish(name: str, payload: dict, lines: list[str], command: str, extra: str = "") -> int:
    """Close a results table with the machine and the command, write it and
    ``payload`` (with the machine) to results/, print it; the exit code 0."""
    info = machine()
    table = "\n".join([*lines, *footer(info, command, extra)])
    write_results(name, {**payload, "machine": info}, table)
    print(table)
    return 0
