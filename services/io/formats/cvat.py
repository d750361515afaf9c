"""CVAT for images 1.1, both ways: ``annotations.xml`` with one ``<mask>``
per object (CVAT's run-length encoding of the object's box, row by row,
starting with a run of background) and the images beside it, the layout
CVAT exports and imports as a dataset. Import also reads ``<polygon>``.

Written with the standard library: CVAT's own converter (datumaro) needs
numpy 2, which the Triton client bundle excludes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from labelassist.io.formats import (IMAGES, LabelFormat, LabelledImage, describe_export, export_image, imported_entry,
                                    object_masks)

LABEL = "object"


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
    values = np.repeat(np.arange(len(counts)) % 2 == 1, counts)
    if values.size != width * height:
        raise ValueError(f"a mask's runs cover {values.size} pixels, its box {width}x{height}")
    mask = np.zeros(shape, bool)
    mask[top:top + height, left:left + width] = values.reshape(height, width)
    return mask


HOW_TO_OPEN = ("`annotations.xml` is CVAT for images 1.1, each `<image name>` a file in `images/`, as CVAT exports a "
               "dataset. In CVAT: create a task with a label `object` (type mask) from the files in `images/`, then "
               "Actions > Upload annotations > CVAT 1.1 with `annotations.xml` (or zip this folder and import it "
               "as a CVAT 1.1 dataset).")


def write(samples: Iterable[LabelledImage], folder: Path) -> list[Path]:
    """``folder/annotations.xml``, the images in ``folder/images`` (named by
    file name, as CVAT writes them) and the export's README and manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    root = ElementTree.Element("annotations")
    ElementTree.SubElement(root, "version").text = "1.1"
    task = ElementTree.SubElement(ElementTree.SubElement(root, "meta"), "task")
    labels = ElementTree.SubElement(ElementTree.SubElement(task, "labels"), "label")
    ElementTree.SubElement(labels, "name").text = LABEL
    ElementTree.SubElement(labels, "type").text = "mask"
    exported = []
    for count, sample in enumerate(samples, 1):
        label = np.asarray(sample.label)
        exported.append(export_image(folder, sample.stem, sample.image))
        # CVAT names an image by its file name; the files lie in images/ beside annotations.xml.
        image = ElementTree.SubElement(root, "image", id=str(count - 1),
                                       name=exported[-1].shown.removeprefix(f"{IMAGES}/"),
                                       width=str(label.shape[1]), height=str(label.shape[0]))
        for _, mask in object_masks(label):
            counts, (left, top, width, height) = mask_rle(mask)
            ElementTree.SubElement(image, "mask", label=LABEL, source="manual", occluded="0",
                                   rle=", ".join(map(str, counts)), left=str(left), top=str(top),
                                   width=str(width), height=str(height), z_order="0")
    ElementTree.SubElement(task, "size").text = str(len(exported))
    ElementTree.indent(root)
    ElementTree.ElementTree(root).write(folder / "annotations.xml", encoding="utf-8", xml_declaration=True)
    return [folder / "annotations.xml", *describe_export(folder, "CVAT for images 1.1", HOW_TO_OPEN, exported)]


def _element_label(image: ElementTree.Element) -> np.ndarray:
    height, width = int(image.get("height")), int(image.get("width"))
    label = np.zeros((height, width), np.uint32)
    shapes = sorted((e for e in image if e.tag in ("mask", "polygon")), key=lambda e: int(e.get("z_order", 0)))
    for object_id, element in enumerate(shapes, 1):
        if element.tag == "mask":
            box = tuple(int(float(element.get(k))) for k in ("left", "top", "width", "height"))
            mask = rle_mask([int(v) for v in element.get("rle").split(",")], box, (height, width))
        else:
            canvas = Image.new("1", (width, height))
            points = [tuple(map(float, p.split(","))) for p in element.get("points").split(";")]
            ImageDraw.Draw(canvas).polygon(points, fill=1, outline=1)
            mask = np.asarray(canvas, dtype=bool)
        label[mask] = object_id
    return label


def read(source: Path, images: Path | None) -> Iterator[dict]:
    """Samples of a CVAT for images export (a folder with
    ``annotations.xml``, or the file)."""
    annotations = source / "annotations.xml" if source.is_dir() else source
    try:
        root = ElementTree.parse(annotations).getroot()
    except ElementTree.ParseError as error:
        raise ValueError(f"{annotations.name} is not CVAT XML ({error})") from None
    for image in root.iter("image"):
        try:
            label = _element_label(image)
        except (TypeError, ValueError) as error:
            yield {"stem": image.get("name", "?"), "error": f"image {image.get('name')}: {error}"}
            continue
        yield imported_entry(image.get("name", ""), label, annotations.parent, images)


FORMAT = LabelFormat("cvat", "CVAT for images 1.1: DIR/annotations.xml (a mask per object) and DIR/images/",
                     write, read)
