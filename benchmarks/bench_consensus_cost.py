"""What the consensus of three annotators' labels costs: CPU seconds for a
2048² label with 500 objects per annotator, by stage (matching the objects,
estimating the annotators, merging), beside the same consensus with a plain
pixel-majority outline in the same process; with ``--baseline``, another
checkout's ``services`` measured the same way in a process of its own, on
the same labels, and its consensus compared pixel for pixel with this one's.

    python benchmarks/bench_consensus_cost.py [--repeats 7] [--rounds 3]
        [--baseline /path/to/other/checkout/services] [--profile 25]

Each figure is the median over ``--repeats`` runs in one process (times
``--rounds`` processes per checkout, taken in turn). CPU seconds are the
process's, so they hold on a busy machine better than wall time does; the
majority-only consensus, measured in the same process, is the baseline the
weighted outline is read against.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, footer, machine, write_results  # noqa: E402

STAGES = ("match", "voters", "merge")


def crowded_labels(size: int = 2048, objects: int = 500, seed: int = 0) -> list[np.ndarray]:
    """Three annotators' labels of one image with ``objects`` square nuclei
    in rows, each annotator's shifted sideways by up to 2 px: every object
    drawn by all three, its outlines apart by jitter."""
    rng = np.random.default_rng(seed)
    reference = np.zeros((size, size), np.int32)
    side = size // 23
    positions = [(r, c) for r in range(22) for c in range(23)][:objects]
    for object_id, (r, c) in enumerate(positions, start=1):
        reference[r * side + 4:r * side + side - 4, c * side + 4:c * side + side - 4] = object_id
    return [np.roll(reference, int(rng.integers(-2, 3)), axis=1) for _ in range(3)]


def _majority_outline(masks, variances=None) -> np.ndarray:
    """The pixels most of the masks hold: the outline with no distances."""
    masks = np.asarray(masks, bool)
    return 2 * masks.sum(axis=0) > len(masks)


def _median_cost(function, repeats: int) -> dict:
    cpu, wall = [], []
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        function()
        cpu.append(time.process_time() - cpu_started)
        wall.append(time.perf_counter() - started)
    return {"cpu_s": statistics.median(cpu), "wall_s": statistics.median(wall), "cpu_runs": cpu}


def measure(repeats: int, output: Path | None = None) -> dict:
    """The costs with the ``labelassist`` this process imports."""
    from unittest import mock

    from labelassist.imaging import consensus

    labels = crowded_labels()
    names = ["0", "1", "2"]
    consensus.consensus_label([label[:256, :256] for label in labels])  # a running service has its imports done
    result = {"consensus": _median_cost(lambda: consensus.consensus_label(labels), repeats)}
    with mock.patch.object(consensus, "outline_vote", _majority_outline):
        result["majority_only"] = _median_cost(lambda: consensus.consensus_label(labels), repeats)
    matched = consensus.match_objects(labels)
    estimated = consensus.estimate_voters([(names, matched)])
    voters = [estimated[n] for n in names]
    stages = {"match": lambda: consensus.match_objects(labels),
              "voters": lambda: consensus.estimate_voters([(names, matched)]),
              "merge": lambda: consensus.merge(matched, voters)}
    result["stages"] = {stage: _median_cost(run, repeats)["cpu_s"] for stage, run in stages.items()}
    if output is not None:
        np.save(output, consensus.consensus_label(labels))
    return result


def run_checkout(services: Path | None, repeats: int, output: Path) -> dict:
    """:func:`measure` in a child process importing ``services`` as ``labelassist`` (None: this checkout)."""
    environment = dict(os.environ)
    with tempfile.TemporaryDirectory() as folder:
        if services is not None:
            # A folder named labelassist on the path, ahead of the installed package.
            link = Path(folder) / "labelassist"
            link.symlink_to(services.resolve())
            environment["PYTHONPATH"] = f"{folder}{os.pathsep}{environment.get('PYTHONPATH', '')}"
        run = subprocess.run([sys.executable, __file__, "--child", str(repeats), "--output", str(output)],
                             env=environment, capture_output=True, text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def _pooled(runs: list[dict]) -> dict:
    """Medians over every run of every round."""
    def median(key):
        return statistics.median(cpu for run in runs for cpu in run[key]["cpu_runs"])
    return {"consensus_cpu_s": median("consensus"), "majority_only_cpu_s": median("majority_only"),
            "consensus_wall_s": statistics.median(run["consensus"]["wall_s"] for run in runs),
            "stages_cpu_s": {stage: statistics.median(run["stages"][stage] for run in runs) for stage in STAGES},
            "rounds": runs}


def profile(rows: int) -> None:
    """cProfile of one consensus in this checkout, the costliest functions first."""
    import cProfile
    import pstats

    from labelassist.imaging.consensus import consensus_label

    labels = crowded_labels()
    consensus_label([label[:256, :256] for label in labels])
    profiler = cProfile.Profile()
    profiler.runcall(consensus_label, labels)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="the services folder of the checkout to compare with")
    parser.add_argument("--baseline-name", default="baseline", help="how the table names the baseline")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--profile", type=int, metavar="ROWS", help="print a cProfile of this checkout and stop")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.output)))
        return 0
    if args.profile:
        profile(args.profile)
        return 0
    checkouts = {"this": None} if args.baseline is None else {args.baseline_name: args.baseline, "this": None}
    runs: dict[str, list] = {name: [] for name in checkouts}
    with tempfile.TemporaryDirectory() as folder:
        outputs = {name: Path(folder) / f"{name}.npy" for name in checkouts}
        for _ in range(args.rounds):
            for name, services in checkouts.items():
                runs[name].append(run_checkout(services, args.repeats, outputs[name]))
        identical = (None if args.baseline is None
                     else bool(np.array_equal(np.load(outputs[args.baseline_name]), np.load(outputs["this"]))))
    results = {name: _pooled(found) for name, found in runs.items()}
    lines = ["# What the consensus of three costs (2048², 500 objects per annotator)", "",
             f"CPU seconds (the process's), medians of {args.repeats} runs in one process"
             + (f", {args.rounds} processes per checkout taken in turn" if args.rounds > 1 else "")
             + "; the majority-only consensus (the outline where most masks hold a pixel, no distances) "
             "in the same process.", "",
             "| checkout | consensus | majority only | ratio | match objects | estimate annotators | merge | "
             "wall s |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, found in results.items():
        stages = found["stages_cpu_s"]
        lines.append(f"| {name} | {found['consensus_cpu_s']:.3f} | {found['majority_only_cpu_s']:.3f} | "
                     f"{found['consensus_cpu_s'] / found['majority_only_cpu_s']:.2f} | {stages['match']:.3f} | "
                     f"{stages['voters']:.3f} | {stages['merge']:.3f} | {found['consensus_wall_s']:.2f} |")
    if identical is not None:
        lines += ["", f"Consensus identical to the baseline's, pixel for pixel: {'yes' if identical else 'NO'}."]
    load = os.getloadavg()[0]
    lines += ["", f"Load average at the end: {load:.1f}."]
    command = "python benchmarks/bench_consensus_cost.py " + " ".join(sys.argv[1:])
    path = write_results("consensus_cost", {**results, "identical_to_baseline": identical, "load": load,
                                            "machine": machine(), "command": command},
                         "\n".join(lines + footer(machine(), command)), RESULTS)
    print(path.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
