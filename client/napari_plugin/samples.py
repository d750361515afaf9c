"""The project's sample list in the napari dock widget, with the class
filter the desktop client's list has (each object class, each image class,
objects without a class; hidden for a project without classes): the
Qt-free :class:`~labelassist.client.class_filter.ClassFilter` chooses, the
selector's class index filters. Double-click a sample (or select it and
press Open) to open it with its newest label, without a lease: Submit
stores the label's next version, as in the desktop client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from qtpy.QtCore import Qt
from qtpy.QtWidgets import (QComboBox, QGroupBox, QHBoxLayout, QListWidget, QListWidgetItem, QPushButton,
                            QVBoxLayout, QWidget)

from labelassist.client.class_filter import ClassFilter
from labelassist.client.results import ClassSchema, SampleInfo

PAGE = 500  # samples listed at once; the status says when there are more


def sample_caption(info: SampleInfo) -> str:
    """One row of the list: the name, and the newest label version with its review."""
    state = f"v{info.label_version}" + (f", {info.review}" if info.review else "") if info.labeled else "unlabelled"
    return f"{info.stem}  ({state})"


class SampleListBox(QGroupBox):
    """The sample list and its class filter.

    Parameters
    ----------
    run : callable
        The widget's ``_run(what, work, show, signal)``: ``work`` on a worker thread.
    client : callable
        The connected SDK client now (None before Connect).
    project : callable
        The project chosen now.
    open_sample : callable
        Opens a sample by id (the widget's ``open_sample``).
    """

    def __init__(self, run: Callable, client: Callable[[], object], project: Callable[[], str],
                 open_sample: Callable[[int], None], parent: QWidget | None = None):
        super().__init__("Samples", parent)
        self._run, self._client, self._project, self._open = run, client, project, open_sample
        self.class_filter = ClassFilter()
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.filter = QComboBox()
        self.filter.setToolTip("Show only the samples whose newest label carries this class")
        self.filter.hide()
        self.filter.activated.connect(lambda _index: self.choose(self.filter.currentText()))
        row.addWidget(self.filter, 1)
        self.reload_button = QPushButton("List")
        self.reload_button.setToolTip("List the project's samples (with the class chosen)")
        self.reload_button.clicked.connect(self.reload)
        row.addWidget(self.reload_button)
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Open the selected sample with its newest label (no lease)")
        self.open_button.clicked.connect(self.open_selected)
        row.addWidget(self.open_button)
        layout.addLayout(row)
        self.samples = QListWidget()
        self.samples.itemDoubleClicked.connect(lambda item: self._open(int(item.data(Qt.ItemDataRole.UserRole))))
        layout.addWidget(self.samples)
        self.infos: list[SampleInfo] = []  # the samples listed, in order
        self.more = False  # the page listed holds fewer than the filter finds

    def use(self, schema: ClassSchema | None) -> None:
        """A project's schema: its filter choices (hidden without classes), then its samples."""
        choices = self.class_filter.use(schema)
        self.filter.clear()
        self.filter.addItems(choices)
        if choices:
            self.filter.setCurrentText(self.class_filter.chosen)
        self.filter.setVisible(self.class_filter.offered)
        self.reload()

    def choose(self, label: str) -> None:
        """Filter by ``label`` (one of the choices) and list again when it changed."""
        if self.class_filter.choose(label):
            self.filter.setCurrentText(label)
            self.reload()

    def reload(self) -> None:
        """List the first page of the project's samples under the filter chosen now."""
        client, project = self._client(), self._project()
        if client is None or not project:
            return
        call = self.class_filter.page_call(
            lambda name, token, labelled, **wanted: client.samples_page(name, token, PAGE, labelled, **wanted),
            project, "", False)
        # A background load (quiet ``done``/``failed``): it runs beside what the annotator pressed.
        self._run("List samples", call, lambda page: self.show_page(project, *page), signal=False)

    def show_page(self, project: str, infos: list[SampleInfo], next_token: str) -> None:
        if project != self._project():
            return  # another project was chosen meanwhile
        self.samples.clear()
        self.infos = list(infos)
        for info in infos:
            item = QListWidgetItem(sample_caption(info))
            item.setData(Qt.ItemDataRole.UserRole, int(info.sample_id))
            self.samples.addItem(item)
        self.more = bool(next_token)

    def stored(self, sample_id: int, version: int) -> None:
        """A label version was stored: its row says so (List reads the filter's samples again)."""
        for row, info in enumerate(self.infos):
            if info.sample_id == sample_id:
                self.infos[row] = replace(info, labeled=True, label_version=version, review="")
                self.samples.item(row).setText(sample_caption(self.infos[row]))

    @property
    def listed(self) -> list[str]:
        """The names of the samples listed, in order."""
        return [info.stem for info in self.infos]

    def open_selected(self) -> None:
        item = self.samples.currentItem()
        if item is not None:
            self._open(int(item.data(Qt.ItemDataRole.UserRole)))


__all__ = ["SampleListBox", "sample_caption"]
