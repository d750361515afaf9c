"""Label interchange formats, both ways: a registry of what each format
writes from a project's labelled samples and reads back into samples, so
the CLI, the SDK and the desktop client export and import the same way,
on the user's own disk.

Every format keeps instance masks exactly: a round trip may renumber ids
but never changes an object's pixels. Heavy libraries (pycocotools,
ome-zarr, Label Studio's converter) are imported only when their format is
used; they come with the ``formats`` extra.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import numpy as np

from labelassist.io.confinement import OutsideRootsError, confine, writable_folder, write_replacing
from labelassist.io.display import STRETCH, display_copy, shows_as_is
from labelassist.io.extras import needs
from labelassist.io.images import image_size, read_image, write_image
from labelassist.io.planes import file_stem


@dataclass(frozen=True)
class LabelledImage:
    """One labelled sample on its way out: its stem, image (``None`` when
    the format does not carry images), label and, for samples registered
    from a file, where in that file it lies (a ``SampleOrigin``); its
    classes as the selector stores them ({"objects": {"<id>": name},
    "image": [name, ...]}; {} without classes)."""

    stem: str
    image: np.ndarray | None
    label: np.ndarray
    origin: Any = None
    classes: Any = None


@dataclass(frozen=True)
class LabelFormat:
    """A format: ``write(samples, folder, **options)`` returns the files it
    wrote (``options``: the keyword options of this format's writer, e.g.
    ``unique_ids`` for OME-TIFF); ``read(source, images)`` yields
    ``add_samples`` entries (stem, image, label, ...) or ``{"stem": ...,
    "error": why}`` for an item it could not read, and goes on with the rest."""

    name: str
    summary: str
    write: Callable[..., list[Path]]
    read: Callable[[Path, Path | None], Iterator[dict]]
    with_images: bool = True  # export needs each sample's image
    options: tuple[str, ...] = ()
    # The class schema an export declares (as the selector stores it; {} for none), for imports that keep classes.
    class_schema: Callable[[Path], dict] | None = None

    def write_with(self, samples: Iterable[LabelledImage], folder: Path, **options) -> list[Path]:
        """``write`` with those of ``options`` this format takes."""
        return self.write(samples, folder, **{k: v for k, v in options.items() if k in self.options})


# The most pixels an imported sample (and so its label) may have: 8192².
MAX_IMPORT_PIXELS = 1 << 26

_MODULES = {"ome-tiff": "ome_tiff", "coco": "coco", "label-studio": "label_studio", "cvat": "cvat",
            "ome-zarr": "ome_zarr"}
FORMAT_NAMES = tuple(_MODULES)


def label_format(name: str) -> LabelFormat:
    """The format called ``name`` (one of :data:`FORMAT_NAMES`)."""
    if name not in _MODULES:
        raise ValueError(f"unknown label format {name!r}; use one of {', '.join(FORMAT_NAMES)}")
    return importlib.import_module(f"{__name__}.{_MODULES[name]}").FORMAT


IMAGES, ORIGINALS = "images", "originals"


@dataclass(frozen=True)
class ExportedImage:
    """A sample's image in an export, by names relative to its folder:
    ``shown``, the 8-bit PNG the annotations name and the target tool
    displays, and ``original``, the sample's data kept lossless where
    ``shown`` is a display copy (None where ``shown`` is the data)."""

    stem: str
    shown: str
    original: str | None = None


def export_image(folder: Path, stem: str, image: np.ndarray) -> ExportedImage:
    """Write a sample's image where the target tool opens it: ``images/<stem>.png``,
    8-bit grey, RGB or RGBA in the (Y, X) or (Y, X, C) layout the
    annotations describe. An image an 8-bit viewer shows faithfully is
    written as it is; any other (16-bit, float, two or more than four
    channels) as a contrast-stretched display copy
    (:func:`~labelassist.io.display.display_copy`), with its data kept
    lossless in ``originals/<stem>.tif`` (YX or YXC, one page)."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    shown = f"{IMAGES}/{stem}.png"
    shown_copy = display_copy(image)
    write_replacing(writable_folder(folder / IMAGES) / f"{stem}.png", lambda path: write_image(path, shown_copy))
    if shows_as_is(image):
        # An original left by an earlier export into this folder would be imported in this one's
        # place; never through a linked originals/ folder, whose files are someone else's.
        if not (folder / ORIGINALS).is_symlink():
            (folder / ORIGINALS / f"{stem}.tif").unlink(missing_ok=True)
        return ExportedImage(stem, shown)
    original = f"{ORIGINALS}/{stem}.tif"
    write_replacing(writable_folder(folder / ORIGINALS) / f"{stem}.tif", lambda path: write_image(path, image))
    return ExportedImage(stem, shown, original)


def describe_export(folder: Path, format_name: str, how_to_open: str, images: list[ExportedImage],
                    schema: dict | None = None) -> list[Path]:
    """``README.md`` (how to open the export, which image file is which) and
    ``manifest.json`` (each sample's shown and original file, and the
    project's class ``schema`` when it has one, for an import that keeps it)
    in ``folder``."""
    low, high = STRETCH
    stretched = sum(1 for i in images if i.original)
    readme = (f"# Labels exported by Label Assistant: {format_name}\n\n{how_to_open}\n\n## Images\n\n"
              f"- `{IMAGES}/`: the image each annotation names, as the tool shows it: 8-bit PNG, (Y, X) grey or "
              "(Y, X, C) RGB(A). A sample that was 8-bit grey, RGB or RGBA is there exactly. Any other sample "
              "(16-bit, floating point, two or more than four channels) is a display copy: each channel "
              f"contrast-stretched, its {low:g} % and {high:g} % percentiles to 0 and 255, channels other than RGB "
              "as a colour composite (green, magenta, cyan, yellow, ...). Look at these; do not measure on them.\n"
              f"- `{ORIGINALS}/`: the data of those other samples as they were labelled, lossless: TIFF, "
              f"(Y, X) or (Y, X, C) with channels last ({stretched} of {len(images)} samples).\n\n"
              "`manifest.json` names both files of every sample. Importing this folder back into Label Assistant "
              f"reads `{ORIGINALS}/` where a sample has one.\n")
    write_replacing(folder / "README.md", lambda path: path.write_text(readme))
    manifest = {"format": format_name, "stretch_percentiles": [low, high],
                "images": [{"stem": i.stem, "shown": i.shown, "original": i.original,
                            "shown_is": "a display copy (contrast-stretched)" if i.original else "the data"}
                           for i in images]}
    if schema:
        manifest["class_schema"] = dict(schema)
    write_replacing(folder / "manifest.json", lambda path: path.write_text(json.dumps(manifest, indent=1)))
    written = [folder / "README.md", folder / "manifest.json", folder / IMAGES]
    return written + ([folder / ORIGINALS] if stretched else [])


# The class of an object exported without one: the one label a project without classes exports.
UNCLASSIFIED = "object"


def manifest_schema(folder: Path) -> dict | None:
    """The class schema an export's ``manifest.json`` keeps (None without one)."""
    path = folder / "manifest.json"
    if not path.is_file():
        return None
    manifest = read_json(path)
    schema = manifest.get("class_schema") if isinstance(manifest, dict) else None
    return schema if isinstance(schema, dict) else None


def named_schema(objects: Iterable[str], images: Iterable[str], multi_label: bool = False) -> dict:
    """A class schema of class names alone (the selector fills in colours),
    for exports of other tools that declare names only; {} for none."""
    schema: dict = {}
    objects = list(dict.fromkeys(n for n in objects if n and n != UNCLASSIFIED))
    images = list(dict.fromkeys(n for n in images if n))
    if objects:
        schema["object"] = [{"name": name} for name in objects]
    if images:
        schema["image"] = [{"name": name} for name in images]
        schema["multi_label"] = bool(multi_label)
    return schema


def entry_classes(objects: dict[int, str] | None, image: Iterable[str] | None = None,
                  label: np.ndarray | None = None) -> dict:
    """An ``add_samples`` entry's classes: ``object_classes`` (object id ->
    name, :data:`UNCLASSIFIED` left out, only ids ``label`` holds when
    given: an object drawn over entirely is gone) and ``image_classes``."""
    entry: dict = {}
    objects = {int(k): str(v) for k, v in (objects or {}).items() if v and v != UNCLASSIFIED}
    if objects and label is not None:
        present = set(np.unique(np.asarray(label)).tolist())
        objects = {k: v for k, v in objects.items() if k in present}
    if objects:
        entry["object_classes"] = objects
    image = list(image or [])
    if image:
        entry["image_classes"] = image
    return entry


def _referenced_paths(reference: str) -> list[str]:
    """The paths an image reference may mean, most specific first: a URL's
    ``d`` parameter (Label Studio's local files), its path, the text as it is."""
    parsed = urlparse(reference)
    return [unquote(p) for p in parse_qs(parsed.query).get("d", [])] + [unquote(parsed.path), reference]


def find_image(reference: str, folder: Path, images: Path | None, by_name: bool = True) -> Path | None:
    """The image file a format names: as a path relative to the annotation
    file's folder, or to ``images`` or ``folder/images``, then (``by_name``)
    by its name alone inside ``images``, ``folder/images`` or ``folder``, or (for
    a URL such as Label Studio's ``/data/local-files/?d=images/a.png``) by
    the path it carries.

    Only files inside ``images`` (when given, else ``folder``), symlinks
    resolved, are taken: an export names its images, and a name such as
    ``../../secret.png`` must not reach the user's other files. A reference
    found only outside raises :class:`~labelassist.io.confinement.OutsideRootsError`.
    """
    roots = [images] if images else [folder]
    outside = None
    for candidate in _referenced_paths(reference):
        name = Path(candidate).name
        relative = candidate.lstrip("/")
        paths = [folder / relative, images / relative if images else None, folder / "images" / relative]
        if by_name:
            paths += [images / name if images else None, folder / "images" / name, folder / name]
        for path in paths:
            if path is not None and name and path.is_file():
                try:
                    return confine(path, roots, "the images folder (--images)" if images else
                                   "the annotations' folder; give the images' folder with --images")
                except OutsideRootsError as error:
                    outside = outside or error
    if outside is not None:
        raise outside
    return None


def check_import_size(height: int, width: int, what: str) -> tuple[int, int]:
    """``(height, width)`` of an imported image or mask, checked before
    anything of that size is allocated: positive and at most
    :data:`MAX_IMPORT_PIXELS` pixels."""
    try:
        height, width = int(height), int(width)
    except (TypeError, ValueError):
        raise ValueError(f"{what} declares no valid size (height {height!r}, width {width!r})") from None
    if height < 1 or width < 1:
        raise ValueError(f"{what} declares a size of {height}x{width}; both must be at least 1")
    if height * width > MAX_IMPORT_PIXELS:
        raise ValueError(f"{what} declares {height}x{width} pixels, more than the {MAX_IMPORT_PIXELS:,} a sample "
                         "imported from labels may have; add large images with `labelassist project create` "
                         "(they are tiled)")
    return height, width


def describe_import_error(error: BaseException) -> str:
    """What went wrong with one imported item, in a line."""
    if isinstance(error, MemoryError):
        return "too large to decode in this machine's memory"
    if isinstance(error, KeyError):
        return f"missing field {error.args[0]!r}" if error.args else "a missing field"
    return str(error) or type(error).__name__


# What one item of an export may raise; anything else is a bug in the reader.
ITEM_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, MemoryError, OSError)


def imported_entry(reference: str, shape: tuple[int, int] | None,
                   decode: Callable[[tuple[int, int]], np.ndarray | None] | None,
                   folder: Path, images: Path | None, by_name: bool = True) -> dict:
    """An ``add_samples`` entry for the image a format names and its label,
    or an error entry naming the item and its problem.

    Nothing large is decoded before it is known to fit: the annotation's
    declared ``shape`` (height, width; None when it declares none) is
    checked against :data:`MAX_IMPORT_PIXELS`, the image file's own size
    against it too, then the two against each other, and only then does
    ``decode(shape)`` build the label (None: the item has no label).
    """
    stem = file_stem(_referenced_paths(reference)[0]) or reference or "?"
    try:
        if shape is not None:
            shape = check_import_size(*shape, what=f"the annotation of {reference!r}")
        original = folder / ORIGINALS / f"{stem}.tif"  # the data beside a display copy (export_image)
        path = confine(original, [folder], "the export's folder") if original.is_file() \
            else find_image(reference, folder, images, by_name)
        if path is None:
            return {"stem": stem, "error": f"image {reference!r} not found beside the annotations; "
                                           "give its folder with --images"}
        stored = image_size(path)
        if stored is not None:
            check_import_size(*stored, what=f"image {path.name}")
        image = read_image(path)
        if image.ndim not in (2, 3):
            return {"stem": stem, "error": f"image {path.name} has {image.ndim} dimensions; import 2D images"}
        check_import_size(*image.shape[:2], what=f"image {path.name}")
        if shape is not None and image.shape[:2] != shape:
            return {"stem": stem, "error": f"image {path.name} is {image.shape[:2]} but its annotation says "
                                           f"{shape}"}
        label = decode(image.shape[:2]) if decode is not None else None
    except ITEM_ERRORS as error:
        return {"stem": stem, "error": describe_import_error(error)}
    return {"stem": stem, "image": image, "label": label}


def read_json(path: Path):
    """An export's JSON file, or a ``ValueError`` naming it."""
    try:
        return json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ValueError(f"{path.name} is not JSON ({describe_import_error(error)})") from None


def read_xml(path: Path):
    """An export's XML root, parsed by ``defusedxml``: entity expansions
    (billion laughs) and external entities (XXE) are refused, not followed."""
    safe = needs("defusedxml.ElementTree")
    try:
        return safe.parse(path).getroot()
    except safe.ParseError as error:
        raise ValueError(f"{path.name} is not XML ({error})") from None
    except needs("defusedxml").DefusedXmlException as error:
        raise ValueError(f"{path.name} declares XML entities or a DTD ({type(error).__name__}), "
                         "which are refused: an export needs none") from None


def object_masks(label: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """Each object's id and boolean mask, in id order."""
    label = np.asarray(label)
    for object_id in np.unique(label[label > 0]):
        yield int(object_id), label == object_id


__all__ = ["FORMAT_NAMES", "ITEM_ERRORS", "MAX_IMPORT_PIXELS", "UNCLASSIFIED", "ExportedImage", "LabelFormat",
           "LabelledImage", "check_import_size", "describe_export", "describe_import_error", "entry_classes",
           "export_image", "find_image", "imported_entry", "label_format", "manifest_schema", "named_schema",
           "object_masks", "read_json", "read_xml", "writable_folder", "write_replacing"]
