"""What one accepted label shows of a project's conventions: the sizes and
shapes of the objects its annotator draws whole, how many and how much of
the image, how much of each object looks like background, and how bright
and large the regions are that the annotator labels against those left
unlabelled. Calibration learns bounds from these (see
:mod:`labelassist.inspect.calibration`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage as ndi

from labelassist.inspect.criteria import CRITERIA, LabelUnderInspection, touches_border
from labelassist.inspect.criteria.base import region_boxes
from labelassist.inspect.criteria.image import unlabelled_regions

EMPTY = np.zeros(0)


def _empty():
    return field(default_factory=lambda: EMPTY)


def _default(criterion: str, parameter: str):
    return CRITERIA.get(criterion).bind({})[parameter]


@dataclass(frozen=True)
class Conventions:
    """Measurements of one label; object columns hold only the objects the
    border does not cut (a cut object's size and shape say nothing of the
    project's objects, and the criteria do not judge them either), nor
    fragments."""
    area: np.ndarray
    solidity: np.ndarray
    circularity: np.ndarray
    count: int
    fraction: float
    # With an image only (else empty): per whole object, its share of background-like pixels;
    background_share: np.ndarray = _empty()
    # contrast and area of labelled whole objects and of the unlabelled object-like regions, each
    # relative to the label's typical object (as the missing-object criteria compare them).
    labelled_contrast: np.ndarray = _empty()
    labelled_area: np.ndarray = _empty()
    left_out_contrast: np.ndarray = _empty()
    left_out_area: np.ndarray = _empty()
    has_image: bool = False


def label_conventions(mask: np.ndarray | LabelUnderInspection, image: np.ndarray | None = None) -> Conventions:
    """Measure what one accepted label shows calibration.

    Parameters
    ----------
    mask : ndarray or LabelUnderInspection
        The label image (H, W): 0 background, object ids > 0; or a label
        already under inspection (one class's objects, say).
    image : ndarray, optional
        Its image, for the intensity criteria's conventions.

    Returns
    -------
    Conventions
        The label's measurements.
    """
    label = mask if isinstance(mask, LabelUnderInspection) else LabelUnderInspection(np.asarray(mask), image)
    # Whole objects larger than a fragment: specks are the fragments criterion's to judge, and a few slipped
    # into accepted labels would otherwise drag the size and contrast bounds down to their own.
    table = label.objects
    inner = label.inner & (table.area > _default("fragments", "fragment_area"))
    common = dict(area=table.area[inner], solidity=table.solidity[inner], circularity=table.circularity[inner],
                  count=len(table), fraction=float(np.count_nonzero(label.mask) / label.mask.size))
    if label.image is None or not inner.any():
        return Conventions(**common)
    whole = table.ids[inner]
    min_contrast = _default("background_intensity", "min_contrast")
    background_share = np.asarray(ndi.mean(label.contrast < min_contrast, labels=label.labels, index=whole))
    judged = table.area[inner] >= _default("background_intensity", "min_area")
    typical_contrast, typical_area = label.typical_contrast, label.typical_area
    if typical_contrast <= 0 or typical_area <= 0:
        return Conventions(**common, background_share=background_share[judged], has_image=True)
    labelled_contrast = np.asarray(ndi.mean(label.contrast, labels=label.labels, index=whole)) / typical_contrast
    regions, ids, areas = unlabelled_regions(label, _default("missed_objects", "min_contrast"),
                                             _default("missed_objects", "min_area"))
    inside = [not touches_border(box, label.mask.shape) for box in region_boxes(regions, ids)]
    ids = ids[np.asarray(inside, bool)] if len(ids) else ids
    left_out_contrast = np.asarray(ndi.mean(label.contrast, labels=regions, index=ids)) / typical_contrast \
        if len(ids) else EMPTY
    return Conventions(**common, background_share=background_share[judged],
                       labelled_contrast=labelled_contrast, labelled_area=table.area[inner] / typical_area,
                       left_out_contrast=left_out_contrast, left_out_area=areas[ids] / typical_area,
                       has_image=True)
