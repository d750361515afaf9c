"""What the main window asks of assist: display pre-processing, pre-labels,
refinement from scribbles, flood fill, click-to-segment, post-processing
and training. Each runs on the worker; a result that arrives after the
annotator moved on is dropped."""

from __future__ import annotations

import time
from labelassist.client.gui.layout import NO_DISPLAY_STEP
from labelassist.client.gui.wording import AUTOMATIC, AUTOMATIC_DETAILS, class_guesses_text, operation_name
from PySide6.QtCore import Qt


class AssistView:
    """The window's assist buttons: ``window`` runs the session's calls and
    drops late results; the panel's choices say what to run."""

    def __init__(self, window):
        self.window, self.panel, self.canvas, self.session = window, window.panel, window.canvas, window.session

    def _run(self, what: str, call, on_done, *rest) -> None:
        self.window.run(what, call, self.window.for_this_sample(on_done), *rest)

    def _mask(self):
        return self.canvas.editor.mask.copy()

    def apply_display(self, *_unused) -> None:
        step = self.panel.display_combo.currentText()
        if self.window.image is None:
            return
        if step == NO_DISPLAY_STEP:
            self.canvas.set_display(self.window.image)
            return
        self._run(f"Display {step}", self.session.display_call(step), self.canvas.set_display)

    def run_prelabel(self) -> None:
        if not self.window.need_sample():
            return
        method = self.panel.method_combo.currentData()  # None: the automatic choice
        call = self.session.prelabel_call(method, self.panel.instances.isChecked())
        self._run(f"Pre-label ({self.panel.method_combo.currentText()})", call, self._on_prelabel)

    def _on_prelabel(self, outcome) -> None:
        self.session.accept_prelabel(outcome)
        automatic = bool(self.window.next_started)
        self.canvas.replace_mask(outcome.mask)
        if automatic:  # the pre-label Next brought is no edit of the annotator's to lose
            self.window.dirty = False
        if self.window.next_started:
            self.window.timings["next_to_prelabel"] = time.perf_counter() - self.window.next_started
            self.window.next_started = 0.0
        ran = operation_name(outcome.method)
        message, details = f"Pre-label: {outcome.object_count} objects by {ran}", " -> ".join(outcome.applied)
        if outcome.classes is not None:
            classes, per_object = class_guesses_text(outcome.classes)
            message, details = f"{message}; {classes}", f"{details}\n{per_object}".strip()
        self.window.statusBar().showMessage(message, 6000 if outcome.classes is None else 15000)
        self.window.statusBar().setToolTip(details)
        if self.panel.method_combo.currentData() is None:  # what the automatic choice really ran
            self.panel.method_combo.setItemText(0, f"{AUTOMATIC}: {ran}")
            self.panel.method_combo.setItemData(0, f"{AUTOMATIC_DETAILS}\nlast run: {' -> '.join(outcome.applied)}",
                                          Qt.ItemDataRole.ToolTipRole)
        self.window.prelabel_shown.emit()

    def refine(self) -> None:
        if not self.window.need_sample():
            return
        scribbles = self.canvas.editor.scribbles.copy()
        if not scribbles.any():
            self.window.statusBar().showMessage("Draw scribbles first (C), then Refine", 5000)
            return
        method = self.panel.refine_combo.currentData() or self.panel.refine_combo.currentText()
        self._run(f"Refine ({self.panel.refine_combo.currentText()})",
                  self.session.refine_call(self._mask(), scribbles, method),
                  self._on_refined)

    def _on_refined(self, mask) -> None:
        self.canvas.replace_mask(mask)
        self.canvas.clear_scribbles()

    def flood_fill(self, row: int, col: int) -> None:
        if not self.window.need_sample():
            return
        self._run("Flood fill", self.session.flood_fill_call(self._mask(), row, col),
                  self.canvas.replace_mask)

    def segment_object(self, request: dict) -> None:
        if not self.window.need_sample():
            return
        label = request["label"]

        def apply(found) -> None:
            self.canvas.apply_segment(label, found.mask, found.top, found.left)
            if not found.area:
                self.window.statusBar().showMessage("The click model found no object there; click nearer its centre, "
                                             "or draw it with the brush", 6000)

        classes = self.session.classes
        object_class = classes.class_of(label) if classes.has_object_classes else ""
        self._run("Click-to-segment", self.session.segment_call(request["clicks"], request["mask"], request["offset"],
                                                                object_class), apply)

    def postprocess(self) -> None:
        if not self.window.need_sample():
            return
        steps = [self.panel.postprocess_list.item(i).text() for i in range(self.panel.postprocess_list.count())
                 if self.panel.postprocess_list.item(i).checkState() == Qt.CheckState.Checked]
        if not steps:
            self.window.statusBar().showMessage("Tick at least one post-processing step", 5000)
            return
        self._run("Post-process", self.session.postprocess_call(self._mask(), steps),
                  self.canvas.replace_mask)

    def apply_fix(self) -> None:
        """Run the selected finding's fix (a post-processing step) on the
        mask as one undo step, then inspect again."""
        row = self.panel.warnings.currentRow()
        fix = self.session.findings[row].fix if 0 <= row < len(self.session.findings) else None
        if fix is None or not self.window.need_sample():
            self.window.statusBar().showMessage("Select a finding that offers a fix", 5000)
            return

        def fixed(mask) -> None:
            self.canvas.replace_mask(mask)
            self.window.inspect()

        self._run(f"Fix ({fix[0]})", self.session.postprocess_call(self._mask(), [fix]),
                  fixed)

    def train(self) -> None:
        if not self.window.project:
            return
        self.panel.train_button.setEnabled(False)
        self.window.run("Training", self.session.train_call(self.window.project), self._on_trained, self._on_training_progress,
                  lambda _: self.panel.train_button.setEnabled(True))

    def _on_training_progress(self, event) -> None:
        self.panel.train_progress.setRange(0, max(event.epochs, 1))
        self.panel.train_progress.setValue(event.epoch)
        self.panel.train_label.setText(f"epoch {event.epoch}/{event.epochs}, loss {event.loss:.3f}, "
                                 f"validation Dice {event.validation_dice:.3f}")

    def _on_trained(self, event) -> None:
        self.panel.train_button.setEnabled(True)
        if event is not None:
            self.panel.train_label.setText(f"{self.panel.train_label.text()}\n{event.message or 'done'}"
                                     + (f" (model v{event.model_version})" if event.model_version else ""))
        self.window.projects.refresh_progress()
