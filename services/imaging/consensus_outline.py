"""Where a consensus object's outline runs, when its annotators drew it a
few pixels apart.

Each annotator's outline of an object is the true one moved by their own
habit and hand (some draw tight, some loose, some a pixel or three either
way). With each annotator's spread known, the estimate of the outline with
the least error is the inverse-variance weighted mean of their outlines
(the maximum-likelihood position under Gaussian offsets): closer than any
single annotator's, not only closer than the worst. The spreads come from
the labels themselves: two annotators' outlines of one object lie apart by
the difference of their offsets, so the mean squared gap of a pair is the
sum of their variances, and three or more annotators who share images
determine each one's variance (least squares, non-negative).

Where the annotators disagree by more than outline jitter (one merged a
neighbour in, one split the object), the outlines are not near each other
and the plain majority of annotators decides, as it should for structure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

OUTLINE_REACH = 3.0  # pixels; two outlines up to twice this apart meet halfway
GAP_LIMIT = 4.5  # pixels; a larger mean gap between two outlines of one object is a merge or split, not jitter
MIN_VARIANCE = 0.25  # px²: no annotator's outline counts as exact (a drawn outline is off by half a pixel)


def _offsets(reach: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Every pixel offset within ``reach``, nearest first; their lengths, then infinity (for none
    within reach); the reach in whole pixels."""
    side = int(np.ceil(reach))
    dy, dx = np.mgrid[-side:side + 1, -side:side + 1]
    length = np.hypot(dy, dx).ravel()
    order = np.argsort(length, kind="stable")
    order = order[length[order] <= reach]
    return np.stack([dy.ravel()[order], dx.ravel()[order]]), np.append(length[order], np.inf), side


_NEAR_OFFSETS, _NEAR_LENGTHS, _NEAR_SIDE = _offsets(OUTLINE_REACH + 0.5)
_BEYOND = 1 << 40  # a flat offset past the end of any window


def signed_distances(masks: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Per mask of the stack ``masks`` (k, H, W), at ``points`` (rows of
    2-D indices), the distance to the mask's outline, positive inside, with
    the outline half a pixel out from its edge pixels' centres, clipped to
    ``OUTLINE_REACH``: outlines further apart than that are different
    claims, and the deep inside of one annotator's merged blob must not
    outvote another's outline next to it. Only the edge pixels within reach
    of each point are looked at (one gather of the offsets in a disk, for
    all masks at once), not a distance transform of the whole window."""
    from labelassist.imaging.agreement import outline

    side = _NEAR_SIDE
    count, height, width = len(masks), masks.shape[1] + 2 * side, masks.shape[2] + 2 * side
    edges = np.zeros((count, height, width), bool)
    edges[:, side:-side, side:-side] = outline(masks, axes=(1, 2))
    # No offset in the disk reaches a corner of the padding: the last one, set in every mask, is
    # what a point with no edge pixel within reach finds (the last offset, clipped to the end),
    # at an infinite distance.
    edges[:, -1, -1] = True
    offsets = np.append(_NEAR_OFFSETS[0] * width + _NEAR_OFFSETS[1], _BEYOND)
    near = (points[:, :1] + side) * width + points[:, 1:] + side + offsets
    hits = np.take(edges.reshape(count, height * width), near, axis=1, mode="clip")
    first = hits.argmax(axis=2)  # offsets go nearest first; on booleans it stops at the first hit
    to_edge = _NEAR_LENGTHS[first]
    inside = masks[:, points[:, 0], points[:, 1]]
    return np.clip(np.where(inside, to_edge + 0.5, 0.5 - to_edge), -OUTLINE_REACH, OUTLINE_REACH)


def outline_vote(masks: Sequence[np.ndarray], variances: Sequence[float] | None = None) -> np.ndarray:
    """The pixels of one object's consensus, from its annotators' masks.

    Pixels every annotator puts on one side stay there. Where they differ
    and every outline lies within ``OUTLINE_REACH`` (jitter), the inside is
    where the inverse-variance weighted mean of their signed distances is
    positive; elsewhere (a merge or split: some outline far away) where
    most masks hold the pixel, an even split settled by the mean signed
    distance.

    Parameters
    ----------
    masks : sequence of ndarray
        One boolean mask per annotator, of one shape.
    variances : sequence of float, optional
        Each annotator's outline variance in px² (equal by default).

    Returns
    -------
    ndarray
        Boolean mask.
    """
    masks = np.asarray(masks, bool)
    votes = masks.sum(axis=0)
    inside = 2 * votes > len(masks)
    differ = (votes > 0) & (votes < len(masks))
    if not differ.any():
        return inside
    points = np.argwhere(differ)
    distances = signed_distances(masks, points)
    if variances is None:
        variances = [1.0] * len(masks)
    weights = 1.0 / np.maximum(np.asarray(variances, np.float64), MIN_VARIANCE)
    near = (np.abs(distances) < OUTLINE_REACH).all(axis=0)
    tied = ~near & (2 * votes[differ] == len(masks))
    decided = inside[differ]
    decided[near] = weights @ distances[:, near] > 0
    if tied.any():  # never with an odd number of annotators
        decided[tied] = distances[:, tied].mean(axis=0) > 0
    inside[differ] = decided
    return inside


def outline_gaps(labels: Sequence[np.ndarray], pairs: Mapping[tuple[int, int], Sequence[tuple[int, int, float]]],
                 areas: Sequence[np.ndarray]) -> dict[tuple[int, int], tuple[float, int]]:
    """Per pair of annotators (i, j), the summed squared gap between their
    outlines of the objects both drew, and how many objects. An object's
    gap is the area between the two outlines over their mean length (the
    mean distance between them: a dilation by two pixels, or a shift by two
    across the outline, reads as about 2), from the objects' areas, outline
    lengths and IoU alone. Gaps of ``GAP_LIMIT`` or more (a merge, a split)
    are left out.

    Parameters
    ----------
    labels : sequence of ndarray
        The annotators' instance labels of one image.
    pairs : mapping
        (i, j) -> matched objects (id in i, id in j, IoU).
    areas : sequence of ndarray
        Per label, each object's area by id (as the matching counted them).
    """
    from labelassist.imaging.agreement import outline

    lengths = [np.bincount(label[outline(label)], minlength=len(area)) for label, area in zip(labels, areas)]
    gaps: dict[tuple[int, int], tuple[float, int]] = {}
    for (i, j), found in pairs.items():
        if not found:
            continue
        a, b, iou = (np.asarray(column) for column in zip(*found))
        a, b = a.astype(np.int64), b.astype(np.int64)
        union = areas[i][a] + areas[j][b]
        between = union - 2 * iou * union / (1 + iou)  # |A| + |B| - 2 |A ∩ B|
        gap = between / np.maximum(0.5 * (lengths[i][a] + lengths[j][b]), 1)
        gap = gap[gap < GAP_LIMIT]
        if len(gap):
            gaps[(i, j)] = (float(np.sum(gap * gap)), len(gap))
    return gaps


def outline_variances(gaps: Mapping[tuple[str, str], tuple[float, int]]) -> dict[str, float]:
    """Each annotator's outline variance (px²) from the squared gaps of
    pairs of annotators: mean gap² of (a, b) = var(a) + var(b), solved by
    non-negative least squares weighted by the objects behind each pair.

    Parameters
    ----------
    gaps : mapping
        (annotator, annotator) -> (summed squared gap, objects).

    Returns
    -------
    dict
        annotator -> variance, at least ``MIN_VARIANCE``; equal variances
        when the pairs cannot tell annotators apart (two annotators only, or
        pairs that share nobody).
    """
    from scipy.optimize import nnls

    pairs = [(pair, total / count, count) for pair, (total, count) in gaps.items() if count]
    names = sorted({name for pair, _, _ in pairs for name in pair})
    if not pairs:
        return {}
    mean_gap = sum(gap * count for _, gap, count in pairs) / sum(count for _, _, count in pairs)
    equal = {name: max(mean_gap / 2, MIN_VARIANCE) for name in names}
    if len(names) < 3:
        return equal
    column = {name: k for k, name in enumerate(names)}
    design = np.zeros((len(pairs), len(names)))
    target = np.zeros(len(pairs))
    for row, ((a, b), gap, count) in enumerate(pairs):
        scale = np.sqrt(count)
        design[row, column[a]] = design[row, column[b]] = scale
        target[row] = gap * scale
    if np.linalg.matrix_rank(design) < len(names):  # e.g. pairs that never close a triangle
        return equal
    solved, _ = nnls(design, target)
    return {name: max(float(solved[column[name]]), MIN_VARIANCE) for name in names}


__all__ = ["OUTLINE_REACH", "outline_gaps", "outline_variances", "outline_vote", "signed_distances"]
