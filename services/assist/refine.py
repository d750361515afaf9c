"""Interactive refinement: turn a few foreground/background scribbles into a
corrected mask, so an annotator fixes a pre-label in seconds.

Scribbles: 0 unmarked, 1 foreground, 2 background. Only a window around the
scribbles is recomputed; the rest of the mask stays as it was.
"""

from __future__ import annotations

import numpy as np
from skimage import filters, segmentation

from labelassist.assist.operations import Parameter, register
from labelassist.assist.preprocess import rescale_unit
from labelassist.runtime.errors import TooLargeError
from labelassist.imaging.checks import grey

FOREGROUND, BACKGROUND = 1, 2
MARGIN = Parameter("margin", int, 64, "pixels around the scribbles that may change", 1, 100000)


def check_scribbles(scribbles: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    scribbles = np.asarray(scribbles)
    if scribbles.shape != tuple(shape[:2]):
        raise ValueError(f"'scribbles' shape {scribbles.shape} does not match the image's {tuple(shape[:2])}")
    if scribbles.dtype.kind not in "biu":
        raise ValueError(f"'scribbles' has dtype {scribbles.dtype}; expected integers 0, 1, 2")
    values = np.unique(scribbles)
    if not set(values.tolist()) <= {0, FOREGROUND, BACKGROUND}:
        raise ValueError(f"'scribbles' may hold only 0 (none), 1 (foreground), 2 (background); "
                         f"found {values.tolist()}")
    if not (scribbles == FOREGROUND).any():
        raise ValueError("'scribbles' holds no foreground (1) stroke")
    return scribbles


# The most pixels each method recomputes around the scribbles: random walker
# solves a linear system over its window, the others flood it.
WINDOW_PIXELS = {"random_walker": 1 << 20, "watershed": 1 << 24, "flood_fill": 1 << 24}


def check_window(method: str, window: tuple[slice, slice], margin: int) -> None:
    height, width = window[0].stop - window[0].start, window[1].stop - window[1].start
    if height * width > WINDOW_PIXELS[method]:
        raise TooLargeError(f"{method}: the window around the scribbles (plus margin {margin}) is {height}x{width} "
                            f"= {height * width} pixels; at most {WINDOW_PIXELS[method]}: scribble a smaller area, "
                            "lower 'margin', or refine in several calls")


def scribble_window(scribbles: np.ndarray, margin: int) -> tuple[slice, slice]:
    rows, cols = np.nonzero(scribbles)
    height, width = scribbles.shape
    return (slice(max(rows.min() - margin, 0), min(rows.max() + margin + 1, height)),
            slice(max(cols.min() - margin, 0), min(cols.max() + margin + 1, width)))


def seeds_with_background(seeds: np.ndarray) -> np.ndarray:
    """Seeds as int32; without a background stroke, the window's rim is background."""
    seeds = seeds.astype(np.int32)
    if not (seeds == BACKGROUND).any():
        rim = np.zeros(seeds.shape, bool)
        rim[[0, -1], :] = rim[:, [0, -1]] = True
        seeds[rim & (seeds == 0)] = BACKGROUND
    return seeds


def merge_window(mask: np.ndarray, window, foreground: np.ndarray, fill_id: int) -> np.ndarray:
    """Write the window's new foreground into the mask, keeping ids outside it."""
    result = mask.copy()
    region = result[window]
    region[~foreground] = 0
    region[foreground & (region == 0)] = fill_id
    return result


def scribbled_window(method: str, image, scribbles, mask, margin: int):
    """What every refinement works on: the [0, 1] image and the scribbles
    in the window around the scribbles (checked against the work budget),
    the mask (zeros when none was sent), the window, and the id new
    foreground takes."""
    one_channel = grey(image)
    scribbles = check_scribbles(scribbles, one_channel.shape)
    if mask is None:
        mask = np.zeros(one_channel.shape, np.uint8)
    fill_id = int(mask.max()) + 1 if mask.max() > 1 else 1
    window = scribble_window(scribbles, margin)
    check_window(method, window, margin)
    return rescale_unit(one_channel)[window], scribbles[window], mask, window, fill_id


@register("random_walker", "refine", [
    Parameter("beta", float, 130.0, "edge sensitivity; higher follows edges more closely", 1.0, 1e5),
    MARGIN,
])
def random_walker(image, scribbles, mask=None, beta=130.0, margin=64):
    """Random-walker segmentation seeded by the scribbles (Grady 2006)."""
    unit, scribbles, mask, window, fill_id = scribbled_window("random_walker", image, scribbles, mask, margin)
    walked = segmentation.random_walker(unit, seeds_with_background(scribbles), beta=beta, mode="cg_j", tol=1e-3)
    return merge_window(mask, window, walked == FOREGROUND, fill_id)


@register("watershed", "refine", [
    Parameter("compactness", float, 0.0, "higher gives rounder regions", 0.0, 1e3),
    MARGIN,
])
def watershed(image, scribbles, mask=None, compactness=0.0, margin=64):
    """Watershed on the image gradient, flooded from the scribbles."""
    unit, scribbles, mask, window, fill_id = scribbled_window("watershed", image, scribbles, mask, margin)
    flooded = segmentation.watershed(filters.sobel(unit), seeds_with_background(scribbles), compactness=compactness)
    return merge_window(mask, window, flooded == FOREGROUND, fill_id)


@register("flood_fill", "refine", [
    Parameter("tolerance", float, 0.1, "intensity tolerance as a fraction of the range", 0.0, 1.0),
    MARGIN,
])
def flood_fill(image, scribbles, mask=None, tolerance=0.1, margin=64):
    """Add the region of similar intensity connected to each foreground stroke;
    background strokes remove theirs."""
    crop, seeds, mask, window, fill_id = scribbled_window("flood_fill", image, scribbles, mask, margin)
    foreground = mask[window] > 0

    def region_of(value):
        grown = np.zeros(crop.shape, bool)
        for row, col in zip(*np.nonzero(seeds == value)):
            if not grown[row, col]:
                grown |= segmentation.flood(crop, (int(row), int(col)), tolerance=tolerance)
        return grown

    foreground = (foreground | region_of(FOREGROUND)) & ~region_of(BACKGROUND)
    return merge_window(mask, window, foreground, fill_id)
