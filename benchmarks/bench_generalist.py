"""The bundled generalist pre-label U-Net against the default classical
pipeline, with no tuning to the data: foreground Dice on the HeLa test
frames (14-19, never trained on) and on held-out synthetic scenes.

    python benchmarks/bench_generalist.py
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import publish  # noqa: E402
from hela import hela_frames  # noqa: E402

from labelassist.imaging.measures import dice  # noqa: E402
from labelassist.imaging.segmentation import default_prelabel  # noqa: E402
from labelassist.models.generalist import load_bundled  # noqa: E402
from labelassist.models.synthetic import synthetic_scene  # noqa: E402
from labelassist.models.training import predict_mask  # noqa: E402


def pooled(pairs) -> float:
    overlap = total = 0
    for predicted, truth in pairs:
        overlap += (predicted & truth).sum()
        total += predicted.sum() + truth.sum()
    return float(2 * overlap / max(total, 1))


def main() -> int:
    model, meta = load_bundled("unet")
    images, masks = hela_frames()
    test = range(14, 20)
    sets = {"HeLa test frames 14-19": [(images[t], masks[t] > 0) for t in test],
            "synthetic scenes (held out, seeds 50000+)": [
                (image, labels > 0) for image, labels in
                (synthetic_scene(np.random.default_rng(50_000 + i)) for i in range(24))]}
    rows = {}
    for name, pairs in sets.items():
        classical = [(default_prelabel(image) > 0, truth) for image, truth in pairs]
        generalist = [(predict_mask(model, image), truth) for image, truth in pairs]
        rows[name] = {"classical_pooled": pooled(classical), "generalist_pooled": pooled(generalist),
                      "classical_mean": statistics.mean(dice(p, t) for p, t in classical),
                      "generalist_mean": statistics.mean(dice(p, t) for p, t in generalist)}
    lines = ["# The bundled generalist pre-label U-Net", "",
             f"Trained on: {meta['trained_on']}; no tuning to these sets. Foreground Dice, pooled over the set's "
             "pixels and the mean per image.", "",
             "| set | default pipeline (pooled / mean) | generalist U-Net (pooled / mean) | difference (pooled) |",
             "|---|---:|---:|---:|"]
    lines += [f"| {name} | {r['classical_pooled']:.4f} / {r['classical_mean']:.4f} | {r['generalist_pooled']:.4f} / "
              f"{r['generalist_mean']:.4f} | {r['generalist_pooled'] - r['classical_pooled']:+.4f} |"
              for name, r in rows.items()]
    return publish("generalist_prelabel", {"rows": rows}, lines, "python benchmarks/bench_generalist.py")


if __name__ == "__main__":
    raise SystemExit(main())
