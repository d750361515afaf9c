"""Training on a pool of mostly empty tiles: does the whole pool still beat
every small subset?

    python benchmarks/bench_imbalance.py [--empty-share 0.9] [--seeds 3]

The pool: 64² tiles of HeLa frames 0-13, ``--empty-share`` of them without a
nucleus (every empty tile, and as many tiles with nuclei as that share
allows). Test: foreground Dice on the whole frames 14-19. Trained with the
U-Net recipe as it is (half the training tiles centred on foreground,
cross-entropy + soft Dice, best validation epoch) and, for comparison, with
uniform tiles and the last epoch (``foreground_share=0``): on the full pool
and on 9-tile subsets (random, and the 9 tiles with most foreground).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import publish  # noqa: E402
from hela import hela_frames, tile_windows  # noqa: E402

from labelassist.imaging.measures import pooled_dice  # noqa: E402
from labelassist.models.training import TrainingConfig, predict_mask, train_unet  # noqa: E402

TILE = 64


def build_pool(images, masks, empty_share: float, seed: int):
    windows = tile_windows(images[:14].shape, TILE)
    tiles = [(images[w], masks[w] > 0) for w in windows]
    empty = [t for t in tiles if not t[1].any()]
    full = [t for t in tiles if t[1].any()]
    rng = np.random.default_rng(seed)
    keep = int(round(len(empty) * (1 - empty_share) / empty_share))
    chosen = [full[i] for i in rng.choice(len(full), size=min(keep, len(full)), replace=False)]
    return empty + chosen, len(empty), len(chosen)


def test_dice(model, images, masks) -> float:
    """Foreground Dice pooled over the test frames."""
    return pooled_dice((predict_mask(model, image), mask) for image, mask in zip(images, masks))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--empty-share", type=float, default=0.9)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--validation", type=int, default=16, help="pool tiles with nuclei that pick the best epoch")
    args = parser.parse_args()
    images, masks = hela_frames()
    pool, empty, with_nuclei = build_pool(images, masks, args.empty_share, seed=0)
    test_images, test_masks = list(images[14:]), list(masks[14:])
    # Validation: a few pool tiles with nuclei, as a project validates on what it has.
    held = pool[empty:empty + args.validation]
    validation = ([t[0] for t in held], [t[1] for t in held])
    started = time.perf_counter()

    def run(subset, seed: int, recipe: str, steps_factor: float = 1.0) -> float:
        config = TrainingConfig(tile=TILE, epochs=args.epochs, steps_per_epoch=int(args.steps * steps_factor),
                                depth=3, width=8, seed=seed,
                                foreground_share=0.5 if recipe == "balanced" else 0.0)
        result = train_unet([t[0] for t in subset], [t[1] for t in subset], config,
                            validation=validation if recipe == "balanced" else None)
        return test_dice(result.model, test_images, test_masks)

    rows = {}
    for recipe in ("balanced", "uniform"):
        rows[f"full pool ({len(pool)} tiles), {recipe}"] = [run(pool, s, recipe, 4.0) for s in range(args.seeds)]
        rows[f"9 random tiles, {recipe}"] = [
            run([pool[i] for i in np.random.default_rng(s).choice(len(pool), 9, replace=False)], s, recipe)
            for s in range(args.seeds)]
        richest = sorted(range(len(pool)), key=lambda i: -pool[i][1].mean())[:9]
        rows[f"9 tiles with most foreground, {recipe}"] = [run([pool[i] for i in richest], s, recipe)
                                                           for s in range(args.seeds)]
        print(recipe, {k: round(statistics.mean(v), 4) for k, v in rows.items()}, file=sys.stderr, flush=True)
    balanced_full = statistics.mean(rows[f"full pool ({len(pool)} tiles), balanced"])
    balanced_subsets = [statistics.mean(v) for k, v in rows.items() if k.endswith("balanced") and "full" not in k]
    lines = ["# Training on a pool of mostly empty tiles", "",
             f"Pool: {len(pool)} HeLa tiles of {TILE}² from frames 0-13, {empty} of them empty "
             f"({100 * empty / len(pool):.0f} %), {with_nuclei} with nuclei. Test: foreground Dice pooled over the "
             f"whole frames 14-19. U-Net depth 3, width 8, {args.epochs} epochs × {args.steps} steps (the full pool "
             f"4× as many); {args.seeds} seeds.", "",
             "\"balanced\": the U-Net recipe (half the training tiles centred on foreground, cross-entropy + soft "
             f"Dice, the best validation epoch on {args.validation} pool tiles with nuclei); \"uniform\": uniform "
             "tiles, the last "
             "epoch.", "",
             "| training set, recipe | test Dice (mean ± std over seeds) |", "|---|---:|"]
    lines += [f"| {name} | {statistics.mean(v):.4f} ± {statistics.pstdev(v):.4f} |" for name, v in rows.items()]
    lines += ["", f"The full pool with the balanced recipe: {balanced_full:.4f}; best subset "
              f"{max(balanced_subsets):.4f} — the full pool "
              f"{'is' if balanced_full >= max(balanced_subsets) else 'is not'} the ceiling."]
    return publish("imbalance_hela", {"pool": len(pool), "empty": empty, "rows": rows,
                                      "seconds": time.perf_counter() - started,
                                      "full_pool_is_ceiling": balanced_full >= max(balanced_subsets)},
                   lines, "python benchmarks/bench_imbalance.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    raise SystemExit(main())
