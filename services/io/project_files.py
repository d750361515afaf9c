"""Samples from image files for a project: files and folders expanded,
label files matched by name, every plane and tile of each file with its
origin, read one at a time; what ``labelassist project`` and the desktop
client's New project upload."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from labelassist.io.planes import channel_report, file_stem, image_files, read_samples
from labelassist.io.vendor import VENDOR_SUFFIXES, scene_label

# A label file labels the image of its name: a.tif or a_labels.ome.tif labels a.tif.
LABEL_SUFFIX = "_labels"


def source_files(paths, labels=()) -> list[tuple[Path, dict[str, Path]]]:
    """Image files with their label files, matched by name; a dataset
    folder brings its images/ and labels/.

    The label files of an image are keyed by scene: ``""`` for the whole
    file, a scene's name (see ``scene_label``) for a vendor file of several
    (``a_<scene>_labels.ome.tif`` labels scene <scene> of ``a.lif``).
    """
    expanded, label_files = [], [Path(p) for p in labels]
    for path in map(Path, paths):
        if path.is_dir() and (path / "images").is_dir():
            expanded.append(path / "images")
            if (path / "labels").is_dir():
                label_files.append(path / "labels")
        else:
            expanded.append(path)
    by_stem = {file_stem(path).removesuffix(LABEL_SUFFIX): path for path in image_files(label_files)}
    found = []
    for image in image_files(expanded):
        stem = file_stem(image)
        matched = {"": by_stem[stem]} if stem in by_stem else {}
        if image.suffix.lower() in VENDOR_SUFFIXES:
            matched |= {name[len(stem) + 1:]: path for name, path in by_stem.items() if name.startswith(stem + "_")}
        found.append((image, matched))
    return found


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
                 progress: Callable[[], None] = lambda: None,
                 notes: list[tuple[str, str]] | None = None) -> Iterator[dict]:
    """Every sample of every (image, label) file, one at a time, as
    ``add_samples`` takes them: stem, image, sequence, label, origin.

    ``sources`` are (image file, its label files by scene) as
    :func:`source_files` gives them. A file that fails is recorded in
    ``failed`` (file, reason) and the rest go on; ``progress`` is called
    once per sample. With a ``channel``, ``notes`` gets (file, what the
    choice did to it) for each file (and scene): a channel taken, an RGB
    image kept whole, or a file without a channel axis read as it is.
    """
    failed = [] if failed is None else failed
    notes = [] if notes is None else notes
    for image_path, label_paths in sources:
        try:
            labels, labelled = None, None
            for region, image in read_samples(image_path, axes, channel, tile):
                source = region.source
                scene = scene_label(source.scene) if source.scene else ""
                if labelled != source:
                    labelled = source
                    if channel is not None:
                        notes.append((image_path.name + (f" ({scene})" if scene else ""),
                                      channel_report(source, channel)))
                    labels = label_planes(label_paths[scene], source, tile) if scene in label_paths else None
                stack = source.extent("T") > 1 or source.extent("Z") > 1
                sequence = (file_stem(image_path) + (f"_{scene}" if scene else "")
                            + (f"_y{region.y}_x{region.x}" if stack and region.tiled else ""))
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
        entries = list(file_samples([(Path(sample.image), {"": Path(sample.label)} if sample.label else {})], tile=None,
                                    failed=failed))
        if failed:
            yield {"stem": sample.stem, "error": failed[0][1]}
            continue
        for entry in entries:
            if len(entries) == 1:
                entry["stem"] = sample.stem
            entry["sequence"] = sample.sequence or entry["sequence"]
            yield entry
