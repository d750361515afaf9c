"""Click-to-segment and automatic instances with a SAM-family model
(:mod:`labelassist.models.sam`): the image made into the encoder's input,
its embedding cached so the encoder runs once per image, clicks made into
point prompts for the decoder, which runs per click (Kirillov et al. 2023).

The encoder and decoder are callables (Triton's models, or the networks
in-process), so this module holds no transport.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from labelassist.io.intensity import stretch
from labelassist.models.clicks import Click

LONGEST_SIDE = 1024
LOW_RES = 256
# SAM's prompt labels: padding (no point), background, foreground, box corners.
PADDING, NEGATIVE, POSITIVE, BOX_TOP_LEFT, BOX_BOTTOM_RIGHT = -1, 0, 1, 2, 3
# Earlier answers kept per image, to give the decoder the last click's logits.
ANSWERS_PER_IMAGE = 8
DEFAULT_CACHE_BYTES = 256 * 2**20

# encode(image (1, 3, h, w) float32, 0-255, longest side 1024) -> embedding (1, 256, 64, 64)
Encode = Callable[[np.ndarray], np.ndarray]
# decode(named inputs of SAM's ONNX decoder) -> its named outputs
Decode = Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]


def resized_shape(height: int, width: int, longest: int = LONGEST_SIDE) -> tuple[int, int]:
    """The shape SAM resizes an image to: longest side ``longest``, rounded
    as segment-anything's ``ResizeLongestSide`` rounds."""
    scale = longest / max(height, width)
    return int(height * scale + 0.5), int(width * scale + 0.5)


def encoder_input(image: np.ndarray) -> np.ndarray:
    """(1, 3, h, w) float32 in 0-255, longest side :data:`LONGEST_SIDE`: SAM
    takes 8-bit RGB; an 8-bit RGB image goes as it is, any other image (a
    grey microscopy image of any depth) stretched between its 1 % and 99.8 %
    percentiles first, a grey one repeated over three channels."""
    from skimage import transform

    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim == 3:
        image = image[..., :3]
    if not (image.ndim == 3 and image.dtype == np.uint8):
        image = stretch(image.astype(np.float32), (1.0, 99.8), max_pixels=None) * 255
    rgb = np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image
    resized = transform.resize(rgb.astype(np.float32), resized_shape(*rgb.shape[:2]), order=1,
                               anti_aliasing=max(rgb.shape[:2]) > LONGEST_SIDE, preserve_range=True)
    return np.ascontiguousarray(resized.transpose(2, 0, 1)[None], np.float32)


def image_digest(image: np.ndarray) -> str:
    """What an image's embedding is cached under: its bytes, shape and dtype."""
    image = np.ascontiguousarray(image)
    digest = hashlib.blake2b(digest_size=20)
    digest.update(f"{image.shape}{image.dtype.str}".encode())
    digest.update(image.data)
    return digest.hexdigest()


@dataclass
class CachedImage:
    """An image's embedding and the decoder's last answers (low-resolution logits by clicks)."""

    embedding: np.ndarray
    answers: OrderedDict = field(default_factory=OrderedDict)

    @property
    def nbytes(self) -> int:
        return self.embedding.nbytes + sum(a.nbytes for a in self.answers.values())


class EmbeddingCache:
    """Image embeddings, least recently used out first, at most ``max_bytes`` in all.

    Keys name the model and its version as well as the image, so a new
    version of a model never answers from an old one's embedding.
    """

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES):
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be at least 0, got {max_bytes}")
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, CachedImage] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> CachedImage | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: tuple, entry: CachedImage) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            self._shrink()

    def remember(self, key: tuple, clicks: tuple, low_res: np.ndarray) -> None:
        """Keep the decoder's answer to ``clicks`` for the next click on the image."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return
            entry.answers[clicks] = low_res
            while len(entry.answers) > ANSWERS_PER_IMAGE:
                entry.answers.popitem(last=False)
            self._shrink()

    def _shrink(self) -> None:
        while self._entries and sum(e.nbytes for e in self._entries.values()) > self.max_bytes:
            self._entries.popitem(last=False)

    @property
    def nbytes(self) -> int:
        with self._lock:
            return sum(e.nbytes for e in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)


def embedding_for(image: np.ndarray, encode: Encode, cache: EmbeddingCache, model_key: tuple
                  ) -> tuple[tuple, CachedImage, bool]:
    """The image's cache key, its cached entry (encoding it on a miss) and whether it was a hit."""
    key = (*model_key, image_digest(image))
    entry = cache.get(key)
    if entry is not None:
        return key, entry, True
    entry = CachedImage(np.asarray(encode(encoder_input(image)), np.float32))
    cache.put(key, entry)
    return key, entry, False


def point_prompts(clicks: Sequence[Click], box, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """SAM's (1, N, 2) point coordinates (x, y in the resized image's
    pixels) and (1, N) labels for clicks and an optional box (top, left,
    bottom, right); without a box a padding point ends the list, as SAM's
    ONNX decoder expects."""
    scale = np.divide(resized_shape(*shape), shape)
    points = [((c.x + 0.5) * scale[1] - 0.5, (c.y + 0.5) * scale[0] - 0.5) for c in clicks]
    labels = [POSITIVE if c.positive else NEGATIVE for c in clicks]
    if box is not None:
        top, left, bottom, right = box
        points += [(left * scale[1], top * scale[0]), (right * scale[1], bottom * scale[0])]
        labels += [BOX_TOP_LEFT, BOX_BOTTOM_RIGHT]
    else:
        points.append((0.0, 0.0))
        labels.append(PADDING)
    return np.asarray([points], np.float32), np.asarray([labels], np.float32)


def decoder_inputs(embedding: np.ndarray, coords: np.ndarray, labels: np.ndarray, shape: tuple[int, int],
                   previous: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The named inputs of SAM's decoder for a batch of prompts (B, N, 2)
    and, for a single prompt, the previous answer's low-resolution logits."""
    mask_input = previous if previous is not None else np.zeros((len(coords), 1, LOW_RES, LOW_RES), np.float32)
    return {"image_embeddings": embedding, "point_coords": coords, "point_labels": labels,
            "mask_input": mask_input.astype(np.float32),
            "has_mask_input": np.asarray([float(previous is not None)], np.float32),
            "orig_im_size": np.asarray(shape, np.float32)}


@dataclass
class SamAnswer:
    """One object: its mask at the image's size, SAM's predicted IoU, and
    whether the image's embedding came from the cache."""

    mask: np.ndarray
    predicted_iou: float
    cached: bool


def segment_clicks(image: np.ndarray, clicks: Sequence[Click], encode: Encode, decode: Decode,
                   cache: EmbeddingCache, model_key: tuple, box=None) -> SamAnswer:
    """One object from clicks (and a box): the encoder runs on a cache miss
    only, the decoder once, given its answer to the same clicks less the
    last as the mask prompt when the cache holds it.

    Parameters
    ----------
    image : ndarray
        (H, W) or (H, W, C), checked by the caller.
    clicks : sequence of Click
    encode, decode : callable
        The model's two parts (see :data:`Encode`, :data:`Decode`).
    cache : EmbeddingCache
    model_key : tuple
        The model and its version, part of the cache key.
    box : (top, left, bottom, right), optional

    Returns
    -------
    SamAnswer
    """
    shape = tuple(np.shape(image)[:2])
    key, entry, cached = embedding_for(image, encode, cache, model_key)
    prompt = (tuple((c.y, c.x, c.positive) for c in clicks), tuple(box) if box is not None else None)
    previous = entry.answers.get((prompt[0][:-1], prompt[1])) if len(clicks) > 1 else None
    coords, labels = point_prompts(clicks, box, shape)
    outputs = decode(decoder_inputs(entry.embedding, coords, labels, shape, previous))
    cache.remember(key, prompt, outputs["low_res_masks"][:1])
    return SamAnswer(outputs["masks"][0, 0] > 0, float(outputs["iou_predictions"][0, 0]), cached)


def point_grid(shape: tuple[int, int], points_per_side: int) -> np.ndarray:
    """(N, 2) (y, x) image pixels of an even grid, each point the centre of
    its cell, as SAM's automatic mask generator places them."""
    offsets = (np.arange(points_per_side) + 0.5) / points_per_side
    ys, xs = np.meshgrid(offsets * shape[0] - 0.5, offsets * shape[1] - 0.5, indexing="ij")
    return np.stack([ys.ravel(), xs.ravel()], axis=1)


def stability_score(logits: np.ndarray, offset: float = 1.0) -> np.ndarray:
    """How little each mask (B, H, W) changes as the logit threshold moves
    by ±``offset``: the area above +offset over the area above -offset
    (Kirillov et al. 2023, automatic mask generation)."""
    inner = (logits > offset).sum(axis=(-2, -1))
    outer = (logits > -offset).sum(axis=(-2, -1))
    return np.where(outer > 0, inner / np.maximum(outer, 1), 0.0)


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def _box_iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    height = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    width = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = height * width
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area if area else 0.0


def automatic_instances(image: np.ndarray, encode: Encode, decode: Decode, cache: EmbeddingCache,
                        model_key: tuple, points_per_side: int = 16, iou_threshold: float = 0.88,
                        stability_threshold: float = 0.95, overlap_threshold: float = 0.7, min_area: int = 16,
                        batch_bytes: int = 64 * 2**20) -> np.ndarray:
    """Instance labels from a grid of single-point prompts, after SAM's
    automatic mask generator (Kirillov et al. 2023): each grid point's best
    mask is kept when SAM's predicted IoU and its stability score reach the
    thresholds; of masks whose boxes overlap by more than
    ``overlap_threshold`` (IoU) only the best-scored is kept
    (non-maximum suppression); the kept masks are painted best first, each
    taking the pixels no better mask took, and dropped below ``min_area``.

    Parameters
    ----------
    image : ndarray
    encode, decode, cache, model_key
        As :func:`segment_clicks`; the image's embedding is shared with clicks on it.
    points_per_side : int
        The grid has ``points_per_side``² points.
    iou_threshold, stability_threshold, overlap_threshold : float
        In [0, 1].
    min_area : int
        Pixels an instance needs.
    batch_bytes : int
        Bound on the decoder's image-sized answers per request: points go in batches.

    Returns
    -------
    ndarray
        int32 labels of the image's shape, 0 background, 1.. by descending score.
    """
    shape = tuple(np.shape(image)[:2])
    _, entry, _ = embedding_for(image, encode, cache, model_key)
    points = point_grid(shape, points_per_side)
    batch = max(1, batch_bytes // (4 * shape[0] * shape[1]))
    candidates = []
    for start in range(0, len(points), batch):
        chunk = points[start:start + batch]
        coords = np.zeros((len(chunk), 2, 2), np.float32)
        labels = np.tile(np.asarray([[POSITIVE, PADDING]], np.float32), (len(chunk), 1))
        for row, (y, x) in enumerate(chunk):
            coords[row] = point_prompts([Click(float(y), float(x))], None, shape)[0][0]
        outputs = decode(decoder_inputs(entry.embedding, coords, labels, shape))
        logits, predicted = outputs["masks"][:, 0], outputs["iou_predictions"][:, 0]
        stable = stability_score(logits)
        for k in np.nonzero((predicted >= iou_threshold) & (stable >= stability_threshold))[0]:
            mask = logits[k] > 0
            if mask.sum() >= min_area:
                box = _box(mask)
                candidates.append((float(predicted[k]), box, mask[box[0]:box[2], box[1]:box[3]]))
    candidates.sort(key=lambda candidate: -candidate[0])
    kept: list = []
    for candidate in candidates:
        if all(_box_iou(candidate[1], other[1]) <= overlap_threshold for other in kept):
            kept.append(candidate)
    instances = np.zeros(shape, np.int32)
    for _, (top, left, bottom, right), crop in kept:
        window = instances[top:bottom, left:right]
        free = crop & (window == 0)
        if free.sum() >= min_area:
            window[free] = instances.max() + 1
    return instances
