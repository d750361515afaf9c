"""What the main window does with projects: connect, list and open them,
create one from a folder, edit its inspection settings, show progress."""

from __future__ import annotations

from pathlib import Path

from labelassist.client.gui.connection import save_connection
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


class ProjectActions:
    """Project handling of :class:`~labelassist.client.gui.app.MainWindow`."""

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
        if self._wanted_project and self._wanted_project not in {p.name for p in projects}:
            self.statusBar().showMessage(f"No project {self._wanted_project!r} on the selector at "
                                         f"{self.connection.selector}: pick one, or create it with New project…")
            self.sample_label.setText(f"no project {self._wanted_project!r}: pick one, or create it with New project…")
            self._wanted_project = current = None
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
            plain = combo is not self.display_combo  # display steps are named as the panel's checklist names them
            for spec in specs:
                # The plain name shows, the operation's name is the item's data; the tooltip has both.
                combo.addItem(operation_name(spec.name) if plain else spec.name, spec.name)
                combo.setItemData(combo.count() - 1, f"{spec.name}: {spec.description}", Qt.ItemDataRole.ToolTipRole)
            combo.blockSignals(False)
        self.method_combo.setItemData(0, f"{AUTOMATIC_DETAILS}", Qt.ItemDataRole.ToolTipRole)
        self.postprocess_list.clear()
        for spec in postprocess:
            item = QListWidgetItem(spec.name)
            item.setToolTip(spec.description)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if spec.name in DEFAULT_POSTPROCESS else Qt.CheckState.Unchecked)
            self.postprocess_list.addItem(item)
        self.statusBar().showMessage(f"connected to {self.connection.selector}", 4000)
        self.refresh_progress()
        if self.browser.project != self.project:
            self.browser.show_project(self.project)
        self.show_project_name(self.project)

    def show_project_name(self, project: str) -> None:
        """The window's title names the open project."""
        self.setWindowTitle(f"{project} – Label Assistant" if project else "Label Assistant")

    def open_new_project(self) -> None:
        dialog = NewProjectDialog(self.strategies, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            folder = dialog.folder.text().strip()
            self.create_project(dialog.name.text().strip(), dialog.strategy.currentText(),
                                Path(folder) if folder else None)

    def create_project(self, name: str, strategy: str = "", folder: Path | None = None) -> None:
        """Create the project, then stream the folder's images (with their
        labels, for a dataset folder) in one call, the progress in the status bar;
        then switch to it. Needs an admin's token where roles are on."""
        from labelassist.io.dataset_folder import read_samples
        from labelassist.io.images import read_image
        from labelassist.io.project_files import file_samples, source_files

        client = self.client

        def from_dataset_folder(emit):
            """A dataset folder: its images, labels and sequences.csv."""
            samples = read_samples(folder)
            for index, sample in enumerate(samples):
                yield {"stem": sample.stem, "image": read_image(sample.image), "sequence": sample.sequence or "",
                       "label": read_image(sample.label) if sample.label else None}
                emit((index + 1, len(samples)))

        def from_files(emit, sources):
            """Plain images and stacks: every plane a sample, large planes as tiles."""
            done = 0

            def step() -> None:
                nonlocal done
                done += 1
                emit((done, 0))
            yield from file_samples(sources, failed=failed, progress=step)

        failed: list[tuple[str, str]] = []

        def work(emit) -> int:
            # A bad folder fails before the project exists.
            dataset = folder is not None and (folder / "images").is_dir() and (folder / "sequences.csv").exists()
            sources = [] if folder is None or dataset or not folder.is_dir() else source_files([folder])
            if folder is not None and not dataset and not sources:
                raise ValueError(f"no images in {folder} (TIFF, PNG, JPEG, OME-Zarr, CZI, ND2 or LIF, "
                                 "or a dataset folder with DIR/images/)")
            client.create_project(name, strategy=strategy)
            if folder is None:
                return 0
            entries = from_dataset_folder(emit) if dataset else from_files(emit, sources)
            response = client.add_samples(name, entries)
            if failed:
                raise ValueError(f"project {name} created with {response.added} samples, but "
                                 + "; ".join(f"{Path(file).name}: {error}" for file, error in failed))
            return response.added

        def progress(value) -> None:
            done, total = value
            self.busy.setRange(0, total or max(done, 1))  # files: the total is known only at the end
            self.busy.setValue(done)
            self.statusBar().showMessage(f"New project {name}: added {done}" + (f" / {total}" if total else "")
                                         + " samples")

        def created(count: int) -> None:
            self.statusBar().showMessage(f"Created project {name} with {count} images", 6000)
            self._wanted_project = name
            self.connect_services()
            self.project_created.emit(name)

        self._run("New project", work, created, on_progress=progress)

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
                self.statusBar().showMessage(f"{what} not saved: {error}", 10000)
                return
            save(dialog, values)

        self._run(what, load, edit)

    def open_assist_settings(self) -> None:
        """The project's assist settings (what Next's pre-label runs), to edit
        (an admin's token where roles are on)."""
        if not self.project:
            return
        project, client = self.project, self.client
        self._edit_settings(
            "Assist settings", lambda: (client.get_project(project).assist, {
                family: client.list_operations(family) for family in ("preprocess", "prelabel", "postprocess")}),
            lambda loaded: AssistSettingsDialog(project, *loaded, self),
            lambda dialog, steps: self.save_assist_settings(*steps))

    def save_assist_settings(self, preprocess, method, postprocess) -> None:
        project, client = self.project, self.client

        def saved(_) -> None:
            self.statusBar().showMessage(f"Assist settings of {project} saved: pre-labels without a method use them",
                                         6000)
            self.assist_saved.emit(project)
        self._run("Save assist settings", lambda: client.set_assist(project, preprocess, method, postprocess), saved)

    def open_inspection_settings(self) -> None:
        """The project's inspection settings, to edit (an admin's token where roles are on)."""
        if not self.project:
            return
        project, client = self.project, self.client
        self._edit_settings(
            "Inspection settings", lambda: (client.list_criteria(), client.get_project(project).inspection),
            lambda loaded: InspectionSettingsDialog(project, *loaded, self),
            lambda dialog, chosen: self.save_inspection_settings(*chosen, dialog.min_confidence.value()))

    def save_inspection_settings(self, criteria, disabled, min_confidence: float = 0.0) -> None:
        project, client = self.project, self.client

        def saved(result) -> None:
            self.statusBar().showMessage(f"Inspection settings of {project} saved", 6000)
            self.inspection_saved.emit(project)
        self._run("Save inspection settings", lambda: client.set_inspection(project, criteria, disabled, min_confidence),
                  saved)

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
                                    + ("  (the model picks what to label next)" if progress.model_version else ""))
        self.progress_label.setToolTip(f"model v{progress.model_version}, {progress.scored} samples scored"
                                       if progress.model_version else "")
        self.progress_bar.setRange(0, max(progress.total, 1))
        self.progress_bar.setValue(progress.labeled)
        if progress.HasField("outlook"):
            outlook = progress.outlook
            verdict = "more labels pay" if outlook.worth_it else "more labels unlikely to pay"
            self.progress_label.setText(f"{self.progress_label.text()}\n{verdict}: next {outlook.ahead} → Dice "
                                        f"{outlook.predicted:.3f} ({outlook.low:.3f}–{outlook.high:.3f})")
            self.progress_label.setToolTip("\n".join(filter(None, [self.progress_label.toolTip(), outlook.summary])))
        if progress.best_prelabel:
            described = {row.source: row.description for row in progress.prelabel_evidence}
            best = described.get(progress.best_prelabel) or operation_name(progress.best_prelabel)
            self.progress_label.setText(f"{self.progress_label.text()}\nbest pre-label: {best}")
            self.progress_label.setToolTip("\n".join(filter(None, [self.progress_label.toolTip(),
                                                                    progress.best_prelabel_reason])))

    # -- workflow -----------------------------------------------------------
