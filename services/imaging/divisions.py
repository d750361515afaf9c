"""Cell divisions in a segmented time-lapse: which objects divide within the
next frames, decided from what happens later, not from how they look. This
gives objects a "mitotic / interphase" class that a classifier must then
learn from appearance alone.
"""

from __future__ import annotations

import numpy as np

# A daughter that overlaps no object of the frame before is assigned to the
# nearest one within this distance (pixels, between centroids): daughters
# move apart between frames.
MAX_DAUGHTER_DISTANCE = 30.0
# Daughters are of near-equal size; an object split by a segmentation error
# into a large and a small part is no division.
MIN_DAUGHTER_AREA_RATIO = 0.7


def _objects(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ids, areas and centroids (rows, cols) of a label image's objects."""
    from scipy import ndimage

    ids, areas = np.unique(mask[mask > 0], return_counts=True)
    centroids = np.array(ndimage.center_of_mass(np.ones_like(mask), mask, ids)).reshape(-1, 2)
    return ids, areas, centroids


def _overlaps(before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(id before, id after, shared pixels) of every overlapping pair."""
    both = (before > 0) & (after > 0)
    pairs, shared = np.unique(np.stack([before[both], after[both]]), axis=1, return_counts=True)
    return pairs[0], pairs[1], shared


def _best(keys: np.ndarray, values: np.ndarray, shared: np.ndarray) -> dict[int, int]:
    """For each key, the value it shares most pixels with."""
    order = np.lexsort((-shared, keys))
    keys, values = keys[order], values[order]
    first = np.r_[True, keys[1:] != keys[:-1]]
    return dict(zip(keys[first].tolist(), values[first].tolist()))


def divisions(before: np.ndarray, after: np.ndarray, max_distance: float = MAX_DAUGHTER_DISTANCE,
              min_area_ratio: float = MIN_DAUGHTER_AREA_RATIO) -> dict[int, tuple[int, int]]:
    """The objects of ``before`` that divide into two in ``after``.

    Each object of ``after`` is the child of the object of ``before`` it
    overlaps most, or, overlapping none, of the nearest one within
    ``max_distance``. An object with exactly two children of near-equal
    area (the smaller at least ``min_area_ratio`` of the larger) divides.

    Parameters
    ----------
    before, after : ndarray
        (H, W) label images of consecutive frames, 0 background.
    max_distance : float
        Pixels between centroids for a child that overlaps nothing.
    min_area_ratio : float
        The smaller daughter's area over the larger's, at least.

    Returns
    -------
    dict
        Parent id -> its two children's ids.
    """
    before, after = np.asarray(before), np.asarray(after)
    if before.shape != after.shape or before.ndim != 2:
        raise ValueError(f"'before' and 'after' must be 2D label images of one shape, got {before.shape} and "
                         f"{after.shape}")
    ids_before, _, centres_before = _objects(before)
    ids_after, areas_after, centres_after = _objects(after)
    if not len(ids_before) or not len(ids_after):
        return {}
    parent_ids, child_ids, shared = _overlaps(before, after)
    parent_of = _best(child_ids, parent_ids, shared)
    for child, centre in zip(ids_after.tolist(), centres_after):
        if child not in parent_of:
            distances = np.hypot(*(centres_before - centre).T)
            nearest = int(np.argmin(distances))
            if distances[nearest] <= max_distance:
                parent_of[child] = int(ids_before[nearest])
    children: dict[int, list[int]] = {}
    for child, parent in parent_of.items():
        children.setdefault(parent, []).append(child)
    area = dict(zip(ids_after.tolist(), areas_after.tolist()))
    found = {}
    for parent, pair in children.items():
        if len(pair) == 2:
            small, large = sorted(area[c] for c in pair)
            if small >= min_area_ratio * large:
                found[parent] = (min(pair), max(pair))
    return found


def successors(before: np.ndarray, after: np.ndarray) -> dict[int, int]:
    """The same object one frame later: pairs that overlap each other most
    (mutual best), so a division or a merge ends a track."""
    parent_ids, child_ids, shared = _overlaps(np.asarray(before), np.asarray(after))
    forward, backward = _best(parent_ids, child_ids, shared), _best(child_ids, parent_ids, shared)
    return {parent: child for parent, child in forward.items() if backward.get(child) == parent}


def dividing_within(masks: np.ndarray, frames: int = 2) -> list[dict[int, bool | None]]:
    """Whether each object divides within the next ``frames`` frames.

    An object at frame t is "dividing" when it, or the same object followed
    forward (:func:`successors`), divides (:func:`divisions`) between t and
    t + ``frames``. Where that is not known — the track ends before a
    division without one, or the time-lapse ends inside the window — the
    answer is None.

    Parameters
    ----------
    masks : ndarray
        (T, H, W) label images of a time-lapse.
    frames : int
        How far ahead a division counts.

    Returns
    -------
    list of dict
        Per frame, object id -> True (divides), False (does not) or None.
    """
    masks = np.asarray(masks)
    if masks.ndim != 3:
        raise ValueError(f"'masks' must be a (T, H, W) time-lapse, got shape {masks.shape}")
    if frames < 1:
        raise ValueError(f"'frames' must be at least 1, got {frames}")
    count = masks.shape[0]
    divides = [set(divisions(masks[t], masks[t + 1])) for t in range(count - 1)]
    follow = [successors(masks[t], masks[t + 1]) for t in range(count - 1)]
    answers: list[dict[int, bool | None]] = []
    for t in range(count):
        found: dict[int, bool | None] = {}
        for object_id in np.unique(masks[t][masks[t] > 0]).tolist():
            current, answer = object_id, False
            for step in range(t, t + frames):
                if step >= count - 1:
                    answer = None
                    break
                if current in divides[step]:
                    answer = True
                    break
                if step < t + frames - 1:
                    current = follow[step].get(current)
                    if current is None:
                        answer = None
                        break
            found[object_id] = answer
        answers.append(found)
    return answers
