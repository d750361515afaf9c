"""Read images and write label images: TIFF through tifffile, PNG and other
formats through Pillow. Light, for the client install."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

TIFF_SUFFIXES = (".tif", ".tiff")


def read_image(path: str | Path) -> np.ndarray:
    """The pixels of a TIFF, PNG or JPEG file.

    A file that does not decode is a ``ValueError`` naming the file; the
    decoders' own messages are left out, since they quote the file's first
    bytes.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such image: {path}")
    try:
        if path.suffix.lower() in TIFF_SUFFIXES:
            return tifffile.imread(path)
        with Image.open(path) as image:
            return np.asarray(image)
    except (OSError, ValueError, SyntaxError, tifffile.TiffFileError, Image.DecompressionBombError) as error:
        raise ValueError(f"{path.name}: not a readable image ({type(error).__name__}); "
                         "expected a TIFF, PNG or JPEG file") from None


def write_labels(path: str | Path, labels: np.ndarray) -> None:
    """A label image: uint8 where ids fit, else uint16 (PNG) or uint32 (TIFF)."""
    path = Path(path)
    labels = np.asarray(labels)
    if path.suffix.lower() in TIFF_SUFFIXES:
        dtype = np.uint8 if labels.max() < 256 else np.uint16 if labels.max() < 65536 else np.uint32
        tifffile.imwrite(path, labels.astype(dtype), compression="zlib")
        return
    if path.suffix.lower() != ".png":
        raise ValueError(f"label images are written as .tif or .png, not {path.suffix!r}")
    if labels.max() >= 65536:
        raise ValueError(f"{labels.max()} ids do not fit a 16-bit PNG; write a .tif")
    dtype = np.uint8 if labels.max() < 256 else np.uint16
    Image.fromarray(labels.astype(dtype)).save(path)
