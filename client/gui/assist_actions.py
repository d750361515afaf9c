"""What the main window asks of assist: display pre-processing, pre-labels,
refinement from scribbles, flood fill, click-to-segment, post-processing
and training. Each runs on the worker; a result that arrives after the
annotator moved on is dropped."""

from __future__ import annotations

import time

from labelassist.client.gui.layout import NO_DISPLAY_STEP
from labelassist.client.gui.wording import AUTOMATIC, AUTOMATIC_DETAILS, operation_name
from PySide6.QtCore import Qt


class AssistActions:
    """Assist calls of :class:`~labelassist.client.gui.app.MainWindow`."""

    def apply_display(self, *_unused) -> None:
        step = self.display_combo.currentText()
        if self.image is None:
            return
        if step == NO_DISPLAY_STEP:
            self.canvas.set_display(self.image)
            return
        self._run(f"Display {step}", self.session.display_call(step), self._for_this_sample(self.canvas.set_display))

    def run_prelabel(self) -> None:
        if not self._need_sample():
            return
        method = self.method_combo.currentData()  # None: the automatic choice
        call = self.session.prelabel_call(method, self.instances.isChecked())
        self._run(f"Pre-label ({self.method_combo.currentText()})", call, self._for_this_sample(self._on_prelabel))

    def _on_prelabel(self, outcome) -> None:
        self.session.accept_prelabel(outcome)
        automatic = bool(self._next_started)
        self.canvas.replace_mask(outcome.mask)
        if automatic:  # the pre-label Next brought is no edit of the annotator's to lose
            self.dirty = False
        if self._next_started:
            self.timings["next_to_prelabel"] = time.perf_counter() - self._next_started
            self._next_started = 0.0
        ran = operation_name(outcome.method)
        self.statusBar().showMessage(f"Pre-label: {outcome.object_count} objects by {ran}", 6000)
        self.statusBar().setToolTip(" -> ".join(outcome.applied))
        if self.method_combo.currentData() is None:  # what the automatic choice really ran
            self.method_combo.setItemText(0, f"{AUTOMATIC}: {ran}")
            self.method_combo.setItemData(0, f"{AUTOMATIC_DETAILS}\nlast run: {' -> '.join(outcome.applied)}",
                                          Qt.ItemDataRole.ToolTipRole)
        self.prelabel_shown.emit()

    def refine(self) -> None:
        if not self._need_sample():
            return
        scribbles = self.canvas.editor.scribbles.copy()
        if not scribbles.any():
            self.statusBar().showMessage("Draw scribbles first (C), then Refine", 5000)
            return
        method = self.refine_combo.currentData() or self.refine_combo.currentText()
        self._run(f"Refine ({self.refine_combo.currentText()})",
                  self.session.refine_call(self.canvas.editor.mask.copy(), scribbles, method),
                  self._for_this_sample(self._on_refined))

    def _on_refined(self, mask) -> None:
        self.canvas.replace_mask(mask)
        self.canvas.clear_scribbles()

    def flood_fill(self, row: int, col: int) -> None:
        if not self._need_sample():
            return
        self._run("Flood fill", self.session.flood_fill_call(self.canvas.editor.mask.copy(), row, col),
                  self._for_this_sample(self.canvas.replace_mask))

    def segment_object(self, request: dict) -> None:
        if not self._need_sample():
            return
        label = request["label"]

        def apply(found) -> None:
            self.canvas.apply_segment(label, found.mask, found.top, found.left)
            if not found.area:
                self.statusBar().showMessage("The click model found no object there; click nearer its centre, "
                                             "or draw it with the brush", 6000)

        self._run("Click-to-segment", self.session.segment_call(request["clicks"], request["mask"], request["offset"]),
                  self._for_this_sample(apply))

    def postprocess(self) -> None:
        if not self._need_sample():
            return
        steps = [self.postprocess_list.item(i).text() for i in range(self.postprocess_list.count())
                 if self.postprocess_list.item(i).checkState() == Qt.CheckState.Checked]
        if not steps:
            self.statusBar().showMessage("Tick at least one post-processing step", 5000)
            return
        self._run("Post-process", self.session.postprocess_call(self.canvas.editor.mask.copy(), steps),
                  self._for_this_sample(self.canvas.replace_mask))

    def apply_fix(self) -> None:
        """Run the selected finding's fix (a post-processing step) on the
        mask as one undo step, then inspect again."""
        row = self.warnings.currentRow()
        fix = self.findings[row].fix if 0 <= row < len(self.findings) else None
        if fix is None or not self._need_sample():
            self.statusBar().showMessage("Select a finding that offers a fix", 5000)
            return

        def fixed(mask) -> None:
            self.canvas.replace_mask(mask)
            self.inspect()

        self._run(f"Fix ({fix[0]})", self.session.postprocess_call(self.canvas.editor.mask.copy(), [fix]),
                  self._for_this_sample(fixed))

    def train(self) -> None:
        if not self.project:
            return
        self.train_button.setEnabled(False)
        self._run("Training", self.session.train_call(self.project), self._on_trained, self._on_training_progress,
                  lambda _: self.train_button.setEnabled(True))

    def _on_training_progress(self, event) -> None:
        self.train_progress.setRange(0, max(event.epochs, 1))
        self.train_progress.setValue(event.epoch)
        self.train_label.setText(f"epoch {event.epoch}/{event.epochs}, loss {event.loss:.3f}, "
                                 f"validation Dice {event.validation_dice:.3f}")

    def _on_trained(self, event) -> None:
        self.train_button.setEnabled(True)
        if event is not None:
            self.train_label.setText(f"{self.train_label.text()}\n{event.message or 'done'}"
                                     + (f" (model v{event.model_version})" if event.model_version else ""))
        self.refresh_progress()
