"""Post-processing: clean a mask before the annotator sees or stores it.

Masks are label images: 0 is background, every other value an object (a
binary mask is the special case of one label). Operations keep instance ids
where they can; pixels they add take the id of the nearest object.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from skimage import feature, filters, measure, segmentation

from labelassist.assist.operations import Parameter, cost_model, register
from labelassist.imaging import segmentation as segmentation_steps
from labelassist.imaging.measures import instance_labels
from labelassist.imaging.segmentation import nearest_label_fill


def _eroded(foreground: np.ndarray, radius: int) -> np.ndarray:
    """Binary erosion by ``morphology.disk(radius)``, outside the image
    counting as background (ndimage's border): the pixels farther than
    ``radius`` from all background. Through the distance transform, time and
    memory grow with the image only, not with the disk (a 101-pixel
    structuring element costs ndimage hundreds of MiB whatever the image)."""
    return ndi.distance_transform_edt(np.pad(foreground, 1))[1:-1, 1:-1] > radius


def _dilated(foreground: np.ndarray, radius: int) -> np.ndarray:
    """Binary dilation by ``morphology.disk(radius)``: the pixels within ``radius`` of the foreground."""
    if not foreground.any():
        return np.zeros(foreground.shape, bool)
    return ndi.distance_transform_edt(~foreground) <= radius


# The distance transforms' passes and their float64 maps, per pixel, whatever the radius.
_MORPHOLOGY_WORK_PER_PIXEL = 40


@cost_model("opening")
def _opening_cost(shape, radius):
    return shape[0] * shape[1] * _MORPHOLOGY_WORK_PER_PIXEL, "send a smaller mask"


@cost_model("closing")
def _closing_cost(shape, radius):
    padded = (shape[0] + 2 * radius) * (shape[1] + 2 * radius)
    return padded * _MORPHOLOGY_WORK_PER_PIXEL, "lower 'radius' or send a smaller mask"


def split_cost(shape, min_distance: int) -> float:
    """Work of :func:`split_touching`: its peak search is a maximum filter
    of side ``2 * min_distance + 1``, done axis by axis."""
    return shape[0] * shape[1] * (2 * (2 * min_distance + 1) + 60)


@cost_model("split_touching")
def _split_touching_cost(shape, min_distance, smoothing):
    return split_cost(shape, min_distance), "lower 'min_distance' or send a smaller mask"


@register("remove_small_objects", "postprocess", [
    Parameter("min_size", int, 64, "objects with fewer pixels than this are removed", 1, 10**9),
])
def remove_small_objects(mask, min_size=64):
    """Remove objects (connected pieces of a binary mask, or ids) below a size."""
    return segmentation_steps.remove_small_objects(mask, min_size)


@register("fill_holes", "postprocess", [
    Parameter("max_size", int, 0, "largest hole filled, in pixels; 0 fills all", 0, 10**9),
])
def fill_holes(mask, max_size=0):
    """Fill background enclosed by an object."""
    return segmentation_steps.fill_holes(mask, max_size)


@register("remove_fragments", "postprocess", [
    Parameter("max_size", int, 3, "connected pieces of at most this many pixels are removed", 1, 10**9),
])
def remove_fragments(mask, max_size=3):
    """Remove stray specks: connected pieces of the foreground (8-connected,
    whatever their ids) of at most ``max_size`` pixels, also a speck that
    shares its id with a large object elsewhere."""
    mask = np.asarray(mask)
    pieces, _ = ndi.label(mask > 0, structure=np.ones((3, 3), bool))
    sizes = np.bincount(pieces.ravel())
    small = sizes <= max_size
    small[0] = False
    return np.where(small[pieces], 0, mask).astype(mask.dtype)


@register("opening", "postprocess", [
    Parameter("radius", int, 1, "disk radius in pixels", 1, 50),
])
def opening(mask, radius=1):
    """Morphological opening: cut thin bridges and spurs."""
    opened = _dilated(_eroded(mask > 0, radius), radius)
    return np.where(opened, mask, 0).astype(mask.dtype)


@register("closing", "postprocess", [
    Parameter("radius", int, 1, "disk radius in pixels", 1, 50),
])
def closing(mask, radius=1):
    """Morphological closing: bridge small gaps and notches."""
    foreground = mask > 0
    # Pad so objects at the border are not eroded by the closing's edge effect.
    padded = np.pad(foreground, radius, mode="edge")
    closed = _eroded(_dilated(padded, radius), radius)[radius:-radius, radius:-radius]
    return nearest_label_fill(np.asarray(mask), closed & ~foreground)


@register("keep_largest", "postprocess", [
    Parameter("count", int, 1, "how many objects to keep", 1, 10**6),
])
def keep_largest(mask, count=1):
    """Keep only the largest object(s)."""
    labels = instance_labels(mask)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    keep = np.argsort(sizes)[::-1][:count]
    keep = keep[sizes[keep] > 0]
    return np.where(np.isin(labels, keep), mask, 0).astype(mask.dtype)


@register("smooth", "postprocess", [
    Parameter("sigma", float, 1.5, "Gaussian reach in pixels", 0.1, 20.0),
])
def smooth(mask, sigma=1.5):
    """Smooth jagged boundaries (Gaussian of the mask, re-thresholded at 1/2)."""
    smoothed = filters.gaussian((mask > 0).astype(np.float32), sigma=sigma) > 0.5
    labels = nearest_label_fill(np.asarray(mask), smoothed)
    return np.where(smoothed, labels, 0).astype(mask.dtype)


@register("convex_hull", "postprocess")
def convex_hull(mask):
    """Replace each object by its convex hull (for round cells and nuclei)."""
    labels = instance_labels(mask)
    result = np.zeros_like(mask)
    for region in measure.regionprops(labels):
        r0, c0, r1, c1 = region.bbox
        window = result[r0:r1, c0:c1]
        window[region.image_convex & (window == 0)] = mask[region.coords[0, 0], region.coords[0, 1]]
    return result


@register("split_touching", "postprocess", [
    Parameter("min_distance", int, 7, "smallest distance between object centres, in pixels", 1, 500),
    Parameter("smoothing", float, 1.0, "smoothing of the distance map against over-splitting", 0.0, 10.0),
])
def split_touching(mask, min_distance=7, smoothing=1.0):
    """Split touching objects by a distance-transform watershed; returns instance ids."""
    foreground = mask > 0
    distance = ndi.distance_transform_edt(foreground)
    if smoothing:
        distance = filters.gaussian(distance, sigma=smoothing)
    components = measure.label(foreground)
    peaks = feature.peak_local_max(distance, min_distance=min_distance, labels=components,
                                   exclude_border=False)
    markers = np.zeros(mask.shape, np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    # A component whose peak was suppressed still needs one marker.
    unmarked = np.setdiff1d(np.unique(components[foreground]), np.unique(components[markers > 0]))
    boxes = ndi.find_objects(components)
    next_marker = len(peaks) + 1
    for component in unmarked:
        # Searched in its own box: a scan of the whole image per component is quadratic.
        box = boxes[component - 1]
        rows, cols = np.nonzero(components[box] == component)
        markers[box][rows[0], cols[0]] = next_marker
        next_marker += 1
    split = segmentation.watershed(-distance, markers, mask=foreground)
    return segmentation.relabel_sequential(split)[0].astype(np.uint32)


@register("clear_border", "postprocess", [
    Parameter("buffer", int, 0, "width of the border zone in pixels", 0, 1000),
])
def clear_border(mask, buffer=0):
    """Remove objects touching the image border (incomplete cells)."""
    labels = instance_labels(mask)
    cleared = segmentation.clear_border(labels, buffer_size=buffer)
    return np.where(cleared > 0, mask, 0).astype(mask.dtype)


@register("relabel", "postprocess")
def relabel(mask):
    """Give every connected object its own id, numbered 1..n without gaps."""
    if mask.max() <= 1:
        return measure.label(mask > 0).astype(np.uint32)
    pieces = measure.label(mask, background=0)
    return segmentation.relabel_sequential(pieces)[0].astype(np.uint32)
