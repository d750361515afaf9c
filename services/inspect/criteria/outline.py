"""Where an outline lies against the object it draws: an outline shifted
off its nucleus leaves part of the nucleus unlabelled just beside it."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from labelassist.inspect.criteria.base import CRITERIA, SEVERITY, LabelUnderInspection, beyond, objects_finding
from labelassist.runtime.registry import Parameter

# The bands judged, this far (in px) outside and inside an outline: the first pixels on either side hold the
# blur of its own edge; a nucleus an outline slid off, and the background it slid onto, lie further.
BAND = (2.0, 4.5)


def bright_ring_offset(label: LabelUnderInspection, relative_contrast: float, min_contrast: float) -> np.ndarray:
    """Per object of ``label``, how far its outline sits off the object it
    draws: the bright part of the unlabelled ring outside it (:data:`BAND`
    px out; bright: at least ``relative_contrast`` x the object's mean
    contrast and ``min_contrast`` background spreads) pulls to one side, the
    dim part of its rim inside pulls to the other. Each pull is the sum of
    unit vectors from the object's centre to those pixels over all the
    band's pixels (a band bright all round pulls nowhere); the offset is the
    square root of minus their dot product (0 where they do not oppose).
    About 0.3 for an outline shifted by a third of its width, below 0.1 for
    nearly every correct one.

    One distance transform each way for all objects: each pixel knows its
    nearest object.
    """
    table = label.objects
    if len(table) == 0:
        return np.zeros(0)
    size = int(table.ids.max()) + 1
    own = np.zeros(size)
    own[table.ids] = ndi.mean(label.contrast, labels=label.labels, index=table.ids)
    counts = np.maximum(np.bincount(label.labels.ravel(), minlength=size), 1)
    centre = [np.bincount(label.labels.ravel(), weights=axis.ravel(), minlength=size) / counts
              for axis in np.indices(label.labels.shape)]

    def pull(band: np.ndarray, owner: np.ndarray, lit: np.ndarray) -> np.ndarray:
        # The sum of unit vectors from the object's centre to the band's ``lit`` pixels, over all its band
        # pixels: a band lit all round pulls nowhere.
        where = np.nonzero(band)
        offset = np.stack([where[0] - centre[0][owner], where[1] - centre[1][owner]])
        unit = offset / np.maximum(np.hypot(*offset), 1e-9) * lit
        total = np.maximum(np.bincount(owner, minlength=size), 1)
        return np.stack([np.bincount(owner, weights=axis, minlength=size) / total for axis in unit])

    outside, (rows, cols) = ndi.distance_transform_edt(label.labels == 0, return_indices=True)
    ring = (outside >= BAND[0]) & (outside <= BAND[1])
    owner = label.labels[rows[ring], cols[ring]]
    bright = label.contrast[ring] >= np.maximum(relative_contrast * own[owner], min_contrast)
    inside = ndi.distance_transform_edt(label.labels > 0)
    rim = (inside >= BAND[0]) & (inside <= BAND[1])
    rim_owner = label.labels[rim]
    dark = label.contrast[rim] < np.maximum(relative_contrast * own[rim_owner], min_contrast)
    out_pull, in_pull = pull(ring, owner, bright), pull(rim, rim_owner, dark)
    # Opposite sides: the nucleus left behind, the background the outline moved onto.
    return np.sqrt(np.clip(-(out_pull * in_pull).sum(axis=0), 0, None))[table.ids]


@CRITERIA.register("outline_offset", "intensity", [
    Parameter("max_offset", float, 0.2, "objects whose outline is offset more than this are reported: the pull of "
              "the bright ring outside to one side against the pull of the dim rim inside to the other (see "
              "bright_ring_offset; about 0.3 for an outline shifted by a third of its width)", 0.0, 1.0),
    Parameter("relative_contrast", float, 0.5, "pixels count as bright from this fraction of their object's "
              "mean contrast", 0.0, 10.0),
    Parameter("min_contrast", float, 2.0, "and from this many background spreads", 0.0, 1e3),
    Parameter("min_area", float, 40.0, "only objects at least this large are judged", 0.0, 1e12),
    SEVERITY["warning"],
])
def outline_offset(label: LabelUnderInspection, max_offset=0.2, relative_contrast=0.5, min_contrast=2.0,
                   min_area=40.0, severity="warning"):
    """Outlines shifted off their object: part of the object left
    unlabelled on one side, background labelled on the other. Either alone
    fits a correct label (an unlabelled neighbour beside a nucleus, a
    nucleus dimmer at one edge); together, on opposite sides, they describe
    an outline that slid. Objects cut by the border are not judged."""
    if label.grey is None or len(label.objects) == 0:
        return []
    offset = bright_ring_offset(label, relative_contrast, min_contrast)
    selected = label.inner & (label.objects.area >= min_area) & (offset > max_offset)
    worst = float(offset[selected].max()) if selected.any() else 0.0
    return objects_finding("outline_offset", severity, label, selected,
                           f"{int(selected.sum())} outline(s) offset from their object: the object shows beyond the "
                           f"outline on one side, background inside it on the other (offset {worst:.2f}, "
                           f"bound {max_offset:g})", worst, max_offset, beyond(worst, max_offset, 0.1))
