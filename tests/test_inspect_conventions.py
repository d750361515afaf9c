"""Warnings a project's own clean labels do not draw: a large irregular
nucleus of even brightness is no merged pair, a pre-label that joins a
labelled nucleus to its halo claims no missing object (an unlabelled
nucleus still is claimed), a project whose objects are irregular gets a
solidity bound beyond its own tail, and the missing-object bounds move
continuously with what a project leaves out."""

from __future__ import annotations

import numpy as np

from labelassist.inspect.calibration import CLAIM_MARGIN, calibrate, claim_bound
from labelassist.inspect.inspection import inspect_label
from shapes import disc

SHAPE = (128, 128)
SINGLES = ((24, 24), (24, 100), (100, 24), (100, 100))


def warned(findings, criterion: str) -> list:
    return [f for f in findings if f.criterion == criterion and f.severity in ("warning", "error")]


def nuclei(rng, centres=SINGLES, radius=9) -> np.ndarray:
    label = np.zeros(SHAPE, np.uint16)
    for index, centre in enumerate(centres, start=1):
        label[disc(SHAPE, tuple(np.array(centre) + rng.integers(-1, 2, 2)), radius)] = index
    return label


def image_of(label: np.ndarray, rng, extra: np.ndarray | None = None) -> np.ndarray:
    brightness = np.where(label > 0, 2000.0, 300.0)
    if extra is not None:
        brightness = np.maximum(brightness, extra)
    return (brightness + rng.normal(0, 30, SHAPE)).clip(0).astype(np.uint16)


def test_a_large_kidney_shaped_nucleus_of_even_brightness_is_no_merged_pair():
    rng = np.random.default_rng(0)
    label = nuclei(rng)
    kidney = disc(SHAPE, (64, 64), 16) & ~disc(SHAPE, (64, 84), 10)  # twice a single's size, far from convex
    label[kidney] = len(SINGLES) + 1
    findings = inspect_label(label, image_of(label, rng)).findings
    assert warned(findings, "merged_objects") == []


def test_a_prelabel_joining_a_nucleus_to_its_halo_claims_no_missing_object():
    rng = np.random.default_rng(1)
    label = nuclei(rng)
    halo = np.where(disc(SHAPE, (24, 24), 14), 900.0, 0.0)  # a dimmer rim around the first nucleus
    image = image_of(label, rng, halo)
    prelabel = label.copy()
    prelabel[disc(SHAPE, (24, 24), 14)] = 1  # nucleus and rim as one object: less than half of it labelled
    assert warned(inspect_label(label, image, prelabel=prelabel).findings, "prelabel_agreement") == []


def test_a_prelabelled_nucleus_left_unlabelled_is_claimed():
    rng = np.random.default_rng(2)
    label = nuclei(rng)
    image = image_of(label, rng)
    prelabel = (label > 0).astype(np.uint8)
    label[label == 2] = 0
    [finding] = warned(inspect_label(label, image, prelabel=prelabel).findings, "prelabel_agreement")
    assert any(r0 <= 24 < r1 and c0 <= 100 < c1 for r0, c0, r1, c1 in finding.boxes)


def test_a_project_of_irregular_nuclei_gets_a_solidity_bound_beyond_its_own_tail():
    rng = np.random.default_rng(3)
    labels = []
    for _ in range(12):
        label = nuclei(rng)
        # One dented nucleus per label: the project's own irregular objects.
        label[disc(SHAPE, (24 + 9, 24), int(rng.integers(4, 7)))] = 0
        labels.append(label)
    solidity = dict(calibrate(labels).criteria)["irregular_shape"]["min_solidity"]
    least = min(inspect_label(label, only_listed=True).objects.solidity.min() for label in labels)
    assert solidity < least - 0.05


def test_claim_bounds_move_continuously_as_left_out_regions_reach_the_labelled_ones():
    labelled = np.linspace(0.5, 1.5, 200)
    low = np.quantile(labelled, 0.05)
    bounds = [claim_bound(labelled, np.full(5, low * ratio), 0.25) for ratio in np.linspace(0.3, 2.0, 69)]
    steps = np.abs(np.diff(bounds)) / low
    assert steps.max() < 0.05
    assert bounds[0] == CLAIM_MARGIN * low and bounds[-1] == CLAIM_MARGIN * low
    assert max(bounds) > 0.95 * low


def kidney_label(rng) -> tuple[np.ndarray, np.ndarray]:
    label = nuclei(rng)
    label[disc(SHAPE, (64, 64), 16) & ~disc(SHAPE, (64, 84), 10)] = len(SINGLES) + 1
    return image_of(label, rng), label


def test_a_project_with_kidney_shaped_nuclei_is_not_warned_about_them_and_still_about_a_merge(client, rng):
    name = f"kidney-{rng.integers(1 << 30)}"
    client.create_project(name)
    client.add_samples(name, [{"stem": f"k{i}", "image": image, "label": label}
                              for i, (image, label) in enumerate(kidney_label(rng) for _ in range(12))])
    image, label = kidney_label(rng)
    report = client.inspect(label, image=image, project=name)
    assert report.calibration.images == 12
    assert [f.criterion for f in report.findings if f.severity >= 2] == []
    merged = label.copy()
    merged[97:104, 24:101] = 3  # a brush stroke over background joins the two lower nuclei under one id
    merged[label == 4] = 3
    report = client.inspect(merged, image=image, project=name)
    assert [f for f in report.findings if f.severity >= 2 and 3 in list(f.object_ids)]
