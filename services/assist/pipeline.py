"""The assist core as plain functions on numpy arrays: what the servicer,
the CLI and the benchmarks call. No gRPC in here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labelassist.assist import bioimage as _bioimage  # noqa: F401 - registers operations
from labelassist.assist import postprocess as _postprocess  # noqa: F401 - registers operations
from labelassist.assist import prelabel as _prelabel
from labelassist.assist import preprocess as _preprocess  # noqa: F401 - registers operations
from labelassist.assist import propagate as _propagate
from labelassist.assist import refine as _refine  # noqa: F401 - registers operations
from labelassist.assist import sam as _sam  # noqa: F401 - registers operations
from labelassist.imaging.segmentation import DEFAULT_PRELABEL
from labelassist.assist.operations import OPERATIONS, check_image, check_mask, check_steps, run_pipeline

Step = tuple[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Prelabel:
    """A pre-label: the label image (instance ids, 0 background), the
    method that made it, every step that ran, and the foreground
    probability when one was asked for and the method has one (the U-Net)."""
    mask: np.ndarray
    method: str
    applied: list[str]
    probability: np.ndarray | None = None

    @property
    def object_count(self) -> int:
        return _prelabel.count_objects(self.mask)


def preprocess_image(image: np.ndarray, steps: Sequence[Step]) -> tuple[np.ndarray, list[str]]:
    """Run a pre-processing pipeline; an empty one returns the image untouched.

    Parameters
    ----------
    image : ndarray
        A 2D image, or (H, W, C) with up to 16 channels.
    steps : sequence of (name, parameters)
        Operations of the "preprocess" family, run in order.

    Returns
    -------
    image : ndarray
        The processed image.
    applied : list of str
        The names of the steps that ran.

    Raises
    ------
    ValueError
        An image, step name or parameter the operations cannot take, named.
    """
    return run_pipeline(check_image(image), steps, "preprocess")


def prelabel_image(
    image: np.ndarray,
    method: Step | None = None,
    preprocess: Sequence[Step] = (),
    postprocess: Sequence[Step] = (),
    return_probability: bool = False,
    triton=None,
    reference: _propagate.Reference | None = None,
    model_repository=None,
    instances: bool = False,
    sam_models=None,
) -> Prelabel:
    """Pre-process, pre-label and post-process one image.

    Parameters
    ----------
    image : ndarray
        A 2D image, or (H, W, C) with up to 16 channels.
    method : (name, parameters), optional
        A "prelabel" operation; None runs the default pipeline (median,
        Li's threshold, fill holes, remove small objects).
    preprocess, postprocess : sequence of (name, parameters)
        Steps before and after the method.
    return_probability : bool
        Also return the U-Net's foreground probability (methods without one,
        the thresholds, return None).
    triton : TritonClient, optional
        Serves the unet method.
    reference : Reference, optional
        The labelled neighbour plane (label and image) the propagate method
        follows objects from; its image is pre-processed as ``image`` is.
    model_repository : Path, optional
        Where the bioimageio method finds the packages Triton serves.
    sam_models : SamModels, optional
        The sam method's models and their embedding cache (shared with click-to-segment).
    instances : bool
        Number a 0/1 result's connected objects 1..n, so each object keeps
        its own id in every export (a label image stays as it is).

    Returns
    -------
    Prelabel
        The mask, the method, every step that ran and the probability.

    Raises
    ------
    ValueError
        A bad image, step or parameter, named; every step is checked before
        any runs.
    ConflictError, UnavailableError
        The unet method without a loaded model, or Triton unreachable.
    """
    image = check_image(image)
    if method is None or not method[0]:
        method = DEFAULT_PRELABEL["method"]
        preprocess = list(DEFAULT_PRELABEL["preprocess"]) + list(preprocess)
        postprocess = list(DEFAULT_PRELABEL["postprocess"]) + list(postprocess)
    # Bind and cost every step first so a bad parameter or an over-budget
    # step anywhere fails before any work.
    bound = [(OPERATIONS.get(name, family), OPERATIONS.get(name, family).bind(values))
             for steps, family in ((preprocess, "preprocess"), ([method], "prelabel"), (postprocess, "postprocess"))
             for name, values in steps]
    check_steps(image.shape, bound)
    prepared, applied = run_pipeline(image, preprocess, "preprocess")
    probability = None
    if return_probability and method[0] == "unet":
        values = OPERATIONS.get("unet", "prelabel").bind(method[1])
        probability, _ = _prelabel.unet_probability(prepared, values["mc_samples"], triton)
        mask = _prelabel.finish_labels(probability >= values["threshold"], values["split"], values["min_distance"])
        labelled = ["unet"]
    else:
        if reference is not None:
            reference = _propagate.Reference(check_mask(reference.label, image.shape, "reference_label"),
                                             run_pipeline(check_image(reference.image), preprocess, "preprocess")[0])
        mask, labelled = run_pipeline(prepared, [method], "prelabel", triton=triton, reference=reference,
                                        model_repository=model_repository, sam_models=sam_models)
    mask, cleaned = run_pipeline(mask, postprocess, "postprocess", image=image)
    if instances and mask.max() <= 1:
        numbered = _postprocess.relabel(mask)
        # The smallest unsigned type that holds the ids: a mask of few objects stays a byte a pixel on the wire.
        mask = numbered.astype(np.min_scalar_type(int(numbered.max())) if numbered.size else np.uint8)
    return Prelabel(mask, method[0], applied + labelled + cleaned, probability)


def refine_mask(
    image: np.ndarray,
    scribbles: np.ndarray,
    mask: np.ndarray | None = None,
    method: Step = ("random_walker", {}),
) -> np.ndarray:
    """Correct ``mask`` from foreground (1) and background (2) scribbles."""
    image = check_image(image)
    if mask is not None:
        mask = check_mask(mask, image.shape)
    entry = OPERATIONS.get(method[0], "refine")
    values = entry.bind(method[1])
    check_steps(image.shape, [(entry, values)])
    return entry.function(image, scribbles, mask, **values)


def postprocess_mask(
    mask: np.ndarray, steps: Sequence[Step], image: np.ndarray | None = None
) -> tuple[np.ndarray, list[str]]:
    mask = check_mask(mask, None if image is None else check_image(image).shape)
    return run_pipeline(mask, steps, "postprocess", image=image)


count_objects = _prelabel.count_objects
