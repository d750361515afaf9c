"""The consensus outline: each annotator's outline spread estimated from
the labels alone, and the inverse-variance weighted outline closer to the
truth than the closest annotator's."""

import numpy as np
from scipy import ndimage
from skimage.morphology import disk

from labelassist.imaging.consensus import Voter, match_objects, merge, project_consensus
from labelassist.imaging.consensus_outline import outline_variances


def _discs(count: int = 36, side: int = 40, radius: int = 12) -> np.ndarray:
    per_row = int(np.sqrt(count))
    label = np.zeros((per_row * side, per_row * side), np.int32)
    rows, columns = np.mgrid[:side, :side]
    for k in range(count):
        top, left = (k // per_row) * side, (k % per_row) * side
        disc = (rows - side / 2) ** 2 + (columns - side / 2) ** 2 <= radius ** 2
        label[top:top + side, left:left + side][disc] = k + 1
    return label


def _drawn(reference: np.ndarray, jitter: int, rng: np.random.Generator) -> np.ndarray:
    """Each object grown or shrunk by a whole number of pixels up to ``jitter``."""
    label = np.zeros_like(reference)
    for object_id in range(1, reference.max() + 1):
        mask = reference == object_id
        radius = int(rng.integers(-jitter, jitter + 1))
        if radius > 0:
            mask = ndimage.binary_dilation(mask, disk(radius))
        elif radius < 0:
            mask = ndimage.binary_erosion(mask, disk(-radius))
        label[mask] = object_id
    return label


def _outline_error(label: np.ndarray, reference: np.ndarray) -> float:
    """Mean squared difference of each object's equivalent radius from the reference's."""
    ids = np.arange(1, reference.max() + 1)
    return float(np.mean((np.sqrt(ndimage.sum(label > 0, label, ids) / np.pi)
                          - np.sqrt(ndimage.sum(reference > 0, reference, ids) / np.pi)) ** 2))


def test_outline_spreads_are_read_from_the_labels_and_weight_the_consensus_outline():
    rng = np.random.default_rng(3)
    reference = _discs()
    jitters = {"steady": 1, "fair": 2, "loose": 3}
    images = [{name: _drawn(reference, jitter, rng) for name, jitter in jitters.items()} for _ in range(4)]
    found = project_consensus(images)
    variances = {name: voter.outline_variance for name, voter in found.voters.items()}
    # Whole-pixel offsets uniform in [-j, j] have variance j(j+1)/3: 0.67, 2 and 4.
    assert variances["steady"] < variances["fair"] < variances["loose"], variances
    assert variances["loose"] > 2.5 * variances["steady"], variances
    errors = {"consensus": [], "equal weights": [], "majority": [], "closest annotator": []}
    for labels, merged in zip(images, found.merged):
        names = sorted(labels)
        errors["consensus"].append(_outline_error(merged, reference))
        equal = merge(match_objects([labels[n] for n in names]), [Voter() for _ in names])
        errors["equal weights"].append(_outline_error(equal, reference))
        # The discs lie apart: the pixels most annotators drew, numbered by the reference.
        majority = np.where(np.sum([labels[n] > 0 for n in names], axis=0) >= 2, ndimage.maximum_filter(
            reference, size=9), 0)
        errors["majority"].append(_outline_error(majority, reference))
        errors["closest annotator"].append(min(_outline_error(labels[n], reference) for n in names))
    mean = {kind: float(np.mean(values)) for kind, values in errors.items()}
    assert mean["consensus"] < min(mean["equal weights"], mean["majority"], mean["closest annotator"]), mean


def test_two_annotators_alone_cannot_be_told_apart():
    assert outline_variances({("a", "b"): (8.0, 4)}) == {"a": 1.0, "b": 1.0}
    assert outline_variances({}) == {}
