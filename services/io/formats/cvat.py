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
                                    object_masks, read_xml, writable_folder, write_replacing)

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
               "dataset. In CVAT: create a task with a label `object` (type mask) from the files in `images/`, then "
               "Actions > Upload annotations > CVAT 1.1 with `annotations.xml` (or zip this folder and import it "
               "as a CVAT 1.1 dataset).")


def write(samples: Iterable[LabelledImage], folder: Path) -> list[Path]:
    """``folder/annotations.xml``, the images in ``folder/images`` (named by
    file name, as CVAT writes them) and the export's README and manifest."""
    folder = writable_folder(folder)
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
    write_replacing(folder / "annotations.xml",
                    lambda path: ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True))
    return [folder / "annotations.xml", *describe_export(folder, "CVAT for images 1.1", HOW_TO_OPEN, exported)]


def _element_label(image, shape: tuple[int, int]) -> np.ndarray:
    """The label image of an ``<image>``'s masks and polygons, its size
    already checked against the image file."""
    height, width = shape
    label = np.zeros((height, width), np.uint32)
    shapes = sorted((e for e in image if e.tag in ("mask", "polygon")), key=lambda e: int(e.get("z_order", 0)))
    for object_id, element in enumerate(shapes, 1):
        try:
            label[_element_mask(element, (height, width))] = object_id
        except (ValueError, TypeError, AttributeError) as error:
            raise ValueError(f"{element.tag} {object_id}: {error}") from None
    return label


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
    ``annotations.xml``, or the file); the XML is parsed (and refused when
    it declares entities) before the first sample."""
    annotations = source / "annotations.xml" if source.is_dir() else source
    root = read_xml(annotations)
    return (imported_entry(image.get("name", ""), (image.get("height"), image.get("width")),
                           lambda shape, element=image: _element_label(element, shape), annotations.parent, images)
            for image in root.iter("image"))


FORMAT = LabelFormat("cvat", "CVAT for images 1.1: DIR/annotations.xml (a mask per object) and DIR/images/",
                     write, read)
