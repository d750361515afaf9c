"""Click-to-segment on assist: which click model answers (Triton's, else an
in-process copy of the newest published version, else the bundled
generalist) and the call itself."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labelassist.assist.sam import SamModels
from labelassist.imaging.checks import single_channel
from labelassist.models import CLICK_MODEL_NAME
from labelassist.models.sam import PREFIX as SAM_PREFIX
from labelassist.models.sam_prompts import DEFAULT_CACHE_BYTES
from labelassist.models.clicks import Click, Predict, SegmentedObject, check_request, segment_object


@dataclass
class ClickModel:
    """A click model ready to answer: its predict function and what it is."""

    predict: Predict | None  # None for a SAM-family model, which answers whole images
    runtime: str  # "triton" or "in-process"
    version: int
    source: str  # "generalist", "trained", or "sam KIND" (vit_b, ...)


class ClickModels:
    """The click model for assist's calls: Triton's when assist has a Triton
    (down means UNAVAILABLE, never a silent switch), else the newest version
    in the model repository run in-process, else the bundled generalist."""

    def __init__(self, repository: Path, triton=None, sam_cache_bytes: int = DEFAULT_CACHE_BYTES):
        self.repository, self.triton = Path(repository), triton
        self.sam = SamModels(repository, triton, sam_cache_bytes)
        self._lock = threading.Lock()
        self._loaded: tuple[tuple, ClickModel] | None = None
        self._sources: dict[int, str] = {}  # version -> where it came from; a published version never changes

    def _source(self, version: int) -> str:
        from labelassist.models import repository as model_store

        if version not in self._sources:
            self._sources[version] = model_store.version_source(self.repository, version, CLICK_MODEL_NAME)
        return self._sources[version]

    def current(self) -> ClickModel:
        from labelassist.models import repository as model_store

        if self.triton is not None:
            version = self.triton.served_version(CLICK_MODEL_NAME) or 0
            return ClickModel(self.triton.click_probability, "triton", version, self._source(version) if version else "-")
        versions = model_store.versions(self.repository, CLICK_MODEL_NAME)
        key = (versions[-1],) if versions else ("bundled",)
        with self._lock:
            if self._loaded is None or self._loaded[0] != key:
                self._loaded = (key, self._load(versions[-1] if versions else None))
            return self._loaded[1]

    def _load(self, version: int | None) -> ClickModel:
        import torch

        from labelassist.models import generalist
        from labelassist.models import repository as model_store
        from labelassist.models.click_training import click_model_predictor
        from labelassist.runtime.errors import ConflictError

        if version is not None:
            model = torch.jit.load(str(self.repository / CLICK_MODEL_NAME / str(version) / "model.pt"),
                                   map_location="cpu")
            return ClickModel(click_model_predictor(model), "in-process", version,
                              model_store.version_source(self.repository, version, CLICK_MODEL_NAME))
        if not generalist.available(CLICK_MODEL_NAME):
            raise ConflictError("no click model: this installation ships no bundled generalist and none is "
                                "trained; train one with `labelassist train --model clicknet`")
        model, _ = generalist.load_bundled(CLICK_MODEL_NAME)
        return ClickModel(click_model_predictor(model), "in-process", 0, "generalist")


def check_image(image: np.ndarray) -> np.ndarray:
    """The image as the click model takes it, or ValueError naming the problem."""
    image = np.asarray(image)
    if image.ndim == 3:
        single_channel(image, "segment", colour=True)
    if image.ndim not in (2, 3) or min(image.shape[:2]) < 2:
        raise ValueError(f"segment: needs a 2D image of at least 2×2 pixels, got shape {image.shape}")
    if image.dtype.kind == "f" and not np.isfinite(image).all():
        raise ValueError("segment: the image holds NaN or infinite values; replace them first")
    if image.dtype.kind not in "biuf":
        raise ValueError(f"segment: the image's dtype {image.dtype} is not numeric")
    return image


def placed_mask(mask: np.ndarray | None, top: int, left: int, shape: tuple[int, int]) -> np.ndarray | None:
    """A current-object mask sent as a crop at (``top``, ``left``), placed
    into an image-sized mask; a full-size mask at (0, 0) as it is."""
    if mask is None or (top == left == 0 and np.shape(mask) == tuple(shape)):
        return mask
    mask = np.asarray(mask)
    if mask.ndim != 2 or top + mask.shape[0] > shape[0] or left + mask.shape[1] > shape[1]:
        raise ValueError(f"segment: the 'mask' crop {mask.shape} at mask_top={top}, mask_left={left} does not lie "
                         f"inside the image {tuple(shape)}; send the object's box, or a mask of the image's size")
    placed = np.zeros(shape, bool)
    placed[top:top + mask.shape[0], left:left + mask.shape[1]] = mask > 0
    return placed


def segment_with(models: ClickModels, image: np.ndarray, clicks: list[Click], box=None,
                 mask: np.ndarray | None = None, model: str = "") -> tuple[SegmentedObject, ClickModel]:
    """One object from clicks, and the click model that answered: the click
    model (see :func:`labelassist.models.clicks.segment_object`) for an
    empty ``model`` or "clicknet", the SAM-family model "sam-NAME"
    otherwise (which takes clicks and a box, not a current mask); bad input
    fails before any model is asked."""
    image = check_image(image)
    mask = np.asarray(mask) > 0 if mask is not None else None
    check_request(image.shape, clicks, box, mask)
    if model.startswith(SAM_PREFIX):
        found, sam_model = models.sam.segment(model, image, clicks, box)
        return found, ClickModel(None, "triton", sam_model.version, f"sam {sam_model.spec.kind}")
    if model not in ("", CLICK_MODEL_NAME):
        raise ValueError(f"segment: no click model {model!r}; use {CLICK_MODEL_NAME!r} (or leave it empty) or a "
                         f"SAM-family model {SAM_PREFIX}NAME added with `labelassist model add-sam`")
    click_model = models.current()
    return segment_object(image, clicks, click_model.predict, box=box, mask=mask), click_model
