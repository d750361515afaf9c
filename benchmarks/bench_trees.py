"""The desktop client's brush step on two checkouts, in interleaved rounds:
one measure of a change, before against after, on one busy machine, where a
single run of each is within noise. Each checkout runs with its own Python
(``CHECKOUT/.venv/bin/python``, the checkout installed into it), a fresh
stack and process per run, and the ratio of each round's pair is compared.

    python benchmarks/bench_trees.py --before ../old-checkout --after . --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

SIZES = (1024, 2048)


def measure_here(repeats: int) -> dict:
    """The brush measure of ``bench_gui`` in this process's checkout."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(Path.cwd() / "benchmarks"))  # the measured checkout's own bench_gui
    import bench_gui
    from PySide6.QtWidgets import QApplication

    from labelassist.client.gui.app import Connection, MainWindow
    from labelassist.stack import temporary_stack

    app = QApplication.instance() or QApplication(sys.argv)
    with temporary_stack() as addresses:
        window = MainWindow(Connection.from_addresses(addresses), "bench")
        window.resize(1400, 900)
        window.show()
        brush = [bench_gui.brush_repaint(window, size, repeats=repeats) for size in SIZES]
        window.dirty = False
        window.close()
    del app
    return {"brush": brush}


def run_in(checkout: Path, repeats: int) -> dict:
    """One run in ``checkout``'s own Python and code."""
    script = checkout / "benchmarks" / Path(__file__).name
    if not script.exists():  # an older checkout: this script measures it from here
        script = Path(__file__).resolve()
    done = subprocess.run([str(checkout / ".venv" / "bin" / "python"), str(script), "--measure", str(repeats)],
                          cwd=checkout, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"the run in {checkout} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path)
    parser.add_argument("--after", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=120, help="brush steps per run")
    parser.add_argument("--measure", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure_here(args.measure)))
        return 0
    if not (args.before and args.after):
        parser.error("--before and --after name the two checkouts")
    rows = []
    for round_ in range(args.rounds):
        pair = {name: run_in(tree.resolve(), args.repeats) for name, tree in (("before", args.before),
                                                                              ("after", args.after))}
        rows.append(pair)
        print(f"round {round_ + 1}/{args.rounds}: " + ", ".join(
            f"{name} {pair[name]['brush'][-1]['stroke_step_ms']:.1f} ms" for name in pair), file=sys.stderr)
    for index, size in enumerate(SIZES):
        ratios = [row["after"]["brush"][index]["stroke_step_ms"] / row["before"]["brush"][index]["stroke_step_ms"]
                  for row in rows]
        print(f"brush step {size}²: ratios after/before {', '.join(f'{r:.2f}' for r in ratios)}; "
              f"median {statistics.median(ratios):.2f}")
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
