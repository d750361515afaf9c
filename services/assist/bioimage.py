"""Pre-labels from BioImage.IO model packages (``labelassist model add``),
served by Triton: the package's output made into instance labels by the
rule its output kind calls for (:data:`labelassist.models.bioimage.OUTPUT_KINDS`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from skimage import measure, segmentation

from labelassist.assist.operations import Parameter, register
from labelassist.assist.prelabel import MIN_DISTANCE, SPLIT, finish_labels
from labelassist.imaging.checks import single_channel
from labelassist.models import bioimage
from labelassist.models.triton import DEFAULT_THRESHOLD
from labelassist.runtime.errors import ConflictError

MODEL = Parameter("model", str, "", "the package's name here, as `labelassist model list` shows it")
THRESHOLD = Parameter("threshold", float, DEFAULT_THRESHOLD,
                      "foreground (and boundary) where the probability reaches this", 0.0, 1.0)


def instances(spec: bioimage.PackageSpec, output: np.ndarray, threshold: float = DEFAULT_THRESHOLD,
              split: bool = False, min_distance: int = 7) -> np.ndarray:
    """Instance labels from a package's processed output (channels, H, W).

    probability: foreground where the probability reaches ``threshold``
    (touching objects split by watershed with ``split``). boundaries: seeds
    are the foreground pixels off the boundaries, grown back over the
    foreground by watershed on the boundary probability (the usual reading
    of foreground/boundary U-Nets). labels: the ids as given, or the
    connected components of a 0/1 image.
    """
    if spec.output_kind == "labels":
        labels = np.asarray(output[0])
        return measure.label(labels > 0) if labels.max() <= 1 else labels.astype(np.int32)
    foreground = output[spec.foreground_channel] >= threshold
    if spec.output_kind == "probability":
        return finish_labels(foreground, split, min_distance)
    boundary = output[spec.boundary_channel]
    seeds = measure.label(foreground & (boundary < threshold))
    return segmentation.watershed(boundary, seeds, mask=foreground).astype(np.int32)


@register("bioimageio", "prelabel", [MODEL, THRESHOLD, SPLIT, MIN_DISTANCE])
def bioimageio(image, model="", threshold=DEFAULT_THRESHOLD, split=False, min_distance=7, triton=None,
               model_repository: Path | None = None):
    """A BioImage.IO model package added with `labelassist model add`, served by Triton, its declared
    pre- and post-processing applied (bioimage.io)."""
    if model_repository is None:
        raise ConflictError("bioimageio: this assist service has no model repository (--data-dir)")
    if not model:
        known = ", ".join(bioimage.installed_names(model_repository)) or "none yet: `labelassist model add PACKAGE`"
        raise ValueError(f"bioimageio: parameter 'model' names the package to run (installed: {known})")
    spec = bioimage.load_spec(model_repository, model)
    if triton is None:
        raise ConflictError("no Triton server is configured for BioImage.IO models: start the stack with "
                            "`labelassist up` (it runs a local Triton) or give assist --triton-url")
    output = bioimage.predict(spec, single_channel(image, "bioimageio"),
                              lambda batch: triton.package_output(spec.triton_name, batch))
    return instances(spec, output, threshold, split, min_distance)
