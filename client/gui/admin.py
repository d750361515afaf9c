"""Project ▸ Rename project…, Delete project… and Delete sample…: the
confirmations a person answers, on the UI thread; the checks and calls
live in :mod:`~labelassist.client.gui.project_admin`."""

from __future__ import annotations

from labelassist.client.gui import project_admin
from labelassist.client.gui.dialogs import TypeNameToDeleteDialog
from PySide6.QtWidgets import QDialog, QInputDialog, QMessageBox


AFTER_PROJECT_DELETED = ("Project {project} was deleted.\n\nPick another project in the Workflow panel, or create "
                         "one with File ▸ New project… (Ctrl+Shift+N).")


class ProjectAdminView:
    """Renaming and deleting in the window (project admins; the selector
    refuses everyone else): ``window`` runs the calls, its ``projects`` view
    makes them and updates the chooser."""

    def __init__(self, window):
        self.window = window

    def open_rename_project(self) -> None:
        window, project = self.window, self.window.project
        if not project:
            window.statusBar().showMessage("Rename project: pick a project first", 6000)
            return
        dialog = QInputDialog(window)
        dialog.setWindowTitle(f"Rename project {project}")
        dialog.setLabelText(f"New name for {project} (its samples, labels and settings stay):")
        dialog.setTextValue(project)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        typed = dialog.textValue()
        dialog.deleteLater()
        if accepted:
            self.rename_project(project, typed)

    def rename_project(self, project: str, typed: str) -> None:
        window = self.window
        try:
            new_name = project_admin.new_project_name(project, typed)
        except ValueError as error:
            window.statusBar().showMessage(f"Rename project: {error}", 8000)
            return

        def renamed(_) -> None:
            window.statusBar().showMessage(f"Project {project} is now called {new_name}", 6000)
            if window.projects.rename(project, new_name):  # the rest of the window stays as it is
                window.browser.show_project(new_name)
            window.project_renamed.emit(project, new_name)

        window.run("Rename project", window.projects.controller.rename_call(project, new_name), renamed,
                   failures=project_admin.PROJECT_ADMIN_ONLY)

    def open_delete_project(self) -> None:
        window, project = self.window, self.window.project
        if not project:
            window.statusBar().showMessage("Delete project: pick a project first", 6000)
            return
        dialog = TypeNameToDeleteDialog(project, window)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        dialog.deleteLater()
        if accepted:
            self.delete_project(project)

    def delete_project(self, project: str) -> None:
        """Delete ``project`` (confirmed by the caller); the window goes back
        to choosing a project."""
        window = self.window

        def deleted(response) -> None:
            window.statusBar().showMessage(f"Deleted project {project}: {response.samples} samples, "
                                           f"{response.labels} label versions", 8000)
            if window.project == project:  # nothing of it stays on screen
                window.leave_sample()
                window.projects.forget(project)
                window.browser.show_project("")
                window.canvas.show_message(AFTER_PROJECT_DELETED.format(project=project))
            window.project_deleted.emit(project)

        window.run("Delete project", window.projects.controller.delete_project_call(project), deleted,
                   failures=project_admin.PROJECT_ADMIN_ONLY)

    def open_delete_sample(self) -> None:
        window, sample = self.window, self.window.sample
        if sample is None:
            window.statusBar().showMessage("Delete sample: open a sample first", 6000)
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Delete sample",
                          f"Delete the sample {sample.stem} (#{sample.sample_id}) with every version of its label? "
                          "There is no undo.", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, window)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        answer = box.exec()
        box.deleteLater()
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_sample(int(sample.sample_id))

    def delete_sample(self, sample_id: int) -> None:
        """Delete one sample (confirmed by the caller); when it is the one on
        screen, the window moves on to the next sample."""
        window, session = self.window, self.window.session
        leased = session.current is not None and session.current.leased

        def deleted(response) -> None:
            window.statusBar().showMessage(f"Deleted sample #{sample_id} and {response.labels} label versions", 6000)
            following = project_admin.sample_after(window.browser.listed(), sample_id, leased)
            window.browser.remove(sample_id)
            window.sample_deleted.emit(sample_id)
            window.projects.refresh_progress()
            if not session.is_current(sample_id):
                return
            window.leave_sample()
            if following is None:
                window.next_sample()
            else:
                window.open_sample(following)

        window.run("Delete sample", window.projects.controller.delete_sample_call(sample_id), deleted,
                   failures=project_admin.SAMPLE_ADMIN_ONLY)
