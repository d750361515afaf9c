"""COCO instance segmentation, both ways: label images to a COCO dataset
(one annotation per object, its mask as run-length encoding through
``pycocotools``) and back to label images (object ids 1..n per image).
A round trip keeps every object's pixels; ids may be renumbered."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from labelassist.io.formats import (IMAGES, LabelFormat, LabelledImage, describe_export, describe_import_error,
                                    export_image, imported_entry, needs, object_masks, read_json, writable_folder,
                                    write_replacing)

CATEGORY = {"id": 1, "name": "object", "supercategory": "object"}


def _mask_api():
    return needs("pycocotools.mask")


def to_coco(labels: Iterable[tuple[str, np.ndarray]]) -> dict:
    """A COCO dataset of ``(file name, label image)`` pairs.

    Parameters
    ----------
    labels : iterable of (str, ndarray)
        Each image's file name and its label image (0 background, ids > 0).

    Returns
    -------
    dict
        ``images``, ``annotations`` (RLE ``segmentation``, ``area``,
        ``bbox`` as x, y, width, height) and ``categories``, ready for
        ``json.dump``.
    """
    mask_api = _mask_api()
    images, annotations = [], []
    for image_id, (file_name, label) in enumerate(labels, start=1):
        label = np.asarray(label)
        images.append({"id": image_id, "file_name": file_name, "height": int(label.shape[0]),
                       "width": int(label.shape[1])})
        for _, mask in object_masks(label):
            rle = mask_api.encode(np.asfortranarray(mask, dtype=np.uint8))
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id, "category_id": CATEGORY["id"], "iscrowd": 0,
                "segmentation": {"size": [int(n) for n in rle["size"]], "counts": rle["counts"].decode("ascii")},
                "area": float(mask_api.area(rle)), "bbox": [float(v) for v in mask_api.toBbox(rle)]})
    return {"images": images, "annotations": annotations, "categories": [CATEGORY]}


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


def from_coco(dataset: dict) -> Iterator[tuple[str, tuple[int, int], list]]:
    """``(file name, (height, width), segmentations)`` for every image of a
    COCO dataset, its annotations' segmentations in order, for
    :func:`coco_label` to decode once the size is checked."""
    if not isinstance(dataset, dict):
        raise ValueError("a COCO dataset is a JSON object with 'images' and 'annotations'")
    by_image: dict = {}
    for annotation in dataset.get("annotations", []):
        if isinstance(annotation, dict):
            by_image.setdefault(annotation.get("image_id"), []).append(annotation.get("segmentation"))
    for image in dataset.get("images", []):
        if not isinstance(image, dict):
            yield "?", None, []
            continue
        yield str(image.get("file_name", "")), (image.get("height"), image.get("width")), by_image.get(
            image.get("id"), [])


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
               "`COCO('annotations.json')` with `images/` as the image folder.")


def write(samples: Iterable[LabelledImage], folder: Path) -> list[Path]:
    """``folder/annotations.json``, every sample's image in ``folder/images``
    (``file_name`` relative to it) and the export's README and manifest."""
    folder = writable_folder(folder)
    exported = []

    def named_labels():
        for sample in samples:
            exported.append(export_image(folder, sample.stem, sample.image))
            yield exported[-1].shown.removeprefix(f"{IMAGES}/"), sample.label

    dataset = to_coco(named_labels())
    write_replacing(folder / "annotations.json", lambda path: path.write_text(json.dumps(dataset)))
    return [folder / "annotations.json", *describe_export(folder, "COCO", HOW_TO_OPEN, exported)]


def read(source: Path, images: Path | None) -> Iterator[dict]:
    """Samples of a COCO folder (``annotations.json`` and ``images/``) or
    file; the file is read (and a broken one refused) before the first sample."""
    annotations = source / "annotations.json" if source.is_dir() else source
    dataset = read_json(annotations)
    return (imported_entry(file_name, shape,
                           lambda size, found=segmentations: coco_label(found, size), annotations.parent, images)
            for file_name, shape, segmentations in from_coco(dataset))


FORMAT = LabelFormat("coco", "COCO instance segmentation: DIR/annotations.json (masks as RLE) and DIR/images/",
                     write, read)
