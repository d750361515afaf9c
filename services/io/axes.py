"""Images with their axes: what a file's metadata says its dimensions are
(``TZCYX`` or a subset, from OME-TIFF, ImageJ hyperstacks, or RGB/RGBA
files), and the one plane of it that a 2D operation works on.

Nothing is guessed: a file whose axes are unknown needs them stated
(``--axes ZYX``), and an image with several planes needs the plane chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

from labelassist.io.images import TIFF_SUFFIXES, ZARR_SUFFIXES, read_image
from labelassist.io.vendor import VENDOR_SUFFIXES, lazy_scene
from labelassist.io.zarr_images import lazy_image
from labelassist.proto.wire.axes import KNOWN_AXES, MAX_CHANNELS, axes_fit, channels_last

# tifffile's names for what we call C (RGB samples), and for axes it cannot name.
CHANNEL_ALIASES = {"S": "C"}
UNKNOWN_AXES = set("QIO")
# Planes thinner than this (a single row or column, one pixel) hold no object that can be outlined.
MIN_SIDE = 2


@dataclass(frozen=True)
class AxisImage:
    """An array and the name of each of its axes, e.g. ``"ZCYX"``; ``rgb``
    when its C axis holds a colour image's samples (RGB, RGBA), which a
    channel choice leaves whole."""

    data: np.ndarray
    axes: str
    rgb: bool = False

    def describe(self) -> str:
        return f"axes {self.axes} {tuple(self.data.shape)}"

    def extent(self, axis: str) -> int:
        return self.data.shape[self.axes.index(axis)] if axis in self.axes else 1


def read_with_axes(path: str | Path, axes: str | None = None) -> AxisImage:
    """A file's pixels and axes.

    Parameters
    ----------
    path : path
        TIFF (OME-TIFF and ImageJ hyperstacks included), PNG, JPEG, an
        OME-Zarr image (a ``.zarr`` folder) or a vendor file of one scene
        (CZI, ND2, LIF); the last two stay lazy.
    axes : str, optional
        The axes, one letter of ``TZCYX`` per dimension, for a file whose
        metadata does not say (or says wrongly).

    Returns
    -------
    AxisImage

    Raises
    ------
    ValueError
        For axes that are unknown and not given, or that do not fit the data.
    """
    path = Path(path)
    if path.name.lower().endswith(ZARR_SUFFIXES):
        data, found = lazy_image(path)  # read region by region as it is used
        return AxisImage(data, checked_axes(path.name, found, axes, tuple(data.shape)))
    if path.suffix.lower() in VENDOR_SUFFIXES:
        data, found = lazy_scene(path)
        return AxisImage(data, checked_axes(path.name, found, axes, tuple(data.shape)), is_rgb(found, axes))
    if path.suffix.lower() in TIFF_SUFFIXES:
        data = read_image(path)
        with tifffile.TiffFile(path) as tiff:
            found = tiff.series[0].axes if tiff.series else ""
    else:
        data = read_image(path)
        with Image.open(path) as image:
            found = "YX" if data.ndim == 2 else "YXS" if image.mode in ("RGB", "RGBA", "LA", "CMYK") else ""
    return AxisImage(data, checked_axes(path.name, found, axes, tuple(data.shape)), is_rgb(found, axes))


def is_rgb(found: str, axes: str | None = None) -> bool:
    """Whether a file's axes as its reader names them (``found``) hold a
    colour image's samples, unless the user stated the axes."""
    return not axes and any(CHANNEL_ALIASES.get(a) == "C" for a in found)


def checked_axes(name: str, found: str, axes: str | None, shape: tuple[int, ...]) -> str:
    """The axes of data of ``shape``: ``axes`` when given (checked against
    the data), else what the file said (``found``), when it names every
    dimension. Raises ValueError saying what to give."""
    found = "".join(CHANNEL_ALIASES.get(a, a) for a in found)
    if axes:
        axes = axes.upper()
        if not axes_fit(axes, len(shape)) or not axes.endswith(("YX", "YXC")):
            raise ValueError(f"{name}: --axes {axes} does not fit data of shape {shape}: give one "
                             f"distinct letter of {KNOWN_AXES} per dimension, ending in YX (or YXC)")
        return axes
    if len(found) != len(shape) or set(found) & UNKNOWN_AXES or set(found) - set(KNOWN_AXES):
        raise ValueError(f"{name}: the file does not say what its {len(shape)} dimensions "
                         f"{shape} are (found {found or 'nothing'!r}); give them with --axes, "
                         f"e.g. --axes {'ZYX' if len(shape) == 3 else 'TZYX' if len(shape) == 4 else 'YX'}")
    return found


def select_plane(image: AxisImage, channel: int | None = None, z: int | None = None,
                 t: int | None = None) -> np.ndarray:
    """One 2D plane (Y, X), or a channels-last plane (Y, X, C) when no
    channel is picked, as every 2D operation takes it.

    Raises
    ------
    ValueError
        Naming the axes found and what to pick, when a T or Z axis has more
        than one plane and none was chosen, or a choice is out of range.
    """
    picks = {"T": t, "Z": z, "C": channel}
    missing = [axis for axis in "TZ" if image.extent(axis) > 1 and picks[axis] is None]
    if missing:
        flags = " and ".join(f"--{a.lower()} (0-{image.extent(a) - 1})" for a in missing)
        hint = f", and a channel with --channel (0-{image.extent('C') - 1})" if image.extent("C") > 1 else ""
        raise ValueError(f"image has {image.describe()}; pick a plane with {flags}{hint}, "
                         "or register it as a project to label every plane")
    data, axes = image.data, image.axes
    for axis in "TZC":
        if axis not in axes:
            if picks[axis] not in (None, 0):
                raise ValueError(f"image has {image.describe()}: no {axis} axis to pick {picks[axis]} from")
            continue
        index = picks[axis]
        if index is None:
            continue  # a single T or Z plane, or the channels kept
        if not 0 <= index < data.shape[axes.index(axis)]:
            raise ValueError(f"image has {image.describe()}: --{'channel' if axis == 'C' else axis.lower()} "
                             f"{index} is out of range 0-{data.shape[axes.index(axis)] - 1}")
        data = np.take(data, index, axis=axes.index(axis))
        axes = axes.replace(axis, "")
    if "C" in axes and data.shape[axes.index("C")] > MAX_CHANNELS:
        raise ValueError(f"image has {image.describe()}: {data.shape[axes.index('C')]} channels; "
                         "pick one with --channel")
    return np.asarray(channels_last(data, axes))  # a lazy (OME-Zarr) image is read here, one plane of it
