"""OME-Zarr (NGFF) images read through ``ome-zarr`` (the ``formats``
extra): a store's image and label nodes, and its full-resolution level as
a lazy (dask) array, so a slide-sized store costs what is read of it."""

from __future__ import annotations

import logging
from pathlib import Path

from labelassist.io.extras import needs


def image_and_label(path: Path):
    """The OME-Zarr image node of a store (its multiscales) and its first
    label image node, or None for either that is not there."""
    io, reader = needs("ome_zarr.io"), needs("ome_zarr.reader")
    location = io.parse_url(str(path))
    if location is None:
        raise ValueError(f"{path.name}: not a zarr store")
    logging.getLogger("ome_zarr").setLevel(logging.ERROR)  # a label's "no parent found" notice
    nodes = list(reader.Reader(location)())

    def is_label(node) -> bool:
        return any(isinstance(s, reader.Label) for s in node.specs)
    image = next((n for n in nodes if any(isinstance(s, reader.Multiscales) for s in n.specs) and not is_label(n)),
                 None)
    return image, next((n for n in nodes if is_label(n)), None)


def node_axes(node) -> list[str]:
    """A node's axis names as NGFF writes them (lower case: ``t``, ``c``, ``z``, ``y``, ``x``)."""
    return [a["name"] for a in node.metadata["axes"]]


def lazy_image(path: Path):
    """The full-resolution level of an OME-Zarr image as a lazy (dask)
    array and its axes in our letters (``TCZYX`` or a subset): regions are
    read from the store only when taken."""
    image, _ = image_and_label(path)
    if image is None:
        raise ValueError(f"{path.name}: no OME-Zarr image (multiscales) in it")
    return image.data[0], "".join(node_axes(image)).upper()


__all__ = ["image_and_label", "lazy_image", "node_axes"]
