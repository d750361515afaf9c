"""What the main window does with projects: connect, list and open them,
create one from a folder, edit its settings, show progress. The calls and
their wording are :class:`~labelassist.client.gui.projects_controller.ProjectsController`'s;
this view asks, shows and reports."""

from __future__ import annotations

from pathlib import Path

from labelassist.client.gui.connection import save_connection
from labelassist.client.gui.projects_controller import Catalogue, ProgressSummary, ProjectsController
from labelassist.client.gui.wording import AUTOMATIC_DETAILS, operation_name
from labelassist.client.gui.dialogs import (
    AssistSettingsDialog,
    InspectionSettingsDialog,
    NewProjectDialog,
    SettingsDialog,
)
from labelassist.client.gui.layout import (
    DEFAULT_POSTPROCESS,
    DEFAULT_PRELABEL,
    NO_DISPLAY_STEP,
)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QListWidgetItem,
)


class ProjectsView:
    """The window's projects: the chooser, New project, the settings
    dialogs and the progress line.

    Parameters
    ----------
    window : MainWindow
        Runs the calls (``window.run``) and owns the status bar, the sample
        list and the signals.
    controller : ProjectsController
        The calls and what they mean.
    """

    def __init__(self, window, controller: ProjectsController):
        self.window, self.panel, self.controller = window, window.panel, controller
        self.strategies: list[str] = []

    @property
    def project(self) -> str:
        return self.panel.project

    # -- connection ---------------------------------------------------------

    def connect_services(self) -> None:
        """Load projects and the operation lists; called again after Settings."""
        self.window.run("Connecting", self.controller.load_call(), self._on_connected)

    def _on_connected(self, catalogue: Catalogue) -> None:
        window, panel = self.window, self.panel
        self.strategies = catalogue.strategies
        current, missing = self.controller.loaded(catalogue, self.project)
        if missing:
            window.statusBar().showMessage(f"No project {missing!r} on the selector at "
                                           f"{window.connection.selector}: pick one, or create it with New project…")
            panel.sample_label.setText(f"no project {missing!r}: pick one, or create it with New project…")
        panel.project_combo.blockSignals(True)
        panel.project_combo.clear()
        panel.project_combo.addItems(catalogue.projects)
        if current:
            panel.project_combo.setCurrentText(current)
        panel.project_combo.blockSignals(False)
        operations = catalogue.operations
        for combo, specs, first in ((panel.display_combo, operations["preprocess"], NO_DISPLAY_STEP),
                                    (panel.method_combo, operations["prelabel"], DEFAULT_PRELABEL),
                                    (panel.refine_combo, operations["refine"], None)):
            combo.blockSignals(True)
            combo.clear()
            if first:
                combo.addItem(first)
            plain = combo is not panel.display_combo  # display steps are named as the panel's checklist names them
            for spec in specs:
                # The plain name shows, the operation's name is the item's data; the tooltip has both.
                combo.addItem(operation_name(spec.name) if plain else spec.name, spec.name)
                combo.setItemData(combo.count() - 1, f"{spec.name}: {spec.description}", Qt.ItemDataRole.ToolTipRole)
            combo.blockSignals(False)
        panel.method_combo.setItemData(0, f"{AUTOMATIC_DETAILS}", Qt.ItemDataRole.ToolTipRole)
        panel.postprocess_list.clear()
        for spec in operations["postprocess"]:
            item = QListWidgetItem(spec.name)
            item.setToolTip(spec.description)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if spec.name in DEFAULT_POSTPROCESS else Qt.CheckState.Unchecked)
            panel.postprocess_list.addItem(item)
        window.statusBar().showMessage(f"connected to {window.connection.selector}", 4000)
        self.refresh_progress()
        if window.browser.project != self.project:
            window.browser.show_project(self.project)
        self.show_project_name(self.project)
        window.classes.load(self.project)

    def show_project_name(self, project: str) -> None:
        """The window's title names the open project."""
        self.window.setWindowTitle(f"{project} – Label Assistant" if project else "Label Assistant")

    def open_new_project(self) -> None:
        dialog = NewProjectDialog(self.strategies, self.window)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            folder = dialog.folder.text().strip()
            self.create_project(dialog.name.text().strip(), dialog.strategy.currentText(),
                                Path(folder) if folder else None)

    def create_project(self, name: str, strategy: str = "", folder: Path | None = None) -> None:
        """Create the project, then stream the folder's images (with their
        labels, for a dataset folder) in one call, the progress in the status bar;
        then switch to it. Needs an admin's token where roles are on."""
        window = self.window

        def progress(value) -> None:
            done, total = value
            window.busy.setRange(0, total or max(done, 1))  # files: the total is known only at the end
            window.busy.setValue(done)
            window.statusBar().showMessage(f"New project {name}: added {done}" + (f" / {total}" if total else "")
                                           + " samples")

        def created(count: int) -> None:
            window.statusBar().showMessage(f"Created project {name} with {count} images", 6000)
            self.controller.wanted = name
            self.connect_services()
            window.project_created.emit(name)

        window.run("New project", self.controller.create_call(name, strategy, folder), created, on_progress=progress)

    def _edit_settings(self, what: str, load, open_dialog, save) -> None:
        """Load a project's settings on a worker, edit them in a dialog, save
        them; a malformed entry is named in the status bar and nothing is saved."""
        def edit(loaded) -> None:
            dialog = open_dialog(loaded)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            try:
                values = dialog.settings()
            except ValueError as error:
                self.window.statusBar().showMessage(f"{what} not saved: {error}", 10000)
                return
            save(dialog, values)

        self.window.run(what, load, edit)

    def open_assist_settings(self) -> None:
        """The project's assist settings (what Next's pre-label runs), to edit
        (an admin's token where roles are on)."""
        project = self.project
        if project:
            self._edit_settings("Assist settings", self.controller.assist_settings_call(project),
                                lambda loaded: AssistSettingsDialog(project, *loaded, self.window),
                                lambda dialog, steps: self.save_assist_settings(*steps))

    def save_assist_settings(self, preprocess, method, postprocess) -> None:
        project, window = self.project, self.window

        def saved(_) -> None:
            window.statusBar().showMessage(f"Assist settings of {project} saved: pre-labels without a method use "
                                           "them", 6000)
            window.assist_saved.emit(project)
        window.run("Save assist settings", self.controller.save_assist_call(project, preprocess, method, postprocess),
                   saved)

    def open_inspection_settings(self) -> None:
        """The project's inspection settings, to edit (an admin's token where roles are on)."""
        project = self.project
        if project:
            self._edit_settings(
                "Inspection settings", self.controller.inspection_settings_call(project),
                lambda loaded: InspectionSettingsDialog(project, *loaded, self.window),
                lambda dialog, chosen: self.save_inspection_settings(*chosen, dialog.min_confidence.value()))

    def save_inspection_settings(self, criteria, disabled, min_confidence: float = 0.0) -> None:
        project, window = self.project, self.window

        def saved(_) -> None:
            window.statusBar().showMessage(f"Inspection settings of {project} saved", 6000)
            window.inspection_saved.emit(project)
        window.run("Save inspection settings",
                   self.controller.save_inspection_call(project, criteria, disabled, min_confidence), saved)

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.window.connection, self.window)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            connection = dialog.connection()
            save_connection(connection)
            self.window.reconnect(connection)
            self.connect_services()

    def refresh_progress(self) -> None:
        if self.project:
            self.window.run("Progress", self.controller.progress_call(self.project), self._on_progress)

    def _on_progress(self, summary: ProgressSummary) -> None:
        self.panel.progress_label.setText(summary.text)
        self.panel.progress_label.setToolTip(summary.details)
        self.panel.progress_bar.setRange(0, max(summary.total, 1))
        self.panel.progress_bar.setValue(summary.labeled)

    def forget(self, project: str) -> None:
        """A deleted project leaves the chooser, the title and the progress line."""
        self.controller.deleted(project)
        combo = self.panel.project_combo
        combo.blockSignals(True)
        combo.removeItem(combo.findText(project))
        combo.setCurrentIndex(-1)
        combo.blockSignals(False)
        self.show_project_name("")
        self.panel.progress_label.setText("–")
        self.panel.progress_bar.reset()

    def rename(self, project: str, new_name: str) -> bool:
        """The chooser and the title take the new name in place; whether it is the open project."""
        self.controller.renamed(project, new_name)
        combo = self.panel.project_combo
        index = combo.findText(project)
        if index < 0:
            return False
        current = self.project == project
        combo.blockSignals(True)
        combo.setItemText(index, new_name)
        combo.blockSignals(False)
        if current:
            self.show_project_name(new_name)
        return current
