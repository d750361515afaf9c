"""How an annotator's objects differ from a reference: missed, extra,
merged, split, wide or narrow outlines. Each annotator's record in a
consensus is :func:`labelassist.imaging.consensus.estimate_voters`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from labelassist.imaging.agreement import matched_pairs, outline, overlap_table
from labelassist.imaging.measures import instance_labels

MOSTLY = 0.5  # the share of an object that must lie inside another for "merged" and "split"
OUTLINE_STEP = 0.75  # pixels of mean outline offset beyond which a matched object is wide or narrow


@dataclass
class DisagreementKinds:
    """Counts of how a label's objects differ from a reference's.

    ``outline_offset`` is the mean, over matched objects, of the area
    difference divided by the reference object's outline length: about how
    many pixels wider (> 0) or narrower the annotator draws.
    """

    reference_objects: int = 0
    missed: int = 0
    extra: int = 0
    merged: int = 0
    split: int = 0
    wide: int = 0
    narrow: int = 0
    outline_offset: float = 0.0
    matched: int = 0

    def add(self, other: DisagreementKinds) -> DisagreementKinds:
        """The counts of both; the outline offset averaged over their matched objects."""
        matched = self.matched + other.matched
        offset = 0.0 if not matched else (self.outline_offset * self.matched
                                          + other.outline_offset * other.matched) / matched
        return DisagreementKinds(*(getattr(self, name) + getattr(other, name) for name in
                                   ("reference_objects", "missed", "extra", "merged", "split", "wide", "narrow")),
                                 outline_offset=offset, matched=matched)

    def as_dict(self) -> dict:
        return asdict(self)


def disagreement_kinds(label: np.ndarray, reference: np.ndarray) -> DisagreementKinds:
    """How ``label``'s objects differ from ``reference``'s.

    An object of the label that holds most of two or more reference objects
    merged them; a reference object that holds most of two or more of the
    label's objects was split. Of the rest, reference objects without a
    match (IoU >= 0.5) were missed and the label's unmatched objects are
    extra. Matched objects are wide or narrow when their outline lies on
    average more than ``OUTLINE_STEP`` pixels outside or inside.

    Parameters
    ----------
    label, reference : ndarray
        Label images of one shape (instance ids, or binary masks).

    Returns
    -------
    DisagreementKinds
    """
    label, reference = instance_labels(np.asarray(label)), instance_labels(np.asarray(reference))
    if label.shape != reference.shape:
        raise ValueError(f"labels of one image must have one shape, got {label.shape} and {reference.shape}")
    ids_ref, ids_label, iou = overlap_table(reference, label)
    area_ref = np.bincount(reference.ravel())[ids_ref] if len(ids_ref) else np.zeros(0)
    area_label = np.bincount(label.ravel())[ids_label] if len(ids_label) else np.zeros(0)
    # Intersection from IoU and the two areas: |A ∩ B| = IoU (|A| + |B|) / (1 + IoU).
    both = iou * (area_ref[:, None] + area_label[None, :]) / (1 + iou) if iou.size else iou
    of_ref = both / np.maximum(area_ref[:, None], 1) if iou.size else iou
    of_label = both / np.maximum(area_label[None, :], 1) if iou.size else iou
    merging = (of_ref >= MOSTLY).sum(axis=0) >= 2 if iou.size else np.zeros(len(ids_label), bool)
    splitting = (of_label >= MOSTLY).sum(axis=1) >= 2 if iou.size else np.zeros(len(ids_ref), bool)
    in_merge = (of_ref[:, merging] >= MOSTLY).any(axis=1) if iou.size else np.zeros(len(ids_ref), bool)
    in_split = (of_label[splitting] >= MOSTLY).any(axis=0) if iou.size else np.zeros(len(ids_label), bool)
    pairs = matched_pairs(reference, label)
    matched_ref = {r for r, _, _ in pairs}
    matched_label = {b for _, b, _ in pairs}
    kinds = DisagreementKinds(reference_objects=len(ids_ref), merged=int(merging.sum()), split=int(splitting.sum()),
                              matched=len(pairs))
    kinds.missed = sum(1 for i, r in enumerate(ids_ref) if r not in matched_ref and not in_merge[i]
                       and not splitting[i])
    kinds.extra = sum(1 for j, b in enumerate(ids_label) if b not in matched_label and not merging[j]
                      and not in_split[j])
    if pairs:
        outline = _outline_lengths(reference)
        offsets = []
        for r, b, _ in pairs:
            i, j = np.searchsorted(ids_ref, r), np.searchsorted(ids_label, b)
            if splitting[i] or merging[j]:
                continue  # a part of a split or merge says nothing about how wide they draw
            offsets.append((area_label[j] - area_ref[i]) / max(outline.get(r, 1), 1))
        kinds.wide = sum(1 for o in offsets if o > OUTLINE_STEP)
        kinds.narrow = sum(1 for o in offsets if o < -OUTLINE_STEP)
        kinds.outline_offset = float(np.mean(offsets)) if offsets else 0.0
    return kinds


def _outline_lengths(labels: np.ndarray) -> dict[int, int]:
    """Outline pixels of each object."""
    counts = np.bincount(labels[outline(labels)].ravel(), minlength=int(labels.max()) + 1)
    return {int(i): int(c) for i, c in enumerate(counts) if c}


__all__ = ["DisagreementKinds", "disagreement_kinds"]
