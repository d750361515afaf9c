"""The axes an array carries in the contract (``ArrayHeader.axes``) and the
one plane a call works on: (Y, X), or (Y, X, C) with channels last.

The sender says what each dimension is; the receiver never guesses: T or Z
axes of one plane are dropped, C is moved last, and several planes are
refused with the axes named and what to do instead. The one home of the
axis letters and of the channel limit: image files
(``labelassist.io.axes``) and the services' input checks use these.
"""

from __future__ import annotations

import numpy as np

KNOWN_AXES = "TZCYX"
# The most channels a plane may carry (a wider C axis is a stack or a spectrum: pick a channel).
MAX_CHANNELS = 16


def axes_fit(axes: str, ndim: int) -> bool:
    """Whether ``axes`` name ``ndim`` dimensions: one distinct letter of
    :data:`KNOWN_AXES` each, Y and X among them."""
    return len(axes) == ndim and not set(axes) - set(KNOWN_AXES) and len(set(axes)) == len(axes) \
        and {"Y", "X"} <= set(axes)


def channels_last(array: np.ndarray, axes: str) -> np.ndarray:
    """``array`` with ``axes`` as (Y, X) or (Y, X, C): its T and Z axes,
    each of one plane, dropped, and C moved last."""
    for axis in "TZ":
        if axis in axes:
            array = np.take(array, 0, axis=axes.index(axis))
            axes = axes.replace(axis, "")
    order = [axes.index(axis) for axis in "YXC" if axis in axes]
    return array if order == list(range(array.ndim)) else np.ascontiguousarray(np.transpose(array, order))


def array_axes(value) -> tuple[np.ndarray, str]:
    """The data and axes of a value to send: an object with ``data`` and
    ``axes`` (``labelassist.io.axes.AxisImage``) as it says; a plain array
    of 2 or 3 dimensions as "YX" or "YXC" (channels last), other arrays
    with no axes."""
    if hasattr(value, "axes") and hasattr(value, "data"):
        return np.asarray(value.data), str(value.axes).upper()
    array = np.asarray(value)
    return array, {2: "YX", 3: "YXC"}.get(array.ndim, "")


def as_plane(array: np.ndarray, axes: str, name: str) -> np.ndarray:
    """``array`` with ``axes`` as the plane a call works on.

    Raises
    ------
    ValueError
        Axes that do not fit the array, or a T or Z axis with several planes
        (the message names the axes found and what to do).
    """
    axes = axes.upper()
    shape = tuple(array.shape)
    if not axes_fit(axes, array.ndim):
        raise ValueError(f"array '{name}' of shape {shape}: axes {axes!r} do not fit; give one distinct letter of "
                         f"{KNOWN_AXES} per dimension, Y and X among them")
    several = [axis for axis in "TZ" if axis in axes and shape[axes.index(axis)] > 1]
    if several:
        ranges = " and ".join(f"{axis.lower()} (0-{shape[axes.index(axis)] - 1})" for axis in several)
        raise ValueError(f"array '{name}' has axes {axes} {shape}; a call works on one plane: send the plane "
                         f"of the {ranges} you want, or register the file as a project (labelassist project "
                         "create) to label every plane")
    return channels_last(array, axes)
