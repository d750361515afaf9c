"""The desktop client (``labelassist gui``): one window with the image view,
the tools and the workflow panel (project, Next, display pre-processing,
pre-label, refine, post-process, inspect, submit, train). Every service call
runs on a worker thread; the UI thread only draws."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDockWidget, QFormLayout, QGroupBox,
    QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QMainWindow, QMessageBox, QProgressBar,
    QPushButton, QScrollArea, QSlider, QSpinBox, QTableWidget, QTableWidgetItem, QToolBar, QVBoxLayout, QWidget,
)

from labelassist.client.gui.canvas import LabelCanvas
from labelassist.client.gui.worker import Calls
from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.proto.v1 import inspect_pb2
from labelassist.runtime.registry import parse_call, value_from_proto

DEFAULT_PRELABEL = "default pipeline"
NO_DISPLAY_STEP = "none"
DEFAULT_POSTPROCESS = ("fill_holes", "remove_small_objects")
PRELABEL_SOURCES = {"sent": "pre-label shown", "unet": "served U-Net's pre-label",
                    "classical": "classical default pre-label"}
STYLE = """
QPushButton, QToolButton, QComboBox, QLineEdit, QSpinBox { min-height: 36px; font-size: 13px; }
QListWidget { font-size: 13px; }
"""


@dataclass(frozen=True)
class Connection:
    """Where the services are and how to authenticate: the settings dialog edits it."""
    selector: str
    assist: str
    inspect: str
    token: str = ""
    tls_root: str = ""

    @classmethod
    def from_addresses(cls, addresses: ServiceAddresses, token: str = "", tls_root: str = "") -> Connection:
        return cls(addresses.selector, addresses.assist, addresses.inspect, token or "", tls_root or "")

    def client(self) -> LabelAssistClient:
        return LabelAssistClient(ServiceAddresses(self.selector, self.assist, self.inspect),
                                 token=self.token or None, tls_root=self.tls_root or None, timeout=300)


class SettingsDialog(QDialog):
    def __init__(self, connection: Connection, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Connection")
        form = QFormLayout(self)
        self.fields = {name: QLineEdit(getattr(connection, name)) for name in
                       ("selector", "assist", "inspect", "token", "tls_root")}
        self.fields["token"].setEchoMode(QLineEdit.EchoMode.Password)
        labels = {"selector": "Selector address", "assist": "Assist address", "inspect": "Inspect address",
                  "token": "Token", "tls_root": "TLS root certificate (PEM file)"}
        for name, field in self.fields.items():
            form.addRow(labels[name], field)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def connection(self) -> Connection:
        return Connection(**{name: field.text().strip() for name, field in self.fields.items()})


class NewProjectDialog(QDialog):
    """Name, selection strategy and, optionally, a local folder whose images
    (and labels, for a dataset folder) become the project's samples."""

    def __init__(self, strategies: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("New project")
        form = QFormLayout(self)
        self.name = QLineEdit()
        self.strategy = QComboBox()
        self.strategy.addItems(strategies)
        if "sequence_aware" in strategies:
            self.strategy.setCurrentText("sequence_aware")
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("a folder of TIFF/PNG images, or a dataset folder (images/, labels/)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        form.addRow("Name", self.name)
        form.addRow("Strategy", self.strategy)
        form.addRow("Images", row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        folder = QFileDialog.getExistingDirectory(self, "Folder of images")
        if folder:
            self.folder.setText(folder)


class InspectionSettingsDialog(QDialog):
    """A project's inspection settings as a table: one row per criterion,
    ticked when it applies, with its parameters as ``key=value, …`` (the
    tooltip lists the parameters and their defaults)."""

    def __init__(self, project: str, criteria, settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Inspection settings of {project}")
        self.resize(640, 480)
        layout = QVBoxLayout(self)
        given = {call.name: ", ".join(f"{k}={value_from_proto(v)}" for k, v in sorted(call.parameters.items()))
                 for call in settings.criteria}
        self.table = QTableWidget(len(criteria), 2)
        self.table.setHorizontalHeaderLabels(["criterion (ticked: applies)", "parameters (key=value, …)"])
        self.table.horizontalHeader().setStretchLastSection(True)
        for row, spec in enumerate(criteria):
            name = QTableWidgetItem(spec.name)
            name.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            name.setCheckState(Qt.CheckState.Unchecked if spec.name in settings.disabled else Qt.CheckState.Checked)
            defaults = "; ".join(f"{p.name} (default {value_from_proto(p.default_value)}): {p.description}"
                                 for p in spec.parameters)
            name.setToolTip(f"{spec.description}\n{defaults}")
            parameters = QTableWidgetItem(given.get(spec.name, ""))
            parameters.setToolTip(defaults)
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, parameters)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def settings(self) -> tuple[list[tuple[str, dict[str, str]]], list[str]]:
        """(criteria with parameters, disabled criteria); ValueError names a
        malformed entry (the selector checks names and values)."""
        criteria, disabled = [], []
        for row in range(self.table.rowCount()):
            name = self.table.item(row, 0).text()
            if self.table.item(row, 0).checkState() != Qt.CheckState.Checked:
                disabled.append(name)
            text = self.table.item(row, 1).text().strip()
            if text:
                criteria.append(parse_call(f"{name}:{text}"))
        return criteria, disabled


def _button(text: str, shortcut: str, handler: Callable[[], None]) -> QPushButton:
    button = QPushButton(f"{text}  ({shortcut})" if shortcut else text)
    button.clicked.connect(handler)
    return button


class MainWindow(QMainWindow):
    sample_shown = Signal()  # image on screen
    prelabel_shown = Signal()  # pre-label on screen
    inspected = Signal()
    submit_held = Signal(int)  # warnings that stopped a submit
    project_created = Signal(str)
    inspection_saved = Signal(str)
    submitted = Signal(int)  # sample id

    def __init__(self, connection: Connection, annotator: str = "annotator", project: str | None = None,
                 next_after_submit: bool = True):
        super().__init__()
        self.setWindowTitle("Label Assistant")
        self.setStyleSheet(STYLE)
        self.connection = connection
        self.client = connection.client()
        self.calls = Calls(self)
        self.sample = None  # the leased SampleInfo
        self.image: np.ndarray | None = None
        self.prelabel: np.ndarray | None = None
        self.findings = []
        self.inspected_mask = None  # the mask the shown warnings are about
        self.dirty = False
        self.last_error: str | None = None
        self.timings: dict[str, float] = {}
        self._next_started = 0.0

        self.canvas = LabelCanvas()
        self.canvas.edited.connect(self._on_edited)
        self.canvas.flood_requested.connect(self.flood_fill)
        self.setCentralWidget(self.canvas)
        self._build_tools()
        self._build_panel(annotator, next_after_submit)
        self.busy = QProgressBar()
        self.busy.setMaximumWidth(160)
        self.busy.setRange(0, 1)
        self.statusBar().addPermanentWidget(self.busy)
        self.calls.busy_changed.connect(lambda n: self.busy.setRange(0, 0 if n else 1))
        self.resize(1400, 900)
        self._wanted_project = project
        self.strategies: list[str] = []
        self.connect_services()

    # -- layout -------------------------------------------------------------

    def _action(self, text: str, shortcuts, handler, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(s) for s in ([shortcuts] if isinstance(shortcuts, str) else shortcuts)])
        action.setCheckable(checkable)
        action.triggered.connect(handler)
        self.addAction(action)
        return action

    def _build_tools(self) -> None:
        bar = QToolBar("Tools")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        group = QActionGroup(self)
        self.tool_actions = {}
        for tool, text, key in (("pan", "Pan/zoom", "V"), ("brush", "Brush", "B"), ("eraser", "Eraser", "E"),
                                ("polygon", "Polygon/lasso", "L"), ("flood", "Flood fill", "F"),
                                ("scribble", "Scribbles", "C")):
            action = self._action(f"{text} ({key})", key, lambda _=False, t=tool: self.set_tool(t), checkable=True)
            action.setToolTip({"brush": "Drag to paint; from inside an object it grows that object, Shift "
                                        "starts a new one, right-drag erases",
                               "polygon": "Click corners and double-click (or Enter) to fill; or drag a lasso",
                               "flood": "Click: grow a region of similar intensity (through assist)",
                               "scribble": "Drag green on the object, right-drag red on background; then Refine"}
                              .get(tool, text))
            group.addAction(action)
            bar.addAction(action)
            self.tool_actions[tool] = action
        self.tool_actions["pan"].setChecked(True)
        bar.addSeparator()
        bar.addWidget(QLabel(" Size "))
        self.brush_size = QSpinBox()
        self.brush_size.setRange(1, 200)
        self.brush_size.setValue(int(self.canvas.brush_radius))
        self.brush_size.valueChanged.connect(lambda v: setattr(self.canvas, "brush_radius", float(v)))
        bar.addWidget(self.brush_size)
        self._action("Smaller brush", "[", lambda: self.brush_size.setValue(max(1, self.brush_size.value() - 2)))
        self._action("Larger brush", "]", lambda: self.brush_size.setValue(self.brush_size.value() + 2))
        bar.addWidget(QLabel(" Opacity "))
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(45)
        self.opacity.setMaximumWidth(140)
        self.opacity.valueChanged.connect(lambda v: self.canvas.set_opacity(v / 100))
        bar.addWidget(self.opacity)
        self._action("Toggle overlay", "H",
                     lambda: self.opacity.setValue(0 if self.opacity.value() else 45))
        bar.addSeparator()
        self.undo_action = self._action("Undo", "Ctrl+Z", self.canvas.undo)
        self.redo_action = self._action("Redo", ["Ctrl+Shift+Z", "Ctrl+Y"], self.canvas.redo)
        bar.addAction(self.undo_action)
        bar.addAction(self.redo_action)
        self._action("Close polygon", ["Return", "Enter"], self.canvas.close_polygon)
        bar.addSeparator()
        bar.addAction(self._action("New project…", "Ctrl+Shift+N", self.open_new_project))
        bar.addAction(self._action("Inspection settings…", "Ctrl+Shift+I", self.open_inspection_settings))
        bar.addAction(self._action("Settings…", "Ctrl+,", self.open_settings))

    def _build_panel(self, annotator: str, next_after_submit: bool) -> None:
        panel = QWidget()
        layout = QVBoxLayout(panel)

        project_box = QGroupBox("Project")
        form = QFormLayout(project_box)
        self.project_combo = QComboBox()
        self.project_combo.currentTextChanged.connect(lambda _: self.refresh_progress())
        form.addRow("Project", self.project_combo)
        self.annotator = QLineEdit(annotator)
        form.addRow("Annotator", self.annotator)
        self.progress_label = QLabel("–")
        self.progress_bar = QProgressBar()
        form.addRow("Labelled", self.progress_label)
        form.addRow(self.progress_bar)
        self.next_button = _button("Next sample", "N", self.next_sample)
        form.addRow(self.next_button)
        self.auto_prelabel = QCheckBox("Pre-label on Next")
        self.auto_prelabel.setChecked(True)
        self.auto_next = QCheckBox("Next after Submit")
        self.auto_next.setChecked(next_after_submit)
        form.addRow(self.auto_prelabel)
        form.addRow(self.auto_next)
        self.sample_label = QLabel("no sample")
        self.sample_label.setWordWrap(True)
        form.addRow(self.sample_label)
        layout.addWidget(project_box)

        assist_box = QGroupBox("Assist")
        form = QFormLayout(assist_box)
        self.display_combo = QComboBox()
        self.display_combo.addItem(NO_DISPLAY_STEP)
        self.display_combo.currentTextChanged.connect(self.apply_display)
        form.addRow("Display", self.display_combo)
        self.method_combo = QComboBox()
        self.method_combo.addItem(DEFAULT_PRELABEL)
        form.addRow("Method", self.method_combo)
        self.instances = QCheckBox("One id per object")
        self.instances.setChecked(True)
        self.instances.setToolTip("Number connected objects as instances (relabel), so each has its own colour")
        form.addRow(self.instances)
        self.prelabel_button = _button("Pre-label", "P", self.run_prelabel)
        form.addRow(self.prelabel_button)
        self.refine_combo = QComboBox()
        form.addRow("Refine", self.refine_combo)
        row = QHBoxLayout()
        self.refine_button = _button("Refine", "R", self.refine)
        row.addWidget(self.refine_button)
        row.addWidget(_button("Clear scribbles", "", self.canvas.clear_scribbles))
        form.addRow(row)
        self.postprocess_list = QListWidget()
        self.postprocess_list.setMaximumHeight(110)
        form.addRow("Post-process", self.postprocess_list)
        self.postprocess_button = _button("Post-process", "O", self.postprocess)
        form.addRow(self.postprocess_button)
        layout.addWidget(assist_box)

        inspect_box = QGroupBox("Inspect")
        box = QVBoxLayout(inspect_box)
        self.inspect_button = _button("Inspect", "I", self.inspect)
        box.addWidget(self.inspect_button)
        self.warnings = QListWidget()
        self.warnings.setWordWrap(True)
        self.warnings.currentRowChanged.connect(self.show_finding)
        box.addWidget(self.warnings, 1)
        self.inspect_before_submit = QCheckBox("Inspect before submitting")
        self.inspect_before_submit.setChecked(True)
        self.inspect_before_submit.setToolTip("Submit runs the inspection first; when it warns, the warnings "
                                              "show and a second Submit stores the label as it is")
        box.addWidget(self.inspect_before_submit)
        self.submit_button = _button("Submit", "Ctrl+S", self.submit)
        box.addWidget(self.submit_button)
        layout.addWidget(inspect_box, 1)

        model_box = QGroupBox("Model")
        box = QVBoxLayout(model_box)
        self.train_button = _button("Train on this project's labels", "", self.train)
        self.train_progress = QProgressBar()
        self.train_label = QLabel("")
        box.addWidget(self.train_button)
        box.addWidget(self.train_progress)
        box.addWidget(self.train_label)
        layout.addWidget(model_box)

        for text, key, handler in (("Next", "N", self.next_sample), ("Pre-label", "P", self.run_prelabel),
                                   ("Refine", "R", self.refine), ("Post-process", "O", self.postprocess),
                                   ("Inspect", "I", self.inspect), ("Submit", "Ctrl+S", self.submit)):
            self._action(text, key, handler)
        scroll = self.panel_scroll = QScrollArea()
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        dock = QDockWidget("Workflow", self)
        dock.setWidget(scroll)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        dock.setMinimumWidth(340)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)

    # -- helpers ------------------------------------------------------------

    def _interactive(self) -> bool:
        """A person is looking: dialogs may ask (never in headless runs and tests)."""
        return self.isVisible() and QApplication.platformName() not in ("offscreen", "minimal")

    def _run(self, what: str, function, on_done, on_progress=None, on_error=None) -> None:
        self.statusBar().showMessage(f"{what} …")

        def failed(message: str) -> None:
            self.last_error = f"{what}: {message}"
            self.statusBar().showMessage(f"{what} failed: {message}")
            if on_error is not None:
                on_error(message)
            if self._interactive():
                QMessageBox.warning(self, f"{what} failed", message)

        def done(value) -> None:
            self.statusBar().showMessage(f"{what}: done", 4000)
            on_done(value)
        self.calls.run(function, done, failed, on_progress)

    def _for_this_sample(self, callback):
        """Wrap a result handler so a result that arrives after the annotator
        moved on to another sample is dropped, not applied to the wrong one."""
        sample_id = self.sample.sample_id if self.sample is not None else None

        def apply(value) -> None:
            if self.sample is not None and self.sample.sample_id == sample_id:
                callback(value)
            else:
                self.statusBar().showMessage("A result for the previous sample arrived late and was dropped", 4000)
        return apply

    def _need_sample(self) -> bool:
        if self.sample is None or self.canvas.editor is None:
            self.statusBar().showMessage("No sample: press Next first", 4000)
            return False
        return True

    def set_tool(self, tool: str) -> None:
        self.canvas.set_tool(tool)
        self.tool_actions[tool].setChecked(True)

    def _on_edited(self) -> None:
        self.dirty = True
        self.undo_action.setEnabled(self.canvas.editor.can_undo)
        self.redo_action.setEnabled(self.canvas.editor.can_redo)

    @property
    def project(self) -> str:
        return self.project_combo.currentText()

    # -- connection ---------------------------------------------------------

    def connect_services(self) -> None:
        """Load projects and the operation lists; called again after Settings."""
        client = self.client

        def load():
            return (client.list_projects(), client.list_operations("preprocess"),
                    client.list_operations("prelabel"), client.list_operations("refine"),
                    client.list_operations("postprocess"), client.list_strategies())

        self._run("Connecting", load, self._on_connected)

    def _on_connected(self, loaded) -> None:
        projects, preprocess, prelabel, refine, postprocess, strategies = loaded
        self.strategies = [s.name for s in strategies]
        current = self._wanted_project or self.project
        self.project_combo.blockSignals(True)
        self.project_combo.clear()
        self.project_combo.addItems([p.name for p in projects])
        if current:
            self.project_combo.setCurrentText(current)
        self.project_combo.blockSignals(False)
        for combo, specs, first in ((self.display_combo, preprocess, NO_DISPLAY_STEP),
                                    (self.method_combo, prelabel, DEFAULT_PRELABEL), (self.refine_combo, refine, None)):
            combo.blockSignals(True)
            combo.clear()
            if first:
                combo.addItem(first)
            combo.addItems([s.name for s in specs])
            combo.blockSignals(False)
        self.postprocess_list.clear()
        for spec in postprocess:
            item = QListWidgetItem(spec.name)
            item.setToolTip(spec.description)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if spec.name in DEFAULT_POSTPROCESS else Qt.CheckState.Unchecked)
            self.postprocess_list.addItem(item)
        self.statusBar().showMessage(f"connected to {self.connection.selector}", 4000)
        self.refresh_progress()

    def open_new_project(self) -> None:
        dialog = NewProjectDialog(self.strategies, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            folder = dialog.folder.text().strip()
            self.create_project(dialog.name.text().strip(), dialog.strategy.currentText(),
                                Path(folder) if folder else None)

    def create_project(self, name: str, strategy: str = "", folder: Path | None = None) -> None:
        """Create the project, then add the folder's images one by one (with
        their labels, for a dataset folder), the progress in the status bar;
        then switch to it. Needs an admin's token where roles are on."""
        from labelassist.client.dataset import read_samples
        from labelassist.client.imageio import read_image

        client = self.client

        def work(emit) -> int:
            samples = read_samples(folder) if folder else []  # a bad folder fails before the project exists
            client.create_project(name, strategy=strategy)
            for index, sample in enumerate(samples):
                client.add_sample(name, sample.stem, read_image(sample.image), sequence=sample.sequence or "",
                                  label=read_image(sample.label) if sample.label else None)
                emit((index + 1, len(samples)))
            return len(samples)

        def progress(value) -> None:
            done, total = value
            self.busy.setRange(0, total)
            self.busy.setValue(done)
            self.statusBar().showMessage(f"New project {name}: added {done} / {total} images")

        def created(count: int) -> None:
            self.statusBar().showMessage(f"Created project {name} with {count} images", 6000)
            self._wanted_project = name
            self.connect_services()
            self.project_created.emit(name)

        self._run("New project", work, created, on_progress=progress)

    def open_inspection_settings(self) -> None:
        """The project's inspection settings, to edit (an admin's token where roles are on)."""
        if not self.project:
            return
        project, client = self.project, self.client

        def edit(loaded) -> None:
            criteria, settings = loaded
            dialog = InspectionSettingsDialog(project, criteria, settings, self)
            if dialog.exec() == QDialog.DialogCode.Accepted:
                try:
                    chosen, disabled = dialog.settings()
                except ValueError as error:
                    self.statusBar().showMessage(f"Inspection settings not saved: {error}", 10000)
                    return
                self.save_inspection_settings(chosen, disabled)

        self._run("Inspection settings", lambda: (client.list_criteria(), client.get_project(project).inspection),
                  edit)

    def save_inspection_settings(self, criteria, disabled) -> None:
        project, client = self.project, self.client

        def saved(result) -> None:
            self.statusBar().showMessage(f"Inspection settings of {project} saved", 6000)
            self.inspection_saved.emit(project)
        self._run("Save inspection settings", lambda: client.set_inspection(project, criteria, disabled), saved)

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.connection, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.connection = dialog.connection()
            save_connection(self.connection)
            self.client.close()
            self.client = self.connection.client()
            self.connect_services()

    def refresh_progress(self) -> None:
        project, client = self.project, self.client
        if not project:
            return
        self._run("Progress", lambda: client.progress(project), self._on_progress)

    def _on_progress(self, progress) -> None:
        self.progress_label.setText(f"{progress.labeled} / {progress.total}"
                                    + (f"  (model v{progress.model_version}, {progress.scored} scored)"
                                       if progress.model_version else ""))
        self.progress_bar.setRange(0, max(progress.total, 1))
        self.progress_bar.setValue(progress.labeled)

    # -- workflow -----------------------------------------------------------

    def next_sample(self) -> None:
        if not self.project:
            self.statusBar().showMessage("No project: create one with New project… (Ctrl+Shift+N)", 6000)
            return
        if self.dirty and self._interactive():
            answer = QMessageBox.question(self, "Unsubmitted edits",
                                          "This label has edits that are not submitted. Leave it anyway?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        project, annotator, client = self.project, self.annotator.text() or "annotator", self.client
        self._next_started = time.perf_counter()

        def lease():
            response = client.next_sample(project, annotator)
            if response.exhausted:
                return None
            return response, client.get_sample(response.sample.sample_id)

        self._run("Next sample", lease, self._on_sample)

    def _on_sample(self, leased) -> None:
        if leased is None:
            self.sample = None
            self.sample_label.setText("every sample is labelled or leased")
            self.statusBar().showMessage("Nothing left to label in this project", 6000)
            return
        response, envelope = leased
        self.sample = response.sample
        self.image = envelope.require("image")
        stored = envelope.arrays.get("label")
        prelabel = envelope.arrays.get("prelabel")
        self.prelabel = prelabel
        self.canvas.show_sample(self.image, stored if stored is not None else prelabel)
        self.dirty = False
        self.findings = []
        self.inspected_mask = None
        self.warnings.clear()
        self.sample_label.setText(f"{self.sample.stem} (#{self.sample.sample_id}, sequence "
                                  f"{self.sample.sequence or '–'}), lease via {response.strategy or 'default'}")
        self.timings["next_to_image"] = time.perf_counter() - self._next_started
        self.sample_shown.emit()
        if self.display_combo.currentText() != NO_DISPLAY_STEP:
            self.apply_display()
        if stored is None and prelabel is None and self.auto_prelabel.isChecked():
            self.run_prelabel()

    def apply_display(self, *_unused) -> None:
        step = self.display_combo.currentText()
        if self.image is None:
            return
        if step == NO_DISPLAY_STEP:
            self.canvas.set_display(self.image)
            return
        image, client = self.image, self.client
        self._run(f"Display {step}", lambda: client.preprocess(image, [step])[0],
                  self._for_this_sample(self.canvas.set_display))

    def run_prelabel(self) -> None:
        if not self._need_sample():
            return
        method = self.method_combo.currentText()
        sample_id, client = self.sample.sample_id, self.client
        postprocess = ["relabel"] if self.instances.isChecked() else []
        # The server reads the image from the selector: nothing to upload.
        self._run(f"Pre-label ({method})",
                  lambda: client.prelabel(None, None if method == DEFAULT_PRELABEL else method,
                                          postprocess=postprocess, sample_id=sample_id),
                  self._for_this_sample(self._on_prelabel))

    def _on_prelabel(self, outcome) -> None:
        self.prelabel = outcome.mask
        self.canvas.replace_mask(outcome.mask)
        if self._next_started:
            self.timings["next_to_prelabel"] = time.perf_counter() - self._next_started
            self._next_started = 0.0
        self.statusBar().showMessage(f"Pre-label: {outcome.object_count} objects by {outcome.method}", 6000)
        self.prelabel_shown.emit()

    def refine(self) -> None:
        if not self._need_sample():
            return
        scribbles = self.canvas.editor.scribbles.copy()
        if not scribbles.any():
            self.statusBar().showMessage("Draw scribbles first (C), then Refine", 5000)
            return
        mask, method, client = self.canvas.editor.mask.copy(), self.refine_combo.currentText(), self.client
        sample_id = self.sample.sample_id
        self._run(f"Refine ({method})", lambda: client.refine(None, scribbles, mask, method, sample_id=sample_id),
                  self._for_this_sample(self._on_refined))

    def _on_refined(self, mask) -> None:
        self.canvas.replace_mask(mask)
        self.canvas.clear_scribbles()

    def flood_fill(self, row: int, col: int) -> None:
        if not self._need_sample():
            return
        scribbles = np.zeros(self.canvas.editor.shape, np.uint8)
        scribbles[row, col] = 1
        mask, client, sample_id = self.canvas.editor.mask.copy(), self.client, self.sample.sample_id
        self._run("Flood fill", lambda: client.refine(None, scribbles, mask, "flood_fill", sample_id=sample_id),
                  self._for_this_sample(self.canvas.replace_mask))

    def postprocess(self) -> None:
        if not self._need_sample():
            return
        steps = [self.postprocess_list.item(i).text() for i in range(self.postprocess_list.count())
                 if self.postprocess_list.item(i).checkState() == Qt.CheckState.Checked]
        if not steps:
            self.statusBar().showMessage("Tick at least one post-processing step", 5000)
            return
        mask, image, client = self.canvas.editor.mask.copy(), self.image, self.client
        self._run("Post-process", lambda: client.postprocess(mask, steps, image=image)[0],
                  self._for_this_sample(self.canvas.replace_mask))

    def inspect(self) -> None:
        if not self._need_sample():
            return
        mask, image, prelabel, client = self.canvas.editor.mask.copy(), self.image, self.prelabel, self.client
        project = self.project
        self._run("Inspect", lambda: client.inspect(mask, image=image, prelabel=prelabel, project=project),
                  self._for_this_sample(lambda report: self._on_inspected(report, mask)))

    def _on_inspected(self, report, mask: np.ndarray) -> None:
        self.inspected_mask = mask
        self.findings = list(report.findings)
        self.warnings.clear()
        for finding in self.findings:
            severity = inspect_pb2.Severity.Name(finding.severity).removeprefix("SEVERITY_").lower()
            item = QListWidgetItem(f"[{severity}] {finding.criterion}: {finding.message}")
            item.setForeground({"error": Qt.GlobalColor.red, "warning": Qt.GlobalColor.darkYellow}
                               .get(severity, Qt.GlobalColor.gray))
            self.warnings.addItem(item)
        if not self.findings:
            self.warnings.addItem(f"no warnings ({len(report.checked)} criteria checked)")
        if report.prelabel_source:
            # After the findings, so list rows still match self.findings.
            against = PRELABEL_SOURCES.get(report.prelabel_source, report.prelabel_source)
            source = QListWidgetItem(f"agreement checked against the {against}")
            source.setForeground(Qt.GlobalColor.gray)
            self.warnings.addItem(source)
        self.canvas.clear_highlights()
        self.inspected.emit()

    def show_finding(self, row: int) -> None:
        if 0 <= row < len(self.findings):
            boxes = [(b.start[0], b.start[1], b.stop[0], b.stop[1]) for b in self.findings[row].boxes
                     if len(b.start) >= 2]
            self.canvas.highlight(boxes)

    def submit(self) -> None:
        """Store the label; first inspect it, unless the annotator has already
        seen the warnings about exactly this mask. When the inspection warns,
        the warnings show and nothing is stored: fix them, or Submit again."""
        if not self._need_sample():
            return
        mask = self.canvas.editor.mask.copy()
        seen = self.inspected_mask is not None and np.array_equal(self.inspected_mask, mask)
        if self.inspect_before_submit.isChecked() and not seen:
            image, prelabel, client = self.image, self.prelabel, self.client

            def checked(report) -> None:
                self._on_inspected(report, mask)
                alarms = [f for f in report.findings if f.severity >= inspect_pb2.SEVERITY_WARNING]
                if alarms:
                    self.statusBar().showMessage(f"Not submitted: {len(alarms)} warning(s). Fix them, or press "
                                                 "Submit again to store the label as it is", 10000)
                    self.submit_held.emit(len(alarms))
                else:
                    self._store(mask)
            project = self.project
            self._run("Inspect before submitting",
                      lambda: client.inspect(mask, image=image, prelabel=prelabel, project=project),
                      self._for_this_sample(checked))
            return
        self._store(mask)

    def _store(self, mask: np.ndarray) -> None:
        client = self.client
        sample_id, annotator = self.sample.sample_id, self.annotator.text() or "annotator"
        origin = "edited_prelabel" if self.prelabel is not None else "manual"
        self._run("Submit", lambda: client.submit_label(sample_id, annotator, mask, origin=origin),
                  lambda version: self._on_submitted(sample_id, version))

    def _on_submitted(self, sample_id: int, version) -> None:
        self.dirty = False
        self.statusBar().showMessage(f"Submitted sample #{sample_id}, label version {version.version}", 6000)
        self.submitted.emit(sample_id)
        self.refresh_progress()
        if self.auto_next.isChecked():
            self.next_sample()

    def train(self) -> None:
        if not self.project:
            return
        project, client = self.project, self.client

        def run(emit):
            job = client.train(project=project)
            last = None
            for event in client.train_status(job):
                emit(event)
                last = event
            return last

        self.train_button.setEnabled(False)
        self._run("Training", run, self._on_trained, self._on_training_progress,
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

    def closeEvent(self, event) -> None:
        if self.dirty and self._interactive():
            answer = QMessageBox.question(self, "Unsubmitted edits",
                                          "This label has edits that are not submitted. Quit anyway?")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.calls.pool.waitForDone(2000)
        self.client.close()
        event.accept()


def saved_connection(default: Connection) -> Connection:
    """The settings dialog's last values; the given default where none were saved."""
    settings = QSettings("LabelAssistant", "client")
    return replace(default, **{name: settings.value(name) for name in ("selector", "assist", "inspect", "tls_root")
                               if settings.value(name)})


def save_connection(connection: Connection) -> None:
    # The token is not written to disk.
    settings = QSettings("LabelAssistant", "client")
    for name in ("selector", "assist", "inspect", "tls_root"):
        settings.setValue(name, getattr(connection, name))


def run_app(connection: Connection, annotator: str, project: str | None, use_saved: bool = False) -> int:
    app = QApplication.instance() or QApplication([])
    app.setApplicationName("Label Assistant")
    window = MainWindow(saved_connection(connection) if use_saved else connection, annotator, project)
    window.show()
    return app.exec()
