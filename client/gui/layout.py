"""The main window's tool bar and workflow panel, built once; the window's
behaviour lives in :mod:`app` and :mod:`projects`."""

from __future__ import annotations

from collections.abc import Callable

from labelassist.client.gui.not_an_error import NotAnErrorButton
from labelassist.client.gui.wording import AUTOMATIC
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

DEFAULT_PRELABEL = AUTOMATIC
NO_DISPLAY_STEP = "none"
DEFAULT_POSTPROCESS = ("fill_holes", "remove_small_objects")
PRELABEL_SOURCES = {"sent": "pre-label shown", "unet": "served U-Net's pre-label",
                    "classical": "classical default pre-label"}
STYLE = """
QPushButton, QToolButton, QComboBox, QLineEdit, QSpinBox { min-height: 36px; font-size: 13px; }
QListWidget { font-size: 13px; }
"""


def _button(text: str, shortcut: str, handler: Callable[[], None]) -> QPushButton:
    button = QPushButton(f"{text}  ({shortcut})" if shortcut else text)
    button.clicked.connect(handler)
    return button


LARGE_TARGET = 48  # px: the smallest comfortable touch target
PREFERRED_SIZE = (1400, 900)
# Room for the window manager's frame, unknown before the window is shown.
FRAME_ROOM = (16, 48)


def fit_to_screen(window: QWidget) -> None:
    """Size ``window`` to the screen it opens on: its preferred size where
    that fits, else the screen's free area less room for the frame, moved
    inside it (on 1366 x 768 or 1280 x 800 a 1400 x 900 window would hide
    its lower edge, and Submit with it)."""
    from PySide6.QtGui import QGuiApplication

    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        window.resize(*PREFERRED_SIZE)
        return
    free = screen.availableGeometry()
    current = window.size() if window.testAttribute(Qt.WidgetAttribute.WA_Resized) else QSize(*PREFERRED_SIZE)
    width = min(current.width(), free.width() - FRAME_ROOM[0])
    height = min(current.height(), free.height() - FRAME_ROOM[1])
    window.resize(width, height)
    left = min(max(window.x(), free.left()), free.right() - width - FRAME_ROOM[0] + 1)
    top = min(max(window.y(), free.top()), free.bottom() - height - FRAME_ROOM[1] + 1)
    window.move(left, top)


class NoWheelComboBox(QComboBox):
    """A choice that the scroll wheel changes only once it has the focus, so
    scrolling the panel past it never switches a method unnoticed."""

    def __init__(self, *args):
        super().__init__(*args)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class WindowLayout:
    """Builds the widgets of :class:`~labelassist.client.gui.app.MainWindow`."""

    def _build_tools(self) -> None:
        bar = QToolBar("Tools")
        bar.setObjectName("tools")  # named, so the window's layout can be saved and restored
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        group = QActionGroup(self)
        self.tool_actions = {}
        for tool, text, key in (("pan", "Pan/zoom", "V"), ("brush", "Brush", "B"), ("eraser", "Eraser", "E"),
                                ("polygon", "Polygon/lasso", "L"), ("flood", "Flood fill", "F"),
                                ("scribble", "Scribbles", "C"), ("click", "Click-to-segment", "A")):
            action = self._action(f"{text} ({key})", key, lambda _=False, t=tool: self.set_tool(t), checkable=True)
            action.setToolTip({"brush": "Drag to paint; from inside an object it grows that object, Shift "
                                        "starts a new one, right-drag erases",
                               "polygon": "Click corners and double-click (or Enter) to fill; or drag a lasso",
                               "flood": "Click: grow a region of similar intensity (through assist)",
                               "scribble": "Drag green on the object, right-drag red on background; then Refine",
                               "click": "Click an object: the click model outlines it; left-click what it missed, "
                                        "right-click what it took too much; Enter or a click on the next object "
                                        "finishes"}
                              .get(tool, text))
            group.addAction(action)
            bar.addAction(action)
            self.tool_actions[tool] = action
        self.tool_actions["pan"].setChecked(True)
        bar.addSeparator()
        bar.addWidget(QLabel(" Size "))
        self.brush_size = QSpinBox()
        self.brush_size.setRange(1, 200)
        self.brush_size.setValue(int(self.canvas.brush_radius))
        self.brush_size.valueChanged.connect(lambda v: setattr(self.canvas, "brush_radius", float(v)))
        bar.addWidget(self.brush_size)
        self._action("Smaller brush", "[", lambda: self.brush_size.setValue(max(1, self.brush_size.value() - 2)))
        self._action("Larger brush", "]", lambda: self.brush_size.setValue(self.brush_size.value() + 2))
        bar.addWidget(QLabel(" Opacity "))
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(45)
        self.opacity.setMaximumWidth(140)
        self.opacity.valueChanged.connect(lambda v: self.canvas.set_opacity(v / 100))
        bar.addWidget(self.opacity)
        self._action("Toggle overlay", "H",
                     lambda: self.opacity.setValue(0 if self.opacity.value() else 45))
        bar.addSeparator()
        self.undo_action = self._action("Undo", "Ctrl+Z", self.canvas.undo)
        self.redo_action = self._action("Redo", ["Ctrl+Shift+Z", "Ctrl+Y"], self.canvas.redo)
        bar.addAction(self.undo_action)
        bar.addAction(self.redo_action)
        self._action("Close polygon / finish object", ["Return", "Enter"], self.canvas.close_polygon)
        bar.addSeparator()
        bar.addAction(self._action("New project…", "Ctrl+Shift+N", self.open_new_project))
        bar.addAction(self._action("Inspection settings…", "Ctrl+Shift+I", self.open_inspection_settings))
        bar.addAction(self._action("Assist settings…", "Ctrl+Shift+E", self.open_assist_settings))
        bar.addAction(self._action("Settings…", "Ctrl+,", self.open_settings))

    def _build_menus(self) -> None:
        """File, Edit, View, Tools, Label, Project and Help, holding every action of
        the window; ``self.menus`` lists them for the shortcut sheet."""
        named = self.named_actions
        quit_action = self._action("Quit", "Ctrl+Q", self.close)
        shortcuts = self._action("Keyboard shortcuts", ["F1", "?"], self.show_shortcuts)
        large = self._action("Large targets for touch", "Ctrl+Shift+L", self.set_large_targets, checkable=True)
        about = self._action("About Label Assistant", [], self.show_about)
        export = self._action("Export labels…", "Ctrl+Shift+X", self.open_export_labels)
        imported = self._action("Import labels…", "Ctrl+Shift+O", self.open_import_labels)
        self.menus = [
            ("&File", [named["New project…"], named["Inspection settings…"], named["Assist settings…"],
                       named["Settings…"], None, export, imported, None, quit_action]),
            ("&Edit", [named["Undo"], named["Redo"], named["Close polygon / finish object"]]),
            ("&View", [self.browser.toggleViewAction(), self.channel_panel.toggleViewAction(),
                       self.workflow_dock.toggleViewAction(),
                       named["Toggle overlay"], named["Smaller brush"], named["Larger brush"], None, large]),
            ("&Tools", list(self.tool_actions.values())),
            ("&Label", [named[n] for n in ("Next", "Skip", "Pre-label", "Refine", "Post-process", "Inspect",
                                           "Submit", "Previous in the sample list", "Next in the sample list",
                                           "Accept label", "Reject label")]),
            ("&Project", [self._action("Rename project…", [], self.open_rename_project),
                          self._action("Delete project…", [], self.open_delete_project), None,
                          self._action("Delete sample…", [], self.open_delete_sample)]),
            ("&Help", [shortcuts, about]),
        ]
        for title, actions in self.menus:
            menu = self.menuBar().addMenu(title)
            for action in actions:
                menu.addSeparator() if action is None else menu.addAction(action)
        self.menus = [(title.replace("&", ""), [a for a in actions if a is not None]) for title, actions in self.menus]

    def _build_panel(self, annotator: str, next_after_submit: bool) -> None:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.addWidget(self._project_box(annotator, next_after_submit))
        layout.addWidget(self._assist_box())
        layout.addWidget(self._inspect_box(), 1)
        layout.addWidget(self._model_box())
        self._action("Accept label", "Ctrl+Shift+A", lambda: self.review(True))
        self._action("Reject label", "Ctrl+Shift+R", lambda: self.review(False))
        for text, key, handler in (("Next", "N", self.next_sample), ("Skip", "K", self.skip_sample),
                                   ("Pre-label", "P", self.run_prelabel),
                                   ("Refine", "R", self.refine), ("Post-process", "O", self.postprocess),
                                   ("Inspect", "I", self.inspect), ("Apply fix", "Shift+F", self.apply_fix),
                                   ("Submit", "Ctrl+S", self.submit)):
            self._action(text, key, handler)
        scroll = self.panel_scroll = QScrollArea()
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        # Next and Submit stay below the panel, never scrolled out of sight on a small screen.
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(scroll, 1)
        bar = QHBoxLayout()
        self.submit_button = _button("Submit", "Ctrl+S", self.submit)
        self.submit_button.setStyleSheet("font-weight: bold;")
        bar.addWidget(_button("Next", "N", self.next_sample))
        bar.addWidget(self.submit_button, 1)
        column.addLayout(bar)
        dock = self.workflow_dock = QDockWidget("Workflow", self)
        dock.setObjectName("workflow")
        dock.setWidget(body)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        dock.setMinimumWidth(340)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)

    def _project_box(self, annotator: str, next_after_submit: bool) -> QGroupBox:
        project_box = QGroupBox("Project")
        form = QFormLayout(project_box)
        self.project_combo = NoWheelComboBox()
        self.project_combo.currentTextChanged.connect(lambda _: self.refresh_progress())
        form.addRow("Project", self.project_combo)
        self.annotator = QLineEdit(annotator)
        form.addRow("Annotator", self.annotator)
        self.progress_label = QLabel("–")
        self.progress_bar = QProgressBar()
        form.addRow("Labelled", self.progress_label)
        form.addRow(self.progress_bar)
        self.next_button = _button("Next sample", "N", self.next_sample)
        form.addRow(self.next_button)
        row = QHBoxLayout()
        self.skip_button = _button("Skip", "K", self.skip_sample)
        self.skip_button.setToolTip("Give this sample back and pass on it: it comes back to you only when "
                                    "the rest of the project is done")
        self.release_button = _button("Release", "", self.release_sample)
        self.release_button.setToolTip("Give this sample back to the pool")
        row.addWidget(self.skip_button)
        row.addWidget(self.release_button)
        form.addRow(row)
        self.skip_reason = QLineEdit()
        self.skip_reason.setPlaceholderText("why skip (optional)")
        form.addRow("Reason", self.skip_reason)
        self.auto_prelabel = QCheckBox("Pre-label on Next")
        self.auto_prelabel.setChecked(True)
        self.auto_next = QCheckBox("Next after Submit")
        self.auto_next.setChecked(next_after_submit)
        form.addRow(self.auto_prelabel)
        form.addRow(self.auto_next)
        self.sample_label = QLabel("no sample")
        self.sample_label.setWordWrap(True)
        form.addRow(self.sample_label)
        return project_box

    def _assist_box(self) -> QGroupBox:
        assist_box = QGroupBox("Assist")
        form = QFormLayout(assist_box)
        self.display_combo = NoWheelComboBox()
        self.display_combo.addItem(NO_DISPLAY_STEP)
        self.display_combo.currentTextChanged.connect(self.apply_display)
        form.addRow("Display", self.display_combo)
        self.method_combo = NoWheelComboBox()
        self.method_combo.addItem(DEFAULT_PRELABEL)
        form.addRow("Method", self.method_combo)
        self.instances = QCheckBox("One id per object")
        self.instances.setChecked(True)
        self.instances.setToolTip("Number connected objects as instances (relabel), so each has its own colour")
        form.addRow(self.instances)
        self.prelabel_button = _button("Pre-label", "P", self.run_prelabel)
        form.addRow(self.prelabel_button)
        self.refine_combo = NoWheelComboBox()
        form.addRow("Refine", self.refine_combo)
        row = QHBoxLayout()
        self.refine_button = _button("Refine", "R", self.refine)
        row.addWidget(self.refine_button)
        row.addWidget(_button("Clear scribbles", "", self.canvas.clear_scribbles))
        form.addRow(row)
        self.postprocess_list = QListWidget()
        self.postprocess_list.setMaximumHeight(110)
        form.addRow("Post-process", self.postprocess_list)
        self.postprocess_button = _button("Post-process", "O", self.postprocess)
        form.addRow(self.postprocess_button)
        return assist_box

    def _inspect_box(self) -> QGroupBox:
        inspect_box = QGroupBox("Inspect")
        box = QVBoxLayout(inspect_box)
        self.inspect_button = _button("Inspect", "I", self.inspect)
        box.addWidget(self.inspect_button)
        self.warnings = QListWidget()
        self.warnings.setWordWrap(True)
        self.warnings.currentRowChanged.connect(self.show_finding)
        self.warnings.itemDoubleClicked.connect(lambda _: self.apply_fix())
        box.addWidget(self.warnings, 1)
        self.fix_button = _button("Apply fix", "Shift+F", self.apply_fix)
        self.fix_button.setEnabled(False)
        self.fix_button.setToolTip("Run the post-processing step that fixes the selected finding (double-click "
                                   "a finding does the same); Undo takes it back")
        box.addWidget(self.fix_button)
        self.not_an_error = NotAnErrorButton(self.session.answers, self.warnings, lambda: self.findings,
                                             lambda: self.project, self._annotator, self._run)
        self.inspected.connect(self.not_an_error.mark)
        box.addWidget(self.not_an_error)
        self.inspect_before_submit = QCheckBox("Inspect before submitting")
        self.inspect_before_submit.setChecked(True)
        self.inspect_before_submit.setToolTip("Submit runs the inspection first; when it warns, the warnings "
                                              "show and a second Submit stores the label as it is")
        box.addWidget(self.inspect_before_submit)
        # Reviewers: a verdict on the newest label of the opened sample.
        row = QHBoxLayout()
        self.review_comment = QLineEdit()
        self.review_comment.setPlaceholderText("review comment")
        row.addWidget(self.review_comment, 1)
        row.addWidget(_button("Accept", "", lambda: self.review(True)))
        row.addWidget(_button("Reject", "", lambda: self.review(False)))
        box.addLayout(row)
        compare = QHBoxLayout()
        compare.addWidget(QLabel("Changes since"))
        self.compare_combo = NoWheelComboBox()
        self.compare_combo.addItem("none")
        self.compare_combo.setToolTip("Overlay what changed since an earlier version of this label: added "
                                      "green, removed red, moved to another object yellow")
        self.compare_combo.currentIndexChanged.connect(self.compare_with)
        compare.addWidget(self.compare_combo, 1)
        box.addLayout(compare)
        return inspect_box

    def _model_box(self) -> QGroupBox:
        model_box = QGroupBox("Model")
        box = QVBoxLayout(model_box)
        self.train_button = _button("Train on this project's labels", "", self.train)
        self.train_progress = QProgressBar()
        self.train_label = QLabel("")
        box.addWidget(self.train_button)
        box.addWidget(self.train_progress)
        box.addWidget(self.train_label)
        return model_box

    def set_large_targets(self, on: bool) -> None:
        """Toolbar icons and every button, choice and tick box at least 48 px
        high, for fingers on a tablet (View > Large targets for touch)."""
        size = LARGE_TARGET if on else 24
        for bar in self.findChildren(QToolBar):
            bar.setIconSize(QSize(size, size))
        self.setStyleSheet(f"QPushButton, QToolButton, QComboBox, QCheckBox, QLineEdit, QSpinBox "
                           f"{{ min-height: {LARGE_TARGET}px; }}" if on else "")
        self.named_actions["Large targets for touch"].setChecked(on)

    # -- helpers ------------------------------------------------------------
