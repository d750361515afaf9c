"""Read images and write label images: TIFF through tifffile, PNG and other
formats through Pillow. Light, for the client install."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

from labelassist.io.tiff_checks import CorruptTiffError, check_tiff
from labelassist.io.vendor import VENDOR_SUFFIXES, lazy_scene

TIFF_SUFFIXES = (".tif", ".tiff")
# Read everywhere an image is taken.
IMAGE_SUFFIXES = (".tif", ".tiff", ".png", ".jpg", ".jpeg", *VENDOR_SUFFIXES)
ZARR_SUFFIXES = (".ome.zarr", ".zarr")  # OME-Zarr images: folders, read lazily (the formats extra)


def read_image(path: str | Path) -> np.ndarray:
    """The pixels of a TIFF, PNG or JPEG file, or of a vendor file's only
    scene (CZI, ND2, LIF; axes of one plane dropped).

    A TIFF file that is truncated, or whose pages disagree with its OME or
    ImageJ metadata, is a ``ValueError`` saying what was expected and found
    (see ``labelassist.io.tiff_checks``).

    A file that does not decode is a ``ValueError`` naming the file; the
    decoders' own messages are left out, since they quote the file's first
    bytes.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such image: {path}")
    if path.suffix.lower() in VENDOR_SUFFIXES:
        return np.asarray(lazy_scene(path)[0])
    try:
        if path.suffix.lower() in TIFF_SUFFIXES:
            with tifffile.TiffFile(path) as tiff:
                check_tiff(tiff, path.name)
                return tiff.asarray()
        with Image.open(path) as image:
            return np.asarray(image)
    except CorruptTiffError:
        raise
    except (OSError, ValueError, SyntaxError, tifffile.TiffFileError, Image.DecompressionBombError) as error:
        raise ValueError(f"{path.name}: not a readable image ({type(error).__name__}); "
                         "expected a TIFF, PNG or JPEG file") from None


def image_size(path: str | Path) -> tuple[int, int] | None:
    """A TIFF's or PNG/JPEG's height and width from its header, without
    decoding its pixels (so a tiny file that declares a huge image can be
    refused first); None where the header does not say (vendor files)."""
    path = Path(path)
    try:
        if path.suffix.lower() in TIFF_SUFFIXES:
            with tifffile.TiffFile(path) as tiff:
                page = tiff.pages[0]
                return int(page.imagelength), int(page.imagewidth)
        if path.suffix.lower() in VENDOR_SUFFIXES:
            return None
        with Image.open(path) as image:
            width, height = image.size
            return height, width
    except (OSError, ValueError, SyntaxError, tifffile.TiffFileError, Image.DecompressionBombError) as error:
        raise ValueError(f"{path.name}: not a readable image ({type(error).__name__}); "
                         "expected a TIFF, PNG or JPEG file") from None


def write_labels(path: str | Path, labels: np.ndarray, smallest: type = np.uint8) -> None:
    """A label image in the smallest of uint8, uint16 (and uint32 for TIFF)
    that holds its ids, but no smaller than ``smallest``."""
    path = Path(path)
    labels = np.asarray(labels)
    top = int(labels.max()) if labels.size else 0
    fits = [t for t in (np.uint8, np.uint16, np.uint32) if top <= np.iinfo(t).max
            and np.iinfo(t).max >= np.iinfo(smallest).max]
    if path.suffix.lower() in TIFF_SUFFIXES:
        tifffile.imwrite(path, labels.astype(fits[0]), compression="zlib")
        return
    if path.suffix.lower() != ".png":
        raise ValueError(f"label images are written as .tif or .png, not {path.suffix!r}")
    if top >= 65536:
        raise ValueError(f"{top} ids do not fit a 16-bit PNG; write a .tif")
    Image.fromarray(labels.astype(fits[0])).save(path)


def write_image(path: str | Path, image: np.ndarray) -> None:
    """An image as TIFF (any dtype, channels last) or PNG (8- or 16-bit).
    A (H, W, C) TIFF is one page of C samples per pixel, as tools read YXC
    images, not C-wide pages stacked H deep."""
    path = Path(path)
    image = np.asarray(image)
    if path.suffix.lower() in TIFF_SUFFIXES:
        rgb = image.ndim == 3 and image.shape[2] in (3, 4)
        tifffile.imwrite(path, image, photometric="rgb" if rgb else "minisblack",
                         planarconfig="contig" if image.ndim == 3 else None, compression="zlib")
        return
    Image.fromarray(image).save(path)
