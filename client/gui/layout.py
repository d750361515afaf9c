"""The main window's widgets: the tool bar's and the workflow panel's
controls, built once. They hold no behaviour: the window connects them to
its views (:mod:`app`, :mod:`projects`, :mod:`assist_actions`, ...)."""

from __future__ import annotations

from collections.abc import Callable

from labelassist.client.gui.wording import AUTOMATIC
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup
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


def _button(text: str, shortcut: str = "") -> QPushButton:
    return QPushButton(f"{text}  ({shortcut})" if shortcut else text)


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


TOOLS = (("pan", "Pan/zoom", "V"), ("brush", "Brush", "B"), ("eraser", "Eraser", "E"),
         ("polygon", "Polygon/lasso", "L"), ("flood", "Flood fill", "F"), ("scribble", "Scribbles", "C"),
         ("click", "Click-to-segment", "A"))
TOOL_TIPS = {"brush": "Drag to paint; from inside an object it grows that object, Shift starts a new one, right-drag "
                      "erases",
             "polygon": "Click corners and double-click (or Enter) to fill; or drag a lasso",
             "flood": "Click: grow a region of similar intensity (through assist)",
             "scribble": "Drag green on the object, right-drag red on background; then Refine",
             "click": "Click an object: the click model outlines it; left-click what it missed, right-click what it "
                      "took too much; Enter or a click on the next object finishes"}


class ToolBar(QToolBar):
    """The drawing tools, brush size and overlay opacity; ``action(text,
    shortcuts, checkable)`` makes the window's actions, so their shortcuts
    work anywhere in it."""

    def __init__(self, action: Callable[..., QAction], brush_radius: float, parent: QWidget):
        super().__init__("Tools", parent)
        self.setObjectName("tools")  # named, so the window's layout can be saved and restored
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        group = QActionGroup(self)
        self.tool_actions: dict[str, QAction] = {}
        for tool, text, key in TOOLS:
            tool_action = action(f"{text} ({key})", key, checkable=True)
            tool_action.setToolTip(TOOL_TIPS.get(tool, text))
            group.addAction(tool_action)
            self.addAction(tool_action)
            self.tool_actions[tool] = tool_action
        self.tool_actions["pan"].setChecked(True)
        self.addSeparator()
        self.addWidget(QLabel(" Size "))
        self.brush_size = QSpinBox()
        self.brush_size.setRange(1, 200)
        self.brush_size.setValue(int(brush_radius))
        self.addWidget(self.brush_size)
        self.addWidget(QLabel(" Opacity "))
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(45)
        self.opacity.setMaximumWidth(140)
        self.addWidget(self.opacity)
        self.addSeparator()


class WorkflowPanel(QDockWidget):
    """The workflow dock: project, assist, inspect and model boxes, with Next
    and Submit kept below them. ``not_an_error`` makes the finding answer
    button for the list of warnings."""

    def __init__(self, annotator: str, next_after_submit: bool,
                 not_an_error: Callable[[QListWidget], QPushButton], parent: QWidget):
        super().__init__("Workflow", parent)
        self.setObjectName("workflow")
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.addWidget(self._project_box(annotator, next_after_submit))
        layout.addWidget(self._assist_box())
        layout.addWidget(self._inspect_box(not_an_error), 1)
        layout.addWidget(self._model_box())
        self.scroll = QScrollArea()
        self.scroll.setWidget(panel)
        self.scroll.setWidgetResizable(True)
        # Next and Submit stay below the panel, never scrolled out of sight on a small screen.
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.scroll, 1)
        bar = QHBoxLayout()
        self.submit_button = _button("Submit", "Ctrl+S")
        self.submit_button.setStyleSheet("font-weight: bold;")
        self.next_below = _button("Next", "N")
        bar.addWidget(self.next_below)
        bar.addWidget(self.submit_button, 1)
        column.addLayout(bar)
        self.setWidget(body)
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.setMinimumWidth(340)

    @property
    def project(self) -> str:
        return self.project_combo.currentText()

    def _project_box(self, annotator: str, next_after_submit: bool) -> QGroupBox:
        project_box = QGroupBox("Project")
        form = QFormLayout(project_box)
        self.project_combo = NoWheelComboBox()
        form.addRow("Project", self.project_combo)
        self.annotator = QLineEdit(annotator)
        form.addRow("Annotator", self.annotator)
        self.progress_label = QLabel("–")
        self.progress_bar = QProgressBar()
        form.addRow("Labelled", self.progress_label)
        form.addRow(self.progress_bar)
        self.next_button = _button("Next sample", "N")
        form.addRow(self.next_button)
        row = QHBoxLayout()
        self.skip_button = _button("Skip", "K")
        self.skip_button.setToolTip("Give this sample back and pass on it: it comes back to you only when "
                                    "the rest of the project is done")
        self.release_button = _button("Release")
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
        form.addRow("Display", self.display_combo)
        self.method_combo = NoWheelComboBox()
        self.method_combo.addItem(DEFAULT_PRELABEL)
        form.addRow("Method", self.method_combo)
        self.instances = QCheckBox("One id per object")
        self.instances.setChecked(True)
        self.instances.setToolTip("Number connected objects as instances (relabel), so each has its own colour")
        form.addRow(self.instances)
        self.prelabel_button = _button("Pre-label", "P")
        form.addRow(self.prelabel_button)
        self.refine_combo = NoWheelComboBox()
        form.addRow("Refine", self.refine_combo)
        row = QHBoxLayout()
        self.refine_button = _button("Refine", "R")
        self.clear_scribbles_button = _button("Clear scribbles")
        row.addWidget(self.refine_button)
        row.addWidget(self.clear_scribbles_button)
        form.addRow(row)
        self.postprocess_list = QListWidget()
        self.postprocess_list.setMaximumHeight(110)
        form.addRow("Post-process", self.postprocess_list)
        self.postprocess_button = _button("Post-process", "O")
        form.addRow(self.postprocess_button)
        return assist_box

    def _inspect_box(self, not_an_error: Callable[[QListWidget], QPushButton]) -> QGroupBox:
        inspect_box = QGroupBox("Inspect")
        box = QVBoxLayout(inspect_box)
        self.inspect_button = _button("Inspect", "I")
        box.addWidget(self.inspect_button)
        self.warnings = QListWidget()
        self.warnings.setWordWrap(True)
        box.addWidget(self.warnings, 1)
        self.fix_button = _button("Apply fix", "Shift+F")
        self.fix_button.setEnabled(False)
        self.fix_button.setToolTip("Run the post-processing step that fixes the selected finding (double-click "
                                   "a finding does the same); Undo takes it back")
        box.addWidget(self.fix_button)
        self.not_an_error = not_an_error(self.warnings)
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
        self.accept_button, self.reject_button = _button("Accept"), _button("Reject")
        row.addWidget(self.accept_button)
        row.addWidget(self.reject_button)
        box.addLayout(row)
        compare = QHBoxLayout()
        compare.addWidget(QLabel("Changes since"))
        self.compare_combo = NoWheelComboBox()
        self.compare_combo.addItem("none")
        self.compare_combo.setToolTip("Overlay what changed since an earlier version of this label: added "
                                      "green, removed red, moved to another object yellow")
        compare.addWidget(self.compare_combo, 1)
        box.addLayout(compare)
        return inspect_box

    def _model_box(self) -> QGroupBox:
        model_box = QGroupBox("Model")
        box = QVBoxLayout(model_box)
        self.train_button = _button("Train on this project's labels")
        self.train_progress = QProgressBar()
        self.train_label = QLabel("")
        box.addWidget(self.train_button)
        box.addWidget(self.train_progress)
        box.addWidget(self.train_label)
        return model_box

    def clear_sample(self) -> None:
        """Nothing of a sample shows: no warnings, "no sample"."""
        self.warnings.clear()
        self.sample_label.setText("no sample")


def set_large_targets(window: QWidget, on: bool) -> None:
    """Toolbar icons and every button, choice and tick box at least 48 px
    high, for fingers on a tablet (View > Large targets for touch)."""
    size = LARGE_TARGET if on else 24
    for bar in window.findChildren(QToolBar):
        bar.setIconSize(QSize(size, size))
    window.setStyleSheet(f"QPushButton, QToolButton, QComboBox, QCheckBox, QLineEdit, QSpinBox "
                         f"{{ min-height: {LARGE_TARGET}px; }}" if on else "")
