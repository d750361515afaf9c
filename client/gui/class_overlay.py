"""Objects drawn in their class's colour with "id class" captions on the
desktop canvas, kept up to date at the cost of what changed: an edit
recolours its own box (the canvas does that as it draws) and moves or
rewrites only the captions of the objects it touched; a re-classed object
recolours its own box; only a new sample, a replaced label, or many
objects changing colour at once recolour the whole overlay."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QGraphicsSimpleTextItem
from labelassist.client.class_palette import UNCLASSIFIED_COLOUR, ClassPalette, ObjectCentres

UNCHANGED = (slice(0, 0), slice(0, 0))  # the mask is as the layer last saw it
MOST_BOXED = 4  # more objects changing colour at once recolour the whole overlay (each box costs a scan)


def colour_by_lookup(ids: np.ndarray, lookup: np.ndarray) -> np.ndarray:
    """(H, W) ids -> (H, W, 4) RGBA from a per-id ``lookup`` (ids past its
    end grey), each object's outline darker so touching objects of one
    colour stay apart."""
    inside = ids < len(lookup)
    rgba = lookup[np.where(inside, ids, 0)]
    rgba[~inside] = (*UNCLASSIFIED_COLOUR, 255)
    edge = np.zeros(ids.shape, bool)
    edge[:, 1:] |= ids[:, 1:] != ids[:, :-1]
    edge[:, :-1] |= ids[:, :-1] != ids[:, 1:]
    edge[1:] |= ids[1:] != ids[:-1]
    edge[:-1] |= ids[:-1] != ids[1:]
    edge &= ids > 0
    rgba[edge, :3] //= 3
    return rgba


def _grown(window: tuple[slice, slice], by: int, shape: tuple[int, int]) -> tuple[slice, slice]:
    return tuple(slice(max(s.start - by, 0), min(s.stop + by, size)) for s, size in zip(window, shape))


def recolour_window(rgba: np.ndarray, ids: np.ndarray, window: tuple[slice, slice], lookup: np.ndarray) -> None:
    """Recolour ``window`` of ``rgba`` from ``ids`` by ``lookup``, with the
    pixel around it whose outline the change may move, coloured with one
    more pixel of context: the same as recolouring everything."""
    rim, context = _grown(window, 1, ids.shape), _grown(window, 2, ids.shape)
    coloured = colour_by_lookup(ids[context], lookup)
    rgba[rim] = coloured[tuple(slice(r.start - c.start, r.stop - c.start) for r, c in zip(rim, context))]


class Caption(QGraphicsRectItem):
    """White text on a dark box, centred on a point of the image and the
    same size at any zoom. Qt draws it without calling back into Python,
    so hundreds of captions cost little on each frame of a stroke."""

    def __init__(self, text: str):
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setBrush(QBrush(QColor(0, 0, 0, 110)))
        self.setPen(QPen(QColor(0, 0, 0, 0)))
        self.label = QGraphicsSimpleTextItem(self)
        self.label.setBrush(QBrush(QColor(255, 255, 255)))
        self.set_text(text)

    def text(self) -> str:
        return self.label.text()

    def set_text(self, text: str) -> None:
        self.label.setText(text)
        bounds = self.label.boundingRect().adjusted(-2, -1, 2, 1)
        self.label.setPos(-bounds.width() / 2 + 2, -bounds.height() / 2 + 1)
        self.setRect(-bounds.width() / 2, -bounds.height() / 2, bounds.width(), bounds.height())


def _union(first, second):
    if first is None:
        return second
    return tuple(slice(min(a.start, b.start), max(a.stop, b.stop)) for a, b in zip(first, second))


class ClassLayer:
    """The classes drawn on ``canvas`` (a ``LabelCanvas``): its overlay's
    colour lookup and one caption item per object, moved or rewritten
    rather than rebuilt."""

    def __init__(self, canvas):
        self.canvas = canvas
        self.centres = ObjectCentres()
        self.captions: dict[int, Caption] = {}
        self.written: dict[int, tuple[str, tuple[float, float]]] = {}
        self._editor = None  # the label the layer last drew (a new sample brings a new one)

    def show(self, palette: ClassPalette, window: tuple[slice, slice] | None = UNCHANGED) -> None:
        """Draw ``palette``'s classes after the mask changed inside
        ``window`` (anywhere with None; nowhere by default)."""
        editor = self.canvas.editor
        if editor is None or not palette.has_object_classes:
            self.clear()
            return
        if editor is not self._editor:
            self._editor, window = editor, None
        self.centres.update(editor.mask, window)
        following = self.centres.next_id()
        lookup = palette.colour_lookup(following + 1, drawing=following)
        self.canvas.set_id_colours(lookup, None if window is None else self._recoloured(self.canvas.id_colours,
                                                                                         lookup))
        self._write(palette.captions(self.centres.centres()))

    def rebuild(self, palette: ClassPalette) -> None:
        """Recolour everything and write every caption anew."""
        self.clear()
        self.show(palette, None)

    def clear(self) -> None:
        self._write({})
        self._editor, self.centres = None, ObjectCentres()
        if self.canvas.id_colours is not None:
            self.canvas.set_id_colours(None)

    def _recoloured(self, drawn: np.ndarray | None, lookup: np.ndarray) -> tuple[slice, slice] | None:
        """The box of the objects whose colour changed (None: everything)."""
        if drawn is None:
            return None
        size = max(len(drawn), len(lookup))
        padded = [np.full((size, 4), (*UNCLASSIFIED_COLOUR, 255), np.uint8) for _ in range(2)]
        padded[0][:len(drawn)], padded[1][:len(lookup)] = drawn, lookup
        changed = [i for i in np.flatnonzero((padded[0] != padded[1]).any(axis=1)).tolist()
                   if i and self.centres.pixels(i)]
        if len(changed) > MOST_BOXED:
            return None
        box = None
        for object_id in changed:
            top, left, bottom, right = self.canvas.editor.object_box(object_id)
            box = _union(box, (slice(top, bottom), slice(left, right)))
        return UNCHANGED if box is None else box

    def _write(self, wanted: dict[int, tuple[str, tuple[float, float]]]) -> None:
        view = self.canvas.view
        for object_id in set(self.captions) - set(wanted):
            view.removeItem(self.captions.pop(object_id))
            del self.written[object_id]
        for object_id, (text, (row, col)) in wanted.items():
            written = self.written.get(object_id)
            if written == (text, (row, col)):
                continue
            item = self.captions.get(object_id)
            if item is None:
                item = self.captions[object_id] = Caption(text)
                view.addItem(item, ignoreBounds=True)
            elif written[0] != text:
                item.set_text(text)
            item.setPos(col + 0.5, row + 0.5)
            self.written[object_id] = (text, (row, col))


__all__ = ["Caption", "ClassLayer", "UNCHANGED", "colour_by_lookup", "recolour_window"]
