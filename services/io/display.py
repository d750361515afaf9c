"""Display copies of images: what an 8-bit viewer (a browser, CVAT, Label
Studio, an image viewer) shows well. A 16-bit microscope image spans a few
hundred grey levels of 65536 and looks flat grey or black unstretched, and a
two-channel image is no picture at all; the display copy stretches each
channel between percentiles and colours channels as Fiji does. A display
copy is for looking at, never for measuring: the data stays as it was."""

from __future__ import annotations

import numpy as np

from labelassist.io.intensity import STRETCH, percentile_levels, stretch

# Channel colours of a composite (green, magenta, cyan, yellow, red, blue, orange, violet), as in Fiji.
CHANNEL_COLOURS = np.array([(0, 1, 0), (1, 0, 1), (0, 1, 1), (1, 1, 0), (1, 0, 0), (0, 0, 1), (1, 0.5, 0),
                            (0.5, 0, 1)], np.float32)


def shows_as_is(image: np.ndarray) -> bool:
    """Whether an 8-bit viewer shows ``image`` faithfully: 8-bit grey, RGB or RGBA."""
    image = np.asarray(image)
    return image.dtype == np.uint8 and (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4)))


def display_copy(image: np.ndarray, percentiles: tuple[float, float] = STRETCH) -> np.ndarray:
    """An 8-bit copy of an image for viewers: as it is when they show it
    faithfully (:func:`shows_as_is`), else each channel stretched between
    ``percentiles``: grey for one channel, RGB for three, a colour composite
    for any other count.

    Parameters
    ----------
    image : ndarray
        (H, W) or (H, W, C), channels last.
    percentiles : (float, float)
        The low and high percentile of each channel mapped to 0 and 255.

    Returns
    -------
    ndarray
        uint8, (H, W) or (H, W, 3) (or (H, W, 4) for an 8-bit RGBA image).
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim not in (2, 3):
        raise ValueError(f"a display copy needs a (H, W) or (H, W, C) image, got shape {image.shape}")
    if shows_as_is(image):
        return image
    if image.ndim == 2:
        unit = stretch(image, percentiles)
    elif image.shape[2] == 3:
        unit = np.stack([stretch(image[..., c], percentiles) for c in range(3)], axis=-1)
    else:
        unit = np.zeros((*image.shape[:2], 3), np.float32)
        for c in range(image.shape[2]):
            unit += stretch(image[..., c], percentiles)[..., None] * CHANNEL_COLOURS[c % len(CHANNEL_COLOURS)]
        unit = np.clip(unit, 0, 1)
    return np.round(unit * 255).astype(np.uint8)


__all__ = ["CHANNEL_COLOURS", "STRETCH", "display_copy", "percentile_levels", "shows_as_is", "stretch"]
