"""The label-error ranking benchmark: plant errors in a dataset's test
labels, store them in a project beside its accepted training labels, ask
inspect for the review queue (``RankLabelErrors``) and measure it as a
detector.

A planted error counts as found at the first suspect whose box overlaps
the region the corruption changed (3 px slack). Average precision is the
mean, over every planted error, of the precision at the rank where it is
first found (0 for one never found): the area under the
precision-recall curve of the suspect list. Suspects on labels without a
planted error are false positives, even where the reference itself is
wrong (a reference that misses a nucleus is a real error no one planted).
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labelassist.evaluation.corruptions import CORRUPTIONS, interior_ids


@dataclass
class Planted:
    stem: str
    kind: str
    region: np.ndarray


def plant_errors(stems, labels, share: float, seed: int) -> tuple[list[np.ndarray], dict[str, Planted]]:
    """One corruption in ``share`` of the labels (kinds in turn, the next
    one where a kind has no room; only labels with two objects away from
    the border), the rest as they are."""
    rng = np.random.default_rng(seed)
    kinds = list(CORRUPTIONS)
    out, planted, turn = [], {}, 0
    for stem, label in zip(stems, labels):
        label = np.asarray(label)
        if rng.random() < share and len(interior_ids(label)) >= 2:
            for attempt in range(len(kinds)):
                kind = kinds[(turn + attempt) % len(kinds)]
                try:
                    label, region = CORRUPTIONS[kind](label, rng)
                except ValueError:
                    continue
                planted[stem] = Planted(stem, kind, region)
                turn += 1
                break
        out.append(label)
    return out, planted


def _hits(suspect, planted: Planted | None, pad: int = 3) -> bool:
    if planted is None:
        return False
    (r0, c0), (r1, c1) = suspect.box.start, suspect.box.stop
    return bool(planted.region[max(r0 - pad, 0):r1 + pad, max(c0 - pad, 0):c1 + pad].any())


def measure_ranking(ranking, planted: dict[str, Planted]) -> dict:
    """Average precision of the suspects and of the labels, the rank each
    planted error is first found at, and recall in the top suspects."""
    found_at: dict[str, int] = {}
    precisions = []
    for rank, suspect in enumerate(ranking.suspects, start=1):
        target = planted.get(suspect.stem)
        if suspect.stem not in found_at and _hits(suspect, target):
            found_at[suspect.stem] = rank
            precisions.append(len(found_at) / rank)
    label_hits, label_precisions = 0, []
    for rank, row in enumerate(ranking.labels, start=1):
        if row[1] in planted and row[3] > 0:
            label_hits += 1
            label_precisions.append(label_hits / rank)
    count = max(len(planted), 1)
    per_kind = {}
    for kind in CORRUPTIONS:
        stems = [p.stem for p in planted.values() if p.kind == kind]
        ranks = [found_at[s] for s in stems if s in found_at]
        per_kind[kind] = {"planted": len(stems), "found": len(ranks),
                          "in_top": sum(r <= len(planted) for r in ranks),
                          "median_rank": statistics.median(ranks) if ranks else None}
    return {"planted": len(planted), "found": len(found_at),
            "average_precision": sum(precisions) / count,
            "label_average_precision": sum(label_precisions) / count,
            "recall_at_planted": sum(r <= len(planted) for r in found_at.values()) / count,
            "per_kind": per_kind}


def write_outputs(results: dict, out: Path, command: str, machine: dict) -> list[Path]:
    """results.json and results.md."""
    out.mkdir(parents=True, exist_ok=True)
    results = {**results, "command": command, "machine": machine}
    (out / "results.json").write_text(json.dumps(results, indent=2))
    runs = results["runs"]
    lines = ["# Label-error ranking", "", results["description"], "",
             f"**Average precision of the review queue:** median {results['median_average_precision']:.3f} over "
             f"{len(runs)} runs.", "",
             "| seed | planted | found | AP (places) | AP (labels) | found among the first N suspects |",
             "|---:|---:|---:|---:|---:|---:|"]
    for run in runs:
        lines.append(f"| {run['seed']} | {run['planted']} | {run['found']} | {run['average_precision']:.3f} | "
                     f"{run['label_average_precision']:.3f} | {100 * run['recall_at_planted']:.0f} % |")
    lines += ["", "| planted error | planted | found | among the first N suspects | median rank |",
              "|---|---:|---:|---:|---:|"]
    for kind in CORRUPTIONS:
        rows = [run["per_kind"][kind] for run in runs]
        ranks = [row["median_rank"] for row in rows if row["median_rank"] is not None]
        rank = f"{statistics.median(ranks):g}" if ranks else "-"
        lines.append(f"| {kind} | {sum(r['planted'] for r in rows)} | {sum(r['found'] for r in rows)} | "
                     f"{sum(r['in_top'] for r in rows)} | {rank} |")
    lines += ["", f"N: the run's number of planted errors. AP (labels): the same measure over the list of labels "
              f"by their most likely error. Scores from the {results['model']} model; {results['calibration']}; "
              f"{results['seconds']:.0f} s in all.", "",
              f"Machine: {machine['cpus']} CPUs, {machine['processor']}, Python {machine['python']}.",
              f"Command: `{command}`", ""]
    (out / "results.md").write_text("\n".join(lines))
    return [out / "results.json", out / "results.md"]
