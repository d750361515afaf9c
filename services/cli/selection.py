"""``strategies``, ``add`` and ``progress``: the selector's strategies,
adding a folder of images to a project, and how far a project is (and
whether more labels still pay) from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

from labelassist.cli.common import client_for, new_project, print_specs


def cmd_strategies(args) -> int:
    with client_for(args) as client:
        print_specs(client.list_strategies())
    return 0


def cmd_progress(args) -> int:
    with client_for(args) as client:
        progress = client.progress(args.project)
    print(f"{args.project}: {progress.labeled} of {progress.total} samples labelled"
          + (f", {progress.skipped} skipped" if progress.skipped else ""))
    for annotator in progress.annotators:
        print(f"  {annotator.annotator:<20} {annotator.labeled}")
    if progress.model_version:
        print(f"model v{progress.model_version}: {progress.scored} samples scored")
    for count in progress.class_counts:
        what = "objects without a class" if count.kind == "unclassified" else f"{count.kind} class {count.name}"
        print(f"  {what:<30} {count.samples} samples")
    if progress.class_model:
        print(f"class model {progress.class_model}: {progress.class_scored} samples scored for the class strategies")
    elif progress.class_scoring_note:
        print(f"class scores: none yet ({progress.class_scoring_note})")
    for evidence in progress.prelabel_evidence:
        offered = "" if evidence.available else " (no longer offered)"
        print(f"pre-label {evidence.source:<10} Dice {evidence.dice:.3f}, {100 * evidence.matched_objects:.0f} % of "
              f"objects matched, over the last {evidence.labels} labels{offered}"
              + (f": {evidence.description}" if evidence.description else ""))
    if progress.best_prelabel:
        print(f"best pre-label: {progress.best_prelabel_reason}")
    if progress.HasField("outlook"):
        print(f"when to stop ({progress.outlook.points} trainings): {progress.outlook.summary}")
    else:
        print("when to stop: needs two trainings on this project's labels at different label counts "
              "(Train in the client, or the Train call with this project)")
    return 0


def cmd_add(args) -> int:
    """Upload a local folder's images (and labels, for a dataset folder) in
    one streamed call; samples the selector cannot use are listed, the rest
    are added. Exit 1 when any was rejected."""
    from tqdm import tqdm

    from labelassist.io.dataset_folder import read_samples
    from labelassist.io.images import read_image

    samples = read_samples(args.folder)
    unreadable = []

    def entries():
        for sample in tqdm(samples, desc=f"adding to {args.project}", unit="image", file=sys.stderr):
            try:
                image = read_image(sample.image)
                label = read_image(sample.label) if sample.label else None
            except ValueError as error:
                unreadable.append((sample.stem, str(error)))
                continue
            yield {"stem": sample.stem, "image": image, "label": label, "sequence": sample.sequence or ""}

    with client_for(args) as client, new_project(client, args.project, args.create,
                                                 strategy=args.strategy) as outcome:
        response = client.add_samples(args.project, entries())
    rejected = unreadable + [(r.stem, r.error) for r in response.rejected]
    for stem, error in rejected:
        print(f"rejected {stem}: {error}", file=sys.stderr)
    if outcome["removed"]:
        return 1
    print(f"{args.project}: added {response.added}, already there {response.existing}, "
          f"rejected {len(rejected)}; {response.total} samples in the project")
    return 1 if rejected else 0


def register(commands) -> None:
    commands.add_parser("strategies", help="list selection strategies").set_defaults(handler=cmd_strategies)
    progress = commands.add_parser("progress", help="a project's labelling progress and whether more labels pay")
    progress.add_argument("project")
    progress.set_defaults(handler=cmd_progress)
    add = commands.add_parser("add", help="add a local folder of images (or a dataset folder) to a project")
    add.add_argument("folder", type=Path, help="a folder of images, or a dataset folder with images/ and labels/")
    add.add_argument("--project", required=True)
    add.add_argument("--create", action="store_true", help="create the project first")
    add.add_argument("--strategy", default="", help="with --create: the project's strategy")
    add.set_defaults(handler=cmd_add)
