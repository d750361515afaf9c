"""CVAT for images 1.1, both ways: ``annotations.xml`` with one ``<mask>``
per object (CVAT's run-length encoding of the object's box, row by row,
starting with a run of background) and the images beside it, the layout
CVAT exports and imports as a dataset. Import also reads ``<polygon>``,
finds a project export's images under ``images/<subset>/`` (a frame name
in several subsets becomes the sample ``<subset>-<stem>``), and names the
other shapes (boxes, polylines, points, ellipses, skeletons, cuboids) in
the import's notes; an image with only those, or none (CVAT lists every
frame of a task, annotated or not), is imported without a label, but in
Label Assistant's own exports an image without shapes is an empty label.

Classes are CVAT labels: each object's ``<mask label>`` is its class
("object" without one), each image class a ``<tag label>`` of the image,
and the task's ``<labels>`` declare them (type ``mask`` or ``tag``, with
their colours). Several labels of one image (one per annotator) are a
project with one task per annotator (:class:`TaskPerAnnotator`), each
shape with an ``annotator`` attribute as well.

Written with the standard library: CVAT's own converter (datumaro) needs
numpy 2, which the Triton client bundle excludes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from labelassist.io.formats import class_table
from labelassist.io.planes import file_stem
from labelassist.io.formats import (IMAGES, UNCLASSIFIED, LabelFormat, LabelledImage, describe_export, entry_classes,
                                    export_image, imported_entry, manifest_schema, named_schema, object_masks, read_xml,
                                    writable_folder, write_replacing)

LABEL = UNCLASSIFIED


def mask_rle(mask: np.ndarray) -> tuple[list[int], tuple[int, int, int, int]]:
    """CVAT's run lengths of a mask's bounding box (background first) and
    the box as (left, top, width, height)."""
    rows, columns = np.nonzero(mask)
    top, left = int(rows.min()), int(columns.min())
    height, width = int(rows.max()) - top + 1, int(columns.max()) - left + 1
    flat = mask[top:top + height, left:left + width].ravel()
    changes = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    bounds = np.concatenate([[0], changes, [flat.size]])
    runs = np.diff(bounds).tolist()
    return ([0] + runs if flat[0] else runs), (left, top, width, height)


def rle_mask(counts: list[int], box: tuple[int, int, int, int], shape: tuple[int, int]) -> np.ndarray:
    """The full-size mask of CVAT run lengths over ``box``."""
    left, top, width, height = box
    if min(box) < 0 or top + height > shape[0] or left + width > shape[1]:
        raise ValueError(f"a mask's box {width}x{height} at ({left}, {top}) lies outside its {shape[1]}x{shape[0]} "
                         "image")
    if any(n < 0 for n in counts) or sum(counts) != width * height:
        raise ValueError(f"a mask's runs cover {sum(counts)} pixels, its box {width}x{height}")
    values = np.repeat(np.arange(len(counts)) % 2 == 1, counts)
    mask = np.zeros(shape, bool)
    mask[top:top + height, left:left + width] = values.reshape(height, width)
    return mask


HOW_TO_OPEN = ("`annotations.xml` is CVAT for images 1.1, each `<image name>` a file in `images/`, as CVAT exports a "
               "dataset. In CVAT: create a task with the labels `annotations.xml` declares (`object`, type mask, and "
               "each class: type mask for object classes, tag for image classes) from the files in `images/`, then "
               "Actions > Upload annotations > CVAT 1.1 with `annotations.xml` (or zip this folder and import it "
               "as a CVAT 1.1 dataset).")


def annotations_root(schema: Mapping | None = None, attributes: Iterable[str] = ()):
    """An ``<annotations>`` element with its task's labels: "object" and the
    schema's object classes as masks, its image classes as tags, each
    mask label declaring the text ``attributes`` its shapes carry."""
    root = ElementTree.Element("annotations")
    ElementTree.SubElement(root, "version").text = "1.1"
    _declare_labels(ElementTree.SubElement(ElementTree.SubElement(root, "meta"), "task"), schema, attributes)
    return root


def _declare_labels(parent, schema: Mapping | None, attributes: Iterable[str]) -> None:
    labels = ElementTree.SubElement(parent, "labels")
    schema = schema or {}
    declared = [(c["name"], c.get("colour", ""), "mask") for c in schema.get("object", [])]
    declared += [(LABEL, "", "mask")] + [(c["name"], c.get("colour", ""), "tag") for c in schema.get("image", [])]
    for name, colour, kind in declared:
        label = ElementTree.SubElement(labels, "label")
        ElementTree.SubElement(label, "name").text = name
        if colour:
            ElementTree.SubElement(label, "color").text = colour
        ElementTree.SubElement(label, "type").text = kind
        listed = ElementTree.SubElement(label, "attributes")
        for attribute in attributes if kind == "mask" else ():
            item = ElementTree.SubElement(listed, "attribute")
            for key, value in (("name", attribute), ("mutable", "False"), ("input_type", "text"),
                               ("default_value", ""), ("values", "")):
                ElementTree.SubElement(item, key).text = value


def add_image(root, images: dict, name: str, label: np.ndarray, classes: Mapping | None,
              attributes: Mapping[str, object] | None = None):
    """An ``<image>`` named ``name`` (the one in ``images``, name ->
    element, when there is one) with a ``<mask>`` per object of ``label``
    (its class as its label), a ``<tag>`` per image class, each shape with
    ``attributes``."""
    image = images.get(name)
    if image is None:
        image = images[name] = ElementTree.SubElement(root, "image", id=str(len(images)), name=name,
                                                      width=str(label.shape[1]), height=str(label.shape[0]))
    _add_shapes(image, label, classes, attributes)
    return image


def _add_shapes(image, label: np.ndarray, classes: Mapping | None, attributes: Mapping[str, object] | None) -> None:
    classes = classes or {}
    objects = classes.get("objects", {})
    for object_id, mask in object_masks(label):
        counts, (left, top, width, height) = mask_rle(mask)
        shape = ElementTree.SubElement(image, "mask", label=objects.get(str(object_id), LABEL), source="manual",
                                       occluded="0", rle=", ".join(map(str, counts)), left=str(left), top=str(top),
                                       width=str(width), height=str(height), z_order="0")
        _attributes(shape, attributes)
    for name in classes.get("image", []):
        _attributes(ElementTree.SubElement(image, "tag", label=name, source="manual"), attributes)


class TaskPerAnnotator:
    """A CVAT for images 1.1 project export with one task per annotator
    (its subset the annotator's name, one job over all of its frames), so
    that CVAT opens each annotator's work on its own: CVAT's project import
    makes a task of each subset. A sample several annotators labelled is a
    frame of each of their tasks; the consensus is a task of its own.

    Parameters
    ----------
    name : str
        The project's name.
    schema : mapping, optional
        The class schema (labels as in :func:`annotations_root`).
    attributes : iterable of str
        The text attributes every shape carries.
    """

    def __init__(self, name: str, schema: Mapping | None = None, attributes: Iterable[str] = ()):
        self.root = ElementTree.Element("annotations")
        ElementTree.SubElement(self.root, "version").text = "1.1"
        self.project = ElementTree.SubElement(ElementTree.SubElement(self.root, "meta"), "project")
        ElementTree.SubElement(self.project, "name").text = name
        _declare_labels(self.project, schema, attributes)
        self.frames: dict[str, dict[str, object]] = {}  # task -> image name -> <image>

    def add(self, task: str, name: str, label: np.ndarray, classes: Mapping | None,
            attributes: Mapping[str, object] | None = None) -> None:
        """``label`` as image ``name`` of ``task``'s job (each shape with ``attributes``)."""
        frames = self.frames.setdefault(task, {})
        image = frames.get(name)
        if image is None:
            image = frames[name] = ElementTree.Element("image", name=name, subset=task,
                                                       width=str(label.shape[1]), height=str(label.shape[0]))
        _add_shapes(image, label, classes, attributes)

    def write(self, path: Path) -> Path:
        """The project as ``path``: its tasks in the meta, then their frames, task by task."""
        tasks = ElementTree.SubElement(self.project, "tasks")
        number = 0
        for task_id, (task, frames) in enumerate(sorted(self.frames.items()), start=1):
            meta = ElementTree.SubElement(tasks, "task")
            for key, value in (("id", task_id), ("name", task), ("size", len(frames)), ("mode", "annotation"),
                               ("overlap", 0), ("subset", task)):
                ElementTree.SubElement(meta, key).text = str(value)
            segment = ElementTree.SubElement(ElementTree.SubElement(meta, "segments"), "segment")
            for key, value in (("id", task_id), ("start", 0), ("stop", len(frames) - 1)):
                ElementTree.SubElement(segment, key).text = str(value)
            ElementTree.SubElement(ElementTree.SubElement(meta, "assignee"), "username").text = task
            for image in frames.values():
                image.set("id", str(number))
                image.set("task_id", str(task_id))
                self.root.append(image)
                number += 1
        return write_annotations(self.root, path)


def read_tasks(source: Path) -> dict[str, dict[str, tuple[np.ndarray, dict]]]:
    """A CVAT project export's labels task by task (by subset, else by task
    id): task -> image name -> (label, classes), for an export written by
    :class:`TaskPerAnnotator` or by CVAT."""
    root = read_xml(source)
    found: dict[str, dict[str, tuple[np.ndarray, dict]]] = {}
    for image in root.iter("image"):
        shape = (int(image.get("height")), int(image.get("width")))
        label = _element_label(image, shape)
        entry = _with_classes({"label": label}, image)
        task = image.get("subset") or image.get("task_id", "")
        found.setdefault(task, {})[image.get("name", "")] = (label, {k: v for k, v in entry.items() if k != "label"})
    return found


def _attributes(shape, attributes: Mapping[str, object] | None) -> None:
    for key, value in (attributes or {}).items():
        ElementTree.SubElement(shape, "attribute", name=key).text = str(value)


def write_annotations(root, path: Path) -> Path:
    """``root`` as ``path``, through :func:`write_replacing`."""
    ElementTree.indent(root)
    return write_replacing(path, lambda fresh: ElementTree.ElementTree(root).write(fresh, encoding="utf-8",
                                                                                     xml_declaration=True))


def write(samples: Iterable[LabelledImage], folder: Path, schema: Mapping | None = None) -> list[Path]:
    """``folder/annotations.xml``, the images in ``folder/images`` (named by
    file name, as CVAT writes them) and the export's README and manifest;
    with a class ``schema``, each object's class as its label and
    ``classes.csv`` (:mod:`class_table`)."""
    folder = writable_folder(folder)
    root, images = annotations_root(schema), {}
    exported, classified = [], []
    for sample in samples:
        exported.append(export_image(folder, sample.stem, sample.image))
        classified.append((sample.stem, sample.classes or {}))
        # CVAT names an image by its file name; the files lie in images/ beside annotations.xml.
        add_image(root, images, exported[-1].shown.removeprefix(f"{IMAGES}/"), np.asarray(sample.label),
                  sample.classes)
    ElementTree.SubElement(root.find("meta/task"), "size").text = str(len(exported))
    write_annotations(root, folder / "annotations.xml")
    return [folder / "annotations.xml", *class_table.write_beside(classified, folder, schema),
            *describe_export(folder, "CVAT for images 1.1", HOW_TO_OPEN, exported, dict(schema or {}))]


# CVAT shapes other than masks and polygons, which an instance label does not take.
SKIPPED_SHAPES = ("box", "polyline", "points", "ellipse", "skeleton", "cuboid")


def _skipped_note(image) -> str | None:
    """What an ``<image>`` holds that its label cannot, in words, or None."""
    counts = {tag: len(image.findall(tag)) for tag in SKIPPED_SHAPES}
    named = ", ".join(f"{count} <{tag}>" for tag, count in counts.items() if count)
    if not named:
        return None
    kept = ("its masks and polygons imported" if _shapes(image) else
            "imported with its tags and no object" if image.find("tag") is not None else "imported without a label")
    return f"skipped {named}: a segmentation label takes CVAT's masks and polygons only ({kept})"


def _shapes(image) -> list:
    """An ``<image>``'s masks and polygons in drawing order (z_order, then as listed)."""
    return sorted((e for e in image if e.tag in ("mask", "polygon")), key=lambda e: int(e.get("z_order", 0)))


def _element_label(image, shape: tuple[int, int]) -> np.ndarray:
    """The label image of an ``<image>``'s masks and polygons, its size
    already checked against the image file."""
    height, width = shape
    label = np.zeros((height, width), np.uint32)
    for object_id, element in enumerate(_shapes(image), 1):
        try:
            label[_element_mask(element, (height, width))] = object_id
        except (ValueError, TypeError, AttributeError) as error:
            raise ValueError(f"{element.tag} {object_id}: {error}") from None
    return label


def _with_classes(entry: dict, image) -> dict:
    """An entry with the classes of its ``<image>``: each shape's label, its tags."""
    if "label" not in entry or entry["label"] is None:
        return entry
    objects = {object_id: e.get("label", "") for object_id, e in enumerate(_shapes(image), 1)}
    return {**entry, **entry_classes(objects, [t.get("label") for t in image.iter("tag") if t.get("label")],
                                     entry["label"])}


def _element_mask(element, shape: tuple[int, int]) -> np.ndarray:
    if element.tag == "mask":
        box = tuple(int(float(element.get(k))) for k in ("left", "top", "width", "height"))
        return rle_mask([int(v) for v in element.get("rle").split(",")], box, shape)
    canvas = Image.new("1", (shape[1], shape[0]))
    points = [tuple(map(float, p.split(","))) for p in element.get("points").split(";")]
    ImageDraw.Draw(canvas).polygon(points, fill=1, outline=1)
    return np.asarray(canvas, dtype=bool)


def read(source: Path, images: Path | None) -> Iterator[dict]:
    """Samples of a CVAT for images export (a folder with
    ``annotations.xml``, or the file), each object's label its class and
    each tag an image class; the XML is parsed (and refused when it
    declares entities) before the first sample. A CVAT project export
    repeats frame names in its subsets: a name in several subsets is
    sampled as ``<subset>-<stem>``, read from ``images/<subset>/`` only,
    and a sample name that still repeats fails as an item."""
    annotations = source / "annotations.xml" if source.is_dir() else source
    root = read_xml(annotations)
    elements = [(image, file_stem(image.get("name", "")) or image.get("name", "") or "?")
                for image in root.iter("image")]
    ours = (annotations.parent / "manifest.json").is_file()  # Label Assistant's export: an empty image is labelled
    subsets_of: dict[str, set[str]] = {}
    for image, stem in elements:
        subsets_of.setdefault(stem, set()).add(image.get("subset", ""))

    def entries() -> Iterator[dict]:
        named: dict[str, str] = {}  # sample name -> the image that took it
        for image, stem in elements:
            name, subset = image.get("name", ""), image.get("subset", "")
            in_several = len(subsets_of[stem]) > 1
            sample = f"{subset}-{stem}" if subset and in_several else stem
            reference = f"{subset}/{name}" if subset else name
            if sample in named:
                yield {"stem": sample, "error": f"image {reference!r} would be sample {sample!r}, already taken by "
                                                f"{named[sample]!r}; rename one of them"}
                continue
            named[sample] = reference
            yield _entry(image, reference, annotations.parent, images, sample, by_name=not in_several, ours=ours)

    return entries()


def _entry(image, reference: str, folder: Path, images: Path | None, stem: str, by_name: bool, ours: bool) -> dict:
    """One ``<image>`` (``reference``: its path in the export) as an
    ``add_samples`` entry named ``stem``; a project export keeps each
    subset's images in ``images/<subset>/`` (only there unless ``by_name``:
    a frame name other subsets share is no clue). An image with no mask,
    polygon or tag has no label: CVAT lists every frame of a task, annotated
    or not; only Label Assistant's own export (``ours``) means an empty
    label by an image without shapes."""
    subset = image.get("subset", "")
    shape = (image.get("height"), image.get("width"))
    skipped_only = any(image.find(tag) is not None for tag in SKIPPED_SHAPES)
    unlabelled = not _shapes(image) and image.find("tag") is None and (skipped_only or not ours)
    decode = None if unlabelled else (lambda shape, element=image: _element_label(element, shape))
    entry = {**_with_classes(imported_entry(reference, shape, decode, folder, images, by_name=by_name), image),
             "stem": stem}
    if not by_name and entry.get("error", "").startswith(f"image {reference!r} not found"):
        entry["error"] = (f"image {reference!r} not found under images/{subset}/ (beside the annotations, or in "
                          f"--images): other subsets have an image of that name, so it is read from its own "
                          f"subset's folder only")
    note = _skipped_note(image)
    return {**entry, "note": note} if note and "error" not in entry else entry


def class_schema(source: Path) -> dict:
    """The class schema of a CVAT export: the manifest's (Label Assistant's
    exports), else the task's labels, mask labels but "object" as object
    classes and tag labels as image classes, several tags on one image
    making it multi-label."""
    folder = source if source.is_dir() else source.parent
    kept = manifest_schema(folder)
    if kept is not None:
        return kept
    root = read_xml(source / "annotations.xml" if source.is_dir() else source)
    declared = [(label.findtext("name", ""), label.findtext("type", "")) for label in root.iter("label")]
    objects = [name for name, kind in declared if kind != "tag"]
    objects += [e.get("label", "") for image in root.iter("image") for e in _shapes(image)]
    tags = [name for name, kind in declared if kind == "tag"]
    tags += [t.get("label", "") for t in root.iter("tag")]
    multi = any(len(image.findall("tag")) > 1 for image in root.iter("image"))
    return named_schema(objects, tags, multi)


FORMAT = LabelFormat("cvat", "CVAT for images 1.1: DIR/annotations.xml (a mask per object, its label its class) and "
                     "DIR/images/", write, read, options=("schema",), class_schema=class_schema)
