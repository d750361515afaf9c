"""Pre-processing: make structures easier to see and to threshold.

Every operation takes an image (H, W) or (H, W, C) of any integer or float
dtype and returns float32 of the same shape (channel operations excepted).
Local filters run tiled with overlap (see :mod:`tiling`).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from skimage import color, exposure, filters, restoration

from labelassist.assist.operations import Parameter, cost_model, register
from labelassist.imaging.checks import grey
from labelassist.imaging.segmentation import median_filter
from labelassist.imaging.tiling import apply_tiled
from labelassist.io.intensity import stretch as percentile_stretch
from labelassist.runtime.calls import cancellation_check


def as_float(image: np.ndarray) -> np.ndarray:
    """float32 on the image's own scale; integer images keep their values."""
    return np.asarray(image, dtype=np.float32)


def rescale_unit(image: np.ndarray) -> np.ndarray:
    """Min-max to [0, 1], a flat image to zeros."""
    image = as_float(image)
    low, high = float(image.min()), float(image.max())
    if high <= low:
        return np.zeros_like(image)
    return (image - low) / (high - low)


def tiled(function, image: np.ndarray, margin: int) -> np.ndarray:
    """:func:`apply_tiled` that stops when the call being served is cancelled."""
    return apply_tiled(function, image, margin, check_cancelled=cancellation_check())


def per_channel(function, image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return function(image)
    return np.stack([function(image[..., c]) for c in range(image.shape[-1])], axis=-1)


@register("stretch", "preprocess", [
    Parameter("low", float, 1.0, "lower percentile mapped to 0", 0.0, 100.0),
    Parameter("high", float, 99.8, "upper percentile mapped to 1", 0.0, 100.0),
])
def stretch(image, low=1.0, high=99.8):
    """Percentile contrast stretch to [0, 1], robust to hot pixels; per channel."""
    if low >= high:
        raise ValueError(f"stretch: 'low' ({low}) must be below 'high' ({high})")

    return per_channel(lambda c: percentile_stretch(c, (low, high), max_pixels=None), image)


@register("zscore", "preprocess")
def zscore(image):
    """Normalise to zero mean and unit variance per channel (for models)."""
    def one(channel):
        channel = as_float(channel)
        std = float(channel.std())
        return (channel - channel.mean()) / (std if std > 0 else 1.0)

    return per_channel(one, image).astype(np.float32)


@register("clahe", "preprocess", [
    Parameter("clip_limit", float, 0.01, "contrast limit; higher is stronger", 0.0, 1.0),
    Parameter("kernel_size", int, 0, "context region in pixels; 0 = 1/8 of the image", 0, 4096),
])
def clahe(image, clip_limit=0.01, kernel_size=0):
    """Contrast-limited adaptive histogram equalisation (Zuiderveld 1994)."""
    # A context region larger than the image only pads it, at the padding's cost.
    kernel_size = min(kernel_size, max(image.shape[:2])) if kernel_size else None

    def one(channel):
        return exposure.equalize_adapthist(rescale_unit(channel), clip_limit=clip_limit, kernel_size=kernel_size)

    return per_channel(one, image).astype(np.float32)


@register("gamma", "preprocess", [
    Parameter("gamma", float, 1.0, "below 1 brightens dim structures", 0.05, 20.0),
])
def gamma(image, gamma=1.0):
    """Gamma correction on the [0, 1]-rescaled image."""
    return per_channel(lambda c: exposure.adjust_gamma(rescale_unit(c), gamma), image).astype(np.float32)


@register("background", "preprocess", [
    Parameter("method", str, "tophat", "rolling_ball or tophat (white top-hat)",
              choices=("tophat", "rolling_ball")),
    Parameter("radius", int, 25, "larger than the biggest object, in pixels", 1, 512),
])
def background(image, method="tophat", radius=25):
    """Subtract a smooth background: uneven illumination, autofluorescence."""
    def one(channel):
        channel = as_float(channel)
        if method == "rolling_ball":
            return channel - restoration.rolling_ball(channel, radius=radius)
        # A square top-hat is separable and so fast at any radius; its reach is the radius.
        return ndi.white_tophat(channel, size=2 * radius + 1)

    return per_channel(lambda c: tiled(one, c, margin=2 * radius + 1), image)


@register("gaussian", "preprocess", [
    Parameter("sigma", float, 1.0, "standard deviation in pixels", 0.1, 50.0),
])
def gaussian(image, sigma=1.0):
    """Gaussian smoothing against shot noise."""
    margin = int(4 * sigma) + 1
    return per_channel(
        lambda c: tiled(lambda t: filters.gaussian(as_float(t), sigma=sigma, preserve_range=True), c, margin), image)


def _pixels(shape) -> int:
    return int(shape[0]) * int(shape[1]) * (int(shape[2]) if len(shape) > 2 else 1)


@cost_model("background")
def _background_cost(shape, method, radius):
    reach = (2 * radius + 1) ** 2 if method == "rolling_ball" else 4 * (2 * radius + 1)
    return _pixels(shape) * reach, "lower 'radius', use method=tophat, or send a smaller image"


@cost_model("median")
def _median_cost(shape, radius):
    return _pixels(shape) * np.pi * radius**2, "lower 'radius' or send a smaller image"


@cost_model("nl_means")
def _nl_means_cost(shape, h_factor, patch_size, patch_distance):
    return _pixels(shape) * (2 * patch_distance + 1) ** 2, "lower 'patch_distance' or send a smaller image"


@cost_model("bilateral")
def _bilateral_cost(shape, sigma_color, sigma_spatial):
    return _pixels(shape) * (2 * int(3 * sigma_spatial) + 1) ** 2, "lower 'sigma_spatial' or send a smaller image"


@register("median", "preprocess", [
    Parameter("radius", int, 2, "disk radius in pixels", 1, 25),
])
def median(image, radius=2):
    """Median filter: removes salt-and-pepper noise, keeps edges."""
    return per_channel(lambda c: median_filter(c, radius, check_cancelled=cancellation_check()), image)


@register("nl_means", "preprocess", [
    Parameter("h_factor", float, 0.8, "filter strength as a multiple of the estimated noise", 0.01, 10.0),
    Parameter("patch_size", int, 5, "patch side in pixels", 3, 15),
    Parameter("patch_distance", int, 6, "search radius in pixels", 1, 25),
])
def nl_means(image, h_factor=0.8, patch_size=5, patch_distance=6):
    """Non-local means (Buades et al. 2005), strength set from the estimated noise."""
    def one(channel):
        # Scale and noise are estimated on the whole channel so tiles agree.
        unit = rescale_unit(channel)
        sigma = float(restoration.estimate_sigma(unit))
        return tiled(
            lambda tile: restoration.denoise_nl_means(
                tile, h=h_factor * max(sigma, 1e-6), sigma=sigma, patch_size=patch_size,
                patch_distance=patch_distance, fast_mode=True),
            unit, margin=patch_size + patch_distance)

    return per_channel(one, image)


@register("bilateral", "preprocess", [
    Parameter("sigma_color", float, 0.1, "intensity reach as a fraction of the range", 0.001, 1.0),
    Parameter("sigma_spatial", float, 2.0, "spatial reach in pixels", 0.5, 20.0),
])
def bilateral(image, sigma_color=0.1, sigma_spatial=2.0):
    """Edge-preserving bilateral smoothing."""
    def one(channel):
        return tiled(
            lambda tile: restoration.denoise_bilateral(tile, sigma_color=sigma_color,
                                                       sigma_spatial=sigma_spatial),
            rescale_unit(channel), margin=int(3 * sigma_spatial) + 1)

    return per_channel(one, image)


@register("unsharp", "preprocess", [
    Parameter("radius", float, 2.0, "blur radius in pixels", 0.1, 50.0),
    Parameter("amount", float, 1.0, "strength of the sharpening", 0.0, 10.0),
])
def unsharp(image, radius=2.0, amount=1.0):
    """Unsharp mask: sharpens boundaries between touching objects."""
    margin = int(4 * radius) + 1
    return per_channel(
        lambda c: tiled(lambda t: filters.unsharp_mask(as_float(t), radius=radius, amount=amount,
                                                       preserve_range=True), c, margin), image)


@register("invert", "preprocess")
def invert(image):
    """Swap dark and bright (max + min - value), e.g. for brightfield stains."""
    image = as_float(image)
    return (image.max() + image.min() - image).astype(np.float32)


@register("channel", "preprocess", [
    Parameter("index", int, 0, "which channel to keep", 0, 15),
])
def channel(image, index=0):
    """Keep one channel of a multichannel image."""
    if image.ndim == 2:
        if index != 0:
            raise ValueError(f"channel: image is single-channel; 'index' {index} does not exist")
        return as_float(image)
    if index >= image.shape[-1]:
        raise ValueError(f"channel: 'index' {index} out of range for {image.shape[-1]} channels")
    return as_float(image[..., index])


STAINS = {"hematoxylin": 0, "eosin": 1, "dab": 2}


@register("hed", "preprocess", [
    Parameter("stain", str, "hematoxylin", "which stain's amount to keep", choices=tuple(STAINS)),
])
def hed(image, stain="hematoxylin"):
    """Colour deconvolution of an RGB brightfield slide into hematoxylin,
    eosin and DAB (Ruifrok & Johnston 2001); keeps one stain's amount, high
    where the stain is, so nuclei of an H&E or IHC slide threshold directly.
    A grey or other brightfield image has no colours to separate: it gives
    its optical density, the amount of whatever absorbs."""
    if image.ndim == 3 and image.shape[2] in (3, 4):
        rgb = rescale_unit(image[..., :3]) if image.dtype.kind == "f" else image[..., :3]
        return color.rgb2hed(rgb)[..., STAINS[stain]].astype(np.float32)
    intensity = rescale_unit(grey(image))
    return (-np.log10(np.maximum(intensity, 1e-3))).astype(np.float32)


@register("merge", "preprocess", [
    Parameter("mode", str, "mean", "how channels combine", choices=("mean", "max", "sum")),
])
def merge(image, mode="mean"):
    """Merge all channels into one (e.g. nuclear + membrane stains)."""
    if image.ndim == 2:
        return as_float(image)
    merged = {"mean": np.mean, "max": np.max, "sum": np.sum}[mode](as_float(image), axis=-1)
    return merged.astype(np.float32)
