"""``project``: projects from real image files. ``create`` and ``add``
register images, stacks and whole folders (every plane a sample, large
planes as tiles, read lazily); ``export`` writes the labels back in each
source file's own layout, on this machine."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from labelassist.cli.assist import add_assist_steps
from labelassist.cli.common import client_for


def _sources(paths: list[Path], labels: list[Path]) -> list[tuple[Path, Path | None]]:
    """Image files with their label files (matched by name); a dataset
    folder brings its images/ and labels/."""
    from labelassist.io.planes import file_stem, image_files

    expanded, label_files = [], list(labels)
    for path in paths:
        if path.is_dir() and (path / "images").is_dir():
            expanded.append(path / "images")
            if (path / "labels").is_dir():
                label_files.append(path / "labels")
        else:
            expanded.append(path)
    by_stem = {file_stem(p): p for p in image_files(label_files)}
    return [(image, by_stem.get(file_stem(image))) for image in image_files(expanded)]


def _label_planes(path: Path, source, tile: int | None) -> dict:
    """The label file's regions by (t, z, y, x), in the image's layout: a
    label file whose metadata names other axes (a plain TIFF stack reads as
    colour planes) takes the image's axes without C."""
    from labelassist.io.planes import read_samples

    try:
        planes = list(read_samples(path, tile=tile))
    except ValueError:
        planes = []
    if not planes or planes[0][0].source.axes != source.label_axes:
        planes = list(read_samples(path, axes=source.label_axes, tile=tile))
    return {(r.t, r.z, r.y, r.x): array for r, array in planes}


def _entries(sources, args, failed: list[tuple[str, str]], progress) -> Iterator[dict]:
    """Every sample of every file, one at a time; a file that fails is
    recorded in ``failed`` and the rest go on."""
    from labelassist.io.planes import file_stem, read_samples

    for image_path, label_path in sources:
        try:
            labels = None
            for region, image in read_samples(image_path, args.axes, args.channel, args.tile):
                if label_path is not None and labels is None:
                    labels = _label_planes(label_path, region.source, args.tile)
                source = region.source
                stack = source.extent("T") > 1 or source.extent("Z") > 1
                sequence = file_stem(image_path) + (f"_y{region.y}_x{region.x}" if stack and region.tiled else "")
                label = labels.get((region.t, region.z, region.y, region.x)) if labels is not None else None
                progress.update(1)
                yield {"stem": region.stem, "image": image, "sequence": sequence, "label": label,
                       "origin": {**region.as_dict(), "file": image_path.name}}
        except (OSError, ValueError) as error:
            failed.append((str(image_path), str(error)))


def _register(args, create: bool) -> int:
    from tqdm import tqdm

    sources = _sources(args.images, args.labels)
    if not sources:
        raise ValueError(f"no image files in {', '.join(map(str, args.images))} (TIFF, PNG or JPEG)")
    failed: list[tuple[str, str]] = []
    with client_for(args) as client, tqdm(desc=f"adding to {args.name}", unit="plane", file=sys.stderr) as bar:
        if create:
            client.create_project(args.name, strategy=args.strategy, preprocess=args.pre, method=args.method,
                                  postprocess=args.post)
        response = client.add_samples(args.name, _entries(sources, args, failed, bar))
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
