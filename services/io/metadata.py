"""What a file says about its pixels beyond their values: the names of its
channels and the physical size of a pixel, from OME-XML (OME-TIFF), ImageJ
metadata and OME-Zarr attributes. Samples carry them (``SampleOrigin``) so
clients show "membrane" rather than "0", and exports write them back."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

# Micrometres per unit, for OME's PhysicalSize units and ImageJ's unit names.
MICROMETRES = {"m": 1e6, "cm": 1e4, "mm": 1e3, "µm": 1.0, "um": 1.0, "micron": 1.0, "microns": 1.0,
               "micrometer": 1.0, "micrometre": 1.0, "\\u00B5m": 1.0, "nm": 1e-3, "nanometer": 1e-3,
               "Å": 1e-4, "pm": 1e-6}


@dataclass(frozen=True)
class ImageMetadata:
    """Channel names (in channel order) and the size of a pixel in
    micrometres along X, Y and Z (0: not known)."""

    channel_names: tuple[str, ...] = ()
    physical_size: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def as_origin(self) -> dict:
        """The ``SampleOrigin`` fields this metadata fills (none when unknown)."""
        found = {"channel_names": list(self.channel_names)} if any(self.channel_names) else {}
        for axis, size in zip("xyz", self.physical_size):
            if size > 0:
                found[f"physical_size_{axis}"] = float(size)
        return found


def _micrometres(value, unit: str | None) -> float:
    try:
        size = float(value)
    except (TypeError, ValueError):
        return 0.0
    factor = MICROMETRES.get((unit or "µm").strip(), 0.0)
    return size * factor if size > 0 else 0.0


def ome_xml_metadata(xml: str) -> ImageMetadata:
    """Channel names and pixel sizes of the first image of an OME-XML document."""
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return ImageMetadata()
    pixels = next((e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "Pixels"), None)
    if pixels is None:
        return ImageMetadata()
    names = tuple(c.get("Name", "") for c in pixels if c.tag.rsplit("}", 1)[-1] == "Channel")
    size = tuple(_micrometres(pixels.get(f"PhysicalSize{a}"), pixels.get(f"PhysicalSize{a}Unit")) for a in "XYZ")
    return ImageMetadata(names if any(names) else (), size)


def tiff_metadata(tiff) -> ImageMetadata:
    """From an opened ``tifffile.TiffFile``: its OME-XML, else its ImageJ
    metadata (channel labels, the resolution tags in its unit, the z spacing)."""
    if tiff.is_ome and tiff.ome_metadata:
        return ome_xml_metadata(tiff.ome_metadata)
    imagej = tiff.imagej_metadata if tiff.is_imagej else None
    if not imagej:
        return ImageMetadata()
    page = tiff.pages.first
    unit = imagej.get("unit")
    sizes = []
    for tag in ("XResolution", "YResolution"):
        resolution = page.tags.get(tag)
        pixels_per_unit = resolution.value[0] / resolution.value[1] if resolution and resolution.value[1] else 0
        sizes.append(_micrometres(1 / pixels_per_unit, unit) if pixels_per_unit and unit else 0.0)
    sizes.append(_micrometres(imagej.get("spacing"), unit) if unit else 0.0)
    labels = imagej.get("Labels")
    channels = int(imagej.get("channels", 1) or 1)
    names = tuple(map(str, labels[:channels])) if isinstance(labels, list) and channels > 1 else ()
    return ImageMetadata(names, tuple(sizes))


def zarr_metadata(path: str | Path) -> ImageMetadata:
    """From an OME-Zarr image's attributes (NGFF 0.4 ``.zattrs`` or 0.5
    ``zarr.json``): omero channel labels, and the first dataset's scale for
    the axes in micrometres."""
    path = Path(path)
    attributes = {}
    for name in (".zattrs", "zarr.json"):
        try:
            document = json.loads((path / name).read_text())
        except (OSError, ValueError):
            continue
        attributes = document.get("attributes", {}).get("ome", document.get("attributes", document))
        break
    channels = attributes.get("omero", {}).get("channels", []) if isinstance(attributes, dict) else []
    names = tuple(str(c.get("label", "")) for c in channels if isinstance(c, dict))
    sizes = {"x": 0.0, "y": 0.0, "z": 0.0}
    try:
        multiscale = attributes["multiscales"][0]
        scale = next(t["scale"] for t in multiscale["datasets"][0]["coordinateTransformations"]
                     if t.get("type") == "scale")
        for axis, factor in zip(multiscale["axes"], scale):
            if axis.get("name") in sizes:
                sizes[axis["name"]] = _micrometres(factor, axis.get("unit") or "unknown")
    except (KeyError, IndexError, TypeError, StopIteration, AttributeError):
        pass
    return ImageMetadata(names if any(names) else (), (sizes["x"], sizes["y"], sizes["z"]))
