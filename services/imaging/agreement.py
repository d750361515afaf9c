"""How much two annotators' labels of one image agree, object by object:
the measures a lab reads before it vouches for a labelled data set. Exact
pixel equality says nothing about outlines, so each measure matches objects
first. Their consensus lives in :mod:`labelassist.imaging.consensus`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import combinations

import numpy as np

from labelassist.imaging.measures import instance_labels

MATCH_IOU = 0.5
# The most cells a count of id pairs (or ids) by np.bincount may have: beyond, sparse counting.
MAX_COUNT_CELLS = 1 << 24


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


def object_index(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The object ids of an instance label, their areas, and each pixel's
    position among the ids (-1 on background), by counting rather than
    sorting: a sort of a 2048² label costs more than everything else here."""
    labels = np.asarray(labels).ravel()
    if labels.size and labels.min() >= 0 and labels.max() < MAX_COUNT_CELLS:
        counts = np.bincount(labels)
        counts[0] = 0
        ids = np.flatnonzero(counts)
        position = np.full(len(counts), -1, np.int64)
        position[ids] = np.arange(len(ids))
        return ids, counts[ids], position[labels]
    ids, inverse, areas = np.unique(labels, return_inverse=True, return_counts=True)
    keep = ids > 0
    position = np.cumsum(keep) - 1
    return ids[keep], areas[keep], np.where(keep[inverse], position[inverse], -1)


def overlap_table(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The object ids of ``a`` and of ``b`` and the IoU of every pair of them
    (rows: ``a``'s objects, columns: ``b``'s), from one contingency count
    over the pixels."""
    return iou_table(object_index(a), object_index(b))


def iou_table(index_a: tuple, index_b: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`overlap_table` from two labels' :func:`object_index`, for
    callers that compare one label with several."""
    (ids_a, area_a, row), (ids_b, area_b, column) = index_a, index_b
    cells = (len(ids_a) + 1) * (len(ids_b) + 1)
    if cells <= MAX_COUNT_CELLS:
        # Background as row and column 0 of one count over every pixel: no mask, no gather.
        overlap = np.bincount((row + 1) * (len(ids_b) + 1) + (column + 1), minlength=cells)
        overlap = overlap.reshape(len(ids_a) + 1, len(ids_b) + 1)[1:, 1:]
        return ids_a, ids_b, overlap / (area_a[:, None] + area_b[None, :] - overlap)
    table = np.zeros((len(ids_a), len(ids_b)), np.float64)
    both = (row >= 0) & (column >= 0)
    pairs, overlap = np.unique(row[both] * len(ids_b) + column[both], return_counts=True)
    rows, columns = np.divmod(pairs, len(ids_b))
    table[rows, columns] = overlap / (area_a[rows] + area_b[columns] - overlap)
    return ids_a, ids_b, table


def overlap_tables(labels: Sequence[np.ndarray]) -> tuple[list[tuple[np.ndarray, np.ndarray]], dict]:
    """Each label's object ids and areas (as :func:`object_index` gives
    them), and for every pair (i, j), i < j, their :func:`overlap_table`.

    Labels with small ids are compared by one count of id pairs over the
    pixels, each label's areas read off a margin of its count with the
    first label: no position of each pixel among the ids, which costs more
    than the count. A count with more cells than the label has pixels (ids
    far apart) takes the general path instead.
    """
    if len({np.shape(label) for label in labels}) > 1:
        raise ValueError(f"'labels' must all have one shape, got {sorted({np.shape(label) for label in labels})}")
    direct = len(labels) >= 2 and all(np.issubdtype(label.dtype, np.integer) and label.size for label in labels)
    tops = [int(label.max()) + 1 for label in labels] if direct else []
    largest = int(np.prod(sorted(tops)[-2:])) if direct else 0
    if not direct or min(int(label.min()) for label in labels) < 0 or largest > min(MAX_COUNT_CELLS, labels[0].size):
        indexes = [object_index(label) for label in labels]
        tables = {(i, j): iou_table(indexes[i], indexes[j]) for i, j in combinations(range(len(labels)), 2)}
        return [(ids, areas) for ids, areas, _ in indexes], tables
    flat = [np.asarray(label, np.int32).ravel() for label in labels]

    def count(i: int, j: int) -> np.ndarray:
        pair = np.multiply(flat[i], np.int32(tops[j]))
        pair += flat[j]
        return np.bincount(pair, minlength=tops[i] * tops[j]).reshape(tops[i], tops[j])

    def table(i: int, j: int, counted: np.ndarray) -> tuple:
        (ids_a, area_a), (ids_b, area_b) = indexes[i], indexes[j]
        overlap = counted[np.ix_(ids_a, ids_b)]
        return ids_a, ids_b, overlap / (area_a[:, None] + area_b[None, :] - overlap)

    # The first label's counts give every label's areas; the others' become tables as they are made.
    with_first = {k: count(0, k) for k in range(1, len(labels))}
    indexes = []
    for areas in [with_first[1].sum(axis=1)] + [with_first[k].sum(axis=0) for k in range(1, len(labels))]:
        areas[0] = 0
        ids = np.flatnonzero(areas)
        indexes.append((ids, areas[ids]))
    tables = {(0, k): table(0, k, with_first.pop(k)) for k in range(1, len(labels))}
    for i, j in combinations(range(1, len(labels)), 2):
        tables[(i, j)] = table(i, j, count(i, j))
    return indexes, dict(sorted(tables.items()))


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
    if np.shape(a) != np.shape(b):
        raise ValueError(f"labels of one image must have one shape, got {np.shape(a)} and {np.shape(b)}")
    return pairs_of(*overlap_table(a, b), min_iou)


def pairs_of(ids_a: np.ndarray, ids_b: np.ndarray, table: np.ndarray, min_iou: float = MATCH_IOU
             ) -> list[tuple[int, int, float]]:
    """:func:`matched_pairs` from an :func:`overlap_table`."""
    rows, columns = _assignment(table, min_iou)
    return [(int(ids_a[r]), int(ids_b[c]), float(table[r, c])) for r, c in zip(rows, columns)]


def _assignment(table: np.ndarray, min_iou: float = MATCH_IOU) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the IoU table paired one to one with IoU >=
    ``min_iou``. Pairs above 0.5 are unique (an object overlaps at most one
    other by more than half of their union) and are read off; the Hungarian
    method pairs the rest, on the rows and columns left with an eligible pair."""
    from scipy.optimize import linear_sum_assignment

    if not table.size:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    eligible = np.where(table >= min_iou, table, 0.0)
    sure = eligible > 0.5
    rows, columns = np.nonzero(sure)
    open_rows = np.flatnonzero(~sure.any(axis=1) & (eligible.max(axis=1) > 0))
    open_columns = np.flatnonzero(~sure.any(axis=0) & (eligible.max(axis=0) > 0))
    if len(open_rows) and len(open_columns):
        rest = eligible[np.ix_(open_rows, open_columns)]
        chosen_rows, chosen_columns = linear_sum_assignment(rest, maximize=True)
        keep = rest[chosen_rows, chosen_columns] > 0
        rows = np.concatenate([rows, open_rows[chosen_rows[keep]]])
        columns = np.concatenate([columns, open_columns[chosen_columns[keep]]])
    order = np.argsort(rows, kind="stable")
    return rows[order], columns[order]


def _assigned(table: np.ndarray) -> list[float]:
    rows, columns = _assignment(table)
    return [float(v) for v in table[rows, columns]]


def outline(labels: np.ndarray, axes: Sequence[int] | None = None) -> np.ndarray:
    """Each object's inner outline: its pixels with a face neighbour of
    another id (skimage's ``find_boundaries(mode="inner")`` on objects, by
    slice comparisons, a tenth of its time), neighbours along ``axes`` (all
    by default; (1, 2) for a stack of 2-D labels)."""
    labels = np.asarray(labels)
    edge = np.zeros(labels.shape, bool)
    for axis in range(labels.ndim) if axes is None else axes:
        before = tuple(slice(None, -1) if d == axis else slice(None) for d in range(labels.ndim))
        after = tuple(slice(1, None) if d == axis else slice(None) for d in range(labels.ndim))
        differs = labels[before] != labels[after]
        edge[before] |= differs
        edge[after] |= differs
    return edge & (labels > 0)


def _within(edge: np.ndarray, tolerance: float) -> np.ndarray:
    """Pixels within ``tolerance`` (Euclidean) of the outline: the union of
    the outline shifted by each offset of a disk, which for tolerances of a
    few pixels costs a fraction of a dilation or a distance transform."""
    radius = int(np.floor(tolerance))
    if radius > 8 or edge.ndim != 2:
        from scipy.ndimage import distance_transform_edt

        return distance_transform_edt(~edge) <= tolerance
    near = edge.copy()
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if (dy or dx) and dy * dy + dx * dx <= tolerance ** 2:
                near[max(dy, 0):near.shape[0] + min(dy, 0), max(dx, 0):near.shape[1] + min(dx, 0)] |= \
                    edge[max(-dy, 0):edge.shape[0] + min(-dy, 0), max(-dx, 0):edge.shape[1] + min(-dx, 0)]
    return near


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
    outline_a, outline_b = outline(a), outline(b)
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
    if a.shape != b.shape:
        raise ValueError(f"labels of one image must have one shape, got {a.shape} and {b.shape}")
    ids_a, ids_b, table = overlap_table(a, b)
    objects_a, objects_b = len(ids_a), len(ids_b)
    ious = _assigned(table)
    matched = len(ious)
    f1 = 1.0 if objects_a + objects_b == 0 else 2 * matched / (objects_a + objects_b)
    unmatched = (objects_a - matched) + (objects_b - matched)
    pq = 1.0 if objects_a + objects_b == 0 else sum(ious) / (matched + 0.5 * unmatched)
    return PairAgreement(objects_a, objects_b, matched, f1, float(np.mean(ious)) if ious else None,
                         boundary_f1(a, b, tolerance), pq)


def matched_f1(a: np.ndarray, b: np.ndarray) -> float:
    """Matched-object F1 at IoU 0.5 alone (:func:`pair_agreement` without
    the outline measures)."""
    ids_a, ids_b, table = overlap_table(instance_labels(np.asarray(a)), instance_labels(np.asarray(b)))
    objects = len(ids_a) + len(ids_b)
    return 1.0 if not objects else 2 * len(_assigned(table)) / objects


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
