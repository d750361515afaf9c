"""File ▸ Export labels… and Import labels…: the dialogs and the status
line; the calls are :class:`~labelassist.client.gui.transfer_controller.TransferController`'s,
run on a worker with the progress in the status bar."""

from __future__ import annotations

from pathlib import Path
from labelassist.client.gui.dialogs import TransferDialog
from labelassist.client.gui.transfer_controller import TransferController, import_summary
from PySide6.QtWidgets import QDialog, QMessageBox


class TransferView:
    """Export and import in the window: ``window`` runs the calls and shows
    the outcome; ``controller`` makes them."""

    def __init__(self, window, controller: TransferController):
        self.window, self.controller = window, controller

    def open_export_labels(self) -> None:
        project = self.window.project
        if not project:
            self.window.statusBar().showMessage("Export labels: pick a project first", 6000)
            return
        dialog = TransferDialog("export", project, self.window)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        dialog.deleteLater()
        if accepted:
            self.export_labels(dialog.format(), dialog.path())

    def open_import_labels(self) -> None:
        dialog = TransferDialog("import", self.window.project or "", self.window)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        dialog.deleteLater()
        if accepted:
            self.import_labels(dialog.format(), dialog.path(), dialog.images(), dialog.project(), dialog.create())

    def export_labels(self, fmt: str, folder: Path) -> None:
        """Write the current project's labels as ``fmt`` into ``folder``."""
        window, project = self.window, self.window.project

        def done(report) -> None:
            window.statusBar().showMessage(f"Exported {report.samples} labels of {project} to {folder} ({fmt})", 8000)
            window.transferred.emit(report)

        window.run("Export labels", self.controller.export_call(project, folder, fmt), done,
                   on_progress=lambda n: window.statusBar().showMessage(f"Export labels: {n} written"))

    def import_labels(self, fmt: str, source: Path, images: Path | None, project: str, create: bool) -> None:
        """Add the samples and labels of another tool's export to ``project``;
        what could not be read is listed in the status line and a message."""
        window = self.window

        def done(report) -> None:
            message = import_summary(report, project, fmt)
            window.statusBar().showMessage(message)
            if window.interactive():
                QMessageBox.information(window, "Import labels", message)
            if create:
                window.projects.controller.wanted = project
                window.projects.connect_services()
            else:
                window.projects.refresh_progress()
            window.transferred.emit(report)

        window.run("Import labels", self.controller.import_call(project, source, fmt, images, create), done,
                   on_progress=lambda n: window.statusBar().showMessage(f"Import labels: {n} read"))
