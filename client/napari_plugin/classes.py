"""The class palette in the napari dock widget, over the labelling
session's :class:`~labelassist.client.class_palette.ClassPalette` (the
desktop client's Classes dock shows the same one).

The Labels layer is coloured by class (a ``DirectLabelColormap``) and its
``features`` table holds each object's class and the class model's
confidence, which napari shows under the cursor. The selected object is
napari's own selected label (pick it with the Labels layer's picker);
shift-click more objects on the layer to select several: a class button
re-classes every selected object and becomes the current class, which
objects painted with a new label get. napari keeps its own keys; the
palette is clicked."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from qtpy.QtWidgets import (QAbstractButton, QCheckBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QRadioButton,
                            QVBoxLayout, QWidget)

from labelassist.client.class_palette import GUESSED, ClassPalette, object_centres
from labelassist.client.results import ClassSchema


class ClassPaletteBox(QGroupBox):
    """Object class buttons, image class toggles and "Least sure next".

    Parameters
    ----------
    palette : callable
        The session's palette now (the widget makes a session on Connect).
    labels_layer : callable
        The Labels layer being made, or None.
    """

    def __init__(self, palette: Callable[[], ClassPalette | None], labels_layer: Callable[[], object],
                 parent: QWidget | None = None):
        super().__init__("Classes", parent)
        self._palette, self._layer = palette, labels_layer
        layout = QVBoxLayout(self)
        self.object_row = QHBoxLayout()
        self.image_row = QHBoxLayout()
        layout.addLayout(self.object_row)
        layout.addLayout(self.image_row)
        self.least_sure_button = QPushButton("Least sure next")
        self.least_sure_button.setToolTip("Select the class model's least confident guess not yet decided; Submit "
                                          "accepts the guesses left as they are")
        self.least_sure_button.clicked.connect(self.least_sure)
        layout.addWidget(self.least_sure_button)
        self.selected = QLabel("")
        self.selected.setWordWrap(True)
        layout.addWidget(self.selected)
        self.object_buttons: dict[str, QPushButton] = {}
        self.image_buttons: dict[str, QAbstractButton] = {}
        self._watched = None
        self._jumped = 0  # the object "Least sure next" selected last
        self.hide()

    @property
    def palette(self) -> ClassPalette:
        return self._palette() or ClassPalette()

    def build(self, schema: ClassSchema) -> None:
        """Buttons for ``schema`` (after the session took it)."""
        for button in list(self.object_buttons.values()) + list(self.image_buttons.values()):
            button.setParent(None)
            button.deleteLater()
        self.object_buttons, self.image_buttons = {}, {}
        for definition in schema.object_classes:
            button = QPushButton(definition.name)
            button.setCheckable(True)
            button.setStyleSheet(f"QPushButton {{ border-bottom: 5px solid {definition.colour or '#c8c8c8'}; }}")
            button.clicked.connect(lambda _=False, name=definition.name: self.click_class(name))
            self.object_row.addWidget(button)
            self.object_buttons[definition.name] = button
        for definition in schema.image_classes:
            button = QCheckBox(definition.name) if schema.multi_label else QRadioButton(definition.name)
            button.setAutoExclusive(False)
            button.clicked.connect(lambda on, name=definition.name: self.toggle_image(name, on))
            self.image_row.addWidget(button)
            self.image_buttons[definition.name] = button
        self.least_sure_button.setVisible(bool(schema.object_classes))
        self.setVisible(bool(schema.object_classes or schema.image_classes))
        self.refresh()

    # -- the annotator's clicks ------------------------------------------------------

    def sync(self) -> None:
        """Objects painted with a new label take the current class."""
        layer = self._layer()
        if layer is not None and self.palette.has_object_classes:
            before = set(self.palette.objects)
            self.palette.appeared(np.unique(np.asarray(layer.data)))
            if set(self.palette.objects) != before:
                self.refresh()

    def click_class(self, name: str) -> None:
        """``name`` becomes current; the selected objects (napari's selected
        label and those shift-clicked with it) get it."""
        palette, layer = self.palette, self._layer()
        self.sync()
        palette.choose(name)
        chosen = int(layer.selected_label) if layer is not None else 0
        if chosen in palette.objects and chosen not in palette.selection:
            palette.select(chosen)  # napari's picker moved on since the last shift-click
        if any(i in palette.objects for i in palette.selection):
            palette.assign(name)
        self.refresh()

    def pick(self, object_id: int, add: bool = False) -> None:
        """Select an object (with ``add``, as a shift-click: add it to the
        selection, or take it out when it is in)."""
        if object_id in self.palette.objects:
            self.palette.select(object_id, add)
        self.show_selected()

    def _picked(self) -> None:
        """napari's picker chose a label: it alone is selected."""
        layer = self._layer()
        chosen = int(layer.selected_label) if layer is not None else 0
        if chosen in self.palette.objects and self.palette.selection != [chosen]:
            self.palette.select(chosen)
        self.show_selected()

    def _shift_click(self, layer, event) -> None:
        """A shift-click on the Labels layer adds the object under it to the selection."""
        if "Shift" not in {getattr(m, "name", str(m)) for m in event.modifiers}:
            return
        value = layer.get_value(event.position, world=True)
        if value:
            self.pick(int(value), add=True)

    def toggle_image(self, name: str, on: bool) -> None:
        self.palette.toggle_image_class(name, on)
        self.refresh()

    def least_sure(self) -> None:
        """Select the least confident undecided guess and centre the view on it."""
        layer, palette = self._layer(), self.palette
        if layer is None:
            return
        data = np.asarray(layer.data)
        # From the last jump while it is still selected; napari always has a selected label.
        after = self._jumped if int(layer.selected_label) == self._jumped else 0
        found = self._jumped = palette.least_sure(data, after)
        if not found:
            self.selected.setText("Every class guess is decided: Submit stores them")
            return
        layer.selected_label = found
        row, col = object_centres(np.where(data == found, found, 0))[found]
        viewer = getattr(self.parent(), "viewer", None)
        if viewer is not None:
            viewer.camera.center = (row, col)
        self.refresh()

    # -- what shows --------------------------------------------------------------------

    def refresh(self) -> None:
        """Colours and features of the Labels layer, and the palette's buttons."""
        palette, layer = self.palette, self._layer()
        for name, button in self.object_buttons.items():
            button.setChecked(name == palette.current)
        for name, button in self.image_buttons.items():
            button.setChecked(name in palette.image)
        if layer is None or not palette.has_object_classes:
            return
        self._watch(layer)
        from napari.utils.colormaps import DirectLabelColormap

        data = np.asarray(layer.data)
        lookup = palette.colour_lookup(int(data.max()) + 1 if data.size else 1)
        colours = {None: (0.78, 0.78, 0.78, 1.0), 0: (0.0, 0.0, 0.0, 0.0)}
        colours.update({i: tuple(lookup[i] / 255.0) for i in palette.objects if 0 < i < len(lookup)})
        layer.colormap = DirectLabelColormap(color_dict=colours)
        ids = sorted(palette.objects)
        layer.features = {"index": ids, "class": [palette.objects[i].name for i in ids],
                          "confidence": [palette.objects[i].confidence if palette.objects[i].source == GUESSED
                                         else 1.0 for i in ids]}
        self.show_selected()

    def show_selected(self) -> None:
        """The class of the selected objects (setting the colours also announces it)."""
        layer, palette = self._layer(), self.palette
        chosen = int(layer.selected_label) if layer is not None else 0
        several = [i for i in palette.selection if i in palette.objects]
        if len(several) > 1:
            self.selected.setText(f"{len(several)} labels selected: "
                                  + ", ".join(palette.caption(i) for i in several) + "; a class re-classes them all")
        else:
            self.selected.setText(f"label {palette.caption(chosen)}" if chosen in palette.objects
                                  else "Pick an object (the layer's picker; shift-click to add more), then a class")

    def _watch(self, layer) -> None:
        """Paint on the layer classes new objects; picking a label shows its class."""
        if self._watched is layer:
            return
        self._watched = layer
        layer.events.paint.connect(lambda _event: self.sync())
        layer.events.selected_label.connect(lambda _event: self._picked())
        layer.mouse_drag_callbacks.append(self._shift_click)
