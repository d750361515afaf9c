"""The consensus of several annotators' labels of one image, object by
object: objects matched across annotators become candidates, a candidate
becomes an object when enough of them drew it, and its outline is the
mean of theirs weighted by how closely each annotator draws outlines
(:mod:`labelassist.imaging.consensus_outline`).

Annotators' errors are lopsided: a tired annotator misses nuclei far more
often than they draw one that is not there. A plain majority throws away
every object the others missed, so a lone object is kept when the others'
estimated miss rates explain it better than that annotator's record of
drawing objects nobody confirms (the object-level reading of STAPLE,
Warfield et al. 2004, with sensitivity and false objects estimated apart).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from labelassist.imaging.agreement import iou_table, matched_f1, object_index, overlap_tables, pairs_of
from labelassist.imaging.consensus_outline import outline_gaps, outline_variances, outline_vote
from labelassist.imaging.measures import instance_labels

SAME_OBJECT_IOU = 0.3  # two annotators' outlines of one nucleus, a few pixels apart each way, overlap this much
LONE_OVERLAP = 0.2  # share of a lone object inside others' objects that makes it a piece of a merge or split
FALSE_PRIOR = 0.5  # pseudo-count of unconfirmed objects: one image cannot clear an annotator of drawing them
WEIGHT_LIMITS = (0.55, 0.95)  # sensitivity clipped before its log-odds: every weight positive and finite
DECIDES_ALONE = 0.9  # with three or more labels, no weight exceeds this share of the others' summed weight
ORPHAN_SHARE = 0.5  # of the median object's area: a region most drew and no object holds is an object from this size


@dataclass(frozen=True)
class Voter:
    """What a consensus knows of one annotator.

    ``sensitivity`` is the share of real objects they draw, ``false_rate``
    the objects they draw that nobody confirms and their misses do not
    explain, per object of theirs another annotator confirms, ``weight``
    their say in the vote on objects, and ``outline_variance`` (px²) how far
    their outlines stray: their say on where an outline runs.
    """

    sensitivity: float = 0.5
    false_rate: float = float("inf")
    weight: float = 1.0
    outline_variance: float = 1.0


@dataclass
class MatchedObjects:
    """One image's labels by several annotators with their objects matched
    (IoU >= 0.5) pair by pair; :meth:`candidates` joins the matches of any
    subset of the annotators into candidate objects."""

    labels: list[np.ndarray]
    pairs: dict[tuple[int, int], list[tuple[int, int, float]]]
    boxes: list[list]
    areas: list[np.ndarray]  # per label, each object's area by id

    def candidates(self, members: Sequence[int] | None = None) -> list[dict[int, int]]:
        """The objects of ``members`` (all annotators by default) joined into
        candidates, per candidate annotator index -> object id: matches taken
        from the closest, each joining two candidates only when no annotator
        drew in both (a merged blob matched to each of two neighbours must
        not join them)."""
        members = sorted(range(len(self.labels)) if members is None else members)
        owner: dict[tuple[int, int], int] = {}
        candidates: list[dict[int, int]] = []
        for k in members:
            for object_id, box in enumerate(self.boxes[k], start=1):
                if box is not None:
                    owner[(k, object_id)] = len(candidates)
                    candidates.append({k: object_id})
        matches = sorted(((iou, i, a, j, b) for (i, j), found in self.pairs.items() if i in members and j in members
                          for a, b, iou in found), reverse=True)
        for _, i, a, j, b in matches:
            first, second = owner[(i, a)], owner[(j, b)]
            if first != second and not candidates[first].keys() & candidates[second].keys():
                for k, object_id in candidates[second].items():
                    owner[(k, object_id)] = first
                candidates[first].update(candidates[second])
                candidates[second] = {}
        return [c for c in candidates if c]

    def left_out(self) -> float:
        """The largest share of the candidate objects that one annotator did
        not draw: 0 when everyone drew the same objects, high when one
        annotator skipped or invented many (outline jitter does not count)."""
        candidates = self.candidates()
        if not candidates:
            return 0.0
        return max(sum(k not in c for c in candidates) for k in range(len(self.labels))) / len(candidates)

    def window(self, candidate: Mapping[int, int], margin: int = 2) -> tuple[slice, ...]:
        """The bounding box of a candidate's objects, widened by ``margin``."""
        boxes = [self.boxes[k][i - 1] for k, i in candidate.items()]
        shape = self.labels[0].shape
        return tuple(slice(max(min(b[d].start for b in boxes) - margin, 0),
                           min(max(b[d].stop for b in boxes) + margin, shape[d])) for d in range(len(shape)))

    def is_piece(self, k: int, object_id: int) -> bool:
        """Whether the object lies mostly inside other annotators' objects: a
        half of a split or a bridge of a merge, not an object others missed."""
        window = self.window({k: object_id}, margin=0)
        mask = self.labels[k][window] == object_id
        return any((self.labels[j][window][mask] > 0).mean() > LONE_OVERLAP
                   for j in range(len(self.labels)) if j != k)


def match_objects(labels: Sequence[np.ndarray]) -> MatchedObjects:
    """Every annotator's objects matched to every other's.

    Parameters
    ----------
    labels : sequence of ndarray
        Label images of one shape (instance ids, or binary masks).

    Returns
    -------
    MatchedObjects
    """
    from scipy.ndimage import find_objects

    objects = [instance_labels(np.asarray(label)) for label in labels]
    if len({o.shape for o in objects}) > 1:
        raise ValueError(f"labels of one image must have one shape, got {sorted({o.shape for o in objects})}")
    indexes, tables = overlap_tables(objects)
    pairs = {pair: pairs_of(*table, SAME_OBJECT_IOU) for pair, table in tables.items()}
    areas = []
    for ids, area in indexes:
        by_id = np.zeros(int(ids.max(initial=0)) + 1, np.int64)
        by_id[ids] = area
        areas.append(by_id)
    return MatchedObjects(objects, pairs, [find_objects(o) for o in objects], areas)


def estimate_voters(samples: Sequence[tuple[Sequence[str], MatchedObjects]]) -> dict[str, Voter]:
    """Each annotator's sensitivity, false objects and weight, from the labels alone.

    Sensitivity: of the candidates most of the other annotators of an image
    drew, the share this one drew too (Laplace-smoothed). False objects: the
    lone objects this one drew (not pieces of others' objects) beyond those
    the others' misses explain, per object of theirs another confirms.
    Outline variance: from the gaps between their outlines and the others'
    of the same objects (:func:`~labelassist.imaging.consensus_outline.outline_variances`).

    Parameters
    ----------
    samples : sequence of (names, MatchedObjects)
        Per image, the annotators' names in the order of its labels.

    Returns
    -------
    dict
        annotator -> :class:`Voter`.
    """
    seen: dict[str, list[int]] = {}
    explained: dict[str, list] = {}
    gaps: dict[tuple[str, str], list] = {}
    candidates_of = [matched.candidates() for _, matched in samples]
    for (names, matched), candidates in zip(samples, candidates_of):
        found = outline_gaps(matched.labels, matched.pairs, matched.areas)
        for (i, j), (total, count) in found.items():
            tally = gaps.setdefault(tuple(sorted((names[i], names[j]))), [0.0, 0])
            tally[0] += total
            tally[1] += count
        for k, name in enumerate(names):
            others = len(names) - 1
            confirmed = [c for c in candidates if sum(j in c for j in range(len(names)) if j != k) > others / 2]
            counts = seen.setdefault(name, [0, 0, 0, 0])  # confirmed, drew, confirmed of theirs, lone
            counts[0] += len(confirmed)
            counts[1] += sum(k in c for c in confirmed)
            counts[2] += sum(1 for c in candidates if k in c and len(c) > 1)
            counts[3] += sum(1 for c in candidates if list(c) == [k] and not matched.is_piece(k, c[k]))
    sensitivity = {name: (c[1] + 1) / (c[0] + 2) for name, c in seen.items()}
    for (names, _), candidates in zip(samples, candidates_of):
        for k, name in enumerate(names):
            missed_by_all = float(np.prod([1 - sensitivity[n] for j, n in enumerate(names) if j != k]))
            confirmed = sum(1 for c in candidates if k in c and len(c) > 1)
            explained.setdefault(name, []).append(confirmed * missed_by_all / max(1 - missed_by_all, 1e-9))
    variances = outline_variances({pair: tuple(tally) for pair, tally in gaps.items()})
    voters = {}
    for name, (_, _, confirmed, lone) in seen.items():
        false_rate = (max(lone - sum(explained[name]), 0.0) + FALSE_PRIOR) / (confirmed + 1)
        p = float(np.clip(sensitivity[name], *WEIGHT_LIMITS))
        voters[name] = Voter(sensitivity[name], false_rate, float(np.log(p / (1 - p))), variances.get(name, 1.0))
    return voters


def merge(matched: MatchedObjects, voters: Sequence[Voter], members: Sequence[int] | None = None) -> np.ndarray:
    """The consensus of the labels ``members`` (all by default) of one image.

    A candidate becomes an object when a strict majority of the annotators
    drew it, or more than half of their weight (with three or more, no one
    weighs as much as the others together), or when it is a lone object of
    an annotator whose unconfirmed objects are rarer than the others' joint
    misses. Its outline is the mean of its annotators' outlines, weighted
    by the inverse of their outline variances, where they differ by jitter,
    and the majority's where they differ in structure
    (:func:`~labelassist.imaging.consensus_outline.outline_vote`); a pixel
    two objects claim goes to the
    one it lies deeper inside (further from its outline). Last, a region
    most annotators drew that no object holds, of at least
    ``ORPHAN_SHARE`` of the median object's area, becomes an object (one
    the others drew merged with different neighbours).

    Parameters
    ----------
    matched : MatchedObjects
    voters : sequence of Voter
        One per label of ``matched``.
    members : sequence of int, optional
        The labels to merge.

    Returns
    -------
    ndarray
        Instance labels (int32), objects numbered from 1.
    """
    members = list(range(len(matched.labels))) if members is None else list(members)
    weights = _capped_weights([voters[k].weight for k in members])
    weight = dict(zip(members, weights))
    total = sum(weights)
    shape = matched.labels[0].shape
    consensus = np.zeros(shape, np.int32)
    next_id = 1
    for candidate in matched.candidates(members):
        drawn = sum(weight[k] for k in candidate)
        if not (len(candidate) > len(members) / 2 or drawn > total / 2 or _credible(matched, voters, candidate,
                                                                                    members)):
            continue
        window = matched.window(candidate)
        claim = outline_vote([matched.labels[k][window] == i for k, i in candidate.items()],
                             [voters[k].outline_variance for k in candidate])
        taken = consensus[window]
        contested = claim & (taken > 0)
        if contested.any():
            claim &= (taken == 0) | _deeper(claim, taken, contested)
        if claim.any():
            taken[claim] = next_id
            next_id += 1
    areas = np.bincount(consensus.ravel(), minlength=next_id)
    return _renumbered(consensus, areas, _orphans(matched, members, consensus, areas, next_id))


def _orphans(matched: MatchedObjects, members: Sequence[int], consensus: np.ndarray, areas: np.ndarray,
             next_id: int) -> int:
    """Add, as objects, the nucleus-sized regions most annotators drew that
    no consensus object holds: an object two annotators each drew inside one
    blob with a different neighbour (or one drew apart and another merged
    while the third missed it) has no candidate of its own, or one that
    looks like a minority, yet most annotators say its pixels belong to an
    object. Slivers and the leftovers of a split, smaller than
    ``ORPHAN_SHARE`` of the median object, stay out. ``areas``: each
    consensus object's, by id."""
    from scipy.ndimage import label as connected

    areas = areas[1:][areas[1:] > 0]
    if not len(areas):
        return next_id
    drawn = np.sum([matched.labels[k] > 0 for k in members], axis=0, dtype=np.int16)
    unheld = (2 * drawn > len(members)) & (consensus == 0)
    regions, count = connected(unheld)
    if not count:
        return next_id
    regions = regions[unheld]
    sizes = np.bincount(regions, minlength=count + 1)
    kept = np.flatnonzero(sizes >= ORPHAN_SHARE * np.median(areas))
    kept = kept[kept > 0]
    if len(kept):
        numbers = np.zeros(count + 1, np.int32)
        numbers[kept] = np.arange(next_id, next_id + len(kept))
        consensus[unheld] = numbers[regions]
    return next_id + len(kept)


def _credible(matched: MatchedObjects, voters: Sequence[Voter], candidate: Mapping[int, int],
              members: Sequence[int]) -> bool:
    """Whether a minority candidate is more likely an object the others
    missed than one its annotators drew wrongly."""
    if len(candidate) == 1 and matched.is_piece(*next(iter(candidate.items()))):
        return False
    missed_by_all = float(np.prod([1 - voters[j].sensitivity for j in members if j not in candidate]))
    odds = missed_by_all / max(1 - missed_by_all, 1e-9)
    return any(odds > voters[k].false_rate for k in candidate)


def _deeper(claim: np.ndarray, taken: np.ndarray, contested: np.ndarray) -> np.ndarray:
    """Where a new object lies deeper inside itself than the objects already there."""
    from scipy.ndimage import distance_transform_edt

    own = distance_transform_edt(claim)
    theirs = np.zeros(claim.shape)
    for other in np.unique(taken[contested]):
        held = taken == other
        theirs[held] = distance_transform_edt(held)[held]
    return contested & (own > theirs)


def _capped_weights(weights: Sequence[float]) -> list[float]:
    """With three or more voters, each weight cut to ``DECIDES_ALONE`` of the others' sum."""
    weights = [float(w) for w in weights]
    if len(weights) < 3:
        return weights
    total = sum(weights)
    return [min(w, DECIDES_ALONE * (total - w)) for w in weights]


def _renumbered(consensus: np.ndarray, areas: np.ndarray, count: int) -> np.ndarray:
    """Objects numbered 1..n again where a later object took all of an earlier one's pixels
    (``areas``: the objects' before those numbered from ``len(areas)`` on, which hold pixels)."""
    kept = np.concatenate([np.flatnonzero(areas[1:]) + 1, np.arange(len(areas), count)])
    if len(kept) == count - 1:
        return consensus
    renumbered = np.zeros(count, np.int32)
    renumbered[kept] = np.arange(1, len(kept) + 1)
    return renumbered[consensus]


def consensus_label(labels: Sequence[np.ndarray], weights: Sequence[float] | None = None,
                    voters: Sequence[Voter] | None = None) -> np.ndarray:
    """The consensus of several annotators' labels of one image.

    Parameters
    ----------
    labels : sequence of ndarray
        Two or more label images of one shape.
    weights : sequence of float, optional
        Each annotator's say: given alone, the consensus is a weighted vote
        (an object needs more than half of the weight, or a strict majority
        of the annotators).
    voters : sequence of Voter, optional
        Each annotator's estimated record (e.g. from :func:`estimate_voters`
        over a project); by default estimated from these labels alone.

    Returns
    -------
    ndarray
        Instance labels (int32), objects numbered from 1.
    """
    if len(labels) < 2:
        raise ValueError(f"a consensus needs at least two labels, got {len(labels)}")
    matched = match_objects(labels)
    if weights is not None:
        weights = np.asarray(weights, np.float64)
        if len(weights) != len(labels) or (weights <= 0).any():
            raise ValueError("'weights' needs one positive weight per label")
        voters = [Voter(weight=float(w)) for w in weights]
    elif voters is None:
        names = [str(k) for k in range(len(labels))]
        estimated = estimate_voters([(names, matched)])
        voters = [estimated[n] for n in names]
    elif len(voters) != len(labels):
        raise ValueError(f"'voters' needs one voter per label, got {len(voters)} for {len(labels)}")
    return merge(matched, voters)


def _vote(votes: Sequence[tuple]) -> object:
    """The value most voters gave, a tie settled by their summed weight, then by name."""
    count: dict[object, list[float]] = {}
    for value, weight in votes:
        tally = count.setdefault(value, [0, 0.0])
        tally[0] += 1
        tally[1] += weight
    return max(count, key=lambda value: (*count[value], value))


def consensus_classes(consensus: np.ndarray, labels: Sequence[np.ndarray], classes: Sequence[Mapping],
                      weights: Sequence[float] | None = None) -> dict:
    """The classes of a consensus label: each object's class is the one most
    of the annotators whose objects it matched (IoU >= 0.3, as the consensus
    joins them) gave, a tie going to the class with the larger summed
    weight; the image classes are the set most annotators gave, ties alike.

    Parameters
    ----------
    consensus : ndarray
        The consensus instance label (:func:`merge`).
    labels : sequence of ndarray
        The annotators' labels it was merged from.
    classes : sequence of mapping
        Each label's classes as the selector stores them ({"objects":
        {"<id>": name}, "image": [name, ...]}).
    weights : sequence of float, optional
        Each annotator's weight (equal by default).

    Returns
    -------
    dict
        {"objects": {"<id>": name}, "image": [...]}, the keys present only
        when an annotator gave such classes; {} for none.
    """
    if len(classes) != len(labels):
        raise ValueError(f"'classes' needs one entry per label, got {len(classes)} for {len(labels)}")
    weights = [1.0] * len(labels) if weights is None else [float(w) for w in weights]
    index = object_index(np.asarray(consensus))
    votes: dict[int, list[tuple[str, float]]] = {}
    for label, given, weight in zip(labels, classes, weights):
        objects = (given or {}).get("objects") or {}
        if not objects:
            continue
        for merged_id, own_id, _ in pairs_of(*iou_table(index, object_index(instance_labels(np.asarray(label)))),
                                             SAME_OBJECT_IOU):
            if str(own_id) in objects:
                votes.setdefault(merged_id, []).append((objects[str(own_id)], weight))
    found: dict = {}
    if votes:
        found["objects"] = {str(object_id): _vote(v) for object_id, v in sorted(votes.items())}
    images = [(tuple(sorted(set(given["image"]))), weight) for given, weight in zip(classes, weights)
              if (given or {}).get("image")]
    if images:
        found["image"] = list(_vote(images))
    return found


@dataclass
class ProjectConsensus:
    """A project's consensus: each annotator's record, estimated over every
    image several of them labelled, and each image's merged label."""

    voters: dict[str, Voter]
    samples: list[tuple[list[str], MatchedObjects] | None]
    merged: list[np.ndarray | None]

    @property
    def weights(self) -> dict[str, float]:
        return {name: voter.weight for name, voter in self.voters.items()}

    def agreement(self, labels: Sequence[Mapping[str, np.ndarray]]) -> dict[str, float]:
        """Each annotator's mean matched-object F1 against the consensus."""
        scores: dict[str, list[float]] = {}
        for sample, merged in zip(labels, self.merged):
            if merged is not None:
                for name, label in sample.items():
                    scores.setdefault(name, []).append(matched_f1(label, merged))
        return {name: float(np.mean(values)) for name, values in scores.items()}

    def without(self, index: int, name: str) -> np.ndarray | None:
        """Image ``index``'s consensus of the annotators other than ``name``:
        what to judge ``name`` against, so that their own label does not
        vouch for itself (their own label alone when one other labelled it)."""
        if self.samples[index] is None:
            return None
        names, matched = self.samples[index]
        others = [k for k, n in enumerate(names) if n != name]
        if len(others) == 1:
            return matched.labels[others[0]]
        return merge(matched, [self.voters[n] for n in names], others)


def project_consensus(samples: Sequence[Mapping[str, np.ndarray]]) -> ProjectConsensus:
    """Estimate every annotator's record over the images two or more of them
    labelled, then merge each such image.

    Parameters
    ----------
    samples : sequence of mapping
        Per image, annotator -> label image; images with fewer than two
        labels are left out (None in the result).

    Returns
    -------
    ProjectConsensus
    """
    matched: list[tuple[list[str], MatchedObjects] | None] = []
    for labels in samples:
        names = sorted(labels)
        matched.append((names, match_objects([labels[n] for n in names])) if len(names) >= 2 else None)
    voters = estimate_voters([m for m in matched if m is not None])
    merged = [None if m is None else merge(m[1], [voters[n] for n in m[0]]) for m in matched]
    return ProjectConsensus(voters, matched, merged)


__all__ = ["MatchedObjects", "ProjectConsensus", "Voter", "consensus_classes", "consensus_label", "estimate_voters",
           "match_objects", "merge", "project_consensus"]
