"""The projects behind the desktop client, without Qt: what the window
lists (projects, operations, strategies), creating a project from a
folder, a project's assist and inspection settings, its progress in words,
renaming and deleting.

Each ``*_call`` captures what it needs and runs anywhere (the window runs
it on a worker thread, scripts and tests call it directly), as
:mod:`~labelassist.client.session`'s calls do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labelassist.client.gui.wording import operation_name
from labelassist.client.sdk import LabelAssistClient

Call = Callable[[], Any]
Emit = Callable[[Any], None]
FAMILIES = ("preprocess", "prelabel", "refine", "postprocess")


@dataclass
class Catalogue:
    """What the window offers: the projects, each assist family's operations
    (``NamedSpec`` with name and description) and the strategies' names."""
    projects: list[str] = field(default_factory=list)
    operations: dict[str, list] = field(default_factory=dict)
    strategies: list[str] = field(default_factory=list)


@dataclass
class ProgressSummary:
    """A project's progress as the window words it."""
    labeled: int
    total: int
    text: str
    details: str


def summarise_progress(progress) -> ProgressSummary:
    """The labelled count, the model's outlook and the best pre-label, in words."""
    text = f"{progress.labeled} / {progress.total}" + (
        "  (the model picks what to label next)" if progress.model_version else "")
    details = [f"model v{progress.model_version}, {progress.scored} samples scored" if progress.model_version else ""]
    if progress.HasField("outlook"):
        outlook = progress.outlook
        verdict = "more labels pay" if outlook.worth_it else "more labels unlikely to pay"
        text += (f"\n{verdict}: next {outlook.ahead} → Dice {outlook.predicted:.3f} "
                 f"({outlook.low:.3f}–{outlook.high:.3f})")
        details.append(outlook.summary)
    if progress.best_prelabel:
        described = {row.source: row.description for row in progress.prelabel_evidence}
        text += f"\nbest pre-label: {described.get(progress.best_prelabel) or operation_name(progress.best_prelabel)}"
        details.append(progress.best_prelabel_reason)
    return ProgressSummary(int(progress.labeled), int(progress.total), text, "\n".join(filter(None, details)))


def no_images_error(folder: Path) -> ValueError:
    return ValueError(f"no images in {folder} (TIFF, PNG, JPEG, OME-Zarr, CZI, ND2 or LIF, "
                      "or a dataset folder with DIR/images/)")


class ProjectsController:
    """The projects one window works with, and the project it was asked to open.

    Parameters
    ----------
    client : LabelAssistClient
        The services (replaced with :meth:`use` after a change of connection).
    wanted : str, optional
        The project to open once the list is loaded.
    """

    def __init__(self, client: LabelAssistClient, wanted: str | None = None):
        self.client = client
        self.wanted = wanted
        self.catalogue = Catalogue()

    def use(self, client: LabelAssistClient) -> None:
        self.client = client

    # -- the catalogue ------------------------------------------------------

    def load_call(self) -> Call:
        """The projects, the operations of each family and the strategies: a :class:`Catalogue`."""
        selector, assist = self.client.selector, self.client.assist

        def load() -> Catalogue:
            return Catalogue([p.name for p in selector.list_projects()],
                             {family: assist.list_operations(family) for family in FAMILIES},
                             [s.name for s in selector.list_strategies()])
        return load

    def loaded(self, catalogue: Catalogue, current: str) -> tuple[str | None, str | None]:
        """Keep ``catalogue``; the project to show (the wanted one, else
        ``current``), and the wanted project that does not exist, if so."""
        self.catalogue = catalogue
        chosen = self.wanted or current
        if self.wanted and self.wanted not in catalogue.projects:
            missing, self.wanted = self.wanted, None
            return None, missing
        return chosen or None, None

    def renamed(self, project: str, new_name: str) -> None:
        if self.wanted == project:
            self.wanted = new_name

    def deleted(self, project: str) -> None:
        if self.wanted == project:
            self.wanted = None

    # -- creating -----------------------------------------------------------

    def create_call(self, name: str, strategy: str = "", folder: Path | None = None
                    ) -> Callable[[Emit], int]:
        """Create the project, then stream the folder's images (with labels,
        for a dataset folder) in one call, emitting (done, total) (total 0
        while unknown); the call returns how many samples were added. A
        folder without images fails before the project exists."""
        from labelassist.io.dataset_folder import read_samples
        from labelassist.io.images import read_image
        from labelassist.io.project_files import file_samples, source_files

        selector = self.client.selector
        failed: list[tuple[str, str]] = []

        def from_dataset_folder(emit: Emit):
            samples = read_samples(folder)
            for index, sample in enumerate(samples):
                yield {"stem": sample.stem, "image": read_image(sample.image), "sequence": sample.sequence or "",
                       "label": read_image(sample.label) if sample.label else None}
                emit((index + 1, len(samples)))

        def from_files(emit: Emit, sources):
            """Plain images and stacks: every plane a sample, large planes as tiles."""
            done = 0

            def step() -> None:
                nonlocal done
                done += 1
                emit((done, 0))
            yield from file_samples(sources, failed=failed, progress=step)

        def create(emit: Emit) -> int:
            dataset = folder is not None and (folder / "images").is_dir() and (folder / "sequences.csv").exists()
            sources = [] if folder is None or dataset or not folder.is_dir() else source_files([folder])
            if folder is not None and not dataset and not sources:
                raise no_images_error(folder)
            selector.create_project(name, strategy=strategy)
            if folder is None:
                return 0
            response = selector.add_samples(name, from_dataset_folder(emit) if dataset else from_files(emit, sources))
            if failed:
                raise ValueError(f"project {name} created with {response.added} samples, but "
                                 + "; ".join(f"{Path(file).name}: {error}" for file, error in failed))
            return response.added
        return create

    # -- settings and progress ----------------------------------------------

    def assist_settings_call(self, project: str) -> Call:
        """The project's assist settings and the operations to choose from, per family."""
        selector, assist = self.client.selector, self.client.assist
        return lambda: (selector.get_project(project).assist,
                        {family: assist.list_operations(family) for family in ("preprocess", "prelabel", "postprocess")})

    def save_assist_call(self, project: str, preprocess, method, postprocess) -> Call:
        selector = self.client.selector
        return lambda: selector.set_assist(project, preprocess, method, postprocess)

    def inspection_settings_call(self, project: str) -> Call:
        """The criteria to choose from and the project's inspection settings."""
        inspect, selector = self.client.inspect, self.client.selector
        return lambda: (inspect.list_criteria(), selector.get_project(project).inspection)

    def save_inspection_call(self, project: str, criteria, disabled, min_confidence: float = 0.0) -> Call:
        selector = self.client.selector
        return lambda: selector.set_inspection(project, criteria, disabled, min_confidence)

    def progress_call(self, project: str) -> Call:
        """The project's progress as a :class:`ProgressSummary`."""
        selector = self.client.selector
        return lambda: summarise_progress(selector.progress(project))

    # -- renaming and deleting (project admins) -----------------------------

    def rename_call(self, project: str, new_name: str) -> Call:
        selector = self.client.selector
        return lambda: selector.rename_project(project, new_name)

    def delete_project_call(self, project: str) -> Call:
        selector = self.client.selector
        return lambda: selector.delete_project(project)

    def delete_sample_call(self, sample_id: int) -> Call:
        selector = self.client.selector
        return lambda: selector.delete_sample(sample_id)


__all__ = ["Catalogue", "ProgressSummary", "ProjectsController", "summarise_progress"]
