"""The inspect core: run criteria on one label. Plain numpy in and out."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import numpy as np
from skimage import segmentation as skimage_segmentation

from labelassist.imaging import segmentation
from labelassist.imaging.checks import check_image, check_mask, grey
from labelassist.inspect.criteria.by_class import CLASS_CRITERIA, judge_by_class
from labelassist.inspect.criteria import CRITERIA, Finding, LabelUnderInspection
from labelassist.inspect.measure import ObjectTable
from labelassist.inspect.precision import judge_findings
from labelassist.inspect.settings import InspectionSettings
from labelassist.models.triton import DEFAULT_THRESHOLD
from labelassist.runtime.calls import raise_if_cancelled
from labelassist.runtime.errors import ConflictError, NotFoundError, UnavailableError

Override = tuple[str, Mapping[str, Any]]


def check_arrays(mask, image=None, prelabel=None) -> None:
    mask = check_mask(mask)
    if image is not None:
        image = np.asarray(image)
        if image.shape[:2] != mask.shape:
            raise ValueError(f"shape mismatch: 'image' is {image.shape}, 'mask' is {mask.shape}")
        check_image(image)
    if prelabel is not None:
        if np.shape(prelabel) != mask.shape:
            raise ValueError(f"shape mismatch: 'prelabel' is {np.shape(prelabel)}, 'mask' is {mask.shape}")
        check_mask(prelabel, mask.shape, "prelabel")


# Labels a pre-label source must have been measured on before it can earn the agreement check.
MIN_EVIDENCE_LABELS = 3
PrelabelSource = Callable[[np.ndarray], np.ndarray]


def prelabel_sources(triton=None) -> dict[str, PrelabelSource]:
    """The pre-label sources inspect computes itself, by the names the
    selector's evidence uses: the classical default pipeline, and the U-Net
    when ``triton`` serves one. (The project's own assist settings,
    "settings", come from the servicer, which asks assist.)"""
    sources: dict[str, PrelabelSource] = {"classical": segmentation.default_prelabel}
    if triton is not None and triton.model_ready():
        sources["unet"] = lambda image: (triton.probabilities(grey(image))[0] >= DEFAULT_THRESHOLD).astype(np.uint8)
    return sources


def earned_source(evidence: Mapping[str, tuple[int, float]], min_dice: float, available: Collection[str]
                  ) -> tuple[str | None, str]:
    """The pre-label source a project's labels are compared with: the best
    measured one of ``available`` that has agreed with the project's
    submitted labels well enough (mean Dice >= ``min_dice`` over at least
    :data:`MIN_EVIDENCE_LABELS`), or None; and why, in words.

    ``evidence`` maps a source to (labels measured, mean Dice).
    """
    measured = {source: evidence[source] for source in available
                if source in evidence and evidence[source][0] >= MIN_EVIDENCE_LABELS}
    if not measured:
        return None, (f"agreement not checked: no pre-label source has been measured on {MIN_EVIDENCE_LABELS} of "
                      "this project's submitted labels yet")
    source, (labels, mean) = max(measured.items(), key=lambda item: item[1][1])
    words = f"{source}: mean Dice {mean:.3f} against this project's last {labels} labels"
    if mean < min_dice:
        return None, f"agreement not checked: the best pre-label source, {words}, is below {min_dice}"
    return source, words


def default_prelabel(image: np.ndarray, triton=None) -> tuple[np.ndarray, str]:
    """The project's default pre-label, for agreement checks when none was
    sent: the U-Net when ``triton`` serves one, else the classical pipeline;
    and which of the two it was."""
    sources = prelabel_sources(triton)
    if "unet" in sources:
        try:
            return sources["unet"](image), "unet"
        except (ConflictError, UnavailableError):
            pass  # Triton went away after the readiness check: the classical pipeline still answers
    return sources["classical"](image), "classical"


@dataclasses.dataclass(frozen=True)
class Inspection:
    """The inspection of one label: the findings, a measurement table of
    its objects, the criteria that ran, and what the agreement check
    compared with ("sent", "unet", "classical", or "" when none ran);
    ``under`` keeps the measurements the criteria took, for the label-error
    ranking of the same label to reuse."""
    findings: list[Finding]
    objects: ObjectTable
    checked: list[str]
    prelabel_source: str
    prelabel_note: str = ""
    under: LabelUnderInspection | None = dataclasses.field(default=None, compare=False, repr=False)


def inspect_label(
    mask: np.ndarray,
    image: np.ndarray | None = None,
    prelabel: np.ndarray | None = None,
    overrides: Sequence[Override] = (),
    only_listed: bool = False,
    compute_prelabel: bool = True,
    settings: InspectionSettings | None = None,
    triton=None,
    evidence: Mapping[str, tuple[int, float]] | None = None,
    extra_sources: Mapping[str, PrelabelSource] | None = None,
    history: Mapping[str, tuple[int, int]] | None = None,
    classes: Mapping[int, str] | None = None,
    class_parameters: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
) -> Inspection:
    """Run the criteria on one label.

    Parameters
    ----------
    mask : ndarray
        The label image (H, W): 0 background, object ids > 0.
    image : ndarray, optional
        The image it labels, for the intensity criteria.
    prelabel : ndarray, optional
        A pre-label to check agreement with; without one (and with
        ``compute_prelabel``) the project's default pre-label of ``image``.
    overrides : sequence of (name, parameters)
        Parameters of named criteria, over the project's ``settings``.
    only_listed : bool
        Run just the criteria in ``overrides`` (else every registered one
        that ``settings`` does not disable).
    compute_prelabel : bool
        Compute a pre-label for the agreement checks when none is sent.
    settings : InspectionSettings, optional
        A project's criteria parameters and disabled criteria.
    triton : TritonClient, optional
        Serves the U-Net for the default pre-label.
    evidence : mapping, optional
        A project's measured pre-label sources (source -> (labels, mean
        Dice)): a label is then compared only with a source that has
        earned it (see :func:`earned_source`); without, with the default
        pre-label.
    extra_sources : mapping, optional
        Pre-label sources besides :func:`prelabel_sources` (the project's
        own assist settings as "settings"), for ``evidence`` to choose from.
    history : mapping, optional
        A project's findings so far, criterion -> (confirmed, false alarms)
        (see :func:`~labelassist.inspect.precision.outcome_counts`): each
        finding's confidence becomes its estimated probability of being an
        error, and warnings below the project's ``min_confidence`` are info.
    classes : mapping, optional
        The label's object classes, object id (as in ``mask``) -> class.
    class_parameters : mapping, optional
        Per class, the parameters of the object-level criteria it has
        bounds of its own for (class -> criterion -> parameters, see
        :func:`~labelassist.inspect.class_bounds.class_parameters`): its
        objects are judged by them, under ``overrides``.

    Returns
    -------
    Inspection
        Findings, object measurements, criteria run and pre-label source.

    Raises
    ------
    ValueError
        Arrays of the wrong shape or type, or an unknown criterion or
        parameter, named.
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
    note = ""
    if prelabel is None and image is not None and compute_prelabel and compares:
        if evidence is None:
            prelabel, source = default_prelabel(image, triton)
        else:
            threshold = CRITERIA.get("prelabel_agreement").bind(values.get("prelabel_agreement"))["min_source_dice"]
            # Triton is asked whether it serves a U-Net only when the U-Net has evidence to earn the check.
            available = {**prelabel_sources(triton if "unet" in evidence else None), **(extra_sources or {})}
            chosen, note = earned_source(evidence, threshold, available)
            if chosen is not None:
                try:
                    prelabel, source = available[chosen](image), chosen
                except (ConflictError, UnavailableError, NotFoundError):
                    # The source that earned it stopped answering: no unearned stand-in.
                    note = f"agreement not checked: the {chosen} pre-label ({note}) did not answer"
                except ValueError as error:
                    note = f"agreement not checked: the {chosen} pre-label failed on this image: {error}"
    mask, original_ids = compact_ids(np.asarray(mask))
    if prelabel is not None:
        prelabel = compact_ids(np.asarray(prelabel))[0]
    label = LabelUnderInspection(mask, image, prelabel, original_ids, note if source else "")
    overridden: dict[str, dict] = {}
    for name, parameters in overrides:
        overridden[name] = {**overridden.get(name, {}), **dict(parameters)}
    findings = []
    for entry, kwargs in bound:
        raise_if_cancelled()
        per_class = {name: {**criteria[entry.name], **overridden.get(entry.name, {})}
                     for name, criteria in (class_parameters or {}).items() if entry.name in criteria}
        if classes and per_class and entry.name in CLASS_CRITERIA:
            findings += judge_by_class(label, entry, kwargs, classes, per_class)
        else:
            findings += entry.function(label, **kwargs)
    judge_findings(findings, history, settings.min_confidence)
    objects = label.objects
    if original_ids is not None:
        for finding in findings:
            finding.object_ids = original_ids[np.asarray(finding.object_ids, np.int64)].tolist()
        objects = dataclasses.replace(objects, ids=original_ids[objects.ids])
    return Inspection(findings, objects, [entry.name for entry, _ in bound], source, note, label)


def compact_ids(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Ids renumbered 1..n when they are sparse, and the original id of each
    new one; measurements indexed by id then cost memory for n objects, not
    for the largest id (one pixel of id 2**26 would cost gigabytes)."""
    if mask.dtype == np.bool_ or int(mask.max()) <= mask.size:
        return mask, None
    compact, _, inverse = skimage_segmentation.relabel_sequential(mask)
    return compact, np.asarray(inverse.out_values, np.int64)
