"""Per-image scores for active learning, from a model's per-pixel class
probabilities (C, H, W) or Monte-Carlo samples of them (T, C, H, W), and
image features for picking diverse samples before any model exists."""

from __future__ import annotations

import functools

import numpy as np

from labelassist.imaging import uncertainty
from labelassist.imaging.checks import grey

MEASURES = ("entropy", "margin", "least_confidence", "bald", "variance")
AGGREGATIONS = ("mean", "topk")
SCORE_NAMES = tuple(f"{m}_{a}" for m in MEASURES for a in AGGREGATIONS)


def _pixel_probabilities(probabilities: np.ndarray) -> np.ndarray:
    if np.ndim(probabilities) != 3:
        raise ValueError(f"'probabilities' must have 3 dimensions, got shape {np.shape(probabilities)}")
    return probabilities


def pixel_entropy(probabilities: np.ndarray) -> np.ndarray:
    """Shannon entropy per pixel of (C, H, W) class probabilities."""
    return uncertainty.entropy(_pixel_probabilities(probabilities), class_axis=0)


def pixel_bald(samples: np.ndarray) -> np.ndarray:
    """BALD per pixel of (T, C, H, W) Monte-Carlo dropout samples."""
    if np.ndim(samples) != 4:
        raise ValueError(f"'samples' must have 4 dimensions, got shape {np.shape(samples)}")
    return uncertainty.mutual_information(samples, sample_axis=0, class_axis=1)


def pixel_margin(probabilities: np.ndarray) -> np.ndarray:
    """1 - (top-1 minus top-2) per pixel of (C, H, W) class probabilities."""
    return uncertainty.margin(_pixel_probabilities(probabilities), class_axis=0)


def pixel_least_confidence(probabilities: np.ndarray) -> np.ndarray:
    """1 - the top class probability per pixel of (C, H, W) class probabilities."""
    return uncertainty.least_confidence(_pixel_probabilities(probabilities), class_axis=0)


pixel_variance = uncertainty.predictive_variance


def aggregate(pixel_scores: np.ndarray, how: str = "mean", top_percent: float = 10.0) -> float:
    """One score per image: the mean, or the mean of the top ``top_percent`` %
    (which keeps a small uncertain object from drowning in easy background)."""
    values = np.asarray(pixel_scores, dtype=np.float64).ravel()
    if how == "mean":
        return float(values.mean())
    if how == "topk":
        if not 0 < top_percent <= 100:
            raise ValueError(f"'top_percent' must be in (0, 100], got {top_percent}")
        count = max(int(np.ceil(values.size * top_percent / 100)), 1)
        return float(np.partition(values, values.size - count)[-count:].mean())
    raise ValueError(f"aggregation must be mean or topk, got {how!r}")


FEATURE_SIDE = 512


@functools.lru_cache(maxsize=256)
def _blocks(length: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Starts and sizes of ``min(count, length)`` near-equal blocks (as np.array_split cuts them)."""
    count = min(count, length)
    sizes = np.full(count, length // count)
    sizes[: length % count] += 1
    return np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes


def _percentiles(values: np.ndarray, low: float, high: float) -> tuple[float, float]:
    """np.percentile's linear interpolation for two percentiles, on one sort
    (a tenth of its overhead on a small thumbnail)."""
    ordered = np.sort(values, axis=None)
    result = []
    for q in (low, high):
        position = q / 100 * (ordered.size - 1)
        below = int(position)
        above = min(below + 1, ordered.size - 1)
        result.append(ordered[below] + (ordered[above] - ordered[below]) * (position - below))
    return result[0], result[1]


def image_features(image: np.ndarray, thumbnail: int = 16, bins: int = 32) -> np.ndarray:
    """A small embedding of an image for diversity before any model exists:
    a normalised thumbnail (layout) and intensity histogram (content).

    Computed on a strided view of at most ``FEATURE_SIDE`` pixels a side, so
    a large image costs no full-size float copy."""
    image = np.asarray(image)
    step = max(-(-max(image.shape[:2]) // FEATURE_SIDE), 1)
    one_channel = np.asarray(grey(image[::step, ::step]), dtype=np.float64)
    low, high = _percentiles(one_channel, 1, 99)
    unit = np.clip((one_channel - low) / (high - low), 0, 1) if high > low else np.zeros_like(one_channel)
    (row_starts, row_sizes), (col_starts, col_sizes) = (_blocks(n, thumbnail) for n in unit.shape)
    sums = np.add.reduceat(np.add.reduceat(unit, row_starts, axis=0), col_starts, axis=1)
    small = np.zeros((thumbnail, thumbnail))
    small[:sums.shape[0], :sums.shape[1]] = sums / np.outer(row_sizes, col_sizes)
    # Equal-width bins over [0, 1], the last one closed (np.histogram's rule).
    histogram = np.bincount(np.minimum((unit * bins).astype(np.int64), bins - 1).ravel(), minlength=bins) / unit.size
    return np.concatenate([small.ravel(), np.sqrt(histogram)]).astype(np.float32)


def image_scores(maps: dict[str, np.ndarray], top_percent: float = 10.0) -> np.ndarray:
    """Every measure x aggregation for one image, in ``SCORE_NAMES`` order,
    from a model's maps: "probability" (C, H, W), "variance" (C, H, W) and
    "bald" (H, W)."""
    pixel = {"entropy": pixel_entropy(maps["probability"]), "margin": pixel_margin(maps["probability"]),
             "least_confidence": pixel_least_confidence(maps["probability"]),
             "bald": np.asarray(maps["bald"], np.float64), "variance": np.asarray(maps["variance"]).sum(axis=0)}
    return np.array([aggregate(pixel[m], a, top_percent) for m in MEASURES for a in AGGREGATIONS], np.float32)
