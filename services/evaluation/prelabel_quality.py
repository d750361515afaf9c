"""Pre-label quality: Dice and IoU of every pre-label method, raw and inside
the default pipeline, against reference labels (the paper's Otsu-on-DMA
measurement, for any dataset)."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

import numpy as np

from labelassist.assist.operations import OPERATIONS
from labelassist.assist.pipeline import DEFAULT_PRELABEL, prelabel_image

# Methods that need no model and no per-image input beyond the image.
CLASSICAL = ("otsu", "li", "yen", "triangle", "mean", "isodata", "local")


def dice_iou(prediction: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """Foreground Dice and IoU; two empty masks agree perfectly."""
    a, b = prediction > 0, reference > 0
    overlap, union, total = (a & b).sum(), (a | b).sum(), a.sum() + b.sum()
    if total == 0:
        return 1.0, 1.0
    return float(2 * overlap / total), float(overlap / union)


def configurations(unet: bool = False) -> dict[str, dict]:
    """Each method raw and inside the default pipeline, plus the default pipeline itself."""
    known = {entry.name for entry in OPERATIONS.entries("prelabel")}
    methods = [m for m in CLASSICAL if m in known] + (["unet"] if unet else [])
    found = {f"{m} (raw)": {"method": (m, {})} for m in methods}
    found |= {f"{m} in the default pipeline": {"method": (m, {}), "preprocess": DEFAULT_PRELABEL["preprocess"],
                                               "postprocess": DEFAULT_PRELABEL["postprocess"]}
              for m in methods}
    found["default pipeline"] = {"method": None}
    return found


def default_pipeline_text() -> str:
    return " → ".join(f"{n}{':' if p else ''}{','.join(f'{k}={v}' for k, v in p.items())}"
                      for n, p in [*DEFAULT_PRELABEL["preprocess"], DEFAULT_PRELABEL["method"],
                                   *DEFAULT_PRELABEL["postprocess"]])


def run_prelabel_quality(images: list[np.ndarray], labels: list[np.ndarray], triton=None,
                         description: str = "") -> dict:
    """Dice and IoU of every pre-label configuration; the U-Net's too when
    ``triton`` (a :class:`~labelassist.models.triton.TritonClient`) serves one."""
    from tqdm import tqdm

    rows = {}
    for name, kwargs in tqdm(configurations(triton is not None).items(), desc="pre-label methods",
                             file=sys.stderr):
        scores = [dice_iou(prelabel_image(image, **kwargs, triton=triton).mask, label)
                  for image, label in zip(images, labels)]
        rows[name] = {"dice_mean": statistics.mean(s[0] for s in scores), "dice_min": min(s[0] for s in scores),
                      "iou_mean": statistics.mean(s[1] for s in scores)}
    return {"description": description, "samples": len(images), "default_pipeline": default_pipeline_text(),
            "rows": rows}


def markdown(results: dict, machine: dict, command: str, title: str = "Pre-label quality") -> str:
    lines = [f"# {title}", "", results["description"], "",
             f"{results['samples']} images; foreground Dice and IoU per image, mean (and worst image). "
             "No per-image tuning.", "", f"Default pipeline: {results['default_pipeline']}.", "",
             "| configuration | Dice mean | Dice worst | IoU mean |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {r['dice_mean']:.4f} | {r['dice_min']:.4f} | {r['iou_mean']:.4f} |"
              for name, r in results["rows"].items()]
    lines += ["", f"Machine: {machine['cpus']} CPUs, {machine['processor']}, Python {machine['python']}.",
              f"Command: `{command}`", ""]
    return "\n".join(lines)


def write_prelabel_outputs(results: dict, out: Path, command: str, machine: dict) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({**results, "command": command, "machine": machine}, indent=2))
    (out / "results.md").write_text(markdown(results, machine, command))
    return [out / "results.json", out / "results.md"]
