"""The desktop client (``labelassist gui``): one window with the image view,
the tools and the workflow panel (project, Next, display pre-processing,
pre-label, refine, post-process, inspect, submit, train). Every service call
runs on a worker thread; the UI thread only draws."""

from __future__ import annotations

import time

import numpy as np
from labelassist.client.gui.browser import PAGE as BROWSER_PAGE
from labelassist.client.gui.browser import SampleBrowser
from labelassist.client.gui.canvas import LabelCanvas
from labelassist.client.gui.class_panel import ClassView
from labelassist.client.gui.channels import ChannelPanel
from labelassist.client.gui.connection import Connection, saved_connection
from labelassist.client.gui.dialogs import AssistSettingsDialog, InspectionSettingsDialog  # noqa: F401 - public
from labelassist.client.gui.dialogs import NewProjectDialog, SettingsDialog, ShortcutSheet  # noqa: F401 - public
from labelassist.client.gui.layout import NO_DISPLAY_STEP, PRELABEL_SOURCES, STYLE, WorkflowPanel, fit_to_screen
from labelassist.client.gui.layout import set_large_targets
from labelassist.client.gui.admin import ProjectAdminView
from labelassist.client.gui.agreement_view import AgreementView
from labelassist.client.gui.assist_actions import AssistView
from labelassist.client.gui.not_an_error import NotAnErrorButton
from labelassist.client.gui.projects import ProjectsView
from labelassist.client.gui.projects_controller import ProjectsController
from labelassist.client.gui.review import ReviewView
from labelassist.client.session import LabellingSession
from labelassist.client.gui.transfer import TransferView
from labelassist.client.gui.transfer_controller import TransferController
from labelassist.client.gui.versions import ReviewController
from labelassist.client.gui.wiring import wire
from labelassist.client.gui.worker import Calls
from labelassist.client.gui.wording import split_failure
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QListWidgetItem, QMainWindow, QMessageBox, QProgressBar

FIRST_STEPS = ("Pick a project in the Workflow panel, or create one with File ▸ New project… (Ctrl+Shift+N).\n\n"
               "Then press N for the next sample to label, or double-click one in the sample list.\n\n"
               "F1 lists every shortcut.")

STOPS_THE_WORK = ("Next sample", "Open sample", "Display", "Pre-label")  # failures written on the canvas too

__all__ = ["AssistSettingsDialog", "Connection", "MainWindow", "InspectionSettingsDialog", "NewProjectDialog",
           "SettingsDialog", "run_app"]


class MainWindow(QMainWindow):
    """The window composes its widgets (canvas, workflow panel, sample list,
    channels) and one view per concern, each over a Qt-free controller:
    labelling (:class:`LabellingSession`, here), projects, assist, transfer,
    project admin and review; :func:`~labelassist.client.gui.wiring.wire`
    connects the widgets' signals to them."""

    sample_shown = Signal()  # image on screen
    transferred = Signal(object)  # an export's or import's TransferReport
    prelabel_shown = Signal()  # pre-label on screen
    inspected = Signal()
    submit_held = Signal(int)  # warnings that stopped a submit
    project_created = Signal(str)
    project_renamed = Signal(str, str)  # old name, new name
    project_deleted = Signal(str)
    sample_deleted = Signal(int)  # sample id
    inspection_saved = Signal(str)
    assist_saved = Signal(str)  # project whose assist settings were saved
    submitted = Signal(int)  # sample id
    sample_released = Signal(int)  # sample id given back (skipped or released)
    reviewed = Signal(int)  # sample id whose label got a verdict
    compared = Signal(dict)  # pixel counts of the changes since an earlier label version
    lease_renewed = Signal(int)  # sample id whose lease was extended

    def __init__(self, connection: Connection, annotator: str = "annotator", project: str | None = None,
                 next_after_submit: bool = True, settings: QSettings | None = None):
        super().__init__()
        self.setWindowTitle("Label Assistant")
        self.setStyleSheet(STYLE)
        self.connection = connection
        self.client = connection.client()
        self.session = LabellingSession(self.client, annotator)
        self.calls = Calls(self)
        self.dirty = False
        self.last_error: str | None = None
        self.timings: dict[str, float] = {}
        self.next_started = 0.0  # when Next was pressed, until its pre-label shows
        self.named_actions: dict[str, QAction] = {}
        self.canvas = LabelCanvas()
        self.setCentralWidget(self.canvas)
        self.panel = WorkflowPanel(annotator, next_after_submit, self._not_an_error_button, self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.panel)
        self.review = ReviewView(self, ReviewController(self.session))
        self.browser = SampleBrowser(self, self.run, lambda project, token, labelled, **wanted: (
            self.client.samples_page(project, token, BROWSER_PAGE, labelled, **wanted)),
            lambda project: self.review.controller.rank_call(project)())
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.browser)
        self.channel_panel = ChannelPanel(self)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.channel_panel)
        self.projects = ProjectsView(self, ProjectsController(self.client, project))
        self.assist = AssistView(self)
        self.transfer = TransferView(self, TransferController(self.client))
        self.admin = ProjectAdminView(self)
        self.classes = ClassView(self)
        self.agreement = AgreementView(self)
        self.lease_label = QLabel("")
        self.statusBar().addPermanentWidget(self.lease_label)
        self.busy = QProgressBar()
        self.busy.setMaximumWidth(160)
        self.busy.setRange(0, 1)
        self.statusBar().addPermanentWidget(self.busy)
        self.tools, self.menus = wire(self)
        self.canvas.show_message(FIRST_STEPS)
        self._lease_timer = QTimer(self)
        self._lease_timer.timeout.connect(self._tick_lease)
        self._lease_timer.start(1000)
        self._renewing = False
        fit_to_screen(self)
        self.layout_settings = settings if settings is not None else remembered_layout()
        self.restore_layout()  # a remembered geometry, which Qt keeps on the screen
        self.projects.connect_services()

    def _not_an_error_button(self, warnings) -> NotAnErrorButton:
        button = NotAnErrorButton(self.session.answers, warnings, lambda: self.findings, lambda: self.project,
                                  self.annotator_name, self.run)
        self.inspected.connect(button.mark)
        return button

    def reconnect(self, connection: Connection) -> None:
        """Talk to the services at ``connection`` from now on (after Settings)."""
        self.client.close()
        self.connection, self.client = connection, connection.client()
        for controller in (self.session, self.projects.controller, self.transfer.controller):
            controller.client = self.client
        self.session.answers.client = self.client

    # -- the session's state, as the window shows it --------------------------

    @property
    def sample(self):
        """The leased sample's SampleInfo, or None."""
        return self.session.current.sample if self.session.current is not None else None

    @property
    def image(self) -> np.ndarray | None:
        return self.session.current.image if self.session.current is not None else None

    @property
    def prelabel(self) -> np.ndarray | None:
        return self.session.prelabel

    @property
    def findings(self) -> list:
        return self.session.findings

    @property
    def project(self) -> str:
        return self.panel.project

    def annotator_name(self) -> str:
        """Who is labelling, as typed in the panel; the session acts as them."""
        self.session.annotator = self.panel.annotator.text() or "annotator"
        return self.session.annotator

    # -- layout -------------------------------------------------------------

    def action(self, text: str, shortcuts, handler=None, checkable: bool = False) -> QAction:
        """A window action (its shortcuts work anywhere in the window), named for the shortcut sheet."""
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(s) for s in ([shortcuts] if isinstance(shortcuts, str) else shortcuts)])
        action.setCheckable(checkable)
        if handler is not None:
            action.triggered.connect(handler)
        self.addAction(action)
        self.named_actions.setdefault(text.split(" (")[0], action)
        return action

    def _tick_lease(self) -> None:
        """Show the lease time left, and renew the lease while the sample is
        open once half of it has passed."""
        left = self.session.lease_left()
        if left is None:
            self.lease_label.setText("")
            return
        minutes, seconds = divmod(max(int(left), 0), 60)
        self.lease_label.setText(f"lease {minutes}:{seconds:02d} left" if left > 0 else "lease expired")
        if self.session.needs_renewal() and not self._renewing:
            self._renewing = True
            sample_id = self.session.sample_id

            def renewed(expires_at) -> None:
                self._renewing = False
                if not self.session.is_current(sample_id):
                    return
                if expires_at is None:
                    self.statusBar().showMessage("The lease on this sample has ended: Submit still stores the "
                                                 "label unless someone else leased it; Next leases another", 8000)
                    self.session.current.expires_at = 0.0
                else:
                    self.session.current.expires_at = expires_at
                    self.lease_renewed.emit(sample_id)

            self.run("Renew lease", self.session.renew_call(), renewed, on_error=lambda _: setattr(
                self, "_renewing", False))

    def show_shortcuts(self) -> None:
        dialog = ShortcutSheet(self.menus + [("Classes", self.classes.key_actions)], self)
        if self.interactive():
            dialog.exec()
        else:
            dialog.show()
        self.shortcut_sheet = dialog

    def show_about(self) -> None:
        QMessageBox.about(self, "Label Assistant", "Label Assistant: assisted segmentation labelling.\n"
                          f"Services: selector {self.connection.selector}, assist {self.connection.assist}, "
                          f"inspect {self.connection.inspect}.")

    def set_large_targets(self, on: bool) -> None:
        set_large_targets(self, on)
        self.named_actions["Large targets for touch"].setChecked(on)

    def interactive(self) -> bool:
        """A person is looking: dialogs may ask (never in headless runs and tests)."""
        return self.isVisible() and QApplication.platformName() not in ("offscreen", "minimal")

    def run(self, what: str, function, on_done, on_progress=None, on_error=None, failures=None) -> None:
        """Run ``function`` on a worker; ``failures`` words some statuses for this action."""
        self.statusBar().showMessage(f"{what} …")

        def failed(message: str) -> None:
            self.last_error = f"{what}: {message}"
            plain, details = split_failure(message, failures)
            self.statusBar().showMessage(f"{what} failed: {plain.splitlines()[0]}")
            self.statusBar().setToolTip(details)
            if what.startswith(STOPS_THE_WORK):
                on_sample = "\n\nSkip (K) passes on this sample; Release gives it back." if self.sample else ""
                self.canvas.show_message(f"{what} failed: {plain}{on_sample}\n\n(click to close)")
            if on_error is not None:
                on_error(message)
            if self.interactive():
                box = QMessageBox(QMessageBox.Icon.Warning, f"{what} failed", plain, parent=self)
                box.setDetailedText(details)  # the status and the services' own words, for the analyst
                box.exec()

        def done(value) -> None:
            self.statusBar().showMessage(f"{what}: done", 4000)
            on_done(value)
        self.calls.run(function, done, failed, on_progress)

    def for_this_sample(self, callback):
        """Wrap a result handler so a result that arrives after the annotator
        moved on to another sample is dropped, not applied to the wrong one."""
        sample_id = self.session.sample_id

        def apply(value) -> None:
            if self.session.is_current(sample_id):
                callback(value)
            else:
                self.statusBar().showMessage("A result for the previous sample arrived late and was dropped", 4000)
        return apply

    def need_sample(self) -> bool:
        if self.sample is None or self.canvas.editor is None:
            self.statusBar().showMessage("No sample: press Next first", 4000)
            return False
        return True

    def set_tool(self, tool: str) -> None:
        self.canvas.set_tool(tool)
        self.tools.tool_actions[tool].setChecked(True)

    def on_edited(self) -> None:
        self.dirty = True
        self.named_actions["Undo"].setEnabled(self.canvas.editor.can_undo)
        self.named_actions["Redo"].setEnabled(self.canvas.editor.can_redo)

    def next_sample(self) -> None:
        if not self.project:
            self.statusBar().showMessage("No project: create one with New project… (Ctrl+Shift+N)", 6000)
            return
        self._show("Next sample", self.session.lease_call(self.project))

    def open_sample(self, sample_id: int) -> None:
        """Open a sample from the sample list, with its latest label (no
        lease is taken; Submit stores the label's next version)."""
        self._show("Open sample", self.session.open_call(sample_id))

    def _show(self, what: str, call) -> None:
        """Fetch a sample and show it, once the annotator agrees to leave unsubmitted edits."""
        if self.dirty and self.interactive():
            answer = QMessageBox.question(self, "Unsubmitted edits",
                                          "This label has edits that are not submitted. Leave it anyway?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.annotator_name()
        self.next_started = time.perf_counter()
        self.run(what, call, self._on_sample)

    def skip_sample(self) -> None:
        """Pass on this sample (with the reason typed, if any) and lease the next one."""
        self._give_back(skip=True)

    def release_sample(self) -> None:
        """Give this sample back to the pool without labelling it."""
        self._give_back(skip=False)

    def _give_back(self, skip: bool) -> None:
        # No image needed: a sample that cannot be shown must still be given back.
        if self.sample is None:
            self.statusBar().showMessage("No sample to give back: press Next first", 4000)
            return
        sample = self.sample
        self.annotator_name()
        call = self.session.release_call(skip, self.panel.skip_reason.text().strip())

        def released(_held) -> None:
            self.statusBar().showMessage(f"{'skipped' if skip else 'released'} {sample.stem}", 6000)
            self.panel.skip_reason.clear()
            if self.session.is_current(sample.sample_id):
                self.session.forget()
            self.dirty = False
            self.panel.clear_sample()
            self.sample_released.emit(sample.sample_id)
            if skip:
                self.next_sample()

        self.run("Skip" if skip else "Release", call, released)

    def leave_sample(self) -> None:
        """Nothing is current: the sample was deleted, or its project."""
        self.session.forget()
        self.dirty = False
        self.panel.clear_sample()

    def _on_sample(self, leased) -> None:
        self.session.show(leased)
        if leased is None:
            self.canvas.show_message("Every sample of this project is labelled or leased to someone.\n\n"
                                     "Open any sample from the sample list to review or fix its label.")
            self.panel.sample_label.setText("every sample is labelled or leased")
            self.statusBar().showMessage("Nothing left to label in this project", 6000)
            return
        self.canvas.show_sample(leased.image, leased.shown_mask)
        self.channel_panel.show_image(leased.image, list(leased.sample.origin.channel_names))
        self.dirty = False
        self.panel.warnings.clear()
        how = "picked for you" if leased.leased else leased.strategy
        self.panel.sample_label.setToolTip(f"leased via the {leased.strategy or 'default'} strategy" if leased.leased
                                     else "")
        version = f", label v{self.sample.label_version}" if self.sample.labeled else ""
        if self.sample.review:
            comment = f": {self.sample.review_comment}" if self.sample.review_comment else ""
            version += f" {self.sample.review} by {self.sample.reviewer}{comment}"
        self.panel.sample_label.setText(f"{self.sample.stem} (#{self.sample.sample_id}, sequence "
                                  f"{self.sample.sequence or '–'}{version}), {how}")
        self.timings["next_to_image"] = time.perf_counter() - self.next_started
        suspected = self.browser.suspect_boxes(self.sample.sample_id)
        if suspected:  # opened from the review queue: outline where the label is likely wrong
            self.canvas.highlight(suspected)
            top = self.browser.suspects[self.sample.sample_id][0]
            self.statusBar().showMessage(f"likely error ({top.score:.2f}): {top.reason}", 15000)
        self.review.load_versions()
        self.sample_shown.emit()
        if self.panel.display_combo.currentText() != NO_DISPLAY_STEP:
            self.assist.apply_display()
        if leased.shown_mask is None and self.panel.auto_prelabel.isChecked():
            self.assist.run_prelabel()

    def inspect(self) -> None:
        if not self.need_sample():
            return
        mask = self.canvas.editor.mask.copy()
        self.run("Inspect", self.session.inspect_call(mask, self.project),
                  self.for_this_sample(lambda report: self._on_inspected(report, mask)))

    def _on_inspected(self, report, mask: np.ndarray) -> list:
        """Show the findings; returns the warnings that hold a submit."""
        held = self.session.accept_inspection(report, mask)
        self.panel.warnings.clear()
        for finding in self.findings:
            severity = finding.severity.label
            sure = f" {finding.confidence:.2f}" if finding.confidence < 1 else ""
            fix = f"  [fix: {finding.fix[0]}]" if finding.fix else ""
            item = QListWidgetItem(f"[{severity}{sure}] {finding.criterion}: {finding.message}{fix}")
            item.setForeground({"error": Qt.GlobalColor.red, "warning": Qt.GlobalColor.darkYellow}
                               .get(severity, Qt.GlobalColor.gray))
            self.panel.warnings.addItem(item)
        if not self.findings:
            self.panel.warnings.addItem(f"no warnings ({len(report.checked)} criteria checked)")
        if report.prelabel_source or report.prelabel_note:
            # After the findings, so list rows still match self.findings.
            against = PRELABEL_SOURCES.get(report.prelabel_source, report.prelabel_source)
            text = f"agreement checked against the {against}" if report.prelabel_source else ""
            source = QListWidgetItem(report.prelabel_note if not text else
                                     f"{text} ({report.prelabel_note})" if report.prelabel_note else text)
            source.setForeground(Qt.GlobalColor.gray)
            self.panel.warnings.addItem(source)
        self.canvas.clear_highlights()
        self.inspected.emit()
        return held

    def show_finding(self, row: int) -> None:
        fix = self.findings[row].fix if 0 <= row < len(self.findings) else None
        self.panel.fix_button.setEnabled(fix is not None)
        self.panel.fix_button.setText(f"Apply fix: {fix[0]}  (Shift+F)" if fix else "Apply fix  (Shift+F)")
        if 0 <= row < len(self.findings):
            boxes = [(b.start[0], b.start[1], b.stop[0], b.stop[1]) for b in self.findings[row].boxes
                     if len(b.start) >= 2]
            self.canvas.highlight(boxes)

    def submit(self) -> None:
        """Store the label; first inspect it, unless the annotator has already
        seen the warnings about exactly this mask. When the inspection warns,
        the warnings show and nothing is stored: fix them, or Submit again."""
        if not self.need_sample():
            return
        mask = self.canvas.editor.mask.copy()
        if self.panel.inspect_before_submit.isChecked() and not self.session.has_seen_inspection_of(mask):
            def checked(report) -> None:
                alarms = self._on_inspected(report, mask)
                if alarms:
                    self.statusBar().showMessage(f"Not submitted: {len(alarms)} warning(s). Fix them, or press "
                                                 "Submit again to store the label as it is", 10000)
                    self.submit_held.emit(len(alarms))
                else:
                    self._store(mask)
            self.run("Inspect before submitting", self.session.inspect_call(mask, self.project),
                      self.for_this_sample(checked))
            return
        self._store(mask)

    def _store(self, mask: np.ndarray) -> None:
        sample_id = self.session.sample_id
        self.annotator_name()
        self.run("Submit", self.session.store_call(mask, self.project), lambda version: self._on_submitted(sample_id, version))

    def _on_submitted(self, sample_id: int, version) -> None:
        self.dirty = False
        self.statusBar().showMessage(f"Submitted sample #{sample_id}, label version {version.version}", 6000)
        self.browser.mark(sample_id, int(version.version))
        self.submitted.emit(sample_id)
        self.projects.refresh_progress()
        if self.panel.auto_next.isChecked():
            self.next_sample()

    def closeEvent(self, event) -> None:
        if self.dirty and self.interactive():
            answer = QMessageBox.question(self, "Unsubmitted edits",
                                          "This label has edits that are not submitted. Quit anyway?")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.save_layout()
        self.calls.pool.waitForDone(2000)
        self.client.close()
        event.accept()

    # -- the window's layout, kept between sessions ------------------------------

    def save_layout(self) -> None:
        """Size, position, docks and tool bar, and large targets, for the next start."""
        if self.layout_settings is None:
            return
        self.layout_settings.setValue("window/geometry", self.saveGeometry())
        self.layout_settings.setValue("window/state", self.saveState())
        self.layout_settings.setValue("window/large_targets",
                                      self.named_actions["Large targets for touch"].isChecked())
        self.layout_settings.sync()

    def restore_layout(self) -> None:
        if self.layout_settings is None:
            return
        geometry = self.layout_settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.layout_settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        if self.layout_settings.value("window/large_targets", False, type=bool):
            self.set_large_targets(True)


def remembered_layout() -> QSettings | None:
    """Where a window on a real screen keeps its layout (the user's Qt
    settings); none for headless runs, whose windows start as built."""
    if QApplication.platformName() in ("offscreen", "minimal"):
        return None
    return QSettings("LabelAssistant", "desktop-client")


def run_app(connection: Connection, annotator: str, project: str | None, use_saved: bool = False,
            large_targets: bool = False) -> int:
    app = QApplication.instance() or QApplication([])
    app.setApplicationName("Label Assistant")
    window = MainWindow(saved_connection(connection) if use_saved else connection, annotator, project)
    if large_targets:  # without the flag, the remembered layout decides
        window.set_large_targets(True)
    window.show()
    return app.exec()
