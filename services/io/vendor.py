"""Microscope vendors' files (Zeiss CZI, Nikon ND2, Leica LIF) through
``bioio`` and its reader plugins (the ``formats`` extra): each scene of a
file (a LIF project's series, a CZI's scenes) is an image with its axes,
kept lazy (dask), so only the planes and regions taken are decoded.

A file of several scenes is a set of images: :func:`lazy_scenes` gives
each (the file opened once), and a single-plane read asks which.
"""

from __future__ import annotations

import re
from pathlib import Path

from labelassist.io.extras import needs
from labelassist.io.metadata import ImageMetadata

# Microscope vendors' files (Zeiss, Nikon, Leica) through bioio: the formats extra.
VENDOR_SUFFIXES = (".czi", ".nd2", ".lif")

# bioio's dimension letters: S holds the samples of an RGB pixel.
SAMPLES = "S"
PLACEHOLDER_NAME = re.compile(r"(Channel|C):\d+(:\d+)?")


def _open(path: Path):
    """bioio's image of ``path``, or a ValueError saying what is missing."""
    try:
        bioio = needs("bioio")
    except ValueError as missing:
        raise ValueError(f"{path.name}: {missing}") from None
    try:
        return bioio.BioImage(path)
    except Exception as error:  # bioio and its plugins raise many kinds for an unreadable file
        raise ValueError(f"{path.name}: not a readable {path.suffix.lstrip('.').upper()} file "
                         f"({type(error).__name__}); expected one of {', '.join(VENDOR_SUFFIXES)}") from None


def scene_label(name: str) -> str:
    """A scene's name as it goes into sample and file names (letters,
    digits, ``-`` and ``_``)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "scene"


def lazy_scene(path: str | Path, scene: str | None = None):
    """One scene of a vendor file as a lazy (dask) array and its axes in
    our letters (``TZCYX`` or a subset; an RGB file's samples are ``S``,
    last); axes of one plane are dropped.

    Parameters
    ----------
    path : path
        A ``.czi``, ``.nd2`` or ``.lif`` file.
    scene : str, optional
        The scene's name (see :func:`lazy_scenes`); without it the file must
        hold one scene.

    Raises
    ------
    ValueError
        The formats extra is missing, the file does not read, the scene is
        unknown or not given for a file of several, or the file has both
        channels and RGB samples.
    """
    path = Path(path)
    image = _open(path)
    names = list(image.scenes)
    if scene is None and len(names) > 1:
        raise ValueError(f"{path.name} holds {len(names)} scenes ({', '.join(names[:5])}"
                         f"{', ...' if len(names) > 5 else ''}); register it as a project "
                         "(labelassist project create) to label every scene")
    if scene is not None:
        if scene not in names:
            raise ValueError(f"{path.name} has no scene {scene!r}; its scenes are {', '.join(names)}")
        image.set_scene(scene)
    return _scene_array(image, path)


def lazy_scenes(path: str | Path):
    """Every scene of a vendor file, opened once: (name, lazy array, axes,
    metadata) as :func:`lazy_scene` gives them with the scene's channel
    names and pixel size, one scene after the other (each array is valid
    until the next is asked for); the name is empty for a file of one
    scene, which names none."""
    path = Path(path)
    image = _open(path)
    names = list(image.scenes)
    for name in names:
        image.set_scene(name)
        yield (name if len(names) > 1 else "", *_scene_array(image, path), _scene_metadata(image))


def _scene_metadata(image) -> ImageMetadata:
    """The current scene's channel names (bioio's placeholders such as
    "Channel:0" are no names) and pixel size in micrometres."""
    try:
        names = tuple(str(n) for n in image.channel_names or ())
        sizes = image.physical_pixel_sizes
        size = tuple(float(getattr(sizes, axis) or 0.0) for axis in "XYZ")
    except Exception:  # noqa: BLE001 - a reader without this metadata still gives its pixels
        return ImageMetadata()
    if all(PLACEHOLDER_NAME.fullmatch(n) for n in names):
        names = ()
    return ImageMetadata(names, tuple(s if s > 0 else 0.0 for s in size))


def _scene_array(image, path: Path):
    """The current scene of bioio's ``image``: a lazy array and its axes, axes of one plane dropped."""
    dims = image.dims
    order = dims.order
    rgb = SAMPLES in order and getattr(dims, SAMPLES) > 1
    if rgb and dims.C > 1:
        raise ValueError(f"{path.name}: {dims.C} channels of RGB pixels ({order} {dims.shape}); "
                         "export the channels as separate files")
    wanted = "TZYX" + SAMPLES if rgb else "TZCYX"
    data = image.get_image_dask_data(wanted)
    axes = wanted
    keep = [i for i, axis in enumerate(axes) if axis in "YX" or data.shape[i] > 1]
    data = data[tuple(slice(None) if i in keep else 0 for i in range(len(axes)))]
    return data, "".join(axes[i] for i in keep)


__all__ = ["VENDOR_SUFFIXES", "lazy_scene", "lazy_scenes", "scene_label"]
