"""File ▸ Export labels… and Import labels…: a project's labels to and from
the formats other tools use (COCO, Label Studio, CVAT, OME-Zarr, OME-TIFF),
on this machine's disk, on a worker with the progress in the status bar."""

from __future__ import annotations

from pathlib import Path

from labelassist.client.gui.dialogs import TransferDialog
from PySide6.QtWidgets import QDialog, QMessageBox


class TransferActions:
    """Export and import of :class:`~labelassist.client.gui.app.MainWindow`."""

    def open_export_labels(self) -> None:
        if not self.project:
            self.statusBar().showMessage("Export labels: pick a project first", 6000)
            return
        dialog = TransferDialog("export", self.project, self)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        dialog.deleteLater()
        if accepted:
            self.export_labels(dialog.format(), dialog.path())

    def open_import_labels(self) -> None:
        dialog = TransferDialog("import", self.project or "", self)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        dialog.deleteLater()
        if accepted:
            self.import_labels(dialog.format(), dialog.path(), dialog.images(), dialog.project(), dialog.create())

    def export_labels(self, fmt: str, folder: Path) -> None:
        """Write the current project's labels as ``fmt`` into ``folder``."""
        client, project = self.client, self.project

        def work(emit):
            return client.download_labels(project, folder, fmt, progress=emit)

        def done(report) -> None:
            self.statusBar().showMessage(f"Exported {report.samples} labels of {project} to {folder} ({fmt})", 8000)
            self.transferred.emit(report)

        self._run("Export labels", work, done, on_progress=lambda n: self.statusBar().showMessage(
            f"Export labels: {n} written"))

    def import_labels(self, fmt: str, source: Path, images: Path | None, project: str, create: bool) -> None:
        """Add the samples and labels of another tool's export to ``project``;
        what could not be read is listed in the status line and a message."""
        client = self.client

        def work(emit):
            return client.import_labels(project, source, fmt, images=images, create=create, progress=emit)

        def done(report) -> None:
            failed = "; ".join(f"{name}: {error}" for name, error in report.failed[:3])
            more = f" (and {len(report.failed) - 3} more)" if len(report.failed) > 3 else ""
            message = (f"Imported {report.added} samples into {project} ({fmt}), already there {report.existing}"
                       + (f"; failed {failed}{more}" if failed else ""))
            self.statusBar().showMessage(message)
            if self._interactive():
                QMessageBox.information(self, "Import labels", message)
            if create:
                self._wanted_project = project
                self.connect_services()
            else:
                self.refresh_progress()
            self.transferred.emit(report)

        self._run("Import labels", work, done, on_progress=lambda n: self.statusBar().showMessage(
            f"Import labels: {n} read"))
