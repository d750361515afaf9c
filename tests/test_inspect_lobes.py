"""Merged pairs are told from touching nuclei by size and two lobes
together, and objects on background from dim nuclei by whether they stand
out from the ring around them; a project calibrated on touching nuclei
keeps catching a merged pair."""

from __future__ import annotations

import os

import numpy as np
from skimage import draw

from labelassist.evaluation.inspection_rates import bad_labels, bound_moves
from labelassist.inspect.calibration import MIN_IMAGES
from labelassist.inspect.inspection import inspect_label

SIDE = 128
SINGLES = [(20, 20), (20, 60), (20, 100), (60, 20), (100, 20), (100, 100)]
PAIR = ((64, 58), (64, 74))  # centres 16 px apart, radius 9: touching along a short contact


def touching_label(rng) -> tuple[np.ndarray, np.ndarray]:
    """Six single nuclei and one touching pair, each with its own id, and
    its image (a darker seam where the pair touches)."""
    label = np.zeros((SIDE, SIDE), np.uint16)
    for index, centre in enumerate(SINGLES + list(PAIR), start=1):
        rows, cols = draw.disk(tuple(np.array(centre) + rng.integers(-1, 2, 2)), 9, shape=label.shape)
        keep = label[rows, cols] == 0
        label[rows[keep], cols[keep]] = index
    image = np.where(label > 0, 2000.0, 300.0)
    image[:, 65:67] = np.where(label[:, 65:67] > 0, 1200.0, 300.0)
    return (image + rng.normal(0, 30, label.shape)).clip(0).astype(np.uint16), label


def merged(label: np.ndarray) -> np.ndarray:
    label = label.copy()
    label[label == len(SINGLES) + 2] = len(SINGLES) + 1
    return label


def warned(findings, criterion: str) -> list:
    return [f for f in findings if f.criterion == criterion and f.severity in ("warning", "error")]


def test_a_touching_pair_with_two_ids_is_no_merge_and_under_one_id_is():
    rng = np.random.default_rng(0)
    image, label = touching_label(rng)
    assert warned(inspect_label(label, image).findings, "merged_objects") == []
    [finding] = warned(inspect_label(merged(label), image).findings, "merged_objects")
    assert finding.object_ids == [len(SINGLES) + 1] and finding.measured >= 1.5


def test_a_dim_nucleus_standing_out_from_its_ring_is_not_background():
    rng = np.random.default_rng(1)
    label = np.zeros((SIDE, SIDE), np.uint16)
    label[draw.disk((40, 40), 12)] = 1
    label[draw.disk((90, 90), 12)] = 2
    image = np.where(label == 1, 2000.0, 300.0)
    image[label == 2] = 330.0  # dim: most of its pixels within two background spreads once smoothed
    image = (image + rng.normal(0, 30, label.shape)).clip(0).astype(np.uint16)
    assert warned(inspect_label(label, image).findings, "background_intensity") == []
    painted = label.copy()
    painted[draw.disk((40, 100), 10)] = 3  # a blob on background
    [finding] = warned(inspect_label(painted, image).findings, "background_intensity")
    assert finding.object_ids == [3]


def test_bad_labels_for_the_robustness_bench_carry_a_merge_or_fragments():
    rng = np.random.default_rng(2)
    labels = [touching_label(rng)[1] for _ in range(3)]
    bad = bad_labels(labels, 2)
    assert [position for position, _ in bad] == [0, 1]
    assert len(np.unique(bad[0][1])) == len(np.unique(labels[0])) - 1  # two objects under one id
    assert len(np.unique(bad[1][1])) == len(np.unique(labels[1])) + 3  # three specks with ids of their own
    assert bound_moves([("object_size", {"min_area": 40.0})], [("object_size", {"min_area": 44.0})]) == \
        {"object_size.min_area": 0.1}


def test_a_project_of_touching_nuclei_is_calibrated_and_still_warned_about_a_merge(client):
    rng = np.random.default_rng(3)
    name = f"touching-{os.getpid()}-{rng.integers(1 << 30)}"
    client.create_project(name)
    samples = [touching_label(rng) for _ in range(MIN_IMAGES + 2)]
    client.add_samples(name, [{"stem": f"t{i}", "image": image, "label": label}
                              for i, (image, label) in enumerate(samples)])
    image, label = touching_label(rng)
    report = client.inspect(label, image=image, project=name)
    assert report.calibration.images == MIN_IMAGES + 2 and report.calibration.criteria
    assert [f.criterion for f in report.findings if f.severity >= 2] == []
    report = client.inspect(merged(label), image=image, project=name)
    [finding] = [f for f in report.findings if f.criterion == "merged_objects" and f.severity >= 2]
    assert list(finding.object_ids) == [len(SINGLES) + 1]
