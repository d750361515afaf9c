"""Train the bundled generalist models (pre-label U-Net and click model).

    python benchmarks/train_generalist.py [--unet-epochs 24] [--click-steps 2400] [--scenes 300] [--only unet|clicknet]

Training data, and nothing else: the HeLa time-lapse frames 0-13 (frames
14-19 are the benchmarks' test frames) at three scales, scikit-image's
bundled photographs (backgrounds and textures of the synthetic scenes,
the horse silhouette as a shape) and ``--scenes`` synthetic scenes from
:mod:`labelassist.models.synthetic`. Strong augmentation (polarity, gamma,
blur, noise, intensity range, scale). Seeded: the same command writes the
same weights on the same machine. Writes services/data/generalist_unet.pt
and services/data/generalist_clicknet.pt, and a summary to
benchmarks/results/generalist.{json,md}.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from skimage import transform

sys.path.insert(0, str(Path(__file__).parent))
from common import publish  # noqa: E402
from hela import hela_frames  # noqa: E402

from labelassist.models.click_training import ClickTrainingConfig, train_click_model  # noqa: E402
from labelassist.models.generalist import BUNDLED, save_bundled  # noqa: E402
from labelassist.models.synthetic import synthetic_scene  # noqa: E402
from labelassist.models.training import TrainingConfig, train_unet  # noqa: E402

TRAIN_FRAMES = range(0, 14)
SCALES = (0.6, 1.0, 1.5)


def training_pairs(scenes: int, seed: int) -> tuple[list, list]:
    """(image, instance labels) for training and held-out synthetic validation scenes."""
    images, masks = hela_frames()
    pairs = []
    for frame in TRAIN_FRAMES:
        for scale in SCALES:
            shape = (int(images.shape[1] * scale), int(images.shape[2] * scale))
            image = transform.resize(images[frame].astype(np.float32), shape, order=1, preserve_range=True)
            labels = transform.resize(masks[frame], shape, order=0, preserve_range=True,
                                      anti_aliasing=False).astype(np.int32)
            pairs.append((image, labels))
    rng = np.random.default_rng(seed)
    synthetic = [synthetic_scene(rng, side=int(rng.choice([192, 256, 384]))) for _ in range(scenes)]
    validation = [synthetic_scene(np.random.default_rng(seed + 10_000 + i)) for i in range(24)]
    return pairs + synthetic, validation


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--unet-epochs", type=int, default=24)
    parser.add_argument("--unet-steps", type=int, default=40, help="steps per U-Net epoch")
    parser.add_argument("--click-steps", type=int, default=2400)
    parser.add_argument("--scenes", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=("unet", "clicknet"), help="train one of the two")
    args = parser.parse_args()

    started = time.perf_counter()
    pairs, validation = training_pairs(args.scenes, args.seed)
    print(f"{len(pairs)} training images ({len(TRAIN_FRAMES) * len(SCALES)} HeLa, {args.scenes} synthetic)",
          flush=True)
    trained_on = (f"HeLa frames 0-13 at scales {SCALES}, {args.scenes} synthetic scenes "
                  "(scikit-image textures and silhouette)")
    summary = {"seed": args.seed, "trained_on": trained_on, "data_seconds": time.perf_counter() - started}
    if args.only in (None, "unet"):
        config = TrainingConfig(tile=128, epochs=args.unet_epochs, steps_per_epoch=args.unet_steps, batch_size=8,
                                depth=3, width=16, strong_augmentation=True, seed=args.seed)
        clock = time.perf_counter()
        result = train_unet([p[0] for p in pairs], [p[1] > 0 for p in pairs], config,
                            validation=([v[0] for v in validation], [v[1] > 0 for v in validation]),
                            progress=lambda r: print(f"unet epoch {r.epoch}: loss {r.loss:.3f} "
                                                     f"synthetic validation Dice {r.validation_dice:.3f}",
                                                     flush=True))
        best = result.history[result.best_epoch - 1]
        summary["unet"] = {"seconds": time.perf_counter() - clock, "best_epoch": result.best_epoch,
                           "synthetic_validation_dice": best.validation_dice, "config": vars(config)}
        save_bundled(result.model, BUNDLED["unet"], {"depth": 3, "width": 16, "dropout": 0.2},
                     {"trained_on": trained_on, "seed": args.seed, "config": vars(config),
                      "validation_dice": best.validation_dice})
    if args.only in (None, "clicknet"):
        config = ClickTrainingConfig(steps=args.click_steps, strong_augmentation=True, seed=args.seed)
        clock = time.perf_counter()
        result = train_click_model(pairs, config, progress=lambda step, loss: print(
            f"clicknet step {step}/{config.steps}: loss {loss:.3f}", flush=True))
        summary["clicknet"] = {"seconds": time.perf_counter() - clock, "final_loss": result.losses[-1],
                               "config": vars(config)}
        save_bundled(result.model, BUNDLED["clicknet"],
                     {"depth": config.depth, "width": config.width, "dropout": 0.0, "in_channels": 4},
                     {"trained_on": trained_on, "seed": args.seed, "config": vars(config)})
    sizes = {name: round(path.stat().st_size / 2**20, 2) for name, path in BUNDLED.items() if path.exists()}
    lines = ["# Bundled generalist models", "", f"Trained on: {trained_on}. Seed {args.seed}.", "",
             "| model | training time (s) | size (MiB) | note |", "|---|---:|---:|---|"]
    if "unet" in summary:
        lines.append(f"| unet (pre-labels) | {summary['unet']['seconds']:.0f} | {sizes.get('unet', '-')} | "
                     f"synthetic validation Dice {summary['unet']['synthetic_validation_dice']:.3f} "
                     f"(epoch {summary['unet']['best_epoch']}) |")
    if "clicknet" in summary:
        lines.append(f"| clicknet (click-to-segment) | {summary['clicknet']['seconds']:.0f} | "
                     f"{sizes.get('clicknet', '-')} | {args.click_steps} steps, final loss "
                     f"{summary['clicknet']['final_loss']:.3f} |")
    command = "python benchmarks/train_generalist.py " + " ".join(sys.argv[1:])
    name = "generalist" if args.only is None else f"generalist_{args.only}"
    return publish(name, {**summary, "sizes_mib": sizes}, lines, command.strip())


if __name__ == "__main__":
    raise SystemExit(main())
