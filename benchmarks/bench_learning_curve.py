"""How well the learning-curve estimator predicts: from the HeLa
label-efficiency runs (benchmarks/results/label_efficiency_hela), fit each
strategy's per-seed test Dice at 8 and 16 labels and predict the Dice at 32;
compare with what 32 labels measured.

    python benchmarks/bench_learning_curve.py
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, publish  # noqa: E402

from labelassist.selector.learning_curve import outlook  # noqa: E402

SOURCE = RESULTS / "label_efficiency_hela" / "results.json"


def main() -> int:
    runs = json.loads(SOURCE.read_text())
    rows, errors, covered = [], [], 0
    for name, strategy in runs["strategies"].items():
        points = [(p["labels"], p["dice"]) for run in strategy["runs"] for p in run if p["labels"] <= 16]
        measured = statistics.mean(p["dice"] for run in strategy["runs"] for p in run if p["labels"] == 32)
        seen = outlook([p[0] for p in points], [p[1] for p in points], ahead=16)
        error = seen.predicted - measured
        inside = seen.low <= measured <= seen.high
        errors.append(abs(error))
        covered += inside
        rows.append({"strategy": name, "predicted": seen.predicted, "low": seen.low, "high": seen.high,
                     "measured": measured, "error": error, "inside": inside, "worth_it": seen.worth_it})
    lines = ["# Learning-curve estimate: Dice at 32 labels from 8 and 16", "",
             "Per strategy, the test Dice of every seed at 8 and 16 labels (the HeLa label-efficiency runs) "
             "fitted with the inverse power law (exponent fixed at 0.5 with two label counts), predicting 32.", "",
             "| strategy | predicted at 32 | 80 % interval | measured at 32 | error | measured inside |",
             "|---|---:|---:|---:|---:|---|"]
    lines += [f"| {r['strategy']} | {r['predicted']:.4f} | {r['low']:.4f}–{r['high']:.4f} | {r['measured']:.4f} | "
              f"{r['error']:+.4f} | {'yes' if r['inside'] else 'no'} |" for r in rows]
    lines += ["", f"Mean absolute error {statistics.mean(errors):.4f} Dice (largest {max(errors):.4f}); "
              f"measured inside the interval for {covered} of {len(rows)} strategies."]
    return publish("learning_curve", {"rows": rows, "mean_absolute_error": statistics.mean(errors),
                                      "max_absolute_error": max(errors), "covered": covered},
                   lines, "python benchmarks/bench_learning_curve.py")


if __name__ == "__main__":
    raise SystemExit(main())
