"""Classical pre-labels: threshold the (pre-processed) image, optionally split
touching objects into instances. The U-Net plugs in as one more method."""

from __future__ import annotations

import numpy as np
from skimage import filters, measure

from labelassist.assist.operations import Parameter, cost_model, register
from labelassist.assist.postprocess import split_cost, split_touching
from labelassist.imaging.checks import single_channel
from labelassist.imaging.segmentation import foreground_from_threshold
from labelassist.models.triton import DEFAULT_THRESHOLD
from labelassist.runtime.errors import ConflictError

POLARITY = Parameter("polarity", str, "auto", "bright objects, dark objects, or decide from the image",
                     choices=("auto", "bright", "dark"))
SPLIT = Parameter("split", bool, False, "split touching objects into instances (watershed)")
MIN_DISTANCE = Parameter("min_distance", int, 7, "with split: smallest distance between centres", 1, 500)

GLOBAL_THRESHOLDS = {
    "otsu": (filters.threshold_otsu, "Otsu's threshold: minimises intra-class variance (Otsu 1979)."),
    "li": (filters.threshold_li, "Li's minimum cross-entropy threshold (Li & Lee 1993)."),
    "yen": (filters.threshold_yen, "Yen's maximum correlation threshold (Yen et al. 1995)."),
    "triangle": (filters.threshold_triangle, "Triangle threshold, for a dominant background peak (Zack 1977)."),
    "mean": (filters.threshold_mean, "Mean intensity as the threshold."),
    "isodata": (filters.threshold_isodata, "Iterative intersection of class means (Ridler & Calvard 1978)."),
}


def finish_labels(foreground: np.ndarray, split: bool, min_distance: int) -> np.ndarray:
    if split:
        return split_touching(foreground.astype(np.uint8), min_distance=min_distance)
    return foreground.astype(np.uint8)


def _register_global(name: str, function, description: str) -> None:
    def threshold_method(image, polarity="auto", split=False, min_distance=7):
        image = single_channel(image, name)
        if image.min() == image.max():
            return np.zeros(image.shape, np.uint8)
        foreground = foreground_from_threshold(image, function(image), polarity)
        return finish_labels(foreground, split, min_distance)

    threshold_method.__name__ = name
    register(name, "prelabel", [POLARITY, SPLIT, MIN_DISTANCE], description)(threshold_method)
    cost_model(name)(_global_cost)


def _split_work(shape, split: bool, min_distance: int) -> float:
    return split_cost(shape, min_distance) if split else 0.0


def _global_cost(shape, polarity, split, min_distance):
    return shape[0] * shape[1] * 20 + _split_work(shape, split, min_distance), \
        "lower 'min_distance' or send a smaller image"


for _name, (_function, _description) in GLOBAL_THRESHOLDS.items():
    _register_global(_name, _function, _description)


@cost_model("local")
def _local_cost(shape, block_size, offset, polarity, split, min_distance):
    # A Gaussian of sigma (block_size - 1) / 6, truncated at 4 sigma, along each axis.
    return shape[0] * shape[1] * (2 * 1.4 * block_size + 40) + _split_work(shape, split, min_distance), \
        "lower 'block_size' or send a smaller image"


@register("local", "prelabel", [
    Parameter("block_size", int, 51, "odd neighbourhood size in pixels", 3, 4095),
    Parameter("offset", float, 0.0, "subtracted from the local threshold, in image units", -1e12, 1e12),
    POLARITY, SPLIT, MIN_DISTANCE,
])
def local(image, block_size=51, offset=0.0, polarity="auto", split=False, min_distance=7):
    """Adaptive threshold from each pixel's Gaussian-weighted neighbourhood, for uneven backgrounds."""
    if block_size % 2 == 0:
        raise ValueError(f"local: 'block_size' must be odd, got {block_size}")
    image = single_channel(image, "local")
    foreground = foreground_from_threshold(image, filters.threshold_local(image, block_size, offset=offset),
                                           polarity)
    return finish_labels(foreground, split, min_distance)


def count_objects(mask: np.ndarray) -> int:
    """Objects in a label image: connected components of a binary mask, else ids."""
    if mask.max() <= 1:
        return int(measure.label(mask > 0).max())
    return int(len(np.unique(mask[mask > 0])))


UNET_PARAMETERS = [
    Parameter("threshold", float, DEFAULT_THRESHOLD, "foreground where the probability reaches this", 0.0, 1.0),
    Parameter("mc_samples", int, 0, "Monte-Carlo dropout passes averaged; 0 = one deterministic pass", 0, 64),
    SPLIT, MIN_DISTANCE,
]


def unet_probability(image, mc_samples=0, triton=None):
    """Foreground probability and its Monte-Carlo variance from the U-Net that ``triton`` serves."""
    if triton is None:
        raise ConflictError("no Triton server is configured for U-Net pre-labels: start the stack with "
                            "`labelassist up` (it runs a local Triton) or give assist --triton-url")
    return triton.probabilities(single_channel(image, "unet"), mc_samples)


@register("unet", "prelabel", UNET_PARAMETERS)
def unet(image, threshold=0.5, mc_samples=0, split=False, min_distance=7, triton=None):
    """The U-Net trained on this project's labels, served by Triton (Ronneberger et al. 2015)."""
    probability, _ = unet_probability(image, mc_samples, triton)
    return finish_labels(probability >= threshold, split, min_distance)
