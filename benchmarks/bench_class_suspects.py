"""Class suspects on a real labelled set: objects classed by a rule
(small-bright against other, relative to their image), 5 % of the classes
flipped; precision, recall and average precision of the label-error
ranking's class suspects (see labelassist.evaluation.class_suspects).

    python benchmarks/bench_class_suspects.py --dataset DIR [--split train] [--share 0.05] [--seeds 3] [--rule image|set]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import publish  # noqa: E402

from labelassist.evaluation.class_suspects import measure_class_suspects  # noqa: E402
from labelassist.io.dataset_folder import read_dataset  # noqa: E402
from labelassist.io.images import read_image  # noqa: E402


RULES = {"image": "its image's median object", "set": "the set's median object"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True, help="a dataset folder (images/, labels/, split.csv)")
    parser.add_argument("--split", default="train", help="the split whose labels to use ('' for all)")
    parser.add_argument("--share", type=float, default=0.05, help="share of the classes flipped")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rule", choices=("image", "set"), default="image",
                        help="class objects against their image's median object, or the whole set's")
    args = parser.parse_args(argv)
    samples = [s for s in read_dataset(args.dataset) if s.label is not None and (not args.split or s.split == args.split)]
    images = [read_image(s.image) for s in samples]
    labels = [read_image(s.label) for s in samples]
    runs = []
    for seed in range(args.seeds):
        started = time.perf_counter()
        runs.append({"seed": seed, **measure_class_suspects(images, labels, args.share, seed, rule=args.rule),
                     "seconds": time.perf_counter() - started})
    lines = [f"# Class suspects: {args.dataset.name}", "",
             f"{len(samples)} labelled images ({args.split or 'all'} split) of `{args.dataset.name}`; each object "
             f"classed 'small-bright' when smaller and brighter than {RULES[args.rule]}, else 'other'; "
             f"{args.share:.0%} of the classes flipped at random. Class suspects: confident learning over 5-fold "
             "out-of-fold random-forest probabilities on the objects' measurements. Data: the Data Science Bowl "
             "2018 image sets (Caicedo et al. 2019, BBBC038), CC0 1.0 (see the benchmarks README).", "",
             "| seed | objects | small-bright | flipped | suspects | precision | recall | AP | estimated noise | "
             "out-of-fold accuracy | seconds |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for run in runs:
        lines.append(f"| {run['seed']} | {run['objects']} | {run['small_bright']} | {run['flipped']} | "
                     f"{run['suspects']} | {run['precision']:.3f} | {run['recall']:.3f} | "
                     f"{run['average_precision']:.3f} | {run['estimated_noise']:.3f} | "
                     f"{run['oof_accuracy_on_true']:.3f} | {run['seconds']:.0f} |")
    median = {key: statistics.median(run[key] for run in runs) for key in ("precision", "recall", "average_precision")}
    lines += ["", f"Median precision {median['precision']:.3f}, recall {median['recall']:.3f}, "
              f"AP {median['average_precision']:.3f}. AP: all objects ranked by 1 - p(given class). Estimated noise: "
              "the calibrated confident joint's off-diagonal share.", ""]
    name = f"class_suspects_{args.dataset.name.replace('-', '_')}_{args.rule}"
    return publish(name, {"dataset": args.dataset.name, "split": args.split, "share": args.share, "rule": args.rule,
                          "runs": runs,
                          "median": median}, lines, " ".join(["python", *sys.argv]))


if __name__ == "__main__":
    sys.exit(main())
