"""SAM-family models on assist (``labelassist model add-sam``), served by
Triton: click-to-segment and automatic instances (the "sam" pre-label
method), with one embedding cache for every call, so each image meets the
encoder once while the decoder answers each click."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labelassist.assist.operations import Parameter, register
from labelassist.models import sam
from labelassist.models.clicks import Click, SegmentedObject, Window
from labelassist.models.sam_prompts import DEFAULT_CACHE_BYTES, EmbeddingCache, automatic_instances, segment_clicks
from labelassist.runtime.errors import ConflictError


@dataclass(frozen=True)
class SamModel:
    """An installed SAM-family model as Triton serves it now."""

    spec: sam.SamSpec
    version: int
    encode: object
    decode: object

    @property
    def cache_key(self) -> tuple:
        return self.spec.triton_name("encoder"), self.version


class SamModels:
    """The SAM-family models of the repository, run by ``triton``, sharing one :class:`EmbeddingCache`."""

    def __init__(self, repository: Path, triton=None, cache_bytes: int = DEFAULT_CACHE_BYTES):
        self.repository, self.triton = Path(repository), triton
        self.cache = EmbeddingCache(cache_bytes)

    def model(self, name: str) -> SamModel:
        """The model called ``name`` ("sam-NAME" or "NAME"), or NotFoundError naming the installed ones."""
        spec = sam.load_spec(self.repository, name.removeprefix(sam.PREFIX))
        if self.triton is None:
            raise ConflictError(f"no Triton server is configured for SAM-family models ({sam.PREFIX}{spec.name}): "
                                "start the stack with `labelassist up` (it runs a local Triton) or give assist "
                                "--triton-url")
        encoder, decoder = spec.triton_name("encoder"), spec.triton_name("decoder")
        version = self.triton.served_version(encoder) or 0
        return SamModel(spec, version, lambda image: self.triton.sam_embedding(encoder, image),
                        lambda inputs: self.triton.sam_decode(decoder, inputs))

    def segment(self, name: str, image: np.ndarray, clicks: list[Click], box=None) -> tuple[SegmentedObject, SamModel]:
        """One object from clicks and a box (see :func:`labelassist.models.sam_prompts.segment_clicks`)."""
        model = self.model(name)
        answer = segment_clicks(image, clicks, model.encode, model.decode, self.cache, model.cache_key, box)
        return cropped(answer.mask), model


def cropped(mask: np.ndarray) -> SegmentedObject:
    """An image-sized mask as the click path returns objects: its bounding box and where it lies."""
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    whole = Window(0, 0, max(mask.shape))
    if not len(rows):
        return SegmentedObject(np.zeros((0, 0), np.uint8), 0, 0, whole, 1)
    top, left = int(rows[0]), int(cols[0])
    return SegmentedObject(mask[top:rows[-1] + 1, left:cols[-1] + 1].astype(np.uint8), top, left, whole, 1)


SAM_MODEL = Parameter("model", str, "", "the SAM-family model, sam-NAME as `labelassist model list` shows it")
POINTS_PER_SIDE = Parameter("points_per_side", int, 16, "prompts on a grid of this many points a side", 2, 64)
IOU_THRESHOLD = Parameter("iou_threshold", float, 0.88, "keep masks whose IoU, as SAM predicts it, reaches this",
                          0.0, 1.0)
STABILITY_THRESHOLD = Parameter("stability_threshold", float, 0.95,
                                "keep masks whose area changes this little as the logit threshold moves by ±1",
                                0.0, 1.0)
OVERLAP_THRESHOLD = Parameter("overlap_threshold", float, 0.7,
                              "of masks whose boxes overlap more than this (IoU), keep the best", 0.0, 1.0)


@register("sam", "prelabel", [SAM_MODEL, POINTS_PER_SIDE, IOU_THRESHOLD, STABILITY_THRESHOLD, OVERLAP_THRESHOLD])
def sam_instances(image, model="", points_per_side=16, iou_threshold=0.88, stability_threshold=0.95,
                  overlap_threshold=0.7, sam_models: SamModels | None = None):
    """Instances from a SAM-family model (`labelassist model add-sam`) prompted with a grid of points,
    overlapping masks merged best first (Kirillov et al. 2023, automatic mask generation)."""
    if sam_models is None:
        raise ConflictError("sam: this assist service has no model repository (--data-dir)")
    if not model:
        known = ", ".join(sam.PREFIX + n for n in sam.installed_models(sam_models.repository)) or \
            "none yet: `labelassist model add-sam CHECKPOINT`"
        raise ValueError(f"sam: parameter 'model' names the SAM-family model to run (installed: {known})")
    found = sam_models.model(model)
    return automatic_instances(image, found.encode, found.decode, sam_models.cache, found.cache_key,
                               points_per_side, iou_threshold, stability_threshold, overlap_threshold)
