"""Click-to-segment, the model-independent part: which window of the image
the click model sees, how clicks and the current mask become its input, and
how its answer becomes the object's mask.

The model sees a square window resized to :data:`INPUT_SIDE` pixels with
four channels: the image, positive clicks, negative clicks and the object's
current mask (Sofiiuk et al. 2022, RITM; Diaz-Pinto et al. 2022, DeepEdit).
A lone first click is answered in windows of :data:`FIRST_SIDES` centred on
it, in one batch, and the narrowest that holds the object is kept; while the
object runs into the window's edge the window doubles ("zoom out"); a
current mask or box sets the window to the object's extent ("zoom in").
Each window goes to the model with its mirror images in one batch and the
answers are averaged (test-time augmentation): on HeLa nuclei it saves a
tenth of the clicks to IoU 0.9 and the objects no click loop reaches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from skimage import measure, transform

from labelassist.imaging.checks import grey
from labelassist.io.intensity import to_unit

INPUT_SIDE = 96
FIRST_WINDOW = 64
MAX_WINDOW = 1024
CLICK_RADIUS = 3  # in model pixels
MAX_PASSES = 4
MAX_CLICKS = 100
THRESHOLD = 0.5
# A lone first click is answered at these window sides together: a click
# inside an object wider than the first window sees only object there and
# the model outlines a blob; the wider windows see the object whole.
FIRST_SIDES = (FIRST_WINDOW, 2 * FIRST_WINDOW, 4 * FIRST_WINDOW)

# predict(batch (N, 4, S, S) float32) -> foreground probability (N, S, S)
Predict = Callable[[np.ndarray], np.ndarray]


def _flipped(array: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    return np.ascontiguousarray(np.flip(array, axes)) if axes else array


# The mirror images each window is also seen as: none, left-right, up-down (of (…, S, S) arrays).
MIRRORS = ((), (-1,), (-2,))


def mirrored_probability(predict: Predict, window_inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The model's answer for each (4, S, S) input, averaged over the input
    and its mirror images (:data:`MIRRORS`), all asked in one batch."""
    batch = np.stack([_flipped(window_input, axes) for window_input in window_inputs for axes in MIRRORS])
    answers = predict(batch)
    return [np.mean([_flipped(answers[first + k], axes) for k, axes in enumerate(MIRRORS)], axis=0)
            for first in range(0, len(batch), len(MIRRORS))]


@dataclass(frozen=True)
class Click:
    """One click in image pixels (row ``y``, column ``x``): inside the object
    (``positive``) or outside it."""

    y: float
    x: float
    positive: bool = True


@dataclass(frozen=True)
class Window:
    """A square of the image (may reach past its edges), in image pixels."""

    top: int
    left: int
    side: int

    def to_model(self, y: float, x: float) -> tuple[float, float]:
        scale = INPUT_SIDE / self.side
        return (y - self.top + 0.5) * scale - 0.5, (x - self.left + 0.5) * scale - 0.5

    def inside(self, shape: tuple[int, int]) -> tuple[slice, slice, slice, slice]:
        """(image rows, image cols, window rows, window cols) of the part inside the image."""
        top, left = max(self.top, 0), max(self.left, 0)
        bottom, right = min(self.top + self.side, shape[0]), min(self.left + self.side, shape[1])
        return (slice(top, bottom), slice(left, right),
                slice(top - self.top, bottom - self.top), slice(left - self.left, right - self.left))


@dataclass
class SegmentedObject:
    """The object's mask within ``bounds`` (top, left of ``mask`` in the image),
    the last window the model saw and how many model passes it took."""

    mask: np.ndarray
    top: int
    left: int
    window: Window
    passes: int

    def full(self, shape: tuple[int, int]) -> np.ndarray:
        """The mask at the image's size (uint8, 1 = object)."""
        out = np.zeros(shape, np.uint8)
        out[self.top:self.top + self.mask.shape[0], self.left:self.left + self.mask.shape[1]] = self.mask
        return out


def check_request(shape: tuple[int, ...], clicks: Sequence[Click], box: tuple[int, int, int, int] | None,
                  mask: np.ndarray | None) -> None:
    """Raise ValueError naming what is wrong with a segment request."""
    height, width = shape[:2]
    if not clicks:
        raise ValueError("segment: no clicks; give at least one positive click inside the object")
    if len(clicks) > MAX_CLICKS:
        raise ValueError(f"segment: {len(clicks)} clicks; at most {MAX_CLICKS} per object")
    if not any(c.positive for c in clicks) and (mask is None or not np.any(mask)):
        raise ValueError("segment: no positive click; the first click must be inside the object "
                         "(negative clicks alone only remove parts of an object's current mask)")
    for c in clicks:
        if not (np.isfinite(c.y) and np.isfinite(c.x) and 0 <= c.y < height and 0 <= c.x < width):
            raise ValueError(f"segment: click ({c.y:g}, {c.x:g}) lies outside the {height}×{width} image; "
                             "clicks are (row, column) in image pixels")
    if box is not None:
        top, left, bottom, right = box
        if not (0 <= top < bottom <= height and 0 <= left < right <= width):
            raise ValueError(f"segment: box {tuple(box)} (top, left, bottom, right) is empty or outside "
                             f"the {height}×{width} image")
    if mask is not None and tuple(mask.shape[:2]) != (height, width):
        raise ValueError(f"segment: the current mask is {mask.shape[0]}×{mask.shape[1]}, the image "
                         f"{height}×{width}; send the object's mask at the image's size")
    # The model's window is the object's extent at the least: a wider one
    # costs time and memory with the image, not with the model.
    top, left, bottom, right, _ = object_bounds(clicks, box, mask)
    extent = int(np.ceil(max(bottom - top, right - left)))
    if extent > MAX_WINDOW:
        raise ValueError(f"segment: the positive clicks, box and current mask span {extent} pixels; one object "
                         f"may span at most {MAX_WINDOW} (the largest window): click inside one object, or draw "
                         f"a box of at most {MAX_WINDOW}×{MAX_WINDOW} pixels")


def _square_around(top: float, left: float, bottom: float, right: float, side: float) -> Window:
    side = int(np.ceil(max(side, bottom - top, right - left, 8)))
    centre_y, centre_x = (top + bottom) / 2, (left + right) / 2
    return Window(int(round(centre_y - side / 2)), int(round(centre_x - side / 2)), side)


def object_bounds(clicks: Sequence[Click], box, mask: np.ndarray | None) -> tuple[float, float, float, float, bool]:
    """(top, left, bottom, right) around the positive clicks, the box and the
    current mask, and whether a box or mask gave the object's extent."""
    ys = [c.y for c in clicks if c.positive]
    xs = [c.x for c in clicks if c.positive]
    extent_known = False
    if box is not None:
        ys += [box[0], box[2] - 1]
        xs += [box[1], box[3] - 1]
        extent_known = True
    if mask is not None and mask.any():
        rows, cols = np.nonzero(np.any(mask, axis=1))[0], np.nonzero(np.any(mask, axis=0))[0]
        ys += [rows.min(), rows.max()]
        xs += [cols.min(), cols.max()]
        extent_known = True
    return min(ys), min(xs), max(ys) + 1, max(xs) + 1, extent_known


def first_window(clicks: Sequence[Click], box, mask: np.ndarray | None) -> Window:
    """The window of the first pass: the extent of the current mask, the box
    and the clicks, with a margin; a lone click gets :data:`FIRST_WINDOW`."""
    top, left, bottom, right, extent_known = object_bounds(clicks, box, mask)
    extent = max(bottom - top, right - left)
    side = extent * 1.4 + 16 if extent_known else max(extent * 1.4 + 16, FIRST_WINDOW)
    return _square_around(top, left, bottom, right, min(side, MAX_WINDOW))


def crop_resized(array: np.ndarray, window: Window, order: int) -> np.ndarray:
    """The window of ``array`` (padded past the image's edges: reflected for
    images, zeros for masks), resized to :data:`INPUT_SIDE`."""
    rows, cols, window_rows, window_cols = window.inside(array.shape[:2])
    inner = array[rows, cols]
    pad = ((window_rows.start, window.side - window_rows.stop), (window_cols.start, window.side - window_cols.stop))
    if order == 0:
        crop = np.pad(inner, pad)
    else:
        crop = np.pad(inner, pad, mode="reflect" if min(inner.shape) > 1 else "edge")
    return transform.resize(crop.astype(np.float32), (INPUT_SIDE, INPUT_SIDE), order=order,
                            anti_aliasing=order > 0 and window.side > INPUT_SIDE, preserve_range=True,
                            mode="edge").astype(np.float32)


def click_maps(clicks: Sequence[tuple[float, float, bool]], side: int = INPUT_SIDE,
               radius: float = CLICK_RADIUS) -> np.ndarray:
    """(2, side, side) disks of positive and negative clicks given in model pixels."""
    maps = np.zeros((2, side, side), np.float32)
    if not len(clicks):
        return maps
    yy, xx = np.mgrid[:side, :side]
    for y, x, positive in clicks:
        disk = (yy - y) ** 2 + (xx - x) ** 2 <= radius**2
        maps[0 if positive else 1][disk] = 1.0
    return maps


def intensity_range(image: np.ndarray) -> tuple[float, float]:
    """The whole image's (1 %, 99.8 %) percentiles, the model's input scale,
    from at most ~10^6 pixels. The whole image's, not the window's: a window
    inside a large object must still look like object."""
    image = grey(image)
    step = max(int(np.ceil(np.sqrt(image.shape[0] * image.shape[1] / 1e6))), 1)
    low, high = np.percentile(image[::step, ::step], (1.0, 99.8))
    return float(low), float(high)


def model_input(image: np.ndarray, window: Window, clicks: Sequence[Click], mask: np.ndarray | None,
                scale: tuple[float, float] | None = None) -> np.ndarray:
    """The (4, S, S) input for one window: image (on the whole image's
    ``scale``, see :func:`intensity_range`), positive and negative click
    disks, current mask."""
    unit = to_unit(crop_resized(grey(image), window, order=1), scale or intensity_range(image))
    maps = click_maps([(*window.to_model(c.y, c.x), c.positive) for c in clicks])
    current = (crop_resized((mask > 0).astype(np.float32), window, order=1) >= 0.5).astype(np.float32) \
        if mask is not None else np.zeros((INPUT_SIDE, INPUT_SIDE), np.float32)
    return np.concatenate([unit[None], maps, current[None]]).astype(np.float32)


def window_mask(probability: np.ndarray, window: Window, shape: tuple[int, int], clicks: Sequence[Click]
                ) -> np.ndarray:
    """The model's answer as the object's mask over the part of ``window``
    inside the image: thresholded, negative clicks cleared, only the
    connected parts under positive clicks kept (else the largest part)."""
    rows, cols, window_rows, window_cols = window.inside(shape)
    native = transform.resize(probability.astype(np.float32), (window.side, window.side), order=1,
                              mode="edge", preserve_range=True)
    mask = native[window_rows, window_cols] >= THRESHOLD
    for c in clicks:
        y, x = int(c.y) - rows.start, int(c.x) - cols.start
        if not c.positive and 0 <= y < mask.shape[0] and 0 <= x < mask.shape[1]:
            mask[y, x] = False
    parts = measure.label(mask, connectivity=1)
    if parts.max() == 0:
        return mask
    hit = {int(parts[int(c.y) - rows.start, int(c.x) - cols.start]) for c in clicks if c.positive
           and 0 <= int(c.y) - rows.start < mask.shape[0] and 0 <= int(c.x) - cols.start < mask.shape[1]}
    hit.discard(0)
    if not hit:
        hit = {int(np.argmax(np.bincount(parts.ravel())[1:])) + 1}
    return np.isin(parts, list(hit))


def _touches_open_edge(mask: np.ndarray, window: Window, shape: tuple[int, int]) -> bool:
    """Whether the object reaches an edge of the window that lies inside the image."""
    edges = ((mask[0].any() and window.top > 0), (mask[-1].any() and window.top + window.side < shape[0]),
             (mask[:, 0].any() and window.left > 0), (mask[:, -1].any() and window.left + window.side < shape[1]))
    return any(edges)


def segment_object(image: np.ndarray, clicks: Sequence[Click], predict: Predict,
                   box: tuple[int, int, int, int] | None = None, mask: np.ndarray | None = None) -> SegmentedObject:
    """Segment one object from clicks with a click model.

    Parameters
    ----------
    image : ndarray
        Grey image (H, W) (channels are averaged).
    clicks : sequence of Click
        At least one positive click; later clicks correct the object.
    predict : callable
        The click model: (N, 4, S, S) inputs to (N, S, S) foreground probability.
    box : (top, left, bottom, right), optional
        The object's extent, when the annotator drew one.
    mask : ndarray, optional
        The object's current mask (H, W), when refining it.

    Returns
    -------
    SegmentedObject
        The mask of the object's bounding region and its offset.
    """
    image = np.asarray(image)
    shape = image.shape[:2]
    check_request(image.shape, clicks, box, mask)
    window = first_window(clicks, box, mask)
    grey_image = grey(image)
    scale = intensity_range(grey_image)
    lone = box is None and (mask is None or not mask.any()) and window.side == FIRST_WINDOW
    for passes in range(1, MAX_PASSES + 1):
        if lone and passes == 1:
            window, found = _first_scale(grey_image, window, clicks, predict, scale)
        else:
            probability = mirrored_probability(predict, [model_input(grey_image, window, clicks, mask, scale)])[0]
            found = window_mask(probability, window, shape, clicks)
        if window.side >= MAX_WINDOW or not _touches_open_edge(found, window, shape) or passes == MAX_PASSES:
            break
        rows, cols = np.nonzero(found)
        origin_rows, origin_cols, _, _ = window.inside(shape)
        top, left = rows.min() + origin_rows.start, cols.min() + origin_cols.start
        bottom, right = rows.max() + origin_rows.start + 1, cols.max() + origin_cols.start + 1
        window = _square_around(top, left, bottom, right, min(2 * window.side, MAX_WINDOW))
    rows, cols, _, _ = window.inside(shape)
    if not found.any():
        return SegmentedObject(np.zeros((0, 0), np.uint8), rows.start, cols.start, window, passes)
    ys, xs = np.nonzero(found)
    crop = found[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.uint8)
    return SegmentedObject(crop, rows.start + int(ys.min()), cols.start + int(xs.min()), window, passes)


def _first_scale(image: np.ndarray, centre: Window, clicks: Sequence[Click], predict: Predict,
                 scale: tuple[float, float]) -> tuple[Window, np.ndarray]:
    """The window and answer of a lone first click (``centre``, its first
    window): the answers at :data:`FIRST_SIDES` around it come in one batch, and a wider window replaces a
    narrower one while it sees the narrower one's object grow (at least
    twice the area, holding 90 % of it): the narrower one saw the inside
    of a larger object."""
    shape = image.shape[:2]
    windows = [Window(centre.top + (centre.side - side) // 2, centre.left + (centre.side - side) // 2, side)
               for side in FIRST_SIDES]
    answers = mirrored_probability(predict, [model_input(image, w, clicks, None, scale) for w in windows])
    found = [window_mask(answer, w, shape, clicks) for answer, w in zip(answers, windows)]
    frame = windows[-1].inside(shape)
    placed = []
    for w, mask in zip(windows, found):  # every answer in the widest window's frame, to compare
        rows, cols, _, _ = w.inside(shape)
        canvas = np.zeros((frame[0].stop - frame[0].start, frame[1].stop - frame[1].start), bool)
        canvas[rows.start - frame[0].start:rows.stop - frame[0].start,
               cols.start - frame[1].start:cols.stop - frame[1].start] = mask
        placed.append(canvas)
    chosen = 0
    while chosen + 1 < len(windows):
        narrow, wide = placed[chosen], placed[chosen + 1]
        if not (wide.sum() >= 2 * narrow.sum() and (narrow & wide).sum() >= 0.9 * narrow.sum()):
            break
        chosen += 1
    return windows[chosen], found[chosen]


def corrective_click(target: np.ndarray, predicted: np.ndarray) -> Click | None:
    """Where a careful annotator clicks next (Xu et al. 2016; Sofiiuk et al.
    2022): at the centre (farthest from any edge) of the largest error
    region, positive where the object is missed, negative where too much is
    taken; None when the prediction is exact."""
    from scipy import ndimage

    target, predicted = np.asarray(target, bool), np.asarray(predicted, bool)
    best, best_distance = None, 0.0
    for error, positive in ((target & ~predicted, True), (predicted & ~target, False)):
        if not error.any():
            continue
        distance = ndimage.distance_transform_edt(np.pad(error, 1))[1:-1, 1:-1]
        index = np.unravel_index(int(np.argmax(distance)), distance.shape)
        if distance[index] > best_distance:
            best, best_distance = Click(float(index[0]), float(index[1]), positive), float(distance[index])
    return best
