"""Pre-labels from a labelled neighbour: the objects of the nearest labelled
plane of a z-stack or frame of a time-lapse, each followed to this plane
and kept with its id, so a stack is labelled by correcting, not redrawing,
and ids stay the same through it."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import ndimage
from skimage import feature, filters, morphology, segmentation

from labelassist.assist.operations import Parameter, register
from labelassist.assist.prelabel import single_channel
from labelassist.runtime.errors import ConflictError


class Reference(NamedTuple):
    """The neighbour plane: its label and its image."""
    label: np.ndarray
    image: np.ndarray


def _displacement(template: np.ndarray, area: np.ndarray) -> tuple[int, int]:
    """Where ``template`` fits best in ``area`` (normalised cross-correlation)."""
    score = feature.match_template(area, template)
    row, col = np.unravel_index(int(np.argmax(score)), score.shape)
    return int(row), int(col)


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
    for object_id, box in enumerate(ndimage.find_objects(label), start=1):
        if box is None:
            continue
        r0, r1, c0, c1 = box[0].start, box[0].stop, box[1].start, box[1].stop
        t0, l0, t1, l1 = max(r0 - margin, 0), max(c0 - margin, 0), min(r1 + margin, height), min(c1 + margin, width)
        s0, u0 = max(t0 - search, 0), max(l0 - search, 0)
        area = after[s0:min(t1 + search, height), u0:min(l1 + search, width)]
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
    Parameter("snap", bool, False, "re-draw the followed objects along this plane's edges"),
])
def propagate(image, search=20, snap=False, reference: Reference | None = None):
    """The nearest labelled neighbour plane's objects (z-stack or
    time-lapse), each followed to this plane by template matching, ids
    kept; new objects are left for the annotator."""
    if reference is None:
        raise ConflictError("propagate needs a labelled neighbour: pre-label a sample of a stack that has a "
                            "labelled plane or frame (label one first), or send its 'reference_label' and "
                            "'reference_image'")
    this = single_channel(image, "propagate")
    before = single_channel(reference.image, "propagate")
    if before.shape != this.shape or reference.label.shape != this.shape[:2]:
        raise ValueError(f"propagate: the neighbour plane is {reference.label.shape}, this plane {this.shape[:2]}; "
                         "they must be the same size")
    moved = follow_objects(np.asarray(reference.label).astype(np.int32), before, this, search)
    return snap_to_edges(this, moved) if snap else moved
