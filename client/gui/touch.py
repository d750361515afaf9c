"""Touch and pen on the canvas, for tablets. Two fingers pan (a pinch
zooms); one finger draws with the brush, eraser and scribble tools and
works as the mouse with the others; while a pen hovers over or touches the
view (and for a second after), touch is ignored, so a palm resting on the
glass draws nothing; pen pressure scales the brush (half pressure: the
chosen size)."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QPointF, Qt

# Tools a single finger draws with; with the others it acts as the mouse.
DRAWING_TOOLS = ("brush", "eraser", "scribble")
TOUCH_EVENTS = (QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TouchEnd, QEvent.Type.TouchCancel)
PEN_EVENTS = (QEvent.Type.TabletPress, QEvent.Type.TabletMove, QEvent.Type.TabletRelease)
# Touch counts as a palm this long after the pen was last seen over the view.
PEN_GRACE_SECONDS = 1.0


def pressure_radius(base: float, pressure: float) -> float:
    """The brush radius under a pen pressing with ``pressure`` (0..1)."""
    return max(1.0, base * (0.25 + 1.5 * pressure))


class TouchAndPen(QObject):
    """Event filter on the canvas's view."""

    def __init__(self, canvas):
        super().__init__(canvas)
        self.canvas, self.view = canvas, canvas.view
        self.viewport = canvas.graphics.viewport()
        self.pen_seen = float("-inf")  # when a pen was last over the view (monotonic seconds)
        self._mode: str | None = None  # "draw" or "pan" while fingers are down
        self._centre: QPointF | None = None
        self._base_radius: float | None = None
        self.viewport.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.viewport.grabGesture(Qt.GestureType.PinchGesture)
        self.viewport.installEventFilter(self)

    @property
    def pen_near(self) -> bool:
        return time.monotonic() - self.pen_seen < PEN_GRACE_SECONDS

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Gesture:
            return self._pinch(event)
        if kind in PEN_EVENTS:
            self.pen_seen = time.monotonic()
            touching = kind != QEvent.Type.TabletRelease and bool(event.buttons() & Qt.MouseButton.LeftButton)
            self._press(event.pressure() if touching else None)
        elif kind in TOUCH_EVENTS:
            return self._touch(event)
        return False

    def _pinch(self, event) -> bool:
        pinch = event.gesture(Qt.GestureType.PinchGesture)
        if pinch is None or pinch.scaleFactor() <= 0:
            return False
        factor = 1.0 / pinch.scaleFactor()
        self.view.scaleBy((factor, factor))
        return True

    def _press(self, pressure: float | None) -> None:
        """Scale the brush by the pen's pressure while it touches; restore the chosen size after."""
        canvas = self.canvas
        if pressure is None:
            if self._base_radius is not None:
                canvas.brush_radius, self._base_radius = self._base_radius, None
            return
        if self._base_radius is None:
            self._base_radius = canvas.brush_radius
        canvas.brush_radius = pressure_radius(self._base_radius, pressure)

    def _image_point(self, position: QPointF) -> QPointF:
        return self.view.mapSceneToView(self.canvas.graphics.mapToScene(position.toPoint()))

    def _touch(self, event) -> bool:
        if self.pen_near:
            return True  # a palm resting while the pen writes
        kind, points = event.type(), event.points()
        if kind == QEvent.Type.TouchBegin and len(points) == 1 and (
                self.canvas.tool not in DRAWING_TOOLS or self.canvas.editor is None):
            return False  # Qt turns it into mouse events: pan, clicks, polygons
        centre = sum((p.position() for p in points), QPointF()) / max(len(points), 1)
        if len(points) >= 2:
            if self._mode == "draw":
                self.canvas.stroke_end()  # a second finger: what was drawn stays, the rest pans
            if self._mode == "pan" and self._centre is not None:
                moved = self._image_point(centre) - self._image_point(self._centre)
                self.view.translateBy(x=-moved.x(), y=-moved.y())
            self._mode, self._centre = "pan", centre
        elif kind == QEvent.Type.TouchBegin:
            here = self._image_point(centre)
            self._mode = "draw"
            self.canvas.stroke_start((here.y(), here.x()), False, False)
        elif self._mode == "draw":
            here = self._image_point(centre)
            self.canvas.stroke_to((here.y(), here.x()))
        if kind in (QEvent.Type.TouchEnd, QEvent.Type.TouchCancel):
            if self._mode == "draw":
                self.canvas.stroke_end()
            self._mode = self._centre = None
        return True
