"""The sample list: a dockable table of the project's samples, loaded a page
at a time as it scrolls, filtered by name and state; a double-click (or
Previous / Next in its order) opens a sample, a labelled one with its
latest label. A project with classes lists one class at a time on request
(:mod:`class_filter`, served by the selector's class index). "likely errors" is the reviewer's queue: the labels inspect
ranks most likely wrong first, each with its score and reason; opening one
outlines its suspect places."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labelassist.client.class_filter import ClassFilter

PAGE = 500
COLUMNS = ("Sample", "Sequence", "t", "z", "State", "Version", "Suspicion")
COLUMN_WIDTHS = (150, 90, 32, 32, 80, 56, 90)
STATES = ("all", "unlabelled", "labelled", "to review", "rejected", "likely errors")
RANKED = "likely errors"


STATE_FILTERS = {"all": lambda info: True, "unlabelled": lambda info: not info.labeled,
                 "labelled": lambda info: info.labeled,
                 "to review": lambda info: info.labeled and not info.review,
                 "rejected": lambda info: info.review == "rejected"}


def state_of(info) -> str:
    """unlabelled, labelled, or the review of its newest label."""
    if not info.labeled:
        return "unlabelled"
    return info.review or "labelled"


def _cell(value) -> QTableWidgetItem:
    item = QTableWidgetItem()
    item.setData(Qt.ItemDataRole.DisplayRole, value)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return item


class SampleBrowser(QDockWidget):
    """The samples of the open project; asks ``fetch_page(project, token,
    labelled_only, **class_filter)`` (run on a worker by ``run``) for more
    when scrolled to the end, and ``rank(project)`` for the review queue."""

    open_requested = Signal(int)  # a sample id
    loaded = Signal(int)  # rows now listed

    def __init__(self, parent, run, fetch_page, rank=None):
        super().__init__("Samples", parent)
        self.setObjectName("samples")
        self._run, self._fetch_page, self._rank = run, fetch_page, rank
        self.suspects: dict[int, list] = {}  # sample id -> its suspected errors, from the last ranking
        self._token: str | None = ""  # None: every page is loaded
        self._loading = False
        self._generation = 0
        self.ids: list[int] = []
        body = QWidget()
        layout = QVBoxLayout(body)
        row = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("filter by name")
        self.filter.textChanged.connect(self._apply_filter)
        self.state = QComboBox()
        self.state.addItems(STATES)
        self.state.currentTextChanged.connect(lambda _: self.reload())
        self.class_filter = ClassFilter()
        self.class_combo = QComboBox()
        self.class_combo.setToolTip("only the samples whose newest label carries this class")
        self.class_combo.setVisible(False)
        self.class_combo.textActivated.connect(self.choose_class)
        row.addWidget(self.filter, 1)
        row.addWidget(self.state)
        row.addWidget(self.class_combo)
        layout.addLayout(row)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # Fixed starting widths (the annotator may drag them): sizing to the
        # contents would measure every row again as each page arrives.
        for column, width in enumerate(COLUMN_WIDTHS):
            self.table.setColumnWidth(column, width)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.verticalHeader().setVisible(False)
        self.table.setSortingEnabled(True)
        # Pool order until the annotator clicks a column to sort by it.
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.cellDoubleClicked.connect(lambda row, _: self.open_row(row))
        self.table.verticalScrollBar().valueChanged.connect(self._maybe_more)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        for text, step in (("Previous (PgUp)", -1), ("Next in list (PgDn)", 1)):
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, s=step: self.step(s))
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.count = QLabel("no project")
        layout.addWidget(self.count)
        self.setWidget(body)
        self.project = ""

    # -- loading ------------------------------------------------------------

    def show_project(self, project: str) -> None:
        self.project = project
        self.use_classes(None)
        self.reload()

    def use_classes(self, schema) -> None:
        """The class filter of the project's schema (hidden without classes)."""
        before = self.class_filter.chosen
        choices = self.class_filter.use(schema)
        self.class_combo.clear()
        self.class_combo.addItems(choices)
        self.class_combo.setCurrentText(self.class_filter.chosen)
        self.class_combo.setVisible(self.class_filter.offered)
        if self.class_filter.chosen != before:
            self.reload()  # the schema no longer has the class the list showed

    def choose_class(self, label: str) -> None:
        if self.class_filter.choose(label):
            self.reload()

    def reload(self) -> None:
        self._generation += 1
        self.table.setSortingEnabled(False)
        self.table.setRowCount(0)
        self.table.setSortingEnabled(True)
        self.ids, self._token, self._loading = [], "", False
        if self.project and self.state.currentText() == RANKED:
            self._load_ranking()
        elif self.project:
            self.more()

    def _load_ranking(self) -> None:
        """Ask inspect to rank the project's labels (every page at once: the ranking is one answer)."""
        if self._rank is None:
            return
        self._token, self._loading = None, True
        generation, project, rank = self._generation, self.project, self._rank
        self.count.setText("ranking the labels…")
        self._run("Likely errors", lambda: rank(project), lambda ranking: self._add_ranking(generation, ranking),
                  on_error=lambda _: self._done_loading())

    def _add_ranking(self, generation: int, ranking) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self.suspects = {}
        for suspect in ranking.suspects:
            self.suspects.setdefault(suspect.sample_id, []).append(suspect)
        self.table.setSortingEnabled(False)
        for sample_id, stem, version, score, count in ranking.labels:
            found = self.suspects.get(int(sample_id), [])
            row = self._append_row(sample_id, stem, "", "", "", "labelled", int(version), round(float(score), 2))
            self.table.item(row, 6).setToolTip("\n".join(f"{s.score:.2f}: {s.reason}" for s in found[:5])
                                               or "nothing suspect")
        self.table.setSortingEnabled(True)
        self._apply_filter(self.filter.text())
        model = f"{ranking.model} v{ranking.model_version}" if ranking.model_version else ranking.model
        self.count.setText(f"{self.table.rowCount()} labels, most likely errors first ({model} model)")
        self.loaded.emit(self.table.rowCount())

    def suspect_boxes(self, sample_id: int) -> list[tuple[int, int, int, int]]:
        """Where the last ranking suspects errors in this sample's label (top, left, bottom, right)."""
        return [(*s.box.start[:2], *s.box.stop[:2]) for s in self.suspects.get(sample_id, []) if s.score >= 0.5]

    def more(self) -> None:
        """Load the next page, unless one is on its way or all are here."""
        if self._token is None or self._loading or not self.project:
            return
        self._loading = True
        generation, token = self._generation, self._token
        labelled = self.state.currentText() not in ("all", "unlabelled")
        project, fetch = self.project, self._fetch_page
        self._run("Sample list", self.class_filter.page_call(fetch, project, token, labelled),
                  lambda page: self._add_page(generation, *page), on_error=lambda _: self._done_loading())

    def _done_loading(self) -> None:
        self._loading = False

    def _add_page(self, generation: int, infos, next_token: str) -> None:
        if generation != self._generation:
            return  # a page for a list that was reloaded meanwhile
        self._loading = False
        self._token = next_token or None
        wanted = STATE_FILTERS.get(self.state.currentText(), STATE_FILTERS["all"])
        self.table.setSortingEnabled(False)
        for info in infos:
            if not wanted(info):
                continue
            origin = info.origin
            row = self._append_row(info.sample_id, info.stem, info.sequence,
                                   int(origin.t) if origin.file else "", int(origin.z) if origin.file else "",
                                   state_of(info), int(info.label_version) if info.labeled else "", "")
            if info.review_comment:
                self.table.item(row, 4).setToolTip(f"{info.reviewer}: {info.review_comment}")
        self.table.setSortingEnabled(True)
        self._apply_filter(self.filter.text())
        more = "" if self._token is None else " (more as you scroll)"
        self.count.setText(f"{self.table.rowCount()} samples listed{more}")
        self.loaded.emit(self.table.rowCount())

    def _append_row(self, sample_id: int, *values) -> int:
        """A row of the table's columns (sample, sequence, t, z, state, version,
        suspicion); the sample's id rides on its name. Sorting is off meanwhile."""
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column, value in enumerate(values):
            self.table.setItem(row, column, _cell(value))
        self.table.item(row, 0).setData(Qt.ItemDataRole.UserRole, int(sample_id))
        self.ids.append(int(sample_id))
        return row

    def _maybe_more(self, value: int) -> None:
        if value >= self.table.verticalScrollBar().maximum() - 2:
            self.more()

    def _apply_filter(self, text: str) -> None:
        text = text.strip().lower()
        for row in range(self.table.rowCount()):
            self.table.setRowHidden(row, bool(text) and text not in self.table.item(row, 0).text().lower())

    # -- opening ------------------------------------------------------------

    def sample_at(self, row: int) -> int | None:
        item = self.table.item(row, 0)
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def open_row(self, row: int) -> None:
        sample_id = self.sample_at(row)
        if sample_id is not None:
            self.table.selectRow(row)
            self.open_requested.emit(sample_id)

    def step(self, direction: int) -> None:
        """Open the previous or next visible sample in the list's order."""
        rows = [r for r in range(self.table.rowCount()) if not self.table.isRowHidden(r)]
        if not rows:
            return
        current = self.table.currentRow()
        if current not in rows:
            target = rows[0] if direction > 0 else rows[-1]
        else:
            index = rows.index(current) + direction
            if index >= len(rows):
                self.more()
                return
            target = rows[max(index, 0)]
        self.open_row(target)

    def mark(self, sample_id: int, version: int | None = None, state: str = "labelled", comment: str = "") -> None:
        """A label was stored or reviewed: show the sample's new state."""
        for row in range(self.table.rowCount()):
            if self.sample_at(row) == sample_id:
                self.table.item(row, 4).setData(Qt.ItemDataRole.DisplayRole, state)
                self.table.item(row, 4).setToolTip(comment)
                if version is not None:
                    self.table.item(row, 5).setData(Qt.ItemDataRole.DisplayRole, version)

    def listed(self) -> list[int]:
        """The visible samples' ids in the list's order."""
        return [self.sample_at(row) for row in range(self.table.rowCount()) if not self.table.isRowHidden(row)]

    def remove(self, sample_id: int) -> None:
        """A sample was deleted: its row goes."""
        for row in reversed(range(self.table.rowCount())):
            if self.sample_at(row) == sample_id:
                self.table.removeRow(row)
        self.ids = [listed for listed in self.ids if listed != sample_id]
