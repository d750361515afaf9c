"""Planted label errors, for measuring inspection and label-error ranking:
each function takes a clean instance label (objects with distinct ids) and
a random generator and returns the corrupted label and the region it
changed. Corruptions are planted on objects the image border does not cut;
one that cannot be planted in a label raises ValueError."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from skimage import draw, measure


def interior_ids(mask) -> np.ndarray:
    """Ids of objects not cut by the tile's border: corruptions are planted on
    these, since inspection leaves objects cut by the border to the annotator."""
    return np.setdiff1d(np.unique(mask[mask > 0]),
                        np.unique(np.concatenate([mask[0], mask[-1], mask[:, 0], mask[:, -1]])))


def delete_object(mask, rng):
    victim = rng.choice(interior_ids(mask))
    region = mask == victim
    out = mask.copy()
    out[region] = 0
    return out, region


def merge_objects(mask, rng):
    """Two neighbouring nuclei under one id, joined as a careless stroke would."""
    props = measure.regionprops(mask)
    inside = set(interior_ids(mask).tolist())
    candidates = [p for p in props if p.label in inside]
    first = candidates[rng.integers(len(candidates))]
    others = [p for p in props if p.label != first.label]
    second = min(others, key=lambda p: np.hypot(*np.subtract(p.centroid, first.centroid)))
    out = mask.copy()
    out[out == second.label] = first.label
    rr, cc = draw.line(*map(int, first.centroid), *map(int, second.centroid))
    bridge = np.zeros(mask.shape, bool)
    bridge[rr, cc] = True
    bridge = ndi.binary_dilation(bridge, iterations=3)
    out[bridge] = first.label
    return out, (out == first.label) & ((mask != first.label) | bridge)


def shift_object(mask, rng, distance=10):
    victim = rng.choice(interior_ids(mask))
    region = mask == victim
    angle = rng.uniform(0, 2 * np.pi)
    moved = ndi.shift(region.astype(np.uint8), (distance * np.sin(angle), distance * np.cos(angle)), order=0) > 0
    out = mask.copy()
    out[region] = 0
    out[moved & (out == 0)] = victim
    return out, region | moved


def punch_holes(mask, rng):
    props = [p for p in measure.regionprops(mask) if p.area > 150 and p.bbox[0] > 0 and p.bbox[1] > 0
             and p.bbox[2] < mask.shape[0] and p.bbox[3] < mask.shape[1]] or measure.regionprops(mask)
    victim = props[rng.integers(len(props))]
    row, col = map(int, victim.centroid)
    hole = np.zeros(mask.shape, bool)
    hole[draw.disk((row, col), 3, shape=mask.shape)] = True
    hole &= mask == victim.label
    out = mask.copy()
    out[hole] = 0
    return out, hole


def paint_blob(mask, rng, radius=8):
    background = ndi.binary_erosion(mask == 0, iterations=radius + 4)
    rows, cols = np.nonzero(background)
    if not len(rows):
        raise ValueError(f"no background {radius + 4} px away from every object to paint a blob on")
    pick = rng.integers(len(rows))
    blob = np.zeros(mask.shape, bool)
    blob[draw.disk((rows[pick], cols[pick]), radius, shape=mask.shape)] = True
    out = mask.copy()
    out[blob] = mask.max() + 1
    return out, blob


CORRUPTIONS = {"object deleted": delete_object, "two objects merged": merge_objects,
               "object shifted": shift_object, "holes punched": punch_holes, "blob on background": paint_blob}


def scatter_fragments(mask, rng, count=3, size=6):
    """A few specks of ``size`` px on background, as a slipping brush leaves
    them, under new ids."""
    background = ndi.binary_erosion(mask == 0, iterations=4)
    rows, cols = np.nonzero(background)
    if not len(rows):
        raise ValueError("no background 4 px away from every object to leave fragments on")
    out, region = mask.copy(), np.zeros(mask.shape, bool)
    for pick in rng.choice(len(rows), size=min(count, len(rows)), replace=False):
        row, col = rows[pick], cols[pick]
        out[row:row + 2, col:col + size // 2] = out.max() + 1
        region[row:row + 2, col:col + size // 2] = True
    return out, region


# Labels with an error that slipped past review, for measuring how far they move a calibration.
BAD_LABELS = {"two objects merged": merge_objects, "fragments": scatter_fragments}
