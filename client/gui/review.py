"""Reviewing in the window: the "Changes since" choice (an earlier label
version of the opened sample, its changes overlaid) and Accept / Reject
with a comment. The calls are :class:`~labelassist.client.gui.versions.ReviewController`'s."""

from __future__ import annotations

from labelassist.client.gui.versions import ReviewController, compare_summary, verdict_summary


NONE = "none"


class ReviewView:
    """``window`` runs the calls and drops results for a sample left behind."""

    def __init__(self, window, controller: ReviewController):
        self.window, self.panel, self.controller = window, window.panel, controller

    def load_versions(self) -> None:
        """List the opened sample's earlier label versions (after it is shown)."""
        window, combo = self.window, self.panel.compare_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(NONE)
        combo.blockSignals(False)
        window.canvas.clear_diff()
        if window.sample is None or not window.sample.labeled:
            return

        def listed(history) -> None:
            combo.blockSignals(True)
            for version in history[:-1]:  # the newest is on screen
                combo.addItem(f"v{version.version} by {version.annotator}", version.version)
            combo.blockSignals(False)

        window.run("Label history", self.controller.history_call(), window.for_this_sample(listed))

    def compare_with(self, index: int) -> None:
        window = self.window
        version = self.panel.compare_combo.itemData(index)
        if not version:
            window.canvas.clear_diff()
            return

        def shown(compared) -> None:
            rgba, counts = compared
            window.canvas.show_diff(rgba)
            window.statusBar().showMessage(compare_summary(version, counts), 15000)
            window.compared.emit(counts)

        window.run(f"Label v{version}", self.controller.compare_call(window.canvas.editor.mask.copy(), version),
                   window.for_this_sample(shown))

    def review(self, accept: bool) -> None:
        """Accept or reject the opened sample's newest label, with the comment typed."""
        window = self.window
        if window.sample is None or not window.sample.labeled:
            window.statusBar().showMessage("Open a labelled sample from the sample list to review it", 5000)
            return
        window.annotator_name()
        sample_id, comment = window.sample.sample_id, self.panel.review_comment.text().strip()

        def reviewed(info) -> None:
            self.panel.review_comment.clear()
            window.browser.mark(sample_id, state=info.review, comment=f"{info.reviewer}: {info.review_comment}")
            window.statusBar().showMessage(verdict_summary(info), 6000)
            window.reviewed.emit(sample_id)

        window.run("Review", self.controller.review_call(accept, comment), reviewed)
