"""How much two annotators' labels of one image agree, object by object, and
the consensus of several: the measures a lab reads before it vouches for a
labelled data set. Exact pixel equality says nothing about outlines, so each
measure matches objects first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from labelassist.imaging.measures import instance_labels

MATCH_IOU = 0.5


@dataclass(frozen=True)
class PairAgreement:
    """Agreement of two instance labels of one image.

    ``f1`` is the matched-object F1 at IoU >= 0.5, ``mean_matched_iou`` the
    IoU of the matched pairs (None without any), ``boundary_f1`` the F1 of
    outline pixels within the tolerance, ``panoptic_quality`` Kirillov et
    al.'s PQ (segmentation quality times recognition quality).
    """

    objects_a: int
    objects_b: int
    matched: int
    f1: float
    mean_matched_iou: float | None
    boundary_f1: float
    panoptic_quality: float

    def as_dict(self) -> dict:
        return asdict(self)


def overlap_table(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The object ids of ``a`` and of ``b`` and the IoU of every pair of them
    (rows: ``a``'s objects, columns: ``b``'s), from one pass over the pixels."""
    a, b = np.asarray(a).ravel(), np.asarray(b).ravel()
    ids_a, area_a = np.unique(a[a > 0], return_counts=True)
    ids_b, area_b = np.unique(b[b > 0], return_counts=True)
    table = np.zeros((len(ids_a), len(ids_b)), np.float64)
    both = (a > 0) & (b > 0)
    if both.any():
        # One integer per (row, column) pair: a 1-D unique is far faster than np.unique(axis=1).
        rows, columns = np.searchsorted(ids_a, a[both]), np.searchsorted(ids_b, b[both])
        pairs, overlap = np.unique(rows.astype(np.int64) * len(ids_b) + columns, return_counts=True)
        rows, columns = np.divmod(pairs, len(ids_b))
        table[rows, columns] = overlap / (area_a[rows] + area_b[columns] - overlap)
    return ids_a, ids_b, table


def matched_pairs(a: np.ndarray, b: np.ndarray, min_iou: float = MATCH_IOU) -> list[tuple[int, int, float]]:
    """Objects of ``a`` and ``b`` paired one to one by the assignment that
    maximises the summed IoU (Hungarian method, Kuhn 1955), keeping the
    pairs with IoU >= ``min_iou``.

    Parameters
    ----------
    a, b : ndarray
        Instance label images of one shape (0 is background).
    min_iou : float
        The least IoU of a pair that counts as the same object.

    Returns
    -------
    list of (int, int, float)
        (id in ``a``, id in ``b``, IoU), in ``a``'s id order.
    """
    from scipy.optimize import linear_sum_assignment

    if np.shape(a) != np.shape(b):
        raise ValueError(f"labels of one image must have one shape, got {np.shape(a)} and {np.shape(b)}")
    ids_a, ids_b, table = overlap_table(a, b)
    if not table.size:
        return []
    rows, columns = linear_sum_assignment(table, maximize=True)
    return [(int(ids_a[r]), int(ids_b[c]), float(table[r, c])) for r, c in zip(rows, columns)
            if table[r, c] >= min_iou]


def _outline(labels: np.ndarray) -> np.ndarray:
    from skimage.segmentation import find_boundaries

    return find_boundaries(labels, mode="inner") & (labels > 0)


def _within(outline: np.ndarray, tolerance: float) -> np.ndarray:
    """Pixels within ``tolerance`` (Euclidean) of the outline: a dilation by
    a disk, which for outline tolerances of a few pixels costs a fraction of
    a distance transform."""
    from scipy.ndimage import binary_dilation

    radius = int(np.floor(tolerance))
    offsets = np.arange(-radius, radius + 1)
    disk = offsets[:, None] ** 2 + offsets[None, :] ** 2 <= tolerance ** 2
    return binary_dilation(outline, structure=disk) if radius else outline


def boundary_f1(a: np.ndarray, b: np.ndarray, tolerance: float = 2.0) -> float:
    """F1 of the two labels' object outlines: an outline pixel of one counts
    when the other's outline lies within ``tolerance`` pixels (the contour
    measure of Csurka et al. 2013). 1.0 when neither has an object.

    Parameters
    ----------
    a, b : ndarray
        Instance label images of one shape.
    tolerance : float
        Distance in pixels within which outlines agree.
    """
    if tolerance < 0:
        raise ValueError(f"'tolerance' must be 0 or more pixels, got {tolerance}")
    outline_a, outline_b = _outline(np.asarray(a)), _outline(np.asarray(b))
    if not outline_a.any() and not outline_b.any():
        return 1.0
    if not outline_a.any() or not outline_b.any():
        return 0.0
    near_a, near_b = _within(outline_a, tolerance), _within(outline_b, tolerance)
    precision = float((outline_b & near_a).sum() / outline_b.sum())
    recall = float((outline_a & near_b).sum() / outline_a.sum())
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def pair_agreement(a: np.ndarray, b: np.ndarray, tolerance: float = 2.0) -> PairAgreement:
    """Every agreement measure of two labels of one image.

    Parameters
    ----------
    a, b : ndarray
        Label images of one shape: instance ids, or binary masks (their
        connected components are the objects).
    tolerance : float
        Outline tolerance in pixels for :func:`boundary_f1`.

    Returns
    -------
    PairAgreement

    References
    ----------
    Kirillov et al., "Panoptic Segmentation", CVPR 2019 (PQ).
    """
    a, b = instance_labels(np.asarray(a)), instance_labels(np.asarray(b))
    pairs = matched_pairs(a, b)
    objects_a, objects_b = len(np.unique(a[a > 0])), len(np.unique(b[b > 0]))
    matched = len(pairs)
    f1 = 1.0 if objects_a + objects_b == 0 else 2 * matched / (objects_a + objects_b)
    ious = [iou for _, _, iou in pairs]
    unmatched = (objects_a - matched) + (objects_b - matched)
    pq = 1.0 if objects_a + objects_b == 0 else sum(ious) / (matched + 0.5 * unmatched)
    return PairAgreement(objects_a, objects_b, matched, f1, float(np.mean(ious)) if ious else None,
                         boundary_f1(a, b, tolerance), pq)


def mean_interval(values, confidence: float = 0.95, resamples: int = 2000, seed: int = 0
                  ) -> tuple[float, float, float]:
    """The mean of ``values`` and its percentile bootstrap interval (Efron
    1979); the interval is the mean itself for fewer than two values."""
    values = np.asarray([v for v in values if v is not None], np.float64)
    if not len(values):
        raise ValueError("no values to average")
    mean = float(values.mean())
    if len(values) < 2:
        return mean, mean, mean
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (resamples, len(values)))].mean(axis=1)
    tail = (1 - confidence) / 2
    return mean, float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))


def consensus_label(labels: list[np.ndarray], weights: list[float] | None = None) -> np.ndarray:
    """The consensus of several annotators' labels of one image.

    Objects of different annotators that match (IoU >= 0.5) form one
    candidate; a candidate that more than half of the annotators' weight
    drew becomes an object, and each of its pixels belongs to it when more
    than half of the weight of the annotators who drew it includes that
    pixel. A pixel two objects claim goes to the one with more weight there.

    Parameters
    ----------
    labels : list of ndarray
        Two or more label images of one shape.
    weights : list of float, optional
        Each annotator's weight (e.g. their estimated accuracy); equal by default.

    Returns
    -------
    ndarray
        Instance labels (int32), objects numbered from 1.
    """
    if len(labels) < 2:
        raise ValueError(f"a consensus needs at least two labels, got {len(labels)}")
    objects = [instance_labels(np.asarray(label)) for label in labels]
    shape = objects[0].shape
    if any(o.shape != shape for o in objects):
        raise ValueError(f"labels of one image must have one shape, got {sorted({o.shape for o in objects})}")
    weights = np.ones(len(objects)) if weights is None else np.asarray(weights, np.float64)
    if len(weights) != len(objects) or (weights <= 0).any():
        raise ValueError("'weights' needs one positive weight per label")
    from scipy.ndimage import find_objects

    boxes = [find_objects(o) for o in objects]
    total = weights.sum()
    consensus = np.zeros(shape, np.int32)
    strongest = np.zeros(shape, np.float64)
    next_id = 1
    for members in _matched_groups(objects):
        drawn_by = sum(weights[k] for k in {k for k, _ in members})
        if drawn_by <= total / 2:
            continue
        window = _bounding_window([boxes[k][object_id - 1] for k, object_id in members])
        support = sum(weights[k] * (objects[k][window] == object_id) for k, object_id in members)
        claim = (support > drawn_by / 2) & (support > strongest[window])
        if claim.any():
            consensus[window][claim] = next_id
            strongest[window][claim] = support[claim]
            next_id += 1
    kept = np.unique(consensus[consensus > 0])
    renumbered = np.zeros(next_id, np.int32)
    renumbered[kept] = np.arange(1, len(kept) + 1)
    return renumbered[consensus]


def _bounding_window(slices: list[tuple[slice, ...]]) -> tuple[slice, ...]:
    """The smallest window holding every one of these objects' boxes."""
    return tuple(slice(min(s[d].start for s in slices), max(s[d].stop for s in slices))
                 for d in range(len(slices[0])))


def _matched_groups(objects: list[np.ndarray]) -> list[list[tuple[int, int]]]:
    """Objects across annotators joined by matches into groups of
    (annotator index, object id): connected components of the match graph."""
    parent: dict[tuple[int, int], tuple[int, int]] = {}

    def root(node):
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for k, labels in enumerate(objects):
        for object_id in np.unique(labels[labels > 0]):
            parent[(k, int(object_id))] = (k, int(object_id))
    for i in range(len(objects)):
        for j in range(i + 1, len(objects)):
            for id_i, id_j, _ in matched_pairs(objects[i], objects[j]):
                parent[root((i, id_i))] = root((j, id_j))
    groups: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for node in parent:
        groups.setdefault(root(node), []).append(node)
    return list(groups.values())
