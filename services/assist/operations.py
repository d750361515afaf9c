"""The assist operation registry and the pipeline that chains its entries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from labelassist.runtime.registry import Parameter, Registry

FAMILIES = ("preprocess", "prelabel", "refine", "postprocess")
OPERATIONS = Registry("operation", families=FAMILIES)
register = OPERATIONS.register

__all__ = ["OPERATIONS", "Parameter", "register", "run_pipeline", "check_image", "check_mask"]


def check_image(image: np.ndarray, name: str = "image") -> np.ndarray:
    """Reject what no operation can work on, naming the array and the problem."""
    image = np.asarray(image)
    if image.size == 0:
        raise ValueError(f"'{name}' is empty (shape {image.shape})")
    if image.ndim not in (2, 3):
        raise ValueError(f"'{name}' must be 2D (H, W) or channels-last (H, W, C); got shape {image.shape}")
    if image.ndim == 3 and not 1 <= image.shape[2] <= 16:
        raise ValueError(f"'{name}' has {image.shape[2]} channels; at most 16 are supported "
                         f"(channels go last: H, W, C)")
    if image.dtype == np.bool_ or image.dtype.kind not in "uif":
        raise ValueError(f"'{name}' has dtype {image.dtype}; expected an integer or float image")
    if image.dtype.kind == "f" and not np.isfinite(image).all():
        raise ValueError(f"'{name}' contains NaN or Inf")
    return image


def check_mask(mask: np.ndarray, shape: tuple[int, ...] | None = None, name: str = "mask") -> np.ndarray:
    mask = np.asarray(mask)
    if mask.size == 0:
        raise ValueError(f"'{name}' is empty (shape {mask.shape})")
    if mask.ndim != 2:
        raise ValueError(f"'{name}' must be 2D (H, W); got shape {mask.shape}")
    if mask.dtype.kind not in "biu":
        raise ValueError(f"'{name}' has dtype {mask.dtype}; expected bool or integer labels")
    if mask.dtype.kind == "i" and mask.min() < 0:
        raise ValueError(f"'{name}' has negative labels (minimum {mask.min()})")
    if shape is not None and mask.shape != tuple(shape[:2]):
        raise ValueError(f"'{name}' shape {mask.shape} does not match the image's {tuple(shape[:2])}")
    return mask


def run_pipeline(
    data: np.ndarray,
    steps: Iterable[tuple[str, Mapping[str, Any]]],
    family: str,
    **context: Any,
) -> tuple[np.ndarray, list[str]]:
    """Apply named operations of one family in order.

    All steps are bound (and so validated) before the first one runs, so a
    typo in the last step fails fast instead of after minutes of work.
    ``context`` passes extra arrays (the image, for post-processing) to the
    operations that declare them as keyword arguments.
    """
    bound = []
    for name, values in steps:
        entry = OPERATIONS.get(name, family)
        bound.append((entry, entry.bind(values)))
    applied = []
    for entry, kwargs in bound:
        extra = {k: v for k, v in context.items() if k in entry.function.__code__.co_varnames}
        data = entry.function(data, **kwargs, **extra)
        applied.append(entry.name)
    return data, applied
