"""The pre-label sources assist can run now, each version told apart, so that
the selector can measure each on a project's submitted labels and make the
best one the project's default: the classical default pipeline, the U-Net
version Triton serves (the bundled generalist or a version trained on a
project), every BioImage.IO package and every SAM-family model Triton serves."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from labelassist.models import MODEL_NAME
from labelassist.models import bioimage, sam


@dataclass(frozen=True)
class PrelabelSource:
    """One source: its key (name@version), the method that runs it and what it is."""

    key: str
    method: tuple[str, dict] | None
    description: str


CLASSICAL = PrelabelSource("classical", None, "the classical default pipeline (threshold, split, clean-up)")


def unet_description(model_repository: Path, version: int) -> str:
    """The served U-Net version in words, from the meta.json it was published with."""
    path = Path(model_repository) / MODEL_NAME / str(version) / "meta.json"
    meta = json.loads(path.read_text()) if path.exists() else {}
    if meta.get("source") == "generalist":
        return f"the bundled generalist U-Net (version {version})"
    trained_on = meta.get("dataset") or "a dataset"
    labels = meta.get("train_samples")
    return f"U-Net version {version}, trained on {trained_on}" + (f" ({labels} labels)" if labels else "")


def prelabel_sources(model_repository: Path, triton) -> list[PrelabelSource]:
    """Every source that can answer now, classical first.

    Parameters
    ----------
    model_repository
        The Triton model repository (what each version is, from its files).
    triton
        The :class:`~labelassist.models.triton.TritonClient`, or None: then
        only the classical pipeline is offered.

    Returns
    -------
    list of PrelabelSource
        Keys name the version (``unet@3``, ``bioimageio:nuclei@1``), so a new
        version is measured afresh instead of inheriting its predecessor's record.
    """
    sources = [CLASSICAL]
    if triton is None:
        return sources
    version = triton.served_version(MODEL_NAME)
    if version is not None:
        sources.append(PrelabelSource(f"unet@{version}", ("unet", {}),
                                      unet_description(model_repository, version)))
    for name, spec in bioimage.installed_packages(model_repository).items():
        served = triton.served_version(spec.triton_name)
        if served is not None:
            sources.append(PrelabelSource(f"bioimageio:{name}@{served}", ("bioimageio", {"model": name}),
                                          f"BioImage.IO model {spec.title!r} (version {served})"))
    for name, spec in sam.installed_models(model_repository).items():
        served = [triton.served_version(spec.triton_name(part)) for part in sam.PARTS]
        if None not in served:
            sources.append(PrelabelSource(f"sam:{name}@{max(served)}", ("sam", {"model": sam.PREFIX + name}),
                                          f"SAM-family model {name} ({spec.kind}), automatic instances"))
    return sources
