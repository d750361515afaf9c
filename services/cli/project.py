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


def _export_coco(args) -> int:
    """DIR/annotations.json (COCO instance segmentation) and DIR/images/ with
    every labelled sample's image."""
    import json

    from labelassist.io.coco import to_coco
    from labelassist.io.images import write_image

    (args.output / "images").mkdir(parents=True, exist_ok=True)
    with client_for(args) as client:
        def labelled():
            for info in client.iter_samples(args.name, labeled_only=True):
                sample = client.get_sample(info.sample_id)
                write_image(args.output / "images" / f"{info.stem}.tif", sample.require("image"))
                yield f"{info.stem}.tif", sample.require("label")
        dataset = to_coco(labelled())
    (args.output / "annotations.json").write_text(json.dumps(dataset))
    print(f"{args.name}: wrote {len(dataset['images'])} images and {len(dataset['annotations'])} objects to "
          f"{args.output / 'annotations.json'} (COCO) and {args.output / 'images'}")
    return 0


def cmd_project_import(args) -> int:
    """Samples with their labels from a COCO folder (annotations.json and the
    images it names, in images/ or beside it)."""
    import json

    from labelassist.io.coco import from_coco
    from labelassist.io.images import read_image
    from labelassist.io.planes import file_stem

    folder = args.source if args.source.is_dir() else args.source.parent
    annotations = args.source / "annotations.json" if args.source.is_dir() else args.source
    dataset = json.loads(annotations.read_text())
    failed: list[tuple[str, str]] = []

    def entries():
        for file_name, label in from_coco(dataset):
            path = next((p for p in (args.images / file_name if args.images else None, folder / "images" / file_name,
                                     folder / file_name) if p is not None and p.exists()), None)
            if path is None:
                failed.append((file_name, "image file not found (give its folder with --images)"))
                continue
            try:
                yield {"stem": file_stem(file_name), "image": read_image(path), "label": label}
            except ValueError as error:
                failed.append((file_name, str(error)))

    with client_for(args) as client:
        if args.create:
            client.create_project(args.name)
        response = client.add_samples(args.name, entries())
    for file_name, error in failed + [(r.stem, r.error) for r in response.rejected]:
        print(f"failed {file_name}: {error}", file=sys.stderr)
    print(f"{args.name}: imported {response.added} labelled samples from {annotations} (COCO), "
          f"already there {response.existing}")
    return 1 if failed or response.rejected else 0


def cmd_project_export(args) -> int:
    """Each source file's labels as one OME-TIFF in the file's layout (T, Z,
    Y, X as the file has them); samples without a source file as one
    label image each. With ``--format coco``: a COCO folder."""
    from labelassist.io.export import SourceLabels
    from labelassist.io.images import write_labels

    if args.format == "coco":
        return _export_coco(args)

    args.output.mkdir(parents=True, exist_ok=True)
    files: dict[str, SourceLabels] = {}
    written = 0
    with client_for(args) as client:
        for info in client.iter_samples(args.name, labeled_only=True):
            label = client.get_sample(info.sample_id, with_image=False).require("label")
            if not info.origin.file:
                write_labels(args.output / f"{info.stem}.tif", label)
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
    export.add_argument("--format", choices=("ome-tiff", "coco"), default="ome-tiff",
                        help="ome-tiff: labels in each source file's layout; coco: DIR/annotations.json (instance "
                             "masks as RLE) and DIR/images/")
    export.set_defaults(handler=cmd_project_export)
    imported = actions.add_parser("import", help="samples and labels from a COCO folder or annotations file")
    imported.add_argument("name")
    imported.add_argument("source", type=Path, help="a folder with annotations.json and images/, or the JSON file")
    imported.add_argument("--format", choices=("coco",), default="coco")
    imported.add_argument("--images", type=Path, default=None, help="where the images are, if not beside it")
    imported.add_argument("--create", action="store_true", help="create the project first")
    imported.set_defaults(handler=cmd_project_import)
