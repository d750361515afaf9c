"""Samples from image files for a project: files and folders expanded,
label files matched by name, every plane and tile of each file with its
origin, read one at a time; what ``labelassist project`` and the desktop
client's New project upload."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from labelassist.io.planes import file_stem, image_files, read_samples


def source_files(paths, labels=()) -> list[tuple[Path, Path | None]]:
    """Image files with their label files (matched by name); a dataset
    folder brings its images/ and labels/."""
    expanded, label_files = [], [Path(p) for p in labels]
    for path in map(Path, paths):
        if path.is_dir() and (path / "images").is_dir():
            expanded.append(path / "images")
            if (path / "labels").is_dir():
                label_files.append(path / "labels")
        else:
            expanded.append(path)
    by_stem = {}
    for path in image_files(label_files):  # a.tif or a_labels.ome.tif labels a.tif
        by_stem[file_stem(path).removesuffix("_labels")] = path
    return [(image, by_stem.get(file_stem(image))) for image in image_files(expanded)]


def label_planes(path: Path, source, tile: int | None) -> dict:
    """The label file's regions by (t, z, y, x), in the image's layout: a
    label file whose metadata names other axes (a plain TIFF stack reads as
    colour planes) takes the image's axes without C."""
    try:
        planes = list(read_samples(path, tile=tile))
    except ValueError:
        planes = []
    if not planes or planes[0][0].source.axes != source.label_axes:
        planes = list(read_samples(path, axes=source.label_axes, tile=tile))
    return {(r.t, r.z, r.y, r.x): array for r, array in planes}


def file_samples(sources, axes: str | None = None, channel: int | None = None, tile: int | None = 1024,
                 failed: list[tuple[str, str]] | None = None,
                 progress: Callable[[], None] = lambda: None) -> Iterator[dict]:
    """Every sample of every (image, label) file, one at a time, as
    ``add_samples`` takes them: stem, image, sequence, label, origin.

    A file that fails is recorded in ``failed`` (file, reason) and the rest
    go on; ``progress`` is called once per sample.
    """
    failed = [] if failed is None else failed
    for image_path, label_path in sources:
        try:
            labels = None
            for region, image in read_samples(image_path, axes, channel, tile):
                if label_path is not None and labels is None:
                    labels = label_planes(label_path, region.source, tile)
                source = region.source
                stack = source.extent("T") > 1 or source.extent("Z") > 1
                sequence = file_stem(image_path) + (f"_y{region.y}_x{region.x}" if stack and region.tiled else "")
                label = labels.get((region.t, region.z, region.y, region.x)) if labels is not None else None
                progress()
                yield {"stem": region.stem, "image": image, "sequence": sequence, "label": label,
                       "origin": {**region.as_dict(), "file": image_path.name}}
        except (OSError, ValueError) as error:
            failed.append((str(image_path), str(error)))


def dataset_samples(samples) -> Iterator[dict]:
    """Entries for ``add_samples`` from a dataset folder's samples (see
    ``labelassist.io.dataset_folder``), whose files may be stacks: a
    single-plane file keeps its stem, a stack's planes get theirs (``_z3``,
    ``_t1_z0``); the folder's sequences apply. A file that cannot be read
    comes as ``{"stem": ..., "error": why}`` and the rest follow."""
    for sample in samples:
        failed: list[tuple[str, str]] = []
        entries = list(file_samples([(Path(sample.image), sample.label and Path(sample.label))], tile=None,
                                    failed=failed))
        if failed:
            yield {"stem": sample.stem, "error": failed[0][1]}
            continue
        for entry in entries:
            if len(entries) == 1:
                entry["stem"] = sample.stem
            entry["sequence"] = sample.sequence or entry["sequence"]
            yield entry
