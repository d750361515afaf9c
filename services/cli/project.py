"""``project``: projects from real image files. ``create`` and ``add``
register images, stacks and whole folders (every plane a sample, large
planes as tiles, read lazily); ``export`` writes the labels back in each
source file's own layout, on this machine; ``rename`` and ``delete`` (after
the project's name is typed to confirm); and ``sample list`` (filtered by
class) and ``sample delete``."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from labelassist.cli.assist import add_assist_steps
from labelassist.cli.common import client_for, new_project
from labelassist.io.formats import FORMAT_NAMES


def _report(notes, failed) -> None:
    for file, what in notes:
        print(f"{file}: {what}")
    for file, error in failed:
        print(f"failed {file}: {error}", file=sys.stderr)


def _register(args, create: bool) -> int:
    from tqdm import tqdm

    from labelassist.io.project_files import file_samples, source_files

    sources = source_files(args.images, args.labels)
    if not sources:
        raise ValueError(f"no image files in {', '.join(map(str, args.images))} (TIFF, PNG, JPEG or .ome.zarr)")
    failed: list[tuple[str, str]] = []
    notes: list[tuple[str, str]] = []
    settings = dict(strategy=args.strategy, preprocess=args.pre, method=args.method, postprocess=args.post) \
        if create else {}
    with client_for(args) as client, tqdm(desc=f"adding to {args.name}", unit="plane", file=sys.stderr) as bar:
        samples = file_samples(sources, args.axes, args.channel, args.tile or None, failed,
                               progress=lambda: bar.update(1), notes=notes)
        first = next(samples, None)
        if first is None:  # not one file read: no project is created, nothing is added
            _report(notes, failed)
            print(f"{args.name}: none of {len(sources)} files could be read; "
                  f"{'no project was created' if create else 'nothing was added'}", file=sys.stderr)
            return 1
        with new_project(client, args.name, create, **settings) as outcome:
            response = client.add_samples(args.name, itertools.chain([first], samples))
    _report(notes, failed)
    for rejected in response.rejected:
        print(f"rejected {rejected.stem}: {rejected.error}", file=sys.stderr)
    if outcome["removed"]:
        return 1
    print(f"{args.name}: {len(sources) - len(failed)} of {len(sources)} files read; added {response.added} "
          f"samples, already there {response.existing}, rejected {len(response.rejected)}; "
          f"{response.total} samples in the project")
    return 1 if failed or response.rejected else 0


def cmd_project_create(args) -> int:
    return _register(args, create=True)


def cmd_project_add(args) -> int:
    return _register(args, create=False)


def cmd_project_export(args) -> int:
    """A project's labels in a format other tools read, to a folder on this machine."""
    from tqdm import tqdm

    with client_for(args) as client, tqdm(desc=f"exporting {args.name}", unit="sample", file=sys.stderr) as bar:
        report = client.download_labels(args.name, args.output, args.format, unique_ids=args.ids == "unique",
                                        progress=lambda n: bar.update(n - bar.n), ngff=args.ngff)
    for path in report.files:
        print(path)
    print(f"{args.name}: wrote {report.samples} labelled samples to {args.output} ({args.format})")
    if args.all_annotators:
        folder = args.output / "annotators"
        # Beside the export in its format: the labels each annotator's objects name them in.
        together = {"coco": ("coco", args.output / "annotations-all-annotators.json"),
                    "cvat": ("cvat", args.output / "annotations-all-annotators.xml"),
                    "ome-zarr": ("ome_zarr", args.output / "annotators-ome-zarr")}.get(args.format)
        with client_for(args) as client:
            every = client.download_annotator_labels(args.name, folder, ngff=args.ngff,
                                                     **({together[0]: together[1]} if together else {}))
        masks = [path for path in every.files if path.suffix == ".tif"]
        print(f"{args.name}: wrote {len(masks)} annotators' and consensus labels of {every.samples} samples to "
              f"{folder} (manifest: {folder / 'manifest.json'})"
              + (f"; {args.format} with annotators: {together[1]}" if together else ""))
    return 0


def cmd_project_import(args) -> int:
    """Samples with their labels from another tool's export; each item that
    fails is named and the rest go on (exit 1 when any failed)."""
    from tqdm import tqdm

    with client_for(args) as client, tqdm(desc=f"importing into {args.name}", unit="sample", file=sys.stderr) as bar:
        report = client.import_labels(args.name, args.source, args.format, images=args.images, create=args.create,
                                      progress=lambda n: bar.update(n - bar.n))
    for name, error in report.failed:
        print(f"failed {name}: {error}", file=sys.stderr)
    for name, note in report.notes:
        print(f"note {name}: {note}", file=sys.stderr)
    if args.create and not report.created:
        print(f"{args.name}: not created: no sample could be imported", file=sys.stderr)
        return 1
    print(f"{args.name}: imported {report.added} samples from {args.source} ({args.format}), already there "
          f"{report.existing}, failed {len(report.failed)}")
    return 1 if report.failed else 0


def cmd_project_delete(args) -> int:
    """Delete a project once its name is typed back (or with ``--yes``)."""
    if not args.yes:
        if not sys.stdin.isatty():
            raise ValueError(f"deleting {args.name!r} cannot be undone: pass --yes to confirm without a terminal")
        typed = input(f"Delete project {args.name!r} with all its samples and labels? This cannot be undone.\n"
                      f"Type the project's name to confirm: ")
        if typed.strip() != args.name:
            print(f"{args.name}: not deleted (the name typed did not match)", file=sys.stderr)
            return 1
    with client_for(args) as client:
        removed = client.delete_project(args.name)
    print(f"{args.name}: deleted {removed.samples} samples and {removed.labels} label versions; "
          f"{removed.blobs_removed} images and labels no other project uses removed from storage")
    return 0


def cmd_project_list(args) -> int:
    with client_for(args) as client:
        for project in sorted(client.list_projects(), key=lambda p: p.name):
            print(f"{project.name:<30} {project.labeled:>7} of {project.total:<7} labelled  {project.strategy}")
    return 0


def cmd_project_rename(args) -> int:
    with client_for(args) as client:
        client.rename_project(args.name, args.new_name)
    print(f"{args.name}: renamed to {args.new_name}")
    return 0


def cmd_sample_delete(args) -> int:
    """Delete samples of a project by name; each that fails is named and the rest go on."""
    from labelassist.client.errors import LabelAssistError

    failed = 0
    with client_for(args) as client:
        for stem in args.stems:
            try:
                removed = client.delete_sample(project=args.project, stem=stem)
            except LabelAssistError as error:
                print(f"failed {stem}: {error.status.name}: {error.message}", file=sys.stderr)
                failed += 1
                continue
            print(f"{args.project}/{stem}: deleted with {removed.labels} label versions")
    return 1 if failed else 0


def cmd_sample_list(args) -> int:
    """A project's samples in pool order, or those of one class: id, name,
    newest label version and review."""
    listed = 0
    with client_for(args) as client:
        for info in client.iter_samples(args.project, labeled_only=args.labelled, object_class=args.object_class,
                                        image_class=args.image_class, unclassified_objects=args.unclassified):
            state = f"v{info.label_version} {info.review}".rstrip() if info.labeled else "unlabelled"
            print(f"{info.sample_id}\t{info.stem}\t{state}")
            listed += 1
    print(f"{listed} samples", file=sys.stderr)
    return 0


def _reading_arguments(parser) -> None:
    parser.add_argument("--labels", nargs="+", type=Path, default=[], metavar="PATH",
                        help="label files or folders, matched to the images by file name; stored as version 1")
    parser.add_argument("--axes", default=None, help="the files' axes (of TZCYX) when their metadata does not say")
    parser.add_argument("--channel", type=int, default=None,
                        help="keep only this channel of files with a channel axis; RGB images stay RGB, files "
                             "without a channel axis stay as they are (default: all channels, at most 16)")
    parser.add_argument("--tile", type=int, default=1024,
                        help="planes larger than this a side become tiles of this size (0: never)")


def register(commands) -> None:
    project = commands.add_parser("project", help="projects from image files: create, add, export, list, rename, "
                                                "delete")
    actions = project.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a project from images, stacks and folders")
    create.add_argument("name")
    create.add_argument("--images", nargs="+", type=Path, required=True, metavar="PATH",
                        help="image files (TIFF incl. OME/ImageJ, PNG, JPEG, OME-Zarr) or folders of them")
    create.add_argument("--strategy", default="", help="the project's selection strategy")
    add_assist_steps(create)  # the project's assist settings
    _reading_arguments(create)
    create.set_defaults(handler=cmd_project_create)
    add = actions.add_parser("add", help="add images, stacks and folders to a project")
    add.add_argument("name")
    add.add_argument("images", nargs="+", type=Path, metavar="PATH")
    _reading_arguments(add)
    add.set_defaults(handler=cmd_project_add)
    export = actions.add_parser("export", help="write a project's labels in a format other tools read, on this "
                                               "machine")
    export.add_argument("name")
    export.add_argument("-o", "--output", type=Path, required=True, help="the folder to write")
    export.add_argument("--format", choices=FORMAT_NAMES, default="ome-tiff",
                        help="ome-tiff: each source file's labels in its own T/Z/Y/X layout; coco, label-studio, cvat, "
                             "ome-zarr: the labelled samples with their images (see docs/images.md, Label formats)")
    export.add_argument("--ids", choices=("unique", "as-labelled"), default="unique",
                        help="ome-tiff: unique: object ids unique per file; as-labelled: each plane's ids as stored "
                             "(keeps ids that follow objects through a stack)")
    export.add_argument("--ngff", choices=("0.4", "0.5"), default="0.4",
                        help="ome-zarr: the OME-Zarr (NGFF) version; 0.4 (Zarr v2) is what most tools read")
    export.add_argument("--all-annotators", action="store_true",
                        help="also write each annotator's newest label of every sample and its consensus, one file "
                             "each, with a manifest naming annotator, version and sources, under OUTPUT/annotators "
                             "(with --format coco also OUTPUT/annotations-all-annotators.json, an annotator "
                             "attribute on every object; with cvat OUTPUT/annotations-all-annotators.xml, a CVAT "
                             "project with a task and job per annotator; with "
                             "ome-zarr OUTPUT/annotators-ome-zarr/, a label image per annotator)")
    export.set_defaults(handler=cmd_project_export)
    imported = actions.add_parser("import", help="samples and labels from another tool's export")
    imported.add_argument("name")
    imported.add_argument("source", type=Path,
                          help="the export's folder or annotation file (annotations.json, tasks.json, annotations.xml), "
                               "a folder of .ome.zarr images, or of OME-TIFF label files")
    imported.add_argument("--format", choices=FORMAT_NAMES, required=True)
    imported.add_argument("--images", type=Path, default=None,
                          help="where the images are, when not beside the annotations (ome-tiff: always)")
    imported.add_argument("--create", action="store_true", help="create the project first")
    imported.set_defaults(handler=cmd_project_import)
    actions.add_parser("list", help="the projects you may see, with their progress").set_defaults(
        handler=cmd_project_list)
    rename = actions.add_parser("rename", help="give a project a new name (project admins)")
    rename.add_argument("name")
    rename.add_argument("new_name")
    rename.set_defaults(handler=cmd_project_rename)
    delete = actions.add_parser("delete", help="delete a project with its samples and labels, after typing its "
                                               "name to confirm (project admins; no undo)")
    delete.add_argument("name")
    delete.add_argument("--yes", action="store_true", help="do not ask (scripts)")
    delete.set_defaults(handler=cmd_project_delete)
    sample = commands.add_parser("sample", help="a project's samples: list (by class), delete")
    sample_actions = sample.add_subparsers(dest="action", required=True)
    listing = sample_actions.add_parser("list", help="a project's samples in pool order (id, name, newest label "
                                                     "version and review), or only those of one class")
    listing.add_argument("project")
    listing.add_argument("--labelled", action="store_true", help="only labelled samples")
    which = listing.add_mutually_exclusive_group()
    which.add_argument("--class", dest="object_class", default="", metavar="NAME",
                       help="only samples whose newest label has an object of this class")
    which.add_argument("--image-class", default="", metavar="NAME",
                       help="only samples whose newest label has this image class")
    which.add_argument("--unclassified", action="store_true",
                       help="only samples whose newest label has objects without a class")
    listing.set_defaults(handler=cmd_sample_list)
    sample_delete = sample_actions.add_parser("delete", help="delete samples with their labels (project admins)")
    sample_delete.add_argument("project")
    sample_delete.add_argument("stems", nargs="+", metavar="STEM", help="the samples' names in the project")
    sample_delete.set_defaults(handler=cmd_sample_delete)
