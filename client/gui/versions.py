"""Label history in the desktop client: compare the label on screen with an
earlier version of it, as an overlay of what changed (a reviewer sees at a
glance what the annotator's new version did)."""

from __future__ import annotations

import numpy as np

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


class VersionCompare:
    """The window's "compare with" choice: the opened sample's earlier label
    versions; picking one overlays what changed since (pick "none" to hide)."""

    NONE = "none"

    def load_versions(self) -> None:
        """List the opened sample's label versions (after it is shown)."""
        self.compare_combo.blockSignals(True)
        self.compare_combo.clear()
        self.compare_combo.addItem(self.NONE)
        self.compare_combo.blockSignals(False)
        self.canvas.clear_diff()
        if self.sample is None or not self.sample.labeled:
            return

        def listed(history) -> None:
            self.compare_combo.blockSignals(True)
            for version in history[:-1]:  # the newest is on screen
                self.compare_combo.addItem(f"v{version.version} by {version.annotator}", version.version)
            self.compare_combo.blockSignals(False)

        self._run("Label history", self.session.history_call(), self._for_this_sample(listed))

    def compare_with(self, index: int) -> None:
        version = self.compare_combo.itemData(index)
        if not version:
            self.canvas.clear_diff()
            return
        current = self.canvas.editor.mask.copy()

        def shown(earlier) -> None:
            rgba, counts = label_diff(current, earlier)
            self.canvas.show_diff(rgba)
            self.statusBar().showMessage(
                f"since v{version}: {counts['added']} px added (green), {counts['removed']} px removed (red), "
                f"{counts['reassigned']} px in another object (yellow)", 15000)
            self.compared.emit(counts)

        self._run(f"Label v{version}", self.session.version_call(version), self._for_this_sample(shown))
