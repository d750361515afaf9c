"""The image view: image with contrast control, the label overlay in one
colour per instance, scribbles, warning highlights, and the drawing tools.
Mouse and pen arrive as mouse events; touch and pen pressure are handled
in :mod:`labelassist.client.gui.touch`."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from labelassist.client.gui.class_overlay import colour_by_lookup, recolour_window
from labelassist.client.gui.touch import TouchAndPen
from labelassist.io.display import percentile_levels
from labelassist.client.gui.editing import (
    SCRIBBLE_BACKGROUND,
    SCRIBBLE_FOREGROUND,
    LabelEditor,
    displayable,
)
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import (
    QLabel,
    QGraphicsEllipseItem,
    QGraphicsRectItem,
    QHBoxLayout,
    QWidget,
)

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)

TOOLS = ("pan", "brush", "eraser", "polygon", "flood", "scribble", "click")
CLICK_COLOURS = {True: (40, 255, 80), False: (255, 60, 60)}


def instance_palette(size: int = 256, seed: int = 7) -> np.ndarray:
    """RGBA colours for instance ids (index 0 transparent): evenly spread hues
    in shuffled order, so neighbouring ids look different."""
    hues = np.random.default_rng(seed).permutation(size - 1) / (size - 1)
    palette = np.zeros((size, 4), np.uint8)
    for index, hue in enumerate(hues, start=1):
        colour = QColor.fromHsvF(float(hue), 0.85, 1.0)
        palette[index] = (colour.red(), colour.green(), colour.blue(), 255)
    return palette


PALETTE = instance_palette()
SCRIBBLE_COLOURS = np.array([[0, 0, 0, 0], [40, 255, 80, 255], [255, 60, 60, 255]], np.uint8)


def colour_ids(ids: np.ndarray, palette: np.ndarray = PALETTE) -> np.ndarray:
    """(H, W) instance ids -> (H, W, 4) RGBA; ids beyond the palette wrap, 0 stays transparent."""
    index = np.where(ids > 0, (ids.astype(np.int64) - 1) % (len(palette) - 1) + 1, 0)
    return palette[index]


class _ToolLayer(pg.ImageItem):
    """The overlay image; it takes mouse drags and clicks while a drawing tool
    is on and lets them through to the view (pan and zoom) otherwise."""

    def __init__(self, canvas: LabelCanvas):
        super().__init__()
        self.canvas = canvas
        self.setAcceptHoverEvents(True)

    @staticmethod
    def _point(event, position=None) -> tuple[float, float]:
        position = position if position is not None else event.pos()
        return position.y(), position.x()

    def mouseDragEvent(self, event) -> None:
        if self.canvas.tool == "pan" or self.canvas.editor is None or \
                event.button() not in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            event.ignore()
            return
        event.accept()
        alternate = event.button() == Qt.MouseButton.RightButton or \
            bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        if event.isStart():  # from where the button went down, not where the drag was recognised
            self.canvas.stroke_start(self._point(event, event.buttonDownPos()), alternate,
                                     bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
        self.canvas.stroke_to(self._point(event))
        if event.isFinish():
            self.canvas.stroke_end()

    def mouseClickEvent(self, event) -> None:
        if self.canvas.tool == "pan" and self.canvas.editor is not None and \
                event.button() == Qt.MouseButton.LeftButton:
            row, col = self._point(event)
            self.canvas.object_clicked.emit(self.canvas.editor.label_at(int(row), int(col)))
        if self.canvas.tool == "pan" or self.canvas.editor is None:
            event.ignore()
            return
        event.accept()
        self.canvas.click(self._point(event), event.button() == Qt.MouseButton.RightButton, event.double(),
                          bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))

    def hoverEvent(self, event) -> None:
        if event.isExit():
            self.canvas.cursor.hide()
        else:
            self.canvas.show_cursor(self._point(event))


class LabelCanvas(QWidget):
    """Shows one sample and edits its label through a ``LabelEditor``."""

    edited = Signal()  # the mask changed (an edit, undo or redo)
    flood_requested = Signal(int, int)  # row, col: grow a region from here (through assist)
    # {"label", "clicks" [(row, col, positive)], "mask" (the object's current mask or None)}
    segment_requested = Signal(object)
    object_clicked = Signal(int)  # the object id under a click of the pan tool (0: background)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.tool = "pan"
        self.brush_radius = 6.0
        self.editor: LabelEditor | None = None
        self.image: np.ndarray | None = None
        self._stroke: dict | None = None
        self._polygon: list[tuple[float, float]] = []
        self._highlights: list[QGraphicsRectItem] = []
        # The object the click tool is working on: its label and clicks so far.
        self.click_object: dict | None = None
        self.id_colours: np.ndarray | None = None  # RGBA per object id (class colours); None: one per instance
        self.edited_window: tuple[slice, slice] | None = None  # what the last edit changed (None: anywhere)

        self.graphics = pg.GraphicsLayoutWidget()
        self.view = self.graphics.addViewBox(lockAspect=True, invertY=True)
        self.view.setMenuEnabled(False)
        self.image_item = pg.ImageItem()
        self.overlay = _ToolLayer(self)
        self.overlay.setOpacity(0.45)
        self.scribble_item = pg.ImageItem()
        self.diff_item = pg.ImageItem()  # what changed since an earlier label version (review)
        self.diff_item.hide()
        self.polygon_item = pg.PlotCurveItem(pen=pg.mkPen("y", width=2))
        self.click_markers = pg.ScatterPlotItem(size=9, pen=pg.mkPen("w", width=1))
        self.cursor = QGraphicsEllipseItem()
        self.cursor.setPen(QPen(QColor(255, 255, 255, 200), 0))
        self.cursor.hide()
        for item in (self.image_item, self.scribble_item, self.overlay, self.diff_item, self.polygon_item,
                     self.click_markers):
            self.view.addItem(item)
        self.view.addItem(self.cursor)
        self.histogram = pg.HistogramLUTWidget(image=self.image_item)
        self.histogram.setMaximumWidth(130)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.histogram)
        self.touch = TouchAndPen(self)
        # What to do, or what went wrong, written over the empty canvas.
        self.message = QLabel(self.graphics)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: white; background: rgba(30, 30, 30, 210); padding: 20px; "
                                   "font-size: 15px; border-radius: 8px;")
        self.message.mousePressEvent = lambda _event: self.message.hide()
        self.message.hide()

    # -- content ------------------------------------------------------------

    def show_message(self, text: str) -> None:
        """Write ``text`` over the canvas (what to do first, or why a sample
        cannot be shown); the next sample shown takes it away."""
        self.message.setText(text)
        self.message.show()
        self._place_message()

    def hide_message(self) -> None:
        self.message.hide()

    def _place_message(self) -> None:
        width = max(min(560, self.graphics.width() - 40), 200)
        self.message.setFixedWidth(width)
        self.message.adjustSize()
        self.message.move((self.graphics.width() - width) // 2,
                          max((self.graphics.height() - self.message.height()) // 2, 0))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.message.isVisible():
            self._place_message()

    def show_sample(self, image: np.ndarray, mask: np.ndarray | None = None) -> None:
        """A new sample: its image, and its label or an empty one; history starts over."""
        self.hide_message()
        self.image = image
        self._show_image(image)
        self.editor = LabelEditor(mask if mask is not None else np.zeros(image.shape[:2], np.uint32))
        self._rgba = self._colour(self.editor.mask)
        self._scribble_rgba = np.zeros((*image.shape[:2], 4), np.uint8)
        self.overlay.setImage(self._rgba, autoLevels=False, levels=None)
        self.scribble_item.setImage(self._scribble_rgba, autoLevels=False)
        self.clear_highlights()
        self.clear_diff()
        self._polygon = []
        self.polygon_item.setData([], [])
        self.finish_object()
        self.view.autoRange(padding=0.02)

    def show_diff(self, rgba: np.ndarray) -> None:
        """Overlay what changed since an earlier label version."""
        self.diff_item.setImage(rgba, autoLevels=False, levels=None)
        self.diff_item.show()

    def clear_diff(self) -> None:
        self.diff_item.hide()

    def set_display(self, image: np.ndarray) -> None:
        """Show a pre-processed version of the image (labels stay as they are)."""
        self._show_image(image)

    def _show_image(self, image: np.ndarray) -> None:
        """Draw an image; a grey one that is not 8-bit between its 1st and
        99.8th percentile, since a 16-bit image spans a few hundred of its
        65536 levels and its brightest speck would leave the rest black."""
        shown = displayable(image)
        if shown.ndim == 2 and shown.dtype != np.uint8:
            low, high = percentile_levels(shown)
            self.image_item.setImage(shown, autoLevels=False, levels=(low, max(high, low + 1e-6)))
        else:
            self.image_item.setImage(shown, autoLevels=True)
        self.histogram.autoHistogramRange()

    def set_opacity(self, value: float) -> None:
        self.overlay.setOpacity(value)

    def refresh(self, window: tuple[slice, slice] | None = None) -> None:
        """Recolour the overlay where the mask changed (all of it without a window)."""
        if self.editor is None:
            return
        if window is None or self._rgba.shape[:2] != self.editor.shape:
            self._rgba = self._colour(self.editor.mask)
        elif self.id_colours is None:
            self._rgba[window] = colour_ids(self.editor.mask[window])
        else:
            recolour_window(self._rgba, self.editor.mask, window, self.id_colours)
        self.overlay.updateImage(self._rgba)

    def _colour(self, ids: np.ndarray) -> np.ndarray:
        return colour_ids(ids) if self.id_colours is None else colour_by_lookup(ids, self.id_colours)

    def set_id_colours(self, lookup: np.ndarray | None, window: tuple[slice, slice] | None = None) -> None:
        """Colour objects by ``lookup`` (RGBA per id; their classes), or one
        colour per instance with None; recolour ``window`` (all without)."""
        self.id_colours = lookup
        if window is None or (window[0].stop > window[0].start and window[1].stop > window[1].start):
            self.refresh(window)

    def _edited(self, window: tuple[slice, slice] | None) -> None:
        """The mask changed inside ``window`` (anywhere with None), already recoloured."""
        self.edited_window = window
        self.edited.emit()

    def replace_mask(self, mask: np.ndarray) -> None:
        """Take a mask from a service (pre-label, refine, post-process) as one undo step."""
        self.editor.replace(mask)
        self.refresh()
        self._edited(None)

    def refresh_scribbles(self, window=None) -> None:
        if window is None:
            self._scribble_rgba = SCRIBBLE_COLOURS[self.editor.scribbles]
        else:
            self._scribble_rgba[window] = SCRIBBLE_COLOURS[self.editor.scribbles[window]]
        self.scribble_item.updateImage(self._scribble_rgba)

    # -- tools --------------------------------------------------------------

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"unknown tool {tool!r}; tools: {', '.join(TOOLS)}")
        self.tool = tool
        self._polygon = []
        self.polygon_item.setData([], [])
        self.finish_object()
        self.view.setMouseEnabled(True, True)

    def show_cursor(self, point: tuple[float, float]) -> None:
        if self.tool in ("brush", "eraser", "scribble"):
            row, col = point
            r = self.brush_radius
            self.cursor.setRect(QRectF(col - r + 0.5, row - r + 0.5, 2 * r, 2 * r))
            self.cursor.show()
        else:
            self.cursor.hide()

    def stroke_start(self, point: tuple[float, float], alternate: bool, new_object: bool) -> None:
        row, col = point
        if self.tool == "polygon":  # a drag with the polygon tool is a lasso
            self._stroke = {"kind": "lasso", "points": [point]}
            return
        if self.tool == "scribble":
            self._stroke = {"kind": "scribble", "points": [point],
                            "value": SCRIBBLE_BACKGROUND if alternate else SCRIBBLE_FOREGROUND}
            return
        if self.tool in ("eraser",) or (self.tool == "brush" and alternate):
            label = 0
        else:
            # Starting inside an object extends it; elsewhere (or with Shift) starts a new one.
            under = self.editor.label_at(int(row), int(col))
            label = under if under and not new_object else self.editor.next_id()
        self.editor.begin()
        self._stroke = {"kind": "paint", "points": [point], "label": label}

    def stroke_to(self, point: tuple[float, float]) -> None:
        stroke = self._stroke
        if stroke is None:
            return
        previous = stroke["points"][-1]
        stroke["points"].append(point)
        if stroke["kind"] == "paint":
            window = self.editor.paint([previous, point], self.brush_radius, stroke["label"])
            if window is not None:
                self.refresh(window)
        elif stroke["kind"] == "scribble":
            window = self.editor.scribble([previous, point], self.brush_radius, stroke["value"])
            if window is not None:
                self.refresh_scribbles(window)
        else:
            points = np.array(stroke["points"])
            self.polygon_item.setData(points[:, 1] + 0.5, points[:, 0] + 0.5)

    def stroke_end(self) -> None:
        stroke, self._stroke = self._stroke, None
        if stroke is None:
            return
        if stroke["kind"] == "paint":
            patch = self.editor.end()
            if patch is not None:
                self._edited(patch.window)
        elif stroke["kind"] == "lasso":
            self._fill(stroke["points"])

    def click(self, point: tuple[float, float], alternate: bool, double: bool, new_object: bool = False) -> None:
        row, col = point
        if self.tool == "click":
            self.segment_click(point, positive=not alternate, new_object=new_object)
        elif self.tool == "flood":
            self.flood_requested.emit(int(row), int(col))
        elif self.tool == "polygon":
            if double and len(self._polygon) >= 3:
                self.close_polygon()
                return
            self._polygon.append(point)
            points = np.array(self._polygon)
            self.polygon_item.setData(points[:, 1] + 0.5, points[:, 0] + 0.5)
        elif self.tool in ("brush", "eraser", "scribble"):
            self.stroke_start(point, alternate, False)
            self.stroke_to(point)
            self.stroke_end()

    def close_polygon(self) -> None:
        """Fill the polygon clicked so far (Enter or a double click); with the
        click tool, finish the current object."""
        if self.tool == "click":
            self.finish_object()
            return
        if len(self._polygon) >= 3:
            self._fill(self._polygon)
        self._polygon = []

    # -- click-to-segment ---------------------------------------------------

    def _near_current(self, row: float, col: float) -> bool:
        """Whether a click belongs to the current object: on it, or within
        half its size (at least 8 pixels) of its box."""
        current = self.click_object
        if current is None:
            return False
        box = self.editor.object_box(current["label"])
        if box is None:
            first = current["clicks"][0]
            return abs(row - first[0]) <= 16 and abs(col - first[1]) <= 16
        top, left, bottom, right = box
        margin = max(8.0, (bottom - top) / 2, (right - left) / 2)
        return top - margin <= row < bottom + margin and left - margin <= col < right + margin

    def segment_click(self, point: tuple[float, float], positive: bool, new_object: bool = False) -> None:
        """A click of the click tool: left on an object starts it (a new
        instance, or the labelled object under it to correct); more left or
        right clicks near it refine it; a left click elsewhere (or with
        Shift) finishes it and starts the next; a right click on an object
        with none in hand deletes it. Only the object's box of the mask
        travels with each click, however large the image."""
        row, col = point
        if not (0 <= row < self.editor.shape[0] and 0 <= col < self.editor.shape[1]):
            return
        click = (float(row), float(col), positive)
        if self.click_object is not None and not new_object and (not positive or self._near_current(row, col)):
            self.click_object["clicks"].append(click)
        elif not positive:
            # No object in hand: a right click on an object deletes it (a false pre-labelled one).
            under = self.editor.label_at(int(row), int(col))
            if under:
                self.apply_segment(under, np.zeros((0, 0), np.uint8), 0, 0)
            return
        else:
            under = self.editor.label_at(int(row), int(col))
            self.click_object = {"label": under or self.editor.next_id(), "clicks": [click], "existing": bool(under)}
        self._show_clicks()
        label = self.click_object["label"]
        box = self.editor.object_box(label)
        crop, offset = None, (0, 0)
        if box is not None:
            top, left, bottom, right = box
            crop, offset = (self.editor.mask[top:bottom, left:right] == label).astype(np.uint8), (top, left)
        self.segment_requested.emit({"label": label, "clicks": list(self.click_object["clicks"]),
                                     "mask": crop, "offset": offset})

    def apply_segment(self, label: int, mask: np.ndarray, top: int, left: int) -> None:
        """Take the click model's answer for object ``label`` (a crop at
        ``top``, ``left``) as one undo step."""
        window = self.editor.place_object(label, mask, top, left)
        if window is not None:
            self.refresh(window)
            self._edited(window)

    def finish_object(self) -> None:
        """Done with the current object (Enter, another tool, another sample)."""
        self.click_object = None
        self._show_clicks()

    def _show_clicks(self) -> None:
        clicks = self.click_object["clicks"] if self.click_object else []
        self.click_markers.setData([c[1] + 0.5 for c in clicks], [c[0] + 0.5 for c in clicks],
                                   brush=[pg.mkBrush(*CLICK_COLOURS[c[2]]) for c in clicks])

    def _fill(self, vertices) -> None:
        self.polygon_item.setData([], [])
        row, col = vertices[0]
        under = self.editor.label_at(int(row), int(col))
        patch = self.editor.fill_polygon(vertices, under or self.editor.next_id())
        if patch is not None:
            self.refresh(patch.window)
            self._edited(patch.window)

    def undo(self) -> None:
        window = self.editor.undo() if self.editor is not None else None
        if window is not None:
            self.refresh(window)
            self._edited(window)

    def redo(self) -> None:
        window = self.editor.redo() if self.editor is not None else None
        if window is not None:
            self.refresh(window)
            self._edited(window)

    def clear_scribbles(self) -> None:
        if self.editor is not None:
            self.editor.clear_scribbles()
            self.refresh_scribbles()

    # -- warnings -----------------------------------------------------------

    def clear_highlights(self) -> None:
        for item in self._highlights:
            self.view.removeItem(item)
        self._highlights = []

    def highlight(self, boxes: list[tuple[int, int, int, int]], zoom: bool = True) -> None:
        """Outline (top, left, bottom, right) boxes and bring them into view (with ``zoom``)."""
        self.clear_highlights()
        for top, left, bottom, right in boxes:
            item = QGraphicsRectItem(QRectF(left, top, right - left, bottom - top))
            item.setPen(pg.mkPen((255, 230, 0), width=3, cosmetic=True))
            self.view.addItem(item)
            self._highlights.append(item)
        if boxes and zoom:
            top = min(b[0] for b in boxes)
            left = min(b[1] for b in boxes)
            bottom = max(b[2] for b in boxes)
            right = max(b[3] for b in boxes)
            margin = max(bottom - top, right - left, 32)
            self.view.setRange(QRectF(QPointF(left - margin, top - margin), QPointF(right + margin, bottom + margin)),
                               padding=0)
