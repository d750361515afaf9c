"""Input checks for images and label masks: one rule for every service, so
an array the selector stores is one that assist and inspect can work on.

Each check raises ``ValueError`` naming the array and the problem (the
services answer INVALID_ARGUMENT) and returns the array unchanged.
"""

from __future__ import annotations

import numpy as np

from labelassist.io.axes import MIN_SIDE
from labelassist.proto.wire.axes import MAX_CHANNELS


def check_image(image: np.ndarray, name: str = "image") -> np.ndarray:
    """Reject what no operation can work on.

    Parameters
    ----------
    image : ndarray
        A 2D grey image (H, W) or a channels-last image (H, W, C) with
        1 to ``MAX_CHANNELS`` channels, integer or finite float.
    name : str
        How the array is called in the message.

    Returns
    -------
    ndarray
        ``image`` as an array.

    Raises
    ------
    ValueError
        For an empty image or one under ``MIN_SIDE`` pixels a side (a
        single row or column), another number of dimensions or channels, a
        boolean or non-numeric dtype, or NaN/Inf values.
    """
    image = np.asarray(image)
    if image.size == 0:
        raise ValueError(f"'{name}' is empty (shape {image.shape})")
    if image.ndim not in (2, 3):
        raise ValueError(f"'{name}' must be 2D (H, W) or channels-last (H, W, C); got shape {image.shape}")
    if min(image.shape[:2]) < MIN_SIDE:
        raise ValueError(f"'{name}' of shape {image.shape} is too small to label: at least {MIN_SIDE}×{MIN_SIDE} "
                         "pixels")
    if image.ndim == 3 and not 1 <= image.shape[2] <= MAX_CHANNELS:
        raise ValueError(f"'{name}' of shape {image.shape} taken as Y, X, C has {image.shape[2]} channels; at "
                         f"most {MAX_CHANNELS} are supported. If it is a stack or has its channels first, send it "
                         "with its axes (e.g. AxisImage(data, 'ZYX') in the SDK) and one plane of it")
    if image.dtype == np.bool_ or image.dtype.kind not in "uif":
        raise ValueError(f"'{name}' has dtype {image.dtype}; expected an integer or float image")
    if image.dtype.kind == "f" and not np.isfinite(image).all():
        raise ValueError(f"'{name}' contains NaN or Inf")
    return image


def check_mask(mask: np.ndarray, shape: tuple[int, ...] | None = None, name: str = "mask") -> np.ndarray:
    """Reject what is not a label image: 2D, bool or non-negative integer ids.

    Parameters
    ----------
    mask : ndarray
        Label image (H, W): 0 background, > 0 object or instance id.
    shape : tuple of int, optional
        The image's shape; the mask must match its first two extents.
    name : str
        How the array is called in the message.

    Returns
    -------
    ndarray
        ``mask`` as an array.

    Raises
    ------
    ValueError
        For an empty or non-2D mask, a float dtype, negative ids, or a
        shape that differs from the image's.
    """
    mask = np.asarray(mask)
    if mask.size == 0:
        raise ValueError(f"'{name}' is empty (shape {mask.shape})")
    if mask.ndim != 2:
        raise ValueError(f"'{name}' must be a 2D label image (H, W); got shape {mask.shape}")
    if mask.dtype.kind not in "biu":
        raise ValueError(f"'{name}' has dtype {mask.dtype}; expected bool or integer labels")
    if mask.dtype.kind == "i" and mask.min() < 0:
        raise ValueError(f"'{name}' has negative labels (minimum {mask.min()})")
    if shape is not None and mask.shape != tuple(shape[:2]):
        raise ValueError(f"'{name}' shape {mask.shape} does not match the image's {tuple(shape[:2])}")
    return mask


def single_channel(image: np.ndarray, method: str, colour: bool = False) -> np.ndarray:
    """The one channel a method works on, as float32: the channel policy of
    every service.

    Parameters
    ----------
    image : ndarray
        (H, W) or (H, W, 1); with ``colour``, also an RGB or RGBA image
        (H, W, 3 or 4), taken as its mean (:func:`grey`).
    method : str
        The method's name, for the message.
    colour : bool
        Whether a colour image is one channel to this method: it is to one
        that finds shapes (the click model), not to a threshold, where a
        stained slide wants its stain separated first (the 'hed' step).

    Raises
    ------
    ValueError
        For any other number of channels, saying how to pick one.
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] != 1 and not (colour and image.shape[2] in (3, 4)):
        stain = " ('hed' for an RGB brightfield slide)" if image.shape[2] in (3, 4) else ""
        raise ValueError(f"{method}: works on one channel{' or an RGB image' if colour else ''}, the image has "
                         f"{image.shape[2]} channels; send the channel the objects show in: add a 'channel' or "
                         f"'merge' pre-processing step{stain}, or make it the project's assist settings "
                         "(labelassist assist-settings)")
    return np.asarray(image[..., 0] if image.ndim == 3 and image.shape[2] == 1 else grey(image), np.float32)


def grey(image: np.ndarray) -> np.ndarray:
    """One channel to measure and threshold on: a grey image as it is, the
    mean over the channels of a channels-last one."""
    image = np.asarray(image)
    return image if image.ndim == 2 else image.mean(axis=-1)
