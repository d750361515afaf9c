"""The inspect core: run criteria on one label. Plain numpy in and out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from labelassist.inspect.criteria import CRITERIA, Finding, Label
from labelassist.inspect.measure import ObjectTable
from labelassist.inspect.settings import InspectionSettings
from labelassist.runtime.errors import ConflictError, UnavailableError

Override = tuple[str, Mapping[str, Any]]


def check_arrays(mask, image=None, prelabel=None) -> None:
    mask = np.asarray(mask)
    if mask.size == 0 or mask.ndim != 2:
        raise ValueError(f"'mask' must be a non-empty 2D label image (H, W); got shape {mask.shape}")
    if mask.dtype.kind not in "biu":
        raise ValueError(f"'mask' has dtype {mask.dtype}; expected bool or integer labels")
    if mask.dtype.kind == "i" and mask.min() < 0:
        raise ValueError(f"'mask' has negative labels (minimum {mask.min()})")
    if image is not None:
        image = np.asarray(image)
        if image.shape[:2] != mask.shape or image.ndim not in (2, 3):
            raise ValueError(f"shape mismatch: 'image' is {image.shape}, 'mask' is {mask.shape}")
        if image.dtype.kind not in "uif" or image.dtype == np.bool_:
            raise ValueError(f"'image' has dtype {image.dtype}; expected an integer or float image")
        if image.dtype.kind == "f" and not np.isfinite(image).all():
            raise ValueError("'image' contains NaN or Inf")
    if prelabel is not None:
        prelabel = np.asarray(prelabel)
        if prelabel.shape != mask.shape:
            raise ValueError(f"shape mismatch: 'prelabel' is {prelabel.shape}, 'mask' is {mask.shape}")
        if prelabel.dtype.kind not in "biu":
            raise ValueError(f"'prelabel' has dtype {prelabel.dtype}; expected bool or integer labels")


def default_prelabel(image: np.ndarray) -> tuple[np.ndarray, str]:
    """The project's default pre-label, for agreement checks when none was
    sent: the U-Net when Triton serves one, else the classical pipeline; and
    which of the two it was."""
    from labelassist.assist import inference  # heavy imports only when needed
    from labelassist.assist.pipeline import prelabel_image

    if inference.model_ready():
        try:
            return prelabel_image(image, ("unet", {}))[0], "unet"
        except (ConflictError, UnavailableError):
            pass  # Triton went away after the readiness check: the classical pipeline still answers
    return prelabel_image(image)[0], "classical"


class Inspection(NamedTuple):
    findings: list[Finding]
    objects: ObjectTable
    checked: list[str]
    prelabel_source: str  # "sent", "unet", "classical" or "" (no agreement check)


def inspect_label(
    mask: np.ndarray,
    image: np.ndarray | None = None,
    prelabel: np.ndarray | None = None,
    overrides: Sequence[Override] = (),
    only_listed: bool = False,
    compute_prelabel: bool = True,
    settings: InspectionSettings | None = None,
) -> Inspection:
    """Run the criteria on one label.

    ``overrides`` set parameters of named criteria; with ``only_listed`` just
    those run, else every registered criterion does. A project's
    ``settings`` come first: their parameters are the defaults that
    ``overrides`` override, and their disabled criteria do not run (unless
    listed with ``only_listed``).
    """
    check_arrays(mask, image, prelabel)
    settings = settings or InspectionSettings()
    values = {name: dict(parameters) for name, parameters in settings.criteria}
    listed = []
    for name, parameters in overrides:
        CRITERIA.get(name)
        values[name] = {**values.get(name, {}), **dict(parameters)}
        listed.append(name)
    chosen = [CRITERIA.get(name) for name in dict.fromkeys(listed)] if only_listed else \
        [entry for entry in CRITERIA.entries() if entry.name not in settings.disabled]
    bound = [(entry, entry.bind(values.get(entry.name))) for entry in chosen]
    compares = any(entry.family == "agreement" for entry, _ in bound)
    source = "sent" if prelabel is not None and compares else ""
    if prelabel is None and image is not None and compute_prelabel and compares:
        prelabel, source = default_prelabel(image)
    label = Label(np.asarray(mask), image, prelabel)
    findings = [finding for entry, kwargs in bound for finding in entry.function(label, **kwargs)]
    return Inspection(findings, label.objects, [entry.name for entry, _ in bound], source)
