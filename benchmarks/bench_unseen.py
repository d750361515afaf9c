"""What ships, on data it never saw: the bundled generalist U-Net against
every classical pre-label configuration (foreground Dice, matched-object F1)
and the bundled click model from nothing (NoC@85/90, the simulated annotator
of `labelassist bench effort`, in-process), on the test split of one
image set built by benchmarks/datasets.py. Nothing is trained or tuned.

    python benchmarks/bench_unseen.py --dataset /work/datasets/dsb2018-fluo-small --max-images 12

The best classical configuration is picked on the same test images, which
favours it; the generalist gets no such choice.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, footer, machine  # noqa: E402
from datasets import HOLD_OUT, IMAGE_SETS, LICENCE, SOURCE  # noqa: E402

from labelassist.assist.pipeline import prelabel_image  # noqa: E402
from labelassist.evaluation.evaluation_set import load_evaluation_set  # noqa: E402
from labelassist.evaluation.prelabel_quality import configurations  # noqa: E402
from labelassist.imaging.checks import grey  # noqa: E402
from labelassist.imaging.measures import dice, instance_labels, match_objects  # noqa: E402
from labelassist.inspect.probability import ProbabilityModel  # noqa: E402

MATCH_IOU = 0.5
GENERALIST = "generalist U-Net (bundled, threshold 0.5)"


def scores(predictions: list[np.ndarray], references: list[np.ndarray]) -> dict:
    """Mean per-image foreground Dice; object F1 pooled over the images (IoU >= 0.5 matches)."""
    matched = predicted = truth = 0
    for prediction, reference in zip(predictions, references):
        prediction, reference = instance_labels(prediction), instance_labels(reference)
        matched += len(match_objects(reference, prediction, MATCH_IOU))
        predicted += len(np.unique(prediction[prediction > 0]))
        truth += len(np.unique(reference[reference > 0]))
    return {"dice_mean": statistics.mean(dice(p > 0, r > 0) for p, r in zip(predictions, references)),
            "f1": 2 * matched / max(predicted + truth, 1), "matched": matched, "predicted": predicted,
            "reference": truth}


def prelabel_rows(images: list[np.ndarray], references: list[np.ndarray], unet=None) -> dict[str, dict]:
    """Scores of every classical configuration and of the generalist U-Net
    (``unet``, a model in-process; None: the bundled one)."""
    rows = {name: scores([prelabel_image(image, **kwargs).mask for image in images], references)
            for name, kwargs in tqdm(configurations(unet=False).items(), desc="classical", file=sys.stderr)}
    model = ProbabilityModel(model=unet)
    rows[GENERALIST] = scores([(model(image) >= 0.5).astype(np.uint8) for image in images], references)
    return rows


def first_objects(references: list[np.ndarray], count: int) -> list[np.ndarray]:
    """The references with only their first ``count`` objects in all (image
    order, then id order): clicks from nothing on one object do not depend
    on the others, so a cap bounds the run without changing what a click does."""
    kept = []
    for reference in references:
        ids = [i for i in np.unique(reference) if i][:max(count, 0)]
        count -= len(ids)
        kept.append(np.where(np.isin(reference, ids), reference, 0))
    return kept


def click_segmenter(clicknet=None):
    """segment(image) -> the effort annotator's Segment with a click model in-process (None: the bundled one):
    the model the assist service runs, no transport, the same masks."""
    from labelassist.models import CLICK_MODEL_NAME, generalist
    from labelassist.models.click_training import click_model_predictor
    from labelassist.models.clicks import Click, segment_object

    predict = click_model_predictor(clicknet or generalist.load_bundled(CLICK_MODEL_NAME)[0])

    def for_image(image):
        def segment(clicks, mask):
            found = segment_object(image, [Click(y, x, positive) for y, x, positive in clicks], predict, mask=mask)
            return found.full(image.shape[:2])
        return segment

    return for_image


def click_effort(images: list[np.ndarray], references: list[np.ndarray], clicknet=None) -> dict:
    """NoC of a click model (None: the bundled one) from nothing: the effort
    benchmark's simulated annotator (labelassist.evaluation.effort)."""
    from labelassist.evaluation.effort import StartEffort, annotate

    segmenter = click_segmenter(clicknet)
    record = StartEffort("click")
    for image, reference in tqdm(list(zip(images, references)), desc="clicks", file=sys.stderr):
        annotate(reference, None, segmenter(image), record)
    return record.summary()


def markdown(results: dict, name: str) -> list[str]:
    rows, best = results["prelabel"], results["best_classical"]
    ours = rows[GENERALIST]
    click = results["click"]
    lines = [f"# Bundled assistance on an unseen image set: {name}" + (" (hold-out)" if name == HOLD_OUT else ""),
             "", results["description"], "",
             "| pre-label | Dice mean | object F1 | matched / predicted / reference objects |",
             "|---|---:|---:|---:|"]
    for label, row in ((f"best classical: {best}", rows[best]), (GENERALIST, ours)):
        lines.append(f"| {label} | {row['dice_mean']:.3f} | {row['f1']:.3f} | "
                     f"{row['matched']} / {row['predicted']} / {row['reference']} |")
    lines += ["", f"Generalist minus best classical: Dice {ours['dice_mean'] - rows[best]['dice_mean']:+.3f}, "
              f"F1 {ours['f1'] - rows[best]['f1']:+.3f}.", "",
              "| clicks from nothing (bundled click model) | objects | NoC@85 | NoC@90 |", "|---|---:|---:|---:|",
              f"| generalist click model | {click['objects']} | {click['noc85']:.2f} | {click['noc90']:.2f} |", "",
              "Every classical configuration:", "", "| configuration | Dice mean | object F1 |", "|---|---:|---:|"]
    lines += [f"| {label} | {row['dice_mean']:.3f} | {row['f1']:.3f} |" for label, row in rows.items()
              if label != GENERALIST]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, required=True, help="a folder built by benchmarks/datasets.py")
    parser.add_argument("--max-images", type=int, default=12, help="the first N test images")
    parser.add_argument("--click-objects", type=int, default=60,
                        help="clicks from nothing on the first N objects of those images")
    parser.add_argument("--out", type=Path, default=None, help="default: benchmarks/results/unseen_<set>")
    args = parser.parse_args()
    name = args.dataset.name.removeprefix("dsb2018-")
    if name not in IMAGE_SETS:
        raise SystemExit(f"{args.dataset}: not one of the image sets ({', '.join(IMAGE_SETS)}); "
                         "build it with benchmarks/datasets.py")
    started = time.perf_counter()
    data = load_evaluation_set(args.dataset)
    test = list(data.test)[:args.max_images]
    # A stained slide is judged on its grey (the channel mean), as the inspection benchmarks do.
    images, references = [grey(data.images[i]) for i in test], [data.labels[i] for i in test]
    rows = prelabel_rows(images, references)
    best = max((n for n in rows if n != GENERALIST), key=lambda n: rows[n]["dice_mean"])
    results = {"description": (
        f"Image set `{name}` ({IMAGE_SETS[name].rule}); source {SOURCE}; licence {LICENCE}. The first "
        f"{len(test)} of {len(data.test)} test images (split.csv), grey (channel mean). Foreground Dice per image, "
        f"mean; object F1 over all objects, a match at IoU ≥ {MATCH_IOU}, predicted objects the connected "
        f"components. Clicks from nothing on the first {args.click_objects} objects of those images. No training, "
        "no tuning; the best classical configuration is chosen on these images."),
        "dataset": str(args.dataset), "images": len(test), "prelabel": rows, "best_classical": best,
        "click": click_effort(images, first_objects(references, args.click_objects))}
    results["seconds"] = time.perf_counter() - started
    info = machine()
    command = (f"python benchmarks/bench_unseen.py --dataset {args.dataset} --max-images {args.max_images} "
               f"--click-objects {args.click_objects}")
    table = "\n".join(markdown(results, name) + footer(info, command, f"; {results['seconds']:.0f} s"))
    out = args.out or RESULTS / f"unseen_{name}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({**results, "machine": info}, indent=2))
    (out / "results.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
