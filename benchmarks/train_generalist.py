"""Train the bundled generalist models (pre-label U-Net and click model), in two stages.

    python benchmarks/train_generalist.py [--unet-epochs 24] [--click-steps 2400] [--scenes 300] [--only unet|clicknet]
    python benchmarks/train_generalist.py --broad --stage1 DIR --datasets /tmp/datasets --hela /tmp/hela

Stage 1 (the first form): the HeLa time-lapse frames 0-13 (frames 14-19
are the benchmarks' test frames) at three scales, scikit-image's bundled
photographs (backgrounds and textures of the synthetic scenes, the horse
silhouette as a shape) and ``--scenes`` synthetic scenes from
:mod:`labelassist.models.synthetic`. Strong augmentation (polarity, gamma,
blur, noise, intensity range, scale).

Stage 2 (``--broad``) continues from stage 1's weights (``--stage1``, a
folder with generalist_unet.pt and generalist_clicknet.pt) on the training
splits of the development image sets (:data:`DEV_SETS`: four DSB2018
modalities built by benchmarks/datasets.py and the HeLa tiles), the same
number of images from each set (:func:`broad_pairs`), never the hold-out
set. benchmarks/bench_loso.py runs the same stage 2 with one set left out.

Seeded: the same command writes the same weights on the same machine.
Writes services/data/generalist_unet.pt and
services/data/generalist_clicknet.pt, and a summary to
benchmarks/results/generalist*.{json,md}.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from skimage import transform

sys.path.insert(0, str(Path(__file__).parent))
from common import publish  # noqa: E402
from datasets import HOLD_OUT  # noqa: E402
from hela import hela_frames  # noqa: E402

from labelassist.models.click_training import ClickTrainingConfig, train_click_model  # noqa: E402
from labelassist.models.generalist import BUNDLED, save_bundled  # noqa: E402
from labelassist.models.synthetic import synthetic_scene  # noqa: E402
from labelassist.models.training import TrainingConfig, train_unet  # noqa: E402

TRAIN_FRAMES = range(0, 14)
SCALES = (0.6, 1.0, 1.5)
# The development image sets: stage 2 trains on their training splits, the
# leave-one-set-out benchmark leaves each out in turn. The hold-out is not one.
DEV_SETS = ("fluo-small", "fluo-large", "histology", "brightfield", "hela")
IMAGES_PER_SET = 48


@dataclass(frozen=True)
class BroadRecipe:
    """Stage 2: continued training from stage 1, the same for every fold and the final models."""

    unet_epochs: int = 3
    unet_steps: int = 24
    # 0: the click model stays stage 1's (stage 2 of the click model did not fit this machine's budget).
    click_steps: int = 0
    learning_rate: float = 1e-3
    images_per_set: int = IMAGES_PER_SET
    seed: int = 0


def set_folder(name: str, datasets: Path, hela: Path) -> Path:
    """Where a development set's folder is (built by benchmarks/datasets.py, or `labelassist dataset hela`)."""
    if name == HOLD_OUT or name not in DEV_SETS:
        raise ValueError(f"{name!r} is not a development set ({', '.join(DEV_SETS)}); "
                         f"{HOLD_OUT!r} is the hold-out and never trained on")
    return hela if name == "hela" else datasets / f"dsb2018-{name}"


def broad_pairs(sets: Sequence[str], datasets: Path, hela: Path, per_set: int = IMAGES_PER_SET,
                seed: int = 0) -> tuple[list[tuple[np.ndarray, np.ndarray]], dict[str, int]]:
    """(grey image, instance labels) from the training split of each of
    ``sets``, ``per_set`` of each (drawn seeded; a smaller set repeated), so
    that no set outweighs another; and how many distinct images each gave."""
    from labelassist.evaluation.evaluation_set import load_evaluation_set
    from labelassist.imaging.checks import grey

    rng = np.random.default_rng(seed)
    pairs, used = [], {}
    for name in sets:
        data = load_evaluation_set(set_folder(name, datasets, hela))
        chosen = rng.permutation(data.train)[:per_set]
        used[name] = len(chosen)
        for index in np.resize(chosen, per_set):
            pairs.append((grey(data.images[index]).astype(np.float32), data.labels[index].astype(np.int32)))
    return pairs, used


def train_broad(pairs, stage1: Path, recipe: BroadRecipe, log=print) -> tuple[dict, dict]:
    """Stage 2 on ``pairs`` from the weights in ``stage1``: {"unet": model,
    "clicknet": model} and a summary (seconds, configs, final losses)."""
    from labelassist.models.generalist import load_weights

    summary = {}
    config = TrainingConfig(tile=128, epochs=recipe.unet_epochs, steps_per_epoch=recipe.unet_steps, batch_size=8,
                            learning_rate=recipe.learning_rate, strong_augmentation=True, seed=recipe.seed)
    clock = time.perf_counter()
    unet = train_unet([p[0] for p in pairs], [p[1] > 0 for p in pairs], config,
                      progress=lambda r: log(f"unet epoch {r.epoch}/{config.epochs}: loss {r.loss:.3f}"),
                      initial=load_weights(stage1 / BUNDLED["unet"].name)[0])
    summary["unet"] = {"seconds": time.perf_counter() - clock, "final_loss": unet.history[-1].loss,
                       "config": vars(config)}
    stage1_clicks, stage1_meta = load_weights(stage1 / BUNDLED["clicknet"].name)
    if not recipe.click_steps:  # the click model stays stage 1's
        summary["clicknet"] = {"seconds": 0.0, "final_loss": float("nan"), "config": stage1_meta["config"],
                               "stage2": False}
        return {"unet": unet.model, "clicknet": stage1_clicks}, summary
    click_config = ClickTrainingConfig(steps=recipe.click_steps, learning_rate=recipe.learning_rate,
                                       strong_augmentation=True, seed=recipe.seed)
    clock = time.perf_counter()
    clicks = train_click_model(pairs, click_config, initial=stage1_clicks,
                               progress=lambda step, loss: log(f"clicknet step {step}/{click_config.steps}: "
                                                               f"loss {loss:.3f}") if step % 20 == 0 else None)
    summary["clicknet"] = {"seconds": time.perf_counter() - clock, "final_loss": float(np.mean(clicks.losses[-20:])),
                           "config": vars(click_config), "stage2": True}
    return {"unet": unet.model, "clicknet": clicks.model}, summary


def save_models(models: dict, paths: dict[str, Path], meta: dict) -> None:
    """Write the two models where the loader expects them (file names of :data:`BUNDLED`)."""
    save_bundled(models["unet"], paths["unet"], {"depth": 3, "width": 16, "dropout": 0.2},
                 {**meta, "config": meta["summary"]["unet"]["config"]})
    click = meta["summary"]["clicknet"]["config"]
    if "clicknet" not in paths:
        return
    save_bundled(models["clicknet"], paths["clicknet"],
                 {"depth": click["depth"], "width": click["width"], "dropout": 0.0, "in_channels": 4},
                 {**meta, "config": click})


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
    parser.add_argument("--threads", type=int, default=2, help="torch threads (--broad)")
    parser.add_argument("--broad", action="store_true", help="stage 2: continue from --stage1 on the dev sets")
    parser.add_argument("--stage1", type=Path, help="folder with stage 1's generalist_unet.pt, generalist_clicknet.pt")
    parser.add_argument("--datasets", type=Path, default=Path("/tmp/datasets"), help="built by datasets.py")
    parser.add_argument("--hela", type=Path, default=Path("/tmp/hela"), help="`labelassist dataset hela DIR --tile 128`")
    args = parser.parse_args()
    if args.broad:
        return main_broad(args)

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


def main_broad(args) -> int:
    """Stage 2 on every development set: the bundled weights."""
    import torch

    torch.set_num_threads(args.threads)
    if args.stage1 is None or args.stage1.resolve() == BUNDLED["unet"].parent.resolve():
        raise SystemExit("--stage1 must name a folder with stage 1's weights apart from services/data "
                         "(they are overwritten)")
    recipe = BroadRecipe(seed=args.seed)
    pairs, used = broad_pairs(DEV_SETS, args.datasets, args.hela, recipe.images_per_set, recipe.seed)
    trained_on = (f"stage 1: HeLa frames 0-13 at scales {SCALES} and synthetic scenes; stage 2: the training "
                  f"splits of {', '.join(DEV_SETS)} ({recipe.images_per_set} images each)")
    models, summary = train_broad(pairs, args.stage1, recipe, log=lambda line: print(line, flush=True))
    # A click model left at stage 1 keeps its file, and its meta saying what it was trained on.
    paths = BUNDLED if summary["clicknet"]["stage2"] else {"unet": BUNDLED["unet"]}
    save_models(models, paths, {"trained_on": trained_on, "seed": recipe.seed, "recipe": vars(recipe),
                                  "images_used": used, "summary": summary})
    sizes = {name: round(path.stat().st_size / 2**20, 2) for name, path in BUNDLED.items()}
    lines = ["# Bundled generalist models (stage 2, broad)", "", f"Trained on: {trained_on}. Seed {recipe.seed}.",
             f"Distinct training images per set: {used}.", "",
             "| model | training time (s) | size (MiB) | final loss |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {summary[name]['seconds']:.0f} | {sizes[name]} | {summary[name]['final_loss']:.3f} |"
              if summary[name].get("stage2", True) else f"| {name} | stage 1's, not retrained | {sizes[name]} | - |"
              for name in ("unet", "clicknet")]
    command = "python benchmarks/train_generalist.py " + " ".join(sys.argv[1:])
    return publish("generalist_broad", {"recipe": vars(recipe), "images_used": used, "summary": summary,
                                        "sizes_mib": sizes}, lines, command.strip())


if __name__ == "__main__":
    raise SystemExit(main())
