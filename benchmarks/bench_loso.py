"""Leave one image set out: for each development set X, stage 2 of the
generalist (benchmarks/train_generalist.py, :class:`BroadRecipe`) trained on
the training splits of the other sets only, measured on X's test split;
then the bundled models, once, on the hold-out set.

    python benchmarks/bench_loso.py --stage1 DIR --folds fluo-small histology
    python benchmarks/bench_loso.py --hold-out

Per set: pre-label Dice and matched-object F1 of the generalist U-Net
against the best classical configuration (chosen on the same images, which
favours it), NoC@85/NoC@90 of the click model from nothing, and the effort
of each start (the simulated annotator of labelassist.evaluation.effort,
in-process) against polygons from scratch. Also the size of the objects
and the IoU of each reference object with its own 1-pixel erosion: an
outline one pixel off costs that much, and bounds what IoU 0.9 asks.
Results: benchmarks/results/loso/<set>.json and results.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy import ndimage
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).parent))
from bench_unseen import GENERALIST, click_effort, click_segmenter, first_objects, prelabel_rows  # noqa: E402
from common import RESULTS, machine  # noqa: E402
from datasets import HOLD_OUT  # noqa: E402
from train_generalist import DEV_SETS, BroadRecipe, broad_pairs, save_models, set_folder, train_broad  # noqa: E402

from labelassist.assist.pipeline import prelabel_image  # noqa: E402
from labelassist.evaluation.effort import StartEffort, annotate  # noqa: E402
from labelassist.evaluation.evaluation_set import load_evaluation_set  # noqa: E402
from labelassist.evaluation.prelabel_quality import configurations  # noqa: E402
from labelassist.imaging.checks import grey  # noqa: E402
from labelassist.inspect.probability import ProbabilityModel  # noqa: E402
from labelassist.models.generalist import load_weights  # noqa: E402

OUT = RESULTS / "loso"


def fold_sets(left_out: str) -> list[str]:
    """The sets a fold trains on: every development set but ``left_out``."""
    if left_out not in DEV_SETS:
        raise ValueError(f"{left_out!r} is not a development set ({', '.join(DEV_SETS)})")
    return [name for name in DEV_SETS if name != left_out]


def object_statistics(references: list[np.ndarray]) -> dict:
    """Median object area and equivalent diameter (px), and the mean IoU of
    each object with its 1-pixel erosion (what one pixel of outline costs)."""
    areas, eroded = [], []
    for reference in references:
        for value in np.unique(reference[reference > 0]):
            target = reference == value
            area = int(target.sum())
            areas.append(area)
            eroded.append(ndimage.binary_erosion(target).sum() / area)
    return {"objects": len(areas), "median_area_px": float(np.median(areas)) if areas else 0.0,
            "median_diameter_px": float(2 * np.sqrt(np.median(areas) / np.pi)) if areas else 0.0,
            "iou_of_1px_erosion": float(np.mean(eroded)) if eroded else 0.0}


def effort_rows(images, references, unet, clicknet, classical: dict) -> dict[str, dict]:
    """Each start through the simulated annotator: polygons from scratch, the
    best classical configuration + clicks, the generalist U-Net + clicks,
    clicks from nothing; with the share of polygon effort."""
    segmenter = click_segmenter(clicknet)
    probability = ProbabilityModel(model=unet)
    starts = {"scratch": lambda image: None,
              "classical": lambda image: prelabel_image(image, **classical).mask,
              "generalist": lambda image: (probability(image) >= 0.5).astype(np.uint8),
              "click": lambda image: None}
    rows = {}
    for start, prelabel in starts.items():
        record = StartEffort(start)
        for image, reference in tqdm(list(zip(images, references)), desc=f"effort {start}", file=sys.stderr):
            annotate(reference, prelabel(image), None if start == "scratch" else segmenter(image), record)
        rows[start] = record.summary()
    scratch = rows["scratch"]["actions_per_object"]
    for row in rows.values():
        row["percent_of_polygons"] = 100 * row["actions_per_object"] / scratch if scratch else None
    return rows


def evaluate(folder: Path, unet, clicknet, max_images: int, click_objects: int, effort_images: int,
             partial=lambda result: None, classical_start: str = "best") -> dict:
    """One set's test split with the given models (None: the bundled ones);
    ``partial`` gets the result before the effort, the slowest part, is added.
    The effort's classical start is the best classical configuration on these
    images (``classical_start="best"``) or the default pipeline a new project
    starts with ("default")."""
    data = load_evaluation_set(folder)
    test = list(data.test)[:max_images]
    images, references = [grey(data.images[i]) for i in test], [data.labels[i] for i in test]
    rows = prelabel_rows(images, references, unet=unet)
    best = max((n for n in rows if n != GENERALIST), key=lambda n: rows[n]["dice_mean"])
    result = {"folder": str(folder), "test_images": len(test), "test_split": len(data.test),
              "prelabel": rows, "best_classical": best, "objects": object_statistics(references),
              "click": click_effort(images, first_objects(references, click_objects), clicknet=clicknet),
              "effort": effort_rows([], [], unet, clicknet, {})}
    partial(result)
    classical = configurations(unet=False)[best if classical_start == "best" else "default pipeline"]
    result["effort"] = effort_rows(images[:effort_images], references[:effort_images], unet, clicknet, classical)
    result["classical_start"] = best if classical_start == "best" else "default pipeline"
    return result


def run_fold(left_out: str, args, recipe: BroadRecipe) -> dict:
    started = time.perf_counter()
    weights = args.weights / left_out
    paths = {name: weights / f"generalist_{name}.pt" for name in ("unet", "clicknet")}
    if args.evaluate_only:  # the fold's models as an earlier run of this script wrote them
        loaded = {name: load_weights(path) for name, path in paths.items()}
        models = {name: model for name, (model, _) in loaded.items()}
        used, summary = loaded["unet"][1]["images_used"], loaded["unet"][1]["summary"]
    else:
        pairs, used = broad_pairs(fold_sets(left_out), args.datasets, args.hela, recipe.images_per_set, recipe.seed)
        print(f"fold {left_out}: training on {used}", flush=True)
        models, summary = train_broad(pairs, args.stage1, recipe,
                                      log=lambda line: print(f"[{left_out}] {line}", flush=True))
        weights.mkdir(parents=True, exist_ok=True)
        save_models(models, paths, {"trained_on": f"stage 2 without {left_out}", "seed": recipe.seed,
                                    "images_used": used, "summary": summary})
    fold = {"set": left_out, "trained_on": used, "recipe": vars(recipe), "training": summary}
    results = evaluate(set_folder(left_out, args.datasets, args.hela), models["unet"], models["clicknet"],
                       args.max_images, args.click_objects, args.effort_images,
                       partial=lambda result: save(args.out, {**fold, **result, "seconds": time.perf_counter() - started,
                                                              "command": args.command}))
    return {**fold, **results, "seconds": time.perf_counter() - started}


def save(out: Path, result: dict) -> None:
    """<set>.json and the table of every set so far."""
    (out / f"{result['set']}.json").write_text(json.dumps(result, indent=2))
    print(write_table(out).read_text(), flush=True)


def _row(name: str, result: dict) -> str:
    rows, best = result["prelabel"], result["best_classical"]
    ours, classical, effort = rows[GENERALIST], rows[best], result["effort"]
    starts = {k: v for k, v in effort.items() if k != "scratch" and v["percent_of_polygons"] is not None}
    best_start = min(starts, key=lambda k: starts[k]["percent_of_polygons"]) if starts else "-"
    objects = result["objects"]
    return (f"| {name} | {ours['dice_mean']:.3f} / {ours['f1']:.3f} | {classical['dice_mean']:.3f} / "
            f"{classical['f1']:.3f} | {result['click']['noc85']:.2f} / {result['click']['noc90']:.2f} | "
            + " | ".join(f"{starts[k]['percent_of_polygons']:.0f} %" if k in starts else "-"
                         for k in ("classical", "generalist", "click"))
            + f" | {best_start} | {objects['median_diameter_px']:.0f} px / {objects['iou_of_1px_erosion']:.2f} |")


def write_table(out: Path) -> Path:
    """results.md from every <set>.json in ``out``: the folds, then the hold-out."""
    found = {path.stem: json.loads(path.read_text()) for path in sorted(out.glob("*.json"))}
    header = ["| set | generalist Dice / F1 | best classical Dice / F1 | NoC@85 / NoC@90 | classical + clicks "
              "| generalist + clicks | clicks from nothing | best start | object diameter / IoU of 1-px erosion |",
              "|---|---:|---:|---:|---:|---:|---:|---|---:|"]
    bundled = any(r.get("trained_on") == "bundled models" for n, r in found.items() if n != HOLD_OUT)
    title = ("# Bundled models on development sets (the U-Net saw their training splits; the click model did not)"
             if bundled else "# Leave one image set out")
    lines = [title, "", __doc__.split("\n\n")[2].replace("\n", " "), "",
             "Effort columns: actions per object as a share of polygons from scratch "
             "(labelassist.evaluation.effort's annotator and cost model).", "", *header]
    lines += [_row(name, found[name]) for name in DEV_SETS if name in found]
    if HOLD_OUT in found:
        lines += ["", f"## Hold-out `{HOLD_OUT}`: never looked at while developing, measured once with the bundled "
                  "models", "", *header, _row(HOLD_OUT, found[HOLD_OUT])]
    lines += ["", "Per set (test images used, training, time):", ""]
    for name, result in found.items():
        trained = result.get("trained_on", "bundled models")
        lines.append(f"- `{name}`: {result['test_images']} of {result['test_split']} test images, best classical "
                     f"`{result['best_classical']}` (effort's classical start: "
                     f"{result.get('classical_start', result['best_classical'])}), {result['click']['objects']} objects clicked from nothing, "
                     f"effort on {result['effort']['scratch']['objects']} objects; trained on {trained}; "
                     f"{result['seconds'] / 60:.1f} min; command `{result['command']}`")
    info = machine()
    lines += ["", f"Machine: {info['cpus']} CPUs shared with other work, {info['processor']}, "
              f"Python {info['python']}.", ""]
    (out / "results.md").write_text("\n".join(lines))
    return out / "results.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", nargs="*", default=[], choices=DEV_SETS, help="the sets to leave out in turn")
    parser.add_argument("--hold-out", action="store_true", help=f"the bundled models on {HOLD_OUT}, once")
    parser.add_argument("--bundled", nargs="*", default=[], choices=DEV_SETS,
                        help="the bundled models on these development sets (their training splits are in stage 2's "
                             "data: unseen for the click model, not for the U-Net); the effort's classical start is "
                             "the default pipeline")
    parser.add_argument("--stage1", type=Path, help="folder with stage 1's generalist_unet.pt and _clicknet.pt")
    parser.add_argument("--datasets", type=Path, default=Path("/tmp/datasets"))
    parser.add_argument("--hela", type=Path, default=Path("/tmp/hela"))
    parser.add_argument("--weights", type=Path, default=Path(__file__).parent / "out" / "loso",
                        help="where each fold's models are written")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--max-images", type=int, default=10)
    parser.add_argument("--click-objects", type=int, default=50)
    parser.add_argument("--effort-images", type=int, default=4)
    parser.add_argument("--unet-epochs", type=int, default=BroadRecipe.unet_epochs)
    parser.add_argument("--unet-steps", type=int, default=BroadRecipe.unet_steps)
    parser.add_argument("--click-steps", type=int, default=BroadRecipe.click_steps)
    parser.add_argument("--images-per-set", type=int, default=BroadRecipe.images_per_set)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--evaluate-only", action="store_true", help="the folds' models from --weights, no training")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    if args.folds and args.stage1 is None and not args.evaluate_only:
        parser.error("--folds needs --stage1")
    recipe = BroadRecipe(args.unet_epochs, args.unet_steps, args.click_steps, images_per_set=args.images_per_set)
    args.out.mkdir(parents=True, exist_ok=True)
    args.command = "python benchmarks/bench_loso.py " + " ".join(sys.argv[1:] if argv is None else argv)
    for left_out in args.folds:
        save(args.out, {**run_fold(left_out, args, recipe), "command": args.command})
    for name in args.bundled:
        started = time.perf_counter()

        def bundled(result, name=name, started=started):
            return {**result, "set": name, "trained_on": "bundled models", "seconds": time.perf_counter() - started,
                    "command": args.command}

        result = evaluate(set_folder(name, args.datasets, args.hela), None, None, args.max_images, args.click_objects,
                          args.effort_images, partial=lambda result: save(args.out, bundled(result)),
                          classical_start="default")
        save(args.out, bundled(result))
    if args.hold_out:
        started = time.perf_counter()

        def held(result):
            return {**result, "set": HOLD_OUT, "seconds": time.perf_counter() - started, "command": args.command}

        result = evaluate(args.datasets / f"dsb2018-{HOLD_OUT}", None, None, args.max_images, args.click_objects,
                          args.effort_images, partial=lambda result: save(args.out, held(result)))
        save(args.out, held(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
