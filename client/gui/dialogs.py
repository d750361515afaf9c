"""The dialogs: connection settings, a new project from a local folder, a
project's inspection settings, and the confirmation a project's deletion asks."""

from __future__ import annotations

from pathlib import Path

from labelassist.client.gui.connection import Connection
from labelassist.client.gui.project_admin import deletion_confirmed
from labelassist.proto.wire.values import call_text, parse_call, value_from_proto
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


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


class TransferDialog(QDialog):
    """Export (format, folder) or import (format, the export's file or
    folder, where its images are, into which project)."""

    def __init__(self, mode: str, project: str, parent: QWidget | None = None):
        from labelassist.io.formats import FORMAT_NAMES

        super().__init__(parent)
        self.mode = mode
        self.setWindowTitle("Export labels" if mode == "export" else "Import labels")
        form = QFormLayout(self)
        self.formats = QComboBox()
        self.formats.addItems(FORMAT_NAMES if mode == "export" else [f for f in FORMAT_NAMES if f != "ome-tiff"]
                              + ["ome-tiff"])
        form.addRow("Format", self.formats)
        self.location = self._path_row(form, "Folder" if mode == "export" else "Export to read",
                                       "where to write" if mode == "export"
                                       else "annotations.json, tasks.json, annotations.xml or a folder")
        if mode == "import":
            self.images_folder = self._path_row(form, "Images", "beside the annotations if empty")
            self.project_name = QLineEdit(project)
            form.addRow("Into project", self.project_name)
            self.create_box = QCheckBox("create it")
            self.create_box.setChecked(not project)
            form.addRow("", self.create_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _path_row(self, form: QFormLayout, title: str, hint: str) -> QLineEdit:
        from PySide6.QtWidgets import QFileDialog

        field = QLineEdit()
        field.setPlaceholderText(hint)
        browse = QPushButton("Browse…")
        browse.clicked.connect(lambda: field.setText(QFileDialog.getExistingDirectory(self, title) or field.text()))
        row = QHBoxLayout()
        row.addWidget(field, 1)
        row.addWidget(browse)
        form.addRow(title, row)
        return field

    def format(self) -> str:
        return self.formats.currentText()

    def path(self) -> Path:
        return Path(self.location.text().strip())

    def images(self) -> Path | None:
        text = self.images_folder.text().strip()
        return Path(text) if text else None

    def project(self) -> str:
        return self.project_name.text().strip()

    def create(self) -> bool:
        return self.create_box.isChecked()


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
        confidence = QHBoxLayout()
        confidence.addWidget(QLabel("Warnings below this confidence are only info (0: all warn)"))
        self.min_confidence = QDoubleSpinBox()
        self.min_confidence.setRange(0.0, 1.0)
        self.min_confidence.setSingleStep(0.05)
        self.min_confidence.setValue(settings.min_confidence)
        self.min_confidence.setToolTip("A finding's confidence is 0.5 at its bound and nears 1 far beyond it")
        confidence.addWidget(self.min_confidence)
        layout.addLayout(confidence)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def settings(self) -> tuple[list[tuple[str, dict[str, str]]], list[str]]:
        """(criteria with parameters, disabled criteria); ValueError names a
        malformed entry (the selector checks names and values). The
        confidence threshold is ``min_confidence.value()``."""
        criteria, disabled = [], []
        for row in range(self.table.rowCount()):
            name = self.table.item(row, 0).text()
            if self.table.item(row, 0).checkState() != Qt.CheckState.Checked:
                disabled.append(name)
            text = self.table.item(row, 1).text().strip()
            if text:
                criteria.append(parse_call(f"{name}:{text}"))
        return criteria, disabled


class AssistSettingsDialog(QDialog):
    """A project's assist settings: the steps a pre-label without a method
    runs on its samples (Next uses them). One step per line as
    ``name:key=value,…``; the tooltips list the operations of each family."""

    def __init__(self, project: str, settings, operations: dict[str, list], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Assist settings of {project}")
        self.resize(560, 420)
        form = QFormLayout(self)
        self.preprocess = QPlainTextEdit("\n".join(call_text(c) for c in settings.preprocess))
        self.method = QLineEdit(call_text(settings.method) if settings.method.name else "")
        self.method.setPlaceholderText("the default pipeline (median, li, fill holes, remove small objects)")
        self.postprocess = QPlainTextEdit("\n".join(call_text(c) for c in settings.postprocess))
        for widget, family in ((self.preprocess, "preprocess"), (self.method, "prelabel"),
                               (self.postprocess, "postprocess")):
            widget.setToolTip("\n".join(f"{spec.name}: {spec.description}" for spec in operations.get(family, [])))
        form.addRow("Pre-processing (one per line)", self.preprocess)
        form.addRow("Method", self.method)
        form.addRow("Post-processing (one per line)", self.postprocess)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def settings(self) -> tuple[list, tuple | None, list]:
        """(pre-processing steps, method or None, post-processing steps);
        ValueError names a malformed line (the selector checks names and values)."""
        def steps(text: str) -> list:
            return [parse_call(line.strip()) for line in text.splitlines() if line.strip()]
        method = self.method.text().strip()
        return steps(self.preprocess.toPlainText()), parse_call(method) if method else None, \
            steps(self.postprocess.toPlainText())


class ShortcutSheet(QDialog):
    """Every action of the window with its keys, by menu (F1 or ?)."""

    def __init__(self, menus: list[tuple[str, list]], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = [(menu, action.text().replace("&", ""), ", ".join(k.toString() for k in action.shortcuts()))
                for menu, actions in menus for action in actions if action.shortcuts()]
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Menu", "Action", "Keys"])
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self.table.verticalHeader().setVisible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(520, 560)


class TypeNameToDeleteDialog(QDialog):
    """Deleting a project cannot be undone, so the user types its name; OK
    stays disabled until the typed text is exactly that name."""

    def __init__(self, project: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.project = project
        self.setWindowTitle(f"Delete project {project}")
        layout = QVBoxLayout(self)
        warning = QLabel(f"This deletes the project {project} with every sample, label version and setting, for "
                         "everyone. There is no undo: back up first.\n\nType the project's name to delete it:")
        warning.setWordWrap(True)
        layout.addWidget(warning)
        self.name = QLineEdit()
        self.name.setPlaceholderText(project)
        layout.addWidget(self.name)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Delete project")
        self.ok.setEnabled(False)
        self.name.textChanged.connect(lambda text: self.ok.setEnabled(deletion_confirmed(project, text)))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def accept(self) -> None:  # Enter in the field must not get past a wrong name either
        if deletion_confirmed(self.project, self.name.text()):
            super().accept()
