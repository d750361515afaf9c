"""The Label Assistant dock widget for napari.

Each button is one SDK call on a worker thread; its result lands in
napari layers named ``labelassist: …``: the image (Image), the label being
made (Labels, edited with napari's own brush, fill and eraser), scribbles
for Refine (Labels: 1 object, 2 background), clicks for Segment (Points
on the object; a second Points layer for what is not part of it), and the
inspection's warnings (Shapes, one rectangle per finding's box, with a
table beside them). "Not an error" answers the finding selected in the
table; Submit stores exactly the Labels layer's data and records what
became of the other warnings (see :mod:`labelassist.client.finding_answers`).

Lease, fetch, pre-label, inspect and submit are the calls of the
:class:`~labelassist.client.session.LabellingSession` the desktop client
runs too; the widget puts their results into layers.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable

import numpy as np
from qtpy.QtCore import Signal
from qtpy.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labelassist.client.errors import LabelAssistError
from labelassist.client.napari_plugin.classes import ClassPaletteBox
from labelassist.client.napari_plugin.samples import SampleListBox
from labelassist.client.results import Finding
from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.client.session import LabellingSession

IMAGE, LABELS, SCRIBBLES = "labelassist: image", "labelassist: labels", "labelassist: scribbles"
OBJECT_CLICKS, BACKGROUND_CLICKS, WARNINGS = ("labelassist: object clicks", "labelassist: background clicks",
                                              "labelassist: warnings")


class LabelAssistWidget(QWidget):
    """Connect, pick a project, then Next → correct → Inspect → Submit."""

    done = Signal(str)  # an action finished: its name
    failed = Signal(str, str)  # an action failed: its name, what went wrong and what to do

    def __init__(self, napari_viewer, parent: QWidget | None = None):
        super().__init__(parent)
        self.viewer = napari_viewer
        self.session: LabellingSession | None = None
        self._workers: list = []
        addresses = ServiceAddresses.discover()
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.addresses = {name: QLineEdit(address) for name, address in addresses.as_dict().items()}
        for name, field in self.addresses.items():
            form.addRow(name.capitalize(), field)
        self.annotator = QLineEdit(getpass.getuser())
        form.addRow("Annotator", self.annotator)
        self.project = QComboBox()
        form.addRow("Project", self.project)
        layout.addLayout(form)
        buttons = QGridLayout()
        self.buttons: dict[str, QPushButton] = {}
        for index, (text, handler, tip) in enumerate((
                ("Connect", self.connect_services, "List the selector's projects"),
                ("Next", self.next_sample, "Lease the next sample: image and pre-label into layers"),
                ("Pre-label", self.prelabel, "Pre-label the image layer with the project's assist settings"),
                ("Refine", self.refine, f"Correct the label from the {SCRIBBLES!r} layer (1 object, 2 background)"),
                ("Segment clicks", self.segment, f"One object from the points in {OBJECT_CLICKS!r} (and "
                                                 f"{BACKGROUND_CLICKS!r}), added as a new label"),
                ("Inspect", self.inspect, "Check the label: warnings as boxes and in the table"),
                ("Submit", self.submit, "Store the Labels layer as the sample's next label version"),
                ("Not an error", self.dismiss_finding, "The warning selected in the table is wrong: the project "
                                                        "records your answer and learns which warnings to believe"))):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(handler)
            buttons.addWidget(button, index // 2, index % 2)
            self.buttons[text] = button
        layout.addLayout(buttons)
        self.classes = ClassPaletteBox(lambda: self.session.classes if self.session is not None else None,
                                       lambda: self._layer(LABELS), self)
        layout.addWidget(self.classes)
        self.sample_list = SampleListBox(self._run, lambda: self.client, self._project, self.open_sample, self)
        layout.addWidget(self.sample_list)
        self.project.currentTextChanged.connect(self.load_classes)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Severity", "Criterion", "Message"])
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        self.status = QLabel("Connect to the services, pick a project, press Next.")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

    @property
    def client(self) -> LabelAssistClient | None:
        return self.session.client if self.session is not None else None

    @property
    def findings(self) -> list[Finding]:
        """The findings of the last inspection, as the table lists them."""
        return self.session.findings if self.session is not None else []

    # -- plumbing ---------------------------------------------------------------

    def _run(self, what: str, work: Callable[[], object], show: Callable[[object], None], signal: bool = True) -> None:
        """``work`` on a worker thread, ``show`` its result here; a failure
        goes to the status line with the service's message. Without
        ``signal``, a background load: ``done`` and ``failed`` stay quiet."""
        from napari.qt.threading import create_worker

        if self.client is None and what != "Connect":
            self._fail(what, "not connected: press Connect first")
            return
        self.status.setText(f"{what} …")
        worker = create_worker(work)

        def returned(value) -> None:
            show(value)
            if signal:
                self.done.emit(what)

        def errored(error: Exception) -> None:
            message = str(error) if isinstance(error, (LabelAssistError, ValueError)) else repr(error)
            if signal:
                self._fail(what, message)
            else:
                self.status.setText(f"{what} failed: {message}")

        worker.returned.connect(returned)
        worker.errored.connect(errored)
        worker.finished.connect(lambda: self._workers.remove(worker))
        self._workers.append(worker)
        worker.start()

    def _fail(self, what: str, message: str) -> None:
        self.status.setText(f"{what} failed: {message}")
        self.failed.emit(what, message)

    def _layer(self, name: str):
        return self.viewer.layers[name] if name in self.viewer.layers else None

    def _image(self) -> np.ndarray:
        from napari.layers import Image

        layer = self._layer(IMAGE) or next((la for la in self.viewer.layers if isinstance(la, Image)), None)
        if layer is None:
            raise ValueError("no image layer: press Next, or open an image")
        return np.asarray(layer.data)

    def _labels(self) -> np.ndarray:
        layer = self._layer(LABELS)
        return np.asarray(layer.data) if layer is not None else np.zeros(self._image().shape[:2], np.uint16)

    def _show_labels(self, labels: np.ndarray) -> None:
        labels = np.asarray(labels).astype(np.uint16)
        layer = self._layer(LABELS)
        if layer is None:
            self.viewer.add_labels(labels, name=LABELS)
        else:
            layer.data = labels
        self.viewer.layers.selection.active = self._layer(LABELS)
        self.classes.sync()
        self.classes.refresh()

    def _project(self) -> str:
        return self.project.currentText()

    # -- actions -------------------------------------------------------------------

    def connect_services(self) -> None:
        if self.client is not None:
            self.client.close()
        client = LabelAssistClient(ServiceAddresses(**{n: f.text().strip() for n, f in self.addresses.items()}),
                                   timeout=120, retries=2)
        self.session = LabellingSession(client, self.annotator.text().strip())

        def show(projects) -> None:
            current = self._project()
            self.project.clear()
            self.project.addItems([p.name for p in projects])
            if current:
                self.project.setCurrentText(current)
            self.status.setText(f"{len(projects)} projects at {client.addresses.selector}")
        self._run("Connect", client.selector.list_projects, show)

    def next_sample(self) -> None:
        """Lease the next sample: its image, and its stored label, stored
        pre-label or a fresh pre-label, into layers."""
        if self.session is None:
            self._fail("Next", "not connected: press Connect first")
            return
        session, project = self.session, self._project()
        session.annotator = self.annotator.text().strip()
        self._run("Next", session.lease_call(project, prelabel=True),
                  lambda leased: self._show_sample(leased, f"{project}: every sample is labelled or leased"))

    def open_sample(self, sample_id: int) -> None:
        """Open a sample of the list with its newest label (no lease): Submit stores its next version."""
        if self.session is None:
            self._fail("Open", "not connected: press Connect first")
            return
        self.session.annotator = self.annotator.text().strip()
        self._run("Open", self.session.open_call(sample_id), self._show_sample)

    def _show_sample(self, leased, nothing: str = "") -> None:
        """A leased or opened sample (None: ``nothing`` left) into the layers."""
        self.session.show(leased)
        self._clear_findings()
        if leased is None:
            self.status.setText(nothing)
            return
        info, image = leased.sample, leased.image
        layer = self._layer(IMAGE)
        if layer is None:
            layer = self.viewer.add_image(image, name=IMAGE, rgb=image.ndim == 3 and image.shape[-1] in (3, 4))
        else:
            layer.data = image
        names = list(info.origin.channel_names) if info.origin.channel < 0 else []
        layer.metadata["channel_names"] = names
        shown = leased.shown_mask
        self._show_labels(shown if shown is not None else np.zeros(image.shape[:2], np.uint16))
        note = ("its stored label" if leased.label is not None else "pre-labelled" if shown is not None
                else f"no pre-label ({leased.prelabel_error})")
        channels = f", channels {' / '.join(names)}" if names else ""
        self.status.setText(f"{info.stem} (sample {info.sample_id}{channels}): {note}; correct it, Inspect, "
                            "Submit")

    def load_classes(self, project: str) -> None:
        """The project's class schema into the palette (hidden without classes)."""
        session = self.session
        if session is None or not project:
            return

        def show(schema) -> None:
            if project == self._project():
                session.use_project(schema)
                self.classes.build(schema)
                self.sample_list.use(schema)
        self._run("Classes", session.classes.load_call(session.client, project), show, signal=False)

    def prelabel(self) -> None:
        """Pre-label the leased sample (with the class model's guesses in a
        project with classes), or the image layer without one."""
        session, project = self.session, self._project()
        if session is not None and session.current is not None:
            def show(outcome) -> None:
                session.accept_prelabel(outcome)
                self._show_labels(outcome.mask)
            self._run("Pre-label", session.prelabel_call(), show)
            return
        client, image = self.client, self._image()
        self._run("Pre-label", lambda: client.assist.prelabel(image, project=project).mask,
                  self._show_labels)

    def refine(self) -> None:
        scribbles = self._layer(SCRIBBLES)
        if scribbles is None:
            self.viewer.add_labels(np.zeros(self._image().shape[:2], np.uint8), name=SCRIBBLES)
            self.status.setText(f"Paint 1 on the object and 2 on background in {SCRIBBLES!r}, then Refine again")
            self.done.emit("Refine")
            return
        client, image, marks, mask = self.client, self._image(), np.asarray(scribbles.data, np.uint8), self._labels()
        self._run("Refine", lambda: client.assist.refine(image, marks, mask=mask), self._show_labels)

    def segment(self) -> None:
        positive, negative = self._layer(OBJECT_CLICKS), self._layer(BACKGROUND_CLICKS)
        if positive is None or not len(positive.data):
            for name, colour in ((OBJECT_CLICKS, "lime"), (BACKGROUND_CLICKS, "red")):
                if self._layer(name) is None:
                    self.viewer.add_points(name=name, face_color=colour, size=8)
            self.viewer.layers.selection.active = self._layer(OBJECT_CLICKS)
            self.status.setText(f"Add points on the object in {OBJECT_CLICKS!r} (and where it must not reach in "
                                f"{BACKGROUND_CLICKS!r}), then Segment clicks again")
            self.done.emit("Segment clicks")
            return
        clicks = [(float(y), float(x), True) for y, x in np.asarray(positive.data)[:, -2:]]
        if negative is not None:
            clicks += [(float(y), float(x), False) for y, x in np.asarray(negative.data)[:, -2:]]
        client, image, labels = self.client, self._image(), self._labels()

        def show(segmented) -> None:
            mask = segmented.full(labels.shape) > 0
            added = labels.copy()
            added[mask & (added == 0)] = int(labels.max()) + 1  # a new object, over background only
            self._show_labels(added)
            for layer in (positive, negative):
                if layer is not None:
                    layer.data = np.empty((0, 2))
        self._run("Segment clicks", lambda: client.assist.segment(image, clicks), show)

    def inspect(self) -> None:
        """Inspect the Labels layer: against the leased sample's image and
        pre-label (the session's call), or against the image layer when no
        sample is leased."""
        if self.session is None:
            self._fail("Inspect", "not connected: press Connect first")
            return
        self.classes.sync()  # objects painted since the last class click
        session, project, labels = self.session, self._project(), self._labels()
        if session.current is not None:
            call = session.inspect_call(labels, project)
        else:
            image, inspector = self._image(), session.client.inspect
            object_classes = session.classes.submitted(labels)[0]
            call = lambda: inspector.inspect(labels, image=image, project=project,  # noqa: E731
                                             object_classes=object_classes)

        def show(inspection) -> None:
            session.accept_inspection(inspection, labels)
            self._clear_findings(keep=True)
            rectangles = [np.array([[b.start[0], b.start[1]], [b.stop[0], b.stop[1]]])
                          for f in inspection.findings for b in f.boxes]
            if rectangles:
                self.viewer.add_shapes(rectangles, shape_type="rectangle", name=WARNINGS, edge_color="yellow",
                                       face_color="transparent", edge_width=2)
            self.table.setRowCount(len(inspection.findings))
            for row, finding in enumerate(inspection.findings):
                for column, text in enumerate((finding.severity.label, finding.criterion, finding.message)):
                    self.table.setItem(row, column, QTableWidgetItem(text))
            self._mark_dismissed()
            self.status.setText(f"{len(inspection.warnings)} warnings, {len(inspection.findings)} findings")
        self._run("Inspect", call, show)

    def _clear_findings(self, keep: bool = False) -> None:
        if self._layer(WARNINGS) is not None:
            self.viewer.layers.remove(WARNINGS)
        if not keep:
            self.table.setRowCount(0)

    def submit(self) -> None:
        """Store exactly the Labels layer as the leased sample's next label
        version, and what became of the warnings shown for it."""
        if self.session is None or self.session.current is None:
            self._fail("Submit", "no sample: press Next, or open one from the list")
            return
        self.classes.sync()  # objects painted since the last class click
        session, sample_id, labels = self.session, self.session.sample_id, self._labels().copy()
        session.annotator = self.annotator.text().strip()

        def show(version) -> None:
            self.status.setText(f"stored label version {version.version} of sample {sample_id}; press Next")
            if session.is_current(sample_id):
                session.forget()
            self.sample_list.stored(sample_id, version.version)
        self._run("Submit", session.store_call(labels, self._project()), show)

    def dismiss_finding(self) -> None:
        """Answer the finding selected in the table "not an error"."""
        row = self.table.currentRow()
        if not 0 <= row < len(self.findings):
            self._fail("Not an error", "select a finding in the table first (press Inspect to list them)")
            return
        answers = self.session.answers
        finding, sample_id = self.findings[row], answers.sample_id
        call = answers.dismiss_call(self._project(), finding, self.annotator.text().strip())

        def show(answer) -> None:
            if answers.sample_id == sample_id:
                answers.dismissed(finding, answer)
                self._mark_dismissed()
            self.status.setText(f"{finding.criterion}: recorded as not an error (answer {answer.answer_id})")
        self._run("Not an error", call, show)

    def _mark_dismissed(self) -> None:
        for row, finding in enumerate(self.findings):
            if self.session.answers.is_dismissed(finding) and self.table.item(row, 0) is not None:
                self.table.item(row, 0).setText("not an error")
