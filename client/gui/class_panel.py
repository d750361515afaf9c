"""The class palette of the desktop client: a dock with the project's
object classes (click one, or press its key, to make it current and
re-class the selected objects; shift-click selects several), the image's classes as tick boxes (radio
buttons for a single-label schema), and "Least sure next" through the
class model's guesses. Objects are drawn in their class's colour with their
id and class written on them. The logic is the session's
:class:`~labelassist.client.class_palette.ClassPalette`; this module only
shows it and passes the annotator's clicks and keys to it."""

from __future__ import annotations

import numpy as np
from labelassist.client.class_palette import DEFAULT, GUESSED, SET, STORED, class_keys
from labelassist.client.gui.class_overlay import UNCHANGED, ClassLayer
from labelassist.client.results import ClassSchema
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractButton, QApplication, QButtonGroup, QCheckBox, QDockWidget, QGroupBox, QLabel,
                               QPushButton, QRadioButton, QVBoxLayout, QWidget)

LEAST_SURE_KEY = "J"
SOURCE_WORDS = {SET: "set by you", DEFAULT: "the current class when it was drawn", STORED: "as stored"}


class ClassView(QDockWidget):
    """The "Classes" dock of ``window``, over ``window.session.classes``;
    hidden for a project without classes."""

    def __init__(self, window):
        super().__init__("Classes", window)
        self.setObjectName("classes")
        self.window, self.canvas, self.palette = window, window.canvas, window.session.classes
        self.layer = ClassLayer(window.canvas)
        body = QWidget()
        self.column = QVBoxLayout(body)
        self.object_box = QGroupBox("Object class (new objects get it)")
        self.object_layout = QVBoxLayout(self.object_box)
        self.column.addWidget(self.object_box)
        self.image_box = QGroupBox("Image classes")
        self.image_layout = QVBoxLayout(self.image_box)
        self.column.addWidget(self.image_box)
        self.selected_label = QLabel("")
        self.selected_label.setWordWrap(True)
        self.column.addWidget(self.selected_label)
        self.least_sure_button = QPushButton(f"Least sure next  ({LEAST_SURE_KEY})")
        self.least_sure_button.setToolTip("Jump to the class model's least confident guess not yet decided; "
                                          "Submit accepts the guesses left as they are")
        self.least_sure_button.clicked.connect(self.least_sure)
        self.column.addWidget(self.least_sure_button)
        self.column.addStretch(1)
        self.setWidget(body)
        self.object_group = QButtonGroup(self)
        self.object_buttons: dict[str, QPushButton] = {}
        self.image_buttons: dict[str, QAbstractButton] = {}
        self.key_actions: list[QAction] = []
        self.least_sure_action = window.action("Least sure class next", LEAST_SURE_KEY, self.least_sure)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self)
        self.hide()
        window.panel.project_combo.currentTextChanged.connect(self.load)
        window.sample_shown.connect(self.show_classes)
        window.prelabel_shown.connect(self.show_classes)
        self.canvas.edited.connect(self.on_edited)
        self.canvas.object_clicked.connect(self.select)

    # -- the schema ---------------------------------------------------------------

    def load(self, project: str) -> None:
        """Fetch the project's class schema and build the palette from it."""
        if not project:
            return
        window = self.window
        window.run("Classes", self.palette.load_call(window.client, project),
                   lambda schema: self.build(schema) if window.project == project else None)

    def build(self, schema: ClassSchema) -> None:
        self.window.session.use_project(schema)
        self.window.browser.use_classes(schema)
        for button in list(self.object_buttons.values()) + list(self.image_buttons.values()):
            self.object_group.removeButton(button)
            button.setParent(None)
            button.deleteLater()
        for action in self.key_actions:
            self.window.removeAction(action)
            action.deleteLater()
        self.object_buttons, self.image_buttons, self.key_actions = {}, {}, []
        keys = class_keys(schema, self._taken_keys())
        key_of = {name: key for key, (_, name) in keys.items()}
        for definition in schema.object_classes:
            key = key_of.get(definition.name)
            button = QPushButton(f"{definition.name}  ({key})" if key else definition.name)
            button.setCheckable(True)
            button.setStyleSheet(f"QPushButton {{ border-left: 14px solid {definition.colour or '#c8c8c8'}; "
                                 "text-align: left; padding-left: 6px; }")
            button.clicked.connect(lambda _=False, name=definition.name: self.click_class(name))
            self.object_group.addButton(button)
            self.object_layout.addWidget(button)
            self.object_buttons[definition.name] = button
        for definition in schema.image_classes:
            key = key_of.get(definition.name)
            text = f"{definition.name}  ({key})" if key else definition.name
            button = QCheckBox(text) if schema.multi_label else QRadioButton(text)
            button.setAutoExclusive(False)  # the palette keeps a single-label schema to one, and allows none
            button.clicked.connect(lambda on, name=definition.name: self.toggle_image(name, on))
            self.image_layout.addWidget(button)
            self.image_buttons[definition.name] = button
        for key, (kind, name) in keys.items():
            action = QAction(f"{name} ({kind} class)", self.window)
            action.setShortcut(QKeySequence(key))
            action.triggered.connect(lambda _=False, k=key: self.press(k))
            self.window.addAction(action)
            self.key_actions.append(action)
        self.object_box.setVisible(bool(schema.object_classes))
        self.image_box.setVisible(bool(schema.image_classes))
        self.least_sure_button.setVisible(bool(schema.object_classes))
        self.setVisible(bool(schema.object_classes or schema.image_classes))
        self.show_classes()

    def _taken_keys(self) -> list[str]:
        """The window's own one-key shortcuts, which class keys leave alone."""
        own = set(self.key_actions) | {self.least_sure_action}
        return [sequence.toString() for action in self.window.actions() if action not in own
                for sequence in action.shortcuts() if len(sequence.toString()) == 1]

    # -- the annotator's clicks and keys -------------------------------------------

    def click_class(self, name: str) -> None:
        """A palette click: ``name`` becomes current and the selected object gets it."""
        self.palette.choose(name)
        if self.palette.selected:
            self.palette.assign(name)
            self.window.dirty = True
        self.show_classes()

    def press(self, key: str) -> None:
        found = self.palette.press(key, self._taken_keys())
        if found is not None:
            self.window.dirty = self.window.dirty or found[0] == "image" or bool(self.palette.selected)
            self.show_classes()

    def toggle_image(self, name: str, on: bool) -> None:
        self.palette.toggle_image_class(name, on)
        self.window.dirty = True
        self.show_classes()

    def select(self, object_id: int, add: bool | None = None) -> None:
        """A click on an object (pan tool) selects it for a class key; a
        shift-click (``add``) adds it to the selection or takes it out."""
        if not self.palette.has_object_classes:
            return
        if add is None:
            add = bool(QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)
        self.palette.select(object_id, add)
        self._outline_selected(zoom=False)
        self.show_classes()

    def least_sure(self) -> None:
        """Select and zoom to the least confident guess not yet decided."""
        if self.canvas.editor is None or not self.palette.has_object_classes:
            return
        found = self.palette.least_sure(self.canvas.editor.mask, self.palette.selected)
        if not found:
            self.window.statusBar().showMessage("Every class guess is decided: Submit stores them", 5000)
            return
        self._outline_selected(zoom=True)
        self.show_classes()

    def _outline_selected(self, zoom: bool) -> None:
        boxes = [self.canvas.editor.object_box(i) for i in self.palette.selection]
        self.canvas.highlight([box for box in boxes if box is not None], zoom=zoom)

    # -- what the canvas and the dock show --------------------------------------------

    def on_edited(self) -> None:
        """New objects take the current class (the newest becomes selected)."""
        patch = self.canvas.editor.last_patch if self.canvas.editor is not None else None
        if patch is not None and self.palette.has_object_classes:
            self.palette.appeared(np.unique(patch.after[patch.after != patch.before]))
        self.show_classes(self.canvas.edited_window)

    def show_classes(self, changed: tuple[slice, slice] | None = UNCHANGED) -> None:
        """Colour, captions, the current class, the image's classes and the
        selected object, after the mask changed inside ``changed``."""
        palette = self.palette
        if not palette.has_object_classes and self.canvas.id_colours is None and not self.isVisible():
            return  # a segmentation project: nothing to draw
        self.layer.show(palette, changed)
        for name, button in self.object_buttons.items():
            button.setChecked(name == palette.current)
        for name, button in self.image_buttons.items():
            button.setChecked(name in palette.image)
        found = palette.objects.get(palette.selected) if palette.selected else None
        if len(palette.selection) > 1:
            self.selected_label.setText(f"selected: {len(palette.selection)} objects "
                                        f"({', '.join(map(str, palette.selection[:12]))}); a class key re-classes all")
        elif found is None:
            self.selected_label.setText("Click an object (pan tool, V) to select it; a class key re-classes it")
        else:
            how = f"class model's guess, {found.confidence:.0%} sure" if found.source == GUESSED else \
                SOURCE_WORDS[found.source]
            self.selected_label.setText(f"selected: object {palette.selected}, {found.name} ({how})")


__all__ = ["ClassView"]
