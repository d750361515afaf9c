"""Project ▸ Rename project…, Delete project… and Delete sample…: the
confirmations a person answers, on the UI thread; the checks and calls
live in :mod:`~labelassist.client.gui.project_admin`."""

from __future__ import annotations

from labelassist.client.gui import project_admin
from labelassist.client.gui.dialogs import TypeNameToDeleteDialog
from PySide6.QtWidgets import QDialog, QInputDialog, QMessageBox

AFTER_PROJECT_DELETED = ("Project {project} was deleted.\n\nPick another project in the Workflow panel, or create "
                         "one with File ▸ New project… (Ctrl+Shift+N).")


class ProjectAdminActions:
    """Renaming and deleting of :class:`~labelassist.client.gui.app.MainWindow`
    (project admins; the selector refuses everyone else)."""

    def open_rename_project(self) -> None:
        if not self.project:
            self.statusBar().showMessage("Rename project: pick a project first", 6000)
            return
        project = self.project
        dialog = QInputDialog(self)
        dialog.setWindowTitle(f"Rename project {project}")
        dialog.setLabelText(f"New name for {project} (its samples, labels and settings stay):")
        dialog.setTextValue(project)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        typed = dialog.textValue()
        dialog.deleteLater()
        if accepted:
            self.rename_project(project, typed)

    def rename_project(self, project: str, typed: str) -> None:
        try:
            new_name = project_admin.new_project_name(project, typed)
        except ValueError as error:
            self.statusBar().showMessage(f"Rename project: {error}", 8000)
            return

        def renamed(_) -> None:
            self.statusBar().showMessage(f"Project {project} is now called {new_name}", 6000)
            self._show_renamed(project, new_name)
            self.project_renamed.emit(project, new_name)

        self._run("Rename project", project_admin.rename_call(self.client, project, new_name), renamed,
                  failures=project_admin.PROJECT_ADMIN_ONLY)

    def _show_renamed(self, project: str, new_name: str) -> None:
        """The chooser, the title and the sample list take the new name in
        place; the rest of the window (the sample on screen, the chosen
        steps) stays as it is."""
        if self._wanted_project == project:
            self._wanted_project = new_name
        index = self.project_combo.findText(project)
        if index < 0:
            return
        current = self.project == project
        self.project_combo.blockSignals(True)
        self.project_combo.setItemText(index, new_name)
        self.project_combo.blockSignals(False)
        if current:
            self.show_project_name(new_name)
            self.browser.show_project(new_name)

    def open_delete_project(self) -> None:
        if not self.project:
            self.statusBar().showMessage("Delete project: pick a project first", 6000)
            return
        project = self.project
        dialog = TypeNameToDeleteDialog(project, self)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        dialog.deleteLater()
        if accepted:
            self.delete_project(project)

    def delete_project(self, project: str) -> None:
        """Delete ``project`` (confirmed by the caller); the window goes back
        to choosing a project."""
        def deleted(response) -> None:
            self.statusBar().showMessage(f"Deleted project {project}: {response.samples} samples, "
                                         f"{response.labels} label versions", 8000)
            if self.project == project:
                self._leave_project(project)
            self.project_deleted.emit(project)

        self._run("Delete project", project_admin.delete_project_call(self.client, project), deleted,
                  failures=project_admin.PROJECT_ADMIN_ONLY)

    def _leave_project(self, project: str) -> None:
        """Nothing of the deleted project stays on screen; the chooser is empty until a pick."""
        if self._wanted_project == project:
            self._wanted_project = None
        self.session.forget()
        self.dirty = False
        self.warnings.clear()
        self.project_combo.blockSignals(True)
        self.project_combo.removeItem(self.project_combo.findText(project))
        self.project_combo.setCurrentIndex(-1)
        self.project_combo.blockSignals(False)
        self.show_project_name("")
        self.browser.show_project("")
        self.progress_label.setText("–")
        self.progress_bar.reset()
        self.sample_label.setText("no sample")
        self.canvas.show_message(AFTER_PROJECT_DELETED.format(project=project))

    def open_delete_sample(self) -> None:
        if self.sample is None:
            self.statusBar().showMessage("Delete sample: open a sample first", 6000)
            return
        sample = self.sample
        box = QMessageBox(QMessageBox.Icon.Warning, "Delete sample",
                          f"Delete the sample {sample.stem} (#{sample.sample_id}) with every version of its label? "
                          "There is no undo.", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        answer = box.exec()
        box.deleteLater()
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_sample(int(sample.sample_id))

    def delete_sample(self, sample_id: int) -> None:
        """Delete one sample (confirmed by the caller); when it is the one on
        screen, the window moves on to the next sample."""
        leased = self.session.current is not None and self.session.current.leased

        def deleted(response) -> None:
            self.statusBar().showMessage(f"Deleted sample #{sample_id} and {response.labels} label versions", 6000)
            following = project_admin.sample_after(self.browser.listed(), sample_id, leased)
            self.browser.remove(sample_id)
            self.sample_deleted.emit(sample_id)
            self.refresh_progress()
            if not self.session.is_current(sample_id):
                return
            self.session.forget()
            self.dirty = False
            self.warnings.clear()
            self.sample_label.setText("no sample")
            if following is None:
                self.next_sample()
            else:
                self.open_sample(following)

        self._run("Delete sample", project_admin.delete_sample_call(self.client, sample_id), deleted,
                  failures=project_admin.SAMPLE_ADMIN_ONLY)
