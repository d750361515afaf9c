"""COCO instance segmentation, both ways: label images to a COCO dataset
(one annotation per object, its mask as run-length encoding through
``pycocotools``) and back to label images (object ids 1..n per image).
A round trip keeps every object's pixels and class; ids may be renumbered.

A project's object classes are the categories (an object without a class
is in the category "object"); image classes, which COCO has no field for,
go in each image's ``image_classes``, and the whole class schema (colours,
keys, multi-label) in ``info.class_schema``, so an import keeps it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np

from labelassist.io.formats import class_table
from labelassist.io.formats import (IMAGES, UNCLASSIFIED, LabelFormat, LabelledImage, describe_export,
                                    describe_import_error, entry_classes, export_image, imported_entry, needs,
                                    object_masks, read_json, writable_folder, write_replacing)

CATEGORY = {"id": 1, "name": UNCLASSIFIED, "supercategory": "object"}


def _mask_api():
    return needs("pycocotools.mask")


def categories(schema: Mapping | None) -> list[dict]:
    """COCO categories: one per object class of ``schema``, in order, then
    "object" for objects without a class; only "object" without classes."""
    named = [{"id": number, "name": c["name"], "supercategory": "object", "color": c.get("colour", "")}
             for number, c in enumerate((schema or {}).get("object", []), start=1)]
    return [*named, {**CATEGORY, "id": len(named) + 1}] if named else [CATEGORY]


def to_coco(labels: Iterable[tuple], schema: Mapping | None = None) -> dict:
    """A COCO dataset of ``(file name, label image)`` or ``(file name,
    label image, classes)`` tuples.

    Parameters
    ----------
    labels : iterable of tuples
        Each image's file name, its label image (0 background, ids > 0)
        and optionally its classes ({"objects": {"<id>": name}, "image":
        [name, ...]}, as the selector stores them).
    schema : mapping, optional
        The project's class schema ({"object": [{"name", "colour", "key"}],
        "image": [...], "multi_label": bool}): the categories, and kept
        whole in ``info.class_schema``.

    Returns
    -------
    dict
        ``images``, ``annotations`` (RLE ``segmentation``, ``area``,
        ``bbox`` as x, y, width, height) and ``categories``, ready for
        ``json.dump``.
    """
    mask_api = _mask_api()
    images, annotations = [], []
    category_list = categories(schema)
    category_ids = {c["name"]: c["id"] for c in category_list}
    for image_id, (file_name, label, *rest) in enumerate(labels, start=1):
        label, classes = np.asarray(label), (rest[0] if rest else None) or {}
        images.append({"id": image_id, "file_name": file_name, "height": int(label.shape[0]),
                       "width": int(label.shape[1])})
        if classes.get("image"):
            images[-1]["image_classes"] = list(classes["image"])
        objects = classes.get("objects", {})
        for object_id, mask in object_masks(label):
            rle = mask_api.encode(np.asfortranarray(mask, dtype=np.uint8))
            category = category_ids.get(objects.get(str(object_id)), category_ids[UNCLASSIFIED])
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id, "category_id": category, "iscrowd": 0,
                "segmentation": {"size": [int(n) for n in rle["size"]], "counts": rle["counts"].decode("ascii")},
                "area": float(mask_api.area(rle)), "bbox": [float(v) for v in mask_api.toBbox(rle)]})
    dataset = {"images": images, "annotations": annotations, "categories": category_list}
    if schema:
        dataset["info"] = {"description": "Label Assistant export", "class_schema": dict(schema)}
    return dataset


def to_coco_with_attributes(labels: Iterable[tuple[str, np.ndarray, dict]]) -> dict:
    """A COCO dataset of several labels of each image (e.g. one per
    annotator): each annotation carries its label's ``attributes`` (CVAT's
    COCO reads them as object attributes).

    Parameters
    ----------
    labels : iterable of (str, ndarray, dict)
        An image's file name, one label image of it and that label's
        attributes (e.g. annotator, version, origin); an image named twice
        is one COCO image.

    Returns
    -------
    dict
        As :func:`to_coco`, each annotation with ``attributes``.
    """
    images: dict[str, dict] = {}
    annotations = []
    for file_name, label, attributes in labels:
        single = to_coco([(file_name, label)])
        image = images.setdefault(file_name, {**single["images"][0], "id": len(images) + 1})
        for annotation in single["annotations"]:
            annotations.append({**annotation, "id": len(annotations) + 1, "image_id": image["id"],
                                "attributes": dict(attributes)})
    return {"images": list(images.values()), "annotations": annotations, "categories": [CATEGORY]}


def rle_counts(counts: str) -> list[int]:
    """The run lengths of COCO's compressed RLE string (pycocotools'
    ``rleFrString``: 5 bits a character, each run after the second stored
    as the difference to the run two before)."""
    runs: list[int] = []
    position = 0
    while position < len(counts):
        value, shift, more = 0, 0, True
        while more:
            if position >= len(counts):
                raise ValueError("its RLE counts end inside a run")
            code = ord(counts[position]) - 48
            if not 0 <= code < 64:
                raise ValueError(f"its RLE counts hold {counts[position]!r}, not a COCO RLE character")
            value |= (code & 0x1F) << (5 * shift)
            more = bool(code & 0x20)
            position, shift = position + 1, shift + 1
            if not more and code & 0x10:
                value |= -1 << (5 * shift)
        runs.append(value + runs[-2] if len(runs) > 2 else value)
    return runs


def rle_mask(counts: list[int], height: int, width: int) -> np.ndarray:
    """The mask of COCO run lengths (background first, column by column),
    checked to cover exactly ``height`` x ``width`` pixels before any is made."""
    counts = [int(n) for n in counts]
    if any(n < 0 for n in counts):
        raise ValueError("its RLE has a negative run")
    if sum(counts) != height * width:
        raise ValueError(f"its RLE covers {sum(counts)} pixels, its image {height}x{width} = {height * width}")
    values = np.arange(len(counts)) % 2 == 1
    return np.repeat(values, counts).reshape(width, height).T


def annotation_mask(segmentation, height: int, width: int) -> np.ndarray:
    """One annotation's mask: polygons, uncompressed or compressed RLE, each
    checked against the image's size before it is decoded."""
    if isinstance(segmentation, list):  # polygons
        mask_api = _mask_api()
        if not segmentation or not all(isinstance(p, list) and len(p) >= 6 for p in segmentation):
            raise ValueError("its polygons need at least three points each")
        return mask_api.decode(mask_api.merge(mask_api.frPyObjects(segmentation, height, width))).astype(bool)
    size = [int(n) for n in segmentation["size"]]
    if size != [height, width]:
        raise ValueError(f"its RLE is {size[0]}x{size[1]} but its image {height}x{width}")
    counts = segmentation["counts"]
    return rle_mask(counts if isinstance(counts, list) else rle_counts(counts), height, width)


def from_coco(dataset: dict) -> Iterator[tuple[str, tuple[int, int], list, dict]]:
    """``(file name, (height, width), segmentations, classes)`` for every
    image of a COCO dataset, its annotations' segmentations in order, for
    :func:`coco_label` to decode once the size is checked; ``classes`` as
    the selector stores them (object ids 1..n in that order, each from its
    category's name; "object" is no class)."""
    if not isinstance(dataset, dict):
        raise ValueError("a COCO dataset is a JSON object with 'images' and 'annotations'")
    names = {c.get("id"): str(c.get("name", "")) for c in dataset.get("categories", []) if isinstance(c, dict)}
    by_image: dict = {}
    for annotation in dataset.get("annotations", []):
        if isinstance(annotation, dict):
            by_image.setdefault(annotation.get("image_id"), []).append(
                (annotation.get("segmentation"), names.get(annotation.get("category_id"), UNCLASSIFIED)))
    for image in dataset.get("images", []):
        if not isinstance(image, dict):
            yield "?", None, [], {}
            continue
        found = by_image.get(image.get("id"), [])
        classes: dict = {}
        objects = {str(number): name for number, (_, name) in enumerate(found, start=1) if name != UNCLASSIFIED}
        if objects:
            classes["objects"] = objects
        if isinstance(image.get("image_classes"), list) and image["image_classes"]:
            classes["image"] = [str(name) for name in image["image_classes"]]
        yield (str(image.get("file_name", "")), (image.get("height"), image.get("width")),
               [segmentation for segmentation, _ in found], classes)


def class_schema(source: Path) -> dict:
    """The class schema a COCO export declares: ``info.class_schema`` as
    Label Assistant writes it, else one object class per category but
    "object" (the categories of other tools' exports); {} for none."""
    dataset = read_json(source / "annotations.json" if source.is_dir() else source)
    if not isinstance(dataset, dict):
        return {}
    info = dataset.get("info")
    if isinstance(info, dict) and isinstance(info.get("class_schema"), dict):
        return info["class_schema"]
    named = [str(c.get("name", "")) for c in dataset.get("categories", []) if isinstance(c, dict)]
    classes = [{"name": name} for name in named if name and name != UNCLASSIFIED]
    return {"object": classes} if classes else {}


def coco_label(segmentations: list, shape: tuple[int, int]) -> np.ndarray:
    """A label image of an image's segmentations, each an object of its own
    (ids 1..n in annotation order); an object drawn over another keeps the
    pixels it covers. Polygons and uncompressed RLE are read too."""
    height, width = shape
    label = np.zeros((height, width), np.uint32)
    for object_id, segmentation in enumerate(segmentations, start=1):
        try:
            label[annotation_mask(segmentation, height, width)] = object_id
        except (ValueError, TypeError, KeyError) as error:
            raise ValueError(f"annotation {object_id}: {describe_import_error(error)}") from None
    return label


HOW_TO_OPEN = ("`annotations.json` is a COCO instance-segmentation dataset (one annotation per object, its mask as "
               "RLE); each image's `file_name` is relative to `images/`, e.g. "
               "`COCO('annotations.json')` with `images/` as the image folder. In a project with classes, each "
               "object's category is its class, each image's `image_classes` its image classes, and "
               "`classes.csv` lists them as rows of sample, object id, class.")


def write(samples: Iterable[LabelledImage], folder: Path, schema: Mapping | None = None) -> list[Path]:
    """``folder/annotations.json``, every sample's image in ``folder/images``
    (``file_name`` relative to it) and the export's README and manifest;
    with a class ``schema``, ``classes.csv`` too (:mod:`class_table`)."""
    folder = writable_folder(folder)
    exported, classified = [], []

    def named_labels():
        for sample in samples:
            exported.append(export_image(folder, sample.stem, sample.image))
            classified.append((sample.stem, sample.classes or {}))
            yield exported[-1].shown.removeprefix(f"{IMAGES}/"), sample.label, sample.classes

    dataset = to_coco(named_labels(), schema)
    write_replacing(folder / "annotations.json", lambda path: path.write_text(json.dumps(dataset)))
    tables = class_table.write_beside(classified, folder, schema)
    return [folder / "annotations.json", *tables, *describe_export(folder, "COCO", HOW_TO_OPEN, exported)]


def read(source: Path, images: Path | None) -> Iterator[dict]:
    """Samples of a COCO folder (``annotations.json`` and ``images/``) or
    file; the file is read (and a broken one refused) before the first sample."""
    annotations = source / "annotations.json" if source.is_dir() else source
    dataset = read_json(annotations)
    return ({**imported_entry(file_name, shape, lambda size, found=segmentations: coco_label(found, size),
                              annotations.parent, images),
             **entry_classes(classes.get("objects"), classes.get("image"))}
            for file_name, shape, segmentations, classes in from_coco(dataset))


FORMAT = LabelFormat("coco", "COCO instance segmentation: DIR/annotations.json (masks as RLE) and DIR/images/",
                     write, read, options=("schema",), class_schema=class_schema)
