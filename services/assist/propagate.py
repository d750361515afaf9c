"""Pre-labels from a labelled neighbour: the objects of the nearest labelled
plane of a z-stack or frame of a time-lapse, each followed to this plane
and kept with its id, so a stack is labelled by correcting, not redrawing,
and ids stay the same through it."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import ndimage
from skimage import feature, filters, morphology, segmentation

from labelassist.assist.operations import WORK_BUDGET, Parameter, register
from labelassist.imaging.checks import single_channel
from labelassist.runtime.calls import cancellation_check
from labelassist.runtime.errors import ConflictError, TooLargeError

# A normalised cross-correlation's work per pixel of its search area and
# log2 of the area (FFT correlation and running sums), and per object
# whatever its area (measured: ~14 ms for a 132-pixel square on one core).
_MATCH_WORK_PER_PIXEL = 24
_MATCH_WORK_PER_OBJECT = 1e6


class Reference(NamedTuple):
    """The neighbour plane: its label and its image."""
    label: np.ndarray
    image: np.ndarray


def _displacement(template: np.ndarray, area: np.ndarray) -> tuple[int, int]:
    """Where ``template`` fits best in ``area`` (normalised cross-correlation)."""
    score = feature.match_template(area, template)
    row, col = np.unravel_index(int(np.argmax(score)), score.shape)
    return int(row), int(col)


def _search_areas(label: np.ndarray, search: int, margin: int):
    """(object id, its box, its context box, its search area box) of each object of ``label``."""
    height, width = label.shape
    for object_id, box in enumerate(ndimage.find_objects(label), start=1):
        if box is None:
            continue
        r0, r1, c0, c1 = box[0].start, box[0].stop, box[1].start, box[1].stop
        t0, l0, t1, l1 = max(r0 - margin, 0), max(c0 - margin, 0), min(r1 + margin, height), min(c1 + margin, width)
        s0, u0, s1, u1 = max(t0 - search, 0), max(l0 - search, 0), min(t1 + search, height), min(l1 + search, width)
        yield object_id, (r0, r1, c0, c1), (t0, l0, t1, l1), (s0, u0, s1, u1)


def follow_work(label: np.ndarray, search: int = 20, margin: int = 4) -> float:
    """The elementary operations :func:`follow_objects` will take: every
    object's search area matched once, so many objects times a wide search
    is what costs."""
    work = 0.0
    for *_, (s0, u0, s1, u1) in _search_areas(label, search, margin):
        area = (s1 - s0) * (u1 - u0)
        work += _MATCH_WORK_PER_OBJECT + area * _MATCH_WORK_PER_PIXEL * max(np.log2(area), 1.0)
    return work


def follow_objects(label: np.ndarray, before: np.ndarray, after: np.ndarray, search: int = 20,
                   margin: int = 4) -> np.ndarray:
    """Each object of ``label`` (on image ``before``) moved to where its
    neighbourhood matches best in ``after``, at most ``search`` pixels away;
    shapes and ids kept. Where two moved objects overlap the first keeps
    the pixels.

    Parameters
    ----------
    label : ndarray
        (H, W) object ids on ``before``.
    before, after : ndarray
        (H, W) images of the neighbour plane and of this plane.
    search : int
        How far an object may have moved, in pixels.
    margin : int
        Context around each object that the match uses.

    Returns
    -------
    ndarray
        (H, W) int32 label on ``after`` with the ids of ``label``.
    """
    height, width = label.shape
    before, after = before.astype(np.float32), after.astype(np.float32)
    moved = np.zeros(label.shape, np.int32)
    stop_if_cancelled = cancellation_check()
    for object_id, (r0, r1, c0, c1), (t0, l0, t1, l1), (s0, u0, s1, u1) in _search_areas(label, search, margin):
        stop_if_cancelled()
        area = after[s0:s1, u0:u1]
        template = before[t0:t1, l0:l1]
        if template.std() == 0 or area.shape[0] < template.shape[0] or area.shape[1] < template.shape[1]:
            dy = dx = 0
        else:
            row, col = _displacement(template, area)
            dy, dx = row + s0 - t0, col + u0 - l0
        shape = label[r0:r1, c0:c1] == object_id
        y0, x0 = r0 + dy, c0 + dx
        top, left, bottom, right = max(y0, 0), max(x0, 0), min(y0 + shape.shape[0], height), min(x0 + shape.shape[1], width)
        placed = shape[top - y0:bottom - y0, left - x0:right - x0]
        target = moved[top:bottom, left:right]
        target[placed & (target == 0)] = object_id
    return moved


def object_threshold(image: np.ndarray, inside: np.ndarray, around: np.ndarray, candidates: int = 49) -> float:
    """The intensity above which ``image`` best reproduces ``inside`` among
    ``inside | around`` (foreground Dice over a spread of the window's
    percentiles): the contrast at which this object was drawn."""
    window = inside | around
    values = np.unique(np.percentile(image[window], np.linspace(2, 98, candidates)))
    best, best_dice = float(values[0]), -1.0
    total = inside.sum()
    for threshold in values:
        above = image > threshold
        score = 2.0 * (above & inside).sum() / (above[window].sum() + total)
        if score > best_dice:
            best, best_dice = float(threshold), score
    return best


def redraw_at_own_contrast(before: np.ndarray, label: np.ndarray, after: np.ndarray, moved: np.ndarray,
                           grow: int = 6, margin: int = 8, erosion: int = 4, sigma: float = 1.0) -> np.ndarray:
    """The followed objects re-drawn on this plane with the contrast each
    was drawn at on the neighbour plane: a nucleus that grew, shrank or
    changed shape keeps the annotator's convention for where its edge is.

    Parameters
    ----------
    before, after : ndarray
        (H, W) images of the neighbour plane and of this plane.
    label : ndarray
        (H, W) object ids on ``before``.
    moved : ndarray
        (H, W) the objects followed to ``after`` (:func:`follow_objects`).
    grow : int
        How far (pixels) an object may reach beyond its followed shape.
    margin : int
        The ring of background around each object on ``before`` that its
        threshold is learned against.
    erosion : int
        Each followed object's core (its shape eroded by this many pixels)
        seeds it, so touching objects keep apart.
    sigma : float
        Gaussian smoothing of both images first (noise).

    Returns
    -------
    ndarray
        (H, W) int32 label on ``after`` with the ids of ``label``.
    """
    height, width = label.shape
    smooth_before = filters.gaussian(before.astype(np.float32), sigma, preserve_range=True)
    smooth_after = filters.gaussian(after.astype(np.float32), sigma, preserve_range=True)
    foreground = np.zeros(label.shape, bool)
    ring, reach = morphology.disk(margin), morphology.disk(grow)
    moved_boxes = ndimage.find_objects(moved, max_label=int(label.max()))
    stop_if_cancelled = cancellation_check()
    for object_id, (box, moved_box) in enumerate(zip(ndimage.find_objects(label), moved_boxes), start=1):
        if box is None or moved_box is None:
            continue
        stop_if_cancelled()
        r0, r1 = max(box[0].start - margin, 0), min(box[0].stop + margin, height)
        c0, c1 = max(box[1].start - margin, 0), min(box[1].stop + margin, width)
        window = label[r0:r1, c0:c1]
        inside = window == object_id
        around = ndimage.binary_dilation(inside, ring) & (window == 0)
        threshold = object_threshold(smooth_before[r0:r1, c0:c1], inside, around)
        s0, s1 = max(moved_box[0].start - grow, 0), min(moved_box[0].stop + grow, height)
        u0, u1 = max(moved_box[1].start - grow, 0), min(moved_box[1].stop + grow, width)
        near = ndimage.binary_dilation(moved[s0:s1, u0:u1] == object_id, reach)
        foreground[s0:s1, u0:u1] |= near & (smooth_after[s0:s1, u0:u1] > threshold)
    core = ndimage.grey_erosion(moved, footprint=morphology.disk(erosion))
    markers = np.where((core == moved) & (moved > 0), moved, 0).astype(np.int32)
    return segmentation.watershed(-smooth_after, markers, mask=foreground | (markers > 0)).astype(np.int32)


def snap_to_edges(image: np.ndarray, label: np.ndarray, margin: int = 4, erosion: int = 2) -> np.ndarray:
    """Objects re-drawn along this image's edges: a seeded watershed on the
    gradient from each object's core, against background farther than
    ``margin`` pixels from every object."""
    gradient = filters.sobel(filters.gaussian(image.astype(np.float32), 1.0, preserve_range=True))
    core = ndimage.grey_erosion(label, footprint=morphology.disk(erosion))
    markers = np.where((core == label) & (label > 0), label, 0).astype(np.int32)
    background = int(label.max()) + 1
    markers[~ndimage.binary_dilation(label > 0, morphology.disk(margin))] = background
    snapped = segmentation.watershed(gradient, markers)
    snapped[snapped == background] = 0
    return snapped


@register("propagate", "prelabel", [
    Parameter("search", int, 20, "how far an object may have moved from the neighbour plane, pixels", 1, 500),
    Parameter("adapt", bool, True, "re-draw each followed object at the contrast it was drawn at on the neighbour "
                                   "plane (it may grow, shrink or change shape); off: shapes as they were"),
    Parameter("snap", bool, False, "re-draw the followed objects along this plane's edges instead"),
])
def propagate(image, search=20, adapt=True, snap=False, reference: Reference | None = None):
    """The nearest labelled neighbour plane's objects (z-stack or
    time-lapse), each followed to this plane by template matching and
    re-drawn at the contrast it was drawn at, ids kept; new objects are
    left for the annotator."""
    if reference is None:
        raise ConflictError("propagate needs a labelled neighbour: pre-label a sample of a stack that has a "
                            "labelled plane or frame (label one first), or send its 'reference_label' and "
                            "'reference_image'")
    this = single_channel(image, "propagate")
    before = single_channel(reference.image, "propagate")
    if before.shape != this.shape or reference.label.shape != this.shape[:2]:
        raise ValueError(f"propagate: the neighbour plane is {reference.label.shape}, this plane {this.shape[:2]}; "
                         "they must be the same size")
    label = np.asarray(reference.label).astype(np.int32)
    work = follow_work(label, search)
    if work > WORK_BUDGET:
        raise TooLargeError(f"propagate: following {int(label.max())} objects up to {search} px would cost "
                            f"{work:.2g} operations, over the budget of {WORK_BUDGET:.0e} for one step: lower "
                            "'search' or propagate fewer objects")
    moved = follow_objects(label, before, this, search)
    if snap:
        return snap_to_edges(this, moved)
    return redraw_at_own_contrast(before, label, this, moved) if adapt else moved
