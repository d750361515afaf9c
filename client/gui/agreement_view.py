"""Project ▸ Agreement over time…: a dialog that plots the project's and
each annotator's matched-object F1 per calendar week or per N labels (the
project's line with its 95 % interval), from
:class:`~labelassist.client.gui.agreement.AgreementController`."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from labelassist.client.gui.agreement import PROJECT, AgreementChart, AgreementController
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDialog, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout

LINE_COLOURS = [(0, 114, 178), (230, 159, 0), (0, 158, 115), (204, 121, 167), (86, 180, 233), (213, 94, 0),
                (240, 228, 66)]  # Okabe-Ito, for colour-blind readers


class AgreementDialog(QDialog):
    """The plot, and the choice of windows; ``shown`` carries each chart drawn."""

    shown = Signal(object)

    def __init__(self, window, controller: AgreementController):
        super().__init__(window)
        self.window, self.controller = window, controller
        self.setWindowTitle("Agreement over time")
        self.resize(720, 460)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.windows = QComboBox()
        self.windows.addItem("per calendar week", "week")
        self.windows.addItem("per N labels", "labels")
        self.per_window = QSpinBox()
        self.per_window.setRange(1, 10_000)
        self.per_window.setValue(10)
        self.per_window.setPrefix("N = ")
        row.addWidget(QLabel("Windows"))
        row.addWidget(self.windows)
        row.addWidget(self.per_window)
        row.addStretch(1)
        layout.addLayout(row)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setLabel("left", "matched-object F1 (IoU 0.5)")
        self.plot.setYRange(0, 1.02)
        self.plot.addLegend(offset=(10, 10))
        layout.addWidget(self.plot, 1)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.chart: AgreementChart | None = None
        self.windows.currentIndexChanged.connect(self.load)
        self.per_window.editingFinished.connect(self.load)

    def load(self, *_unused) -> None:
        project, window = self.window.project, self.windows.currentData()
        self.per_window.setEnabled(window == "labels")
        if not project:
            return
        call = self.controller.over_time_call(project, window, self.per_window.value())
        self.window.run("Agreement over time", call,
                        lambda found: self.draw(found) if self.window.project == project else None)

    def draw(self, chart: AgreementChart) -> None:
        self.chart = chart
        self.plot.clear()
        self.plot.getAxis("bottom").setTicks([list(enumerate(chart.ticks))])
        for index, series in enumerate(chart.series):
            if not series.x:
                continue
            project = series.name == PROJECT
            colour = (0, 0, 0) if project else LINE_COLOURS[index % len(LINE_COLOURS)]
            pen = pg.mkPen(colour, width=3 if project else 1.5)
            self.plot.plot(series.x, series.f1, pen=pen, symbol="o", symbolSize=6, symbolBrush=colour,
                           name=f"{series.name} ({sum(series.labels)} labels)")
            if project:
                f1 = np.asarray(series.f1)
                self.plot.addItem(pg.ErrorBarItem(x=np.asarray(series.x, float), y=f1,
                                                  top=np.asarray(series.high) - f1, bottom=f1 - np.asarray(series.low),
                                                  beam=0.15, pen=pg.mkPen(colour)))
        self.summary.setText(chart.summary())
        self.shown.emit(chart)


class AgreementView:
    """Opens the dialog for the window's project (reviewers and admins see
    every annotator; others the project and themselves)."""

    def __init__(self, window):
        self.window = window
        self.controller = AgreementController(window.client)
        self.dialog: AgreementDialog | None = None

    def open(self) -> None:
        window = self.window
        if not window.project:
            window.statusBar().showMessage("No project: pick one first", 5000)
            return
        self.controller.client = window.client  # after a reconnect
        if self.dialog is None:
            self.dialog = AgreementDialog(window, self.controller)
        self.dialog.setWindowTitle(f"Agreement over time: {window.project}")
        self.dialog.show()
        self.dialog.load()


__all__ = ["AgreementDialog", "AgreementView"]
