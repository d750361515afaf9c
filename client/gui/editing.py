"""The label being edited, with undo and redo: plain numpy, no Qt, so every
tool is testable and fast on large images. Each edit touches only the
bounding box it changed, and undo keeps just that patch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from labelassist.io.display import CHANNEL_COLOURS, stretch

SCRIBBLE_FOREGROUND, SCRIBBLE_BACKGROUND = 1, 2


@dataclass(frozen=True)
class Patch:
    """One undoable edit: the box it changed, its content before and after."""
    top: int
    left: int
    before: np.ndarray
    after: np.ndarray

    @property
    def window(self) -> tuple[slice, slice]:
        return (slice(self.top, self.top + self.before.shape[0]), slice(self.left, self.left + self.before.shape[1]))


def changed_box(before: np.ndarray, after: np.ndarray) -> tuple[slice, slice] | None:
    rows, cols = np.nonzero(np.any(before != after, axis=1)), np.nonzero(np.any(before != after, axis=0))
    if not rows[0].size:
        return None
    return slice(rows[0][0], rows[0][-1] + 1), slice(cols[0][0], cols[0][-1] + 1)


def disk_stroke(shape: tuple[int, int], points: Sequence[tuple[float, float]], radius: float
                ) -> tuple[tuple[slice, slice], np.ndarray] | None:
    """Pixels within ``radius`` of the polyline through ``points`` (row, col):
    the window they lie in and a boolean footprint of it. Vectorised over the
    window: distance of every pixel to every segment."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if not len(points):
        return None
    reach = radius + 1
    top, left = np.floor(points.min(axis=0) - reach).astype(int)
    bottom, right = np.ceil(points.max(axis=0) + reach).astype(int) + 1
    top, left = max(top, 0), max(left, 0)
    bottom, right = min(bottom, shape[0]), min(right, shape[1])
    if top >= bottom or left >= right:
        return None
    rows, cols = np.mgrid[top:bottom, left:right]
    pixels = np.stack([rows, cols], axis=-1).astype(np.float64)[..., None, :]  # (h, w, 1, 2)
    starts = points if len(points) == 1 else points[:-1]
    ends = points if len(points) == 1 else points[1:]
    direction = ends - starts
    length = np.maximum((direction**2).sum(axis=1), 1e-12)
    along = np.clip(((pixels - starts) * direction).sum(axis=-1) / length, 0, 1)
    nearest = starts + along[..., None] * direction
    inside = (((pixels - nearest) ** 2).sum(axis=-1) <= radius**2).any(axis=-1)
    return (slice(top, bottom), slice(left, right)), inside


def polygon_footprint(shape: tuple[int, int], vertices: Sequence[tuple[float, float]]
                      ) -> tuple[tuple[slice, slice], np.ndarray] | None:
    """Pixels inside the polygon through ``vertices`` (row, col), rasterised
    by Pillow in the polygon's bounding box."""
    vertices = np.asarray(vertices, dtype=np.float64).reshape(-1, 2)
    if len(vertices) < 3:
        return None
    top, left = np.maximum(np.floor(vertices.min(axis=0)).astype(int), 0)
    bottom = min(int(np.ceil(vertices[:, 0].max())) + 1, shape[0])
    right = min(int(np.ceil(vertices[:, 1].max())) + 1, shape[1])
    if top >= bottom or left >= right:
        return None
    canvas = Image.new("1", (right - left, bottom - top), 0)
    ImageDraw.Draw(canvas).polygon([(c - left, r - top) for r, c in vertices], fill=1, outline=1)
    return (slice(top, bottom), slice(left, right)), np.asarray(canvas, dtype=bool)


def _segment_footprints(shape, points, radius):
    """A long stroke segment by segment, so memory stays bounded by one segment's box."""
    points = list(points)
    pairs = [points] if len(points) < 2 else [points[i:i + 2] for i in range(len(points) - 1)]
    for pair in pairs:
        footprint = disk_stroke(shape, pair, radius)
        if footprint is not None:
            yield footprint


def _union(a: tuple[slice, slice] | None, b: tuple[slice, slice]) -> tuple[slice, slice]:
    if a is None:
        return b
    return (slice(min(a[0].start, b[0].start), max(a[0].stop, b[0].stop)),
            slice(min(a[1].start, b[1].start), max(a[1].stop, b[1].stop)))


def pixel_box(mask: np.ndarray, top: int = 0, left: int = 0) -> tuple[int, int, int, int] | None:
    """The box (top, left, bottom, right; exclusive) of a mask's set pixels,
    for a mask lying at (``top``, ``left``); None when none is set."""
    rows, cols = np.nonzero(mask)
    if not len(rows):
        return None
    return top + int(rows.min()), left + int(cols.min()), top + int(rows.max()) + 1, left + int(cols.max()) + 1


class LabelEditor:
    """A mask (0 background, > 0 instance ids) and a scribble layer for
    refinement, edited through undoable patches."""

    def __init__(self, mask: np.ndarray, undo_limit: int = 200):
        self.mask = np.ascontiguousarray(mask, dtype=np.uint32)
        self.scribbles = np.zeros(self.mask.shape, np.uint8)
        self.undo_limit = undo_limit
        self._undo: list[Patch] = []
        self._redo: list[Patch] = []
        self._open: tuple[tuple[slice, slice], np.ndarray] | None = None
        self._in_gesture = False
        # Object boxes found since the mask last changed: the click tool asks for one per click.
        self._boxes: dict[int, tuple[int, int, int, int] | None] = {}

    @property
    def shape(self) -> tuple[int, int]:
        return self.mask.shape

    def next_id(self) -> int:
        return int(self.mask.max()) + 1 if self.mask.size else 1

    def object_box(self, label: int) -> tuple[int, int, int, int] | None:
        """Object ``label``'s box (top, left, bottom, right; exclusive), or
        None; found once per change of the mask."""
        if label not in self._boxes:
            self._boxes[label] = pixel_box(self.mask == label)
        return self._boxes[label]

    def label_at(self, row: int, col: int) -> int:
        if 0 <= row < self.shape[0] and 0 <= col < self.shape[1]:
            return int(self.mask[row, col])
        return 0

    # -- edits --------------------------------------------------------------

    def begin(self) -> None:
        """Start a gesture (a brush stroke): its stamps become one undo step."""
        self._open = None
        self._in_gesture = True

    def _record(self, window: tuple[slice, slice]) -> None:
        if self._open is None:
            self._open = (window, self.mask[window].copy())
            return
        (old_rows, old_cols), old_before = self._open
        rows = slice(min(old_rows.start, window[0].start), max(old_rows.stop, window[0].stop))
        cols = slice(min(old_cols.start, window[1].start), max(old_cols.stop, window[1].stop))
        if (rows, cols) != (old_rows, old_cols):
            # The gesture grew: its "before" is the new box now, with the
            # part already painted restored from what it held before.
            before = self.mask[rows, cols].copy()
            before[old_rows.start - rows.start:old_rows.stop - rows.start,
                   old_cols.start - cols.start:old_cols.stop - cols.start] = old_before
            self._open = ((rows, cols), before)

    def end(self) -> Patch | None:
        """Finish the gesture; returns its patch (None if nothing changed)."""
        self._in_gesture = False
        if self._open is None:
            return None
        window, before = self._open
        self._open = None
        return self._push(window, before)

    def _push(self, window: tuple[slice, slice], before: np.ndarray) -> Patch | None:
        after = self.mask[window]
        box = changed_box(before, after)
        if box is None:
            return None
        rows = slice(window[0].start + box[0].start, window[0].start + box[0].stop)
        cols = slice(window[1].start + box[1].start, window[1].start + box[1].stop)
        patch = Patch(rows.start, cols.start, before[box].copy(), after[box].copy())
        self._undo.append(patch)
        del self._undo[:-self.undo_limit]
        self._redo.clear()
        self._boxes.clear()
        return patch

    def paint(self, points: Sequence[tuple[float, float]], radius: float, label: int,
              only_background: bool = False) -> tuple[slice, slice] | None:
        """Stamp a stroke segment with ``label`` (0 erases); part of the open
        gesture, or one undo step on its own. Returns the window it touched."""
        standalone = not self._in_gesture
        touched = None
        self._boxes.clear()
        for window, inside in _segment_footprints(self.shape, points, radius):
            self._record(window)
            region = self.mask[window]
            if only_background:
                inside = inside & (region == 0)
            region[inside] = label
            touched = _union(touched, window)
        if standalone:
            self.end()
        return touched

    def fill_polygon(self, vertices: Sequence[tuple[float, float]], label: int) -> Patch | None:
        footprint = polygon_footprint(self.shape, vertices)
        if footprint is None:
            return None
        window, inside = footprint
        before = self.mask[window].copy()
        self.mask[window][inside] = label
        return self._push(window, before)

    def replace(self, mask: np.ndarray) -> Patch | None:
        """Take a whole new mask (a pre-label, a refinement, a post-process) as one undo step."""
        mask = np.asarray(mask)
        if mask.shape != self.shape:
            raise ValueError(f"new mask has shape {mask.shape}, the image {self.shape}")
        before = self.mask
        box = changed_box(before, mask)
        if box is None:
            return None
        previous = before[box].copy()
        self.mask = np.ascontiguousarray(mask, dtype=np.uint32)
        return self._push(box, previous)

    def place_object(self, label: int, mask: np.ndarray, top: int, left: int) -> tuple[slice, slice] | None:
        """Make object ``label`` exactly ``mask`` (a crop placed at ``top``,
        ``left``; empty removes it) as one undo step; other objects keep their
        pixels. Returns the window it touched."""
        box = (slice(top, top + mask.shape[0]), slice(left, left + mask.shape[1])) if mask.size and mask.any() \
            else None
        known = self.object_box(label)
        if known is not None:
            old = (slice(known[0], known[2]), slice(known[1], known[3]))
            box = old if box is None else _union(box, old)
        if box is None:
            return None
        box = (slice(max(box[0].start, 0), min(box[0].stop, self.shape[0])),
               slice(max(box[1].start, 0), min(box[1].stop, self.shape[1])))
        before = self.mask[box].copy()
        region = self.mask[box]
        region[region == label] = 0
        if mask.size:
            # The crop's part inside the box (the box may be clipped to the image).
            rows = slice(max(top, box[0].start), min(top + mask.shape[0], box[0].stop))
            cols = slice(max(left, box[1].start), min(left + mask.shape[1], box[1].stop))
            placed = np.zeros(region.shape, bool)
            inside = (slice(rows.start - box[0].start, rows.stop - box[0].start),
                      slice(cols.start - box[1].start, cols.stop - box[1].start))
            placed[inside] = mask[rows.start - top:rows.stop - top, cols.start - left:cols.stop - left] > 0
            region[placed & (region == 0)] = label
        pushed = self._push(box, before)
        self._boxes[label] = pixel_box(region == label, box[0].start, box[1].start)  # all of it lies in the box
        return box if pushed is not None else None

    def scribble(self, points: Sequence[tuple[float, float]], radius: float, kind: int) -> tuple[slice, slice] | None:
        """Scribbles are hints for refinement, not labels: not undoable, cleared after use."""
        touched = None
        for window, inside in _segment_footprints(self.shape, points, radius):
            self.scribbles[window][inside] = kind
            touched = _union(touched, window)
        return touched

    def clear_scribbles(self) -> None:
        self.scribbles[:] = 0

    # -- history ------------------------------------------------------------

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def last_patch(self) -> Patch | None:
        """The newest undoable edit (None before the first)."""
        return self._undo[-1] if self._undo else None

    def undo(self) -> tuple[slice, slice] | None:
        if not self._undo:
            return None
        patch = self._undo.pop()
        self.mask[patch.window] = patch.before
        self._redo.append(patch)
        self._boxes.clear()
        return patch.window

    def redo(self) -> tuple[slice, slice] | None:
        if not self._redo:
            return None
        patch = self._redo.pop()
        self.mask[patch.window] = patch.after
        self._undo.append(patch)
        self._boxes.clear()
        return patch.window


# Colours an annotator can give a channel, by name.
COLOUR_NAMES = {"green": (0, 1, 0), "magenta": (1, 0, 1), "cyan": (0, 1, 1), "yellow": (1, 1, 0), "red": (1, 0, 0),
                "blue": (0, 0, 1), "orange": (1, 0.5, 0), "violet": (0.5, 0, 1), "grey": (1, 1, 1)}


@dataclass
class ChannelDisplay:
    """How one channel of a multichannel image is shown: whether, in which
    colour, and stretched between which percentiles of its values."""
    visible: bool = True
    colour: tuple[float, float, float] = (0.0, 1.0, 0.0)
    low: float = 1.0
    high: float = 99.8


def default_channels(count: int) -> list[ChannelDisplay]:
    return [ChannelDisplay(colour=tuple(map(float, CHANNEL_COLOURS[i % len(CHANNEL_COLOURS)]))) for i in range(count)]


def is_multichannel(image: np.ndarray) -> bool:
    """Channels that need a composite to be seen (not grey, not RGB(A))."""
    image = np.asarray(image)
    return image.ndim == 3 and image.shape[2] not in (1, 3, 4)


def composite(image: np.ndarray, channels: list[ChannelDisplay]) -> np.ndarray:
    """An RGB composite of a (H, W, C) image: each visible channel stretched
    between its percentiles and added in its colour."""
    out = np.zeros((*image.shape[:2], 3), np.float32)
    for index, display in enumerate(channels):
        if not display.visible:
            continue
        unit = stretch(image[..., index], (display.low, display.high))
        out += unit[..., None] * np.asarray(display.colour, np.float32)
    return np.clip(out, 0, 1)


def displayable(image: np.ndarray) -> np.ndarray:
    """What the view can draw: a grey or RGB(A) image as it is, one channel
    squeezed, and any other channel count as a colour composite (each
    channel stretched between its 1st and 99.8th percentile, one colour each)."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        return image[..., 0]
    if not is_multichannel(image):
        return image
    return composite(image, default_channels(image.shape[2]))
