"""Per-channel display of a multichannel image (2-channel fluorescence, or
more): a dock with one row per channel — shown or hidden, its colour, and
the percentiles its values are stretched between. It changes only what is
drawn; the image sent to the services stays as it is."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QDockWidget, QDoubleSpinBox, QGridLayout, QLabel, QWidget

from labelassist.client.gui.editing import (COLOUR_NAMES, ChannelDisplay, composite, default_channels,
                                            is_multichannel)
from labelassist.client.gui.layout import NoWheelComboBox


def _colour_name(colour) -> str:
    return next((name for name, rgb in COLOUR_NAMES.items() if np.allclose(rgb, colour)), "grey")


class ChannelPanel(QDockWidget):
    """The channels of the image on screen; ``changed`` carries the RGB
    composite to draw whenever a control moves."""

    changed = Signal(object)

    def __init__(self, parent=None):
        super().__init__("Channels", parent)
        self.setObjectName("channels")
        self.image: np.ndarray | None = None
        self.channels: list[ChannelDisplay] = []
        self.rows: list[tuple[QCheckBox, NoWheelComboBox, QDoubleSpinBox, QDoubleSpinBox]] = []
        self.body = QWidget()
        self.grid = QGridLayout(self.body)
        self.setWidget(self.body)
        self.show_image(None)

    def show_image(self, image: np.ndarray | None, names: Sequence[str] = ()) -> None:
        """A new image: one row per channel when it has channels to mix, else
        a note; each row named by the file's channel name when it has one
        for every channel ("membrane", "nuclei"), else by its index."""
        while self.grid.count():
            widget = self.grid.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.rows = []
        if image is None or not is_multichannel(image):
            self.image, self.channels = None, []
            self.grid.addWidget(QLabel("grey or RGB: shown as it is"), 0, 0)
            self.setVisible(False)  # View > Channels still opens it
            return
        self.image, self.channels = image, default_channels(image.shape[2])
        self.setVisible(True)
        for column, title in enumerate(("channel", "colour", "low %", "high %")):
            self.grid.addWidget(QLabel(title), 0, column)
        for index, display in enumerate(self.channels):
            visible = QCheckBox(names[index] if len(names) == len(self.channels) and names[index] else f"{index}")
            visible.setChecked(display.visible)
            colour = NoWheelComboBox()
            colour.addItems(list(COLOUR_NAMES))
            colour.setCurrentText(_colour_name(display.colour))
            low, high = QDoubleSpinBox(), QDoubleSpinBox()
            for spin, value in ((low, display.low), (high, display.high)):
                spin.setRange(0.0, 100.0)
                spin.setSingleStep(0.5)
                spin.setValue(value)
                spin.valueChanged.connect(self._update)
            visible.toggled.connect(self._update)
            colour.currentTextChanged.connect(self._update)
            for column, widget in enumerate((visible, colour, low, high)):
                self.grid.addWidget(widget, index + 1, column)
            self.rows.append((visible, colour, low, high))

    def _update(self, *_) -> None:
        if self.image is None:
            return
        for display, (visible, colour, low, high) in zip(self.channels, self.rows):
            display.visible = visible.isChecked()
            display.colour = COLOUR_NAMES[colour.currentText()]
            display.low, display.high = min(low.value(), high.value()), max(low.value(), high.value())
        self.changed.emit(composite(self.image, self.channels))
