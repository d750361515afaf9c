"""COCO instance segmentation, both ways: label images to a COCO dataset
(one annotation per object, its mask as run-length encoding through
``pycocotools``) and back to label images (object ids 1..n per image).
A round trip keeps every object's pixels; ids may be renumbered."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from labelassist.io.formats import (IMAGES, LabelFormat, LabelledImage, describe_export, export_image, imported_entry,
                                    needs, object_masks)

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


def from_coco(dataset: dict) -> Iterator[tuple[str, np.ndarray]]:
    """``(file name, label image)`` for every image of a COCO dataset, each
    annotation an object of its own (ids 1..n in annotation order); an
    object drawn over another keeps the pixels it covers. Polygons and
    uncompressed RLE are read too."""
    mask_api = _mask_api()
    by_image: dict[int, list[dict]] = {}
    for annotation in dataset.get("annotations", []):
        by_image.setdefault(annotation["image_id"], []).append(annotation)
    for image in dataset.get("images", []):
        height, width = int(image["height"]), int(image["width"])
        label = np.zeros((height, width), np.uint32)
        for object_id, annotation in enumerate(by_image.get(image["id"], []), start=1):
            segmentation = annotation["segmentation"]
            if isinstance(segmentation, list):  # polygons
                rle = mask_api.merge(mask_api.frPyObjects(segmentation, height, width))
            elif isinstance(segmentation.get("counts"), list):  # uncompressed RLE
                rle = mask_api.frPyObjects(segmentation, height, width)
            else:
                rle = {"size": segmentation["size"], "counts": segmentation["counts"].encode("ascii")}
            label[mask_api.decode(rle).astype(bool)] = object_id
        yield image["file_name"], label


HOW_TO_OPEN = ("`annotations.json` is a COCO instance-segmentation dataset (one annotation per object, its mask as "
               "RLE); each image's `file_name` is relative to `images/`, e.g. "
               "`COCO('annotations.json')` with `images/` as the image folder.")


def write(samples: Iterable[LabelledImage], folder: Path) -> list[Path]:
    """``folder/annotations.json``, every sample's image in ``folder/images``
    (``file_name`` relative to it) and the export's README and manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    exported = []

    def named_labels():
        for sample in samples:
            exported.append(export_image(folder, sample.stem, sample.image))
            yield exported[-1].shown.removeprefix(f"{IMAGES}/"), sample.label

    dataset = to_coco(named_labels())
    (folder / "annotations.json").write_text(json.dumps(dataset))
    return [folder / "annotations.json", *describe_export(folder, "COCO", HOW_TO_OPEN, exported)]


def read(source: Path, images: Path | None) -> Iterator[dict]:
    """Samples of a COCO folder (``annotations.json`` and ``images/``) or file."""
    annotations = source / "annotations.json" if source.is_dir() else source
    dataset = json.loads(annotations.read_text())
    for file_name, label in from_coco(dataset):
        yield imported_entry(file_name, label, annotations.parent, images)


FORMAT = LabelFormat("coco", "COCO instance segmentation: DIR/annotations.json (masks as RLE) and DIR/images/",
                     write, read)
