"""Reviewing in the desktop client, without Qt: compare the label on screen
with an earlier version of it, as an overlay of what changed (a reviewer
sees at a glance what the annotator's new version did), and give a verdict."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from labelassist.client.results import SampleInfo

if TYPE_CHECKING:
    from labelassist.client.session import LabellingSession

Call = Callable[[], Any]

# RGBA of the change overlay.
ADDED, REMOVED, REASSIGNED = (40, 220, 60, 200), (235, 40, 40, 200), (250, 210, 0, 200)


def label_diff(current: np.ndarray, earlier: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """What changed from ``earlier`` to ``current`` as an RGBA image, and pixel counts.

    Added: foreground now, background before (green); removed: the reverse
    (red); reassigned: foreground in both but now in another object than
    the one most of the earlier object became (a split, a merge, a moved
    border; yellow). Ids may differ between versions: objects are matched by
    their largest overlap, not by id.
    """
    current, earlier = np.asarray(current), np.asarray(earlier)
    if current.shape != earlier.shape:
        raise ValueError(f"versions differ in shape: {current.shape} and {earlier.shape}")
    now, before = current > 0, earlier > 0
    added, removed = now & ~before, before & ~now
    both = now & before
    reassigned = np.zeros(current.shape, bool)
    if both.any():
        pairs, counts = np.unique(np.stack([earlier[both], current[both]]), axis=1, return_counts=True)
        order = np.lexsort((-counts, pairs[0]))  # per earlier id, its largest overlap first
        first = np.ones(len(order), bool)
        first[1:] = pairs[0][order][1:] != pairs[0][order][:-1]
        successor = dict(zip(pairs[0][order][first].tolist(), pairs[1][order][first].tolist()))
        lookup = np.vectorize(successor.get, otypes=[current.dtype])
        reassigned[both] = lookup(earlier[both]) != current[both]
    rgba = np.zeros((*current.shape, 4), np.uint8)
    for region, colour in ((added, ADDED), (removed, REMOVED), (reassigned, REASSIGNED)):
        rgba[region] = colour
    return rgba, {"added": int(added.sum()), "removed": int(removed.sum()), "reassigned": int(reassigned.sum())}


class ReviewController:
    """Reviewing the labelling session's current sample, without Qt: its
    label history, an earlier version compared with the label on screen,
    and a verdict on the newest version (reviewers and admins). Each
    ``*_call`` captures what it needs, as the session's calls do.

    Parameters
    ----------
    session : LabellingSession
        Whose current sample is reviewed; its annotator is the reviewer.
    """

    def __init__(self, session: LabellingSession):
        self.session = session

    def history_call(self) -> Call:
        """The current sample's label versions, oldest first."""
        selector, sample_id = self.session.client.selector, self.session.require_sample()
        return lambda: selector.label_history(sample_id)

    def compare_call(self, current: np.ndarray, version: int) -> Call:
        """What changed from label ``version`` to ``current``: ``label_diff``'s (RGBA, counts)."""
        selector, sample_id = self.session.client.selector, self.session.require_sample()
        return lambda: label_diff(current, selector.get_sample(sample_id, with_image=False,
                                                               label_version=version).require("label"))

    def review_call(self, accept: bool, comment: str = "") -> Call:
        """Accept or reject the current sample's newest label; the call returns its SampleInfo."""
        selector, reviewer, sample_id = self.session.client.selector, self.session.annotator, \
            self.session.require_sample()
        return lambda: selector.review_label(sample_id, reviewer, accept, comment)

    def rank_call(self, project: str) -> Call:
        """The project's stored labels ranked by how likely each is wrong (the review queue)."""
        inspect = self.session.client.inspect
        return lambda: inspect.rank_label_errors(project)


def verdict_summary(info: SampleInfo) -> str:
    return f"{info.stem}: label v{info.label_version} {info.review}"


def compare_summary(version: int, counts: dict[str, int]) -> str:
    return (f"since v{version}: {counts['added']} px added (green), {counts['removed']} px removed (red), "
            f"{counts['reassigned']} px in another object (yellow)")


__all__ = ["ReviewController", "compare_summary", "label_diff", "verdict_summary"]
