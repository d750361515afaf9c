"""``project``: projects from real image files. ``create`` and ``add``
register images, stacks and whole folders (every plane a sample, large
planes as tiles, read lazily); ``export`` writes the labels back in each
source file's own layout, on this machine."""

from __future__ import annotations

import sys
from pathlib import Path

from labelassist.cli.assist import add_assist_steps
from labelassist.cli.common import client_for


def _register(args, create: bool) -> int:
    from tqdm import tqdm

    from labelassist.io.project_files import file_samples, source_files

    sources = source_files(args.images, args.labels)
    if not sources:
        raise ValueError(f"no image files in {', '.join(map(str, args.images))} (TIFF, PNG or JPEG)")
    failed: list[tuple[str, str]] = []
    with client_for(args) as client, tqdm(desc=f"adding to {args.name}", unit="plane", file=sys.stderr) as bar:
        if create:
            client.create_project(args.name, strategy=args.strategy, preprocess=args.pre, method=args.method,
                                  postprocess=args.post)
        response = client.add_samples(args.name, file_samples(sources, args.axes, args.channel, args.tile or None,
                                                              failed, progress=lambda: bar.update(1)))
    for file, error in failed:
        print(f"failed {file}: {error}", file=sys.stderr)
    for rejected in response.rejected:
        print(f"rejected {rejected.stem}: {rejected.error}", file=sys.stderr)
    print(f"{args.name}: {len(sources) - len(failed)} of {len(sources)} files read; added {response.added} "
          f"samples, already there {response.existing}, rejected {len(response.rejected)}; "
          f"{response.total} samples in the project")
    return 1 if failed or response.rejected else 0


def cmd_project_create(args) -> int:
    return _register(args, create=True)


def cmd_project_add(args) -> int:
    return _register(args, create=False)


def cmd_project_export(args) -> int:
    """Each source file's labels as one OME-TIFF in the file's layout (T, Z,
    Y, X as the file has them); samples without a source file as one
    label image each."""
    from labelassist.io.export import SourceLabels

    args.output.mkdir(parents=True, exist_ok=True)
    files: dict[str, SourceLabels] = {}
    written = 0
    with client_for(args) as client:
        for info in client.iter_samples(args.name, labeled_only=True):
            label = client.get_sample(info.sample_id, with_image=False).require("label")
            if not info.origin.file:
                SourceLabels.write_single(args.output / f"{info.stem}.tif", label)
                written += 1
                continue
            if info.origin.file not in files:
                files[info.origin.file] = SourceLabels(info.origin.file, info.origin.axes, tuple(info.origin.shape),
                                                       unique_ids=args.ids == "unique")
            files[info.origin.file].place(info.origin, label)
    for labels in files.values():
        path = labels.write(args.output)
        print(f"{path}: {labels.count} labelled samples in axes {labels.axes} {labels.shape}")
    print(f"{args.name}: wrote {len(files)} source-layout label files and {written} single label images "
          f"to {args.output}")
    return 0


def _reading_arguments(parser) -> None:
    parser.add_argument("--labels", nargs="+", type=Path, default=[], metavar="PATH",
                        help="label files or folders, matched to the images by file name; stored as version 1")
    parser.add_argument("--axes", default=None, help="the files' axes (of TZCYX) when their metadata does not say")
    parser.add_argument("--channel", type=int, default=None, help="keep only this channel (default: all, at most 16)")
    parser.add_argument("--tile", type=int, default=1024,
                        help="planes larger than this a side become tiles of this size (0: never)")


def register(commands) -> None:
    project = commands.add_parser("project", help="projects from image files: create, add, export")
    actions = project.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a project from images, stacks and folders")
    create.add_argument("name")
    create.add_argument("--images", nargs="+", type=Path, required=True, metavar="PATH",
                        help="image files (TIFF incl. OME/ImageJ, PNG, JPEG) or folders of them")
    create.add_argument("--strategy", default="", help="the project's selection strategy")
    add_assist_steps(create)  # the project's assist settings
    _reading_arguments(create)
    create.set_defaults(handler=cmd_project_create)
    add = actions.add_parser("add", help="add images, stacks and folders to a project")
    add.add_argument("name")
    add.add_argument("images", nargs="+", type=Path, metavar="PATH")
    _reading_arguments(add)
    add.set_defaults(handler=cmd_project_add)
    export = actions.add_parser("export", help="write the labels in each source file's layout to a local folder")
    export.add_argument("name")
    export.add_argument("-o", "--output", type=Path, required=True)
    export.add_argument("--ids", choices=("unique", "as-labelled"), default="unique",
                        help="unique: object ids unique per file; as-labelled: each plane's ids as stored "
                             "(keeps ids that follow objects through a stack)")
    export.set_defaults(handler=cmd_project_export)
