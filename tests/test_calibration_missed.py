"""Missed-object claims follow what a project's annotators label and what
they leave out: a project that consistently leaves faint regions unlabelled
stops being warned about them once calibrated; a project that labels them
keeps being warned when one is left out. Through the real services."""

from __future__ import annotations

import numpy as np

from shapes import disc

SHAPE = (128, 128)
BRIGHT = ((30, 30), (30, 95), (95, 30), (95, 95))
FAINT = ((62, 62), (62, 110))


def scene(rng, faint_labelled: bool) -> tuple[np.ndarray, np.ndarray]:
    """Four bright nuclei and two faint ones (about 0.4 of the bright
    ones' contrast); the label holds the bright ones, and the faint ones too
    when ``faint_labelled``."""
    label = np.zeros(SHAPE, np.uint16)
    brightness = np.zeros(SHAPE)
    for index, centre in enumerate(BRIGHT, start=1):
        jitter = tuple(np.array(centre) + rng.integers(-2, 3, 2))
        label[disc(SHAPE, jitter, 11)] = index
        brightness[disc(SHAPE, jitter, 11)] = 1700
    for index, centre in enumerate(FAINT, start=len(BRIGHT) + 1):
        region = disc(SHAPE, tuple(np.array(centre) + rng.integers(-2, 3, 2)), 10)
        brightness[region] = 700
        if faint_labelled:
            label[region] = index
    image = (300 + brightness + rng.normal(0, 30, SHAPE)).clip(0).astype(np.uint16)
    return image, label


def missed_warnings(report) -> list:
    return [f for f in report.findings if f.severity >= 2 and (
        f.criterion == "missed_objects" or (f.criterion == "prelabel_agreement" and "missing" in f.message))]


def project_of(client, rng, faint_labelled: bool, labels: int = 12) -> str:
    name = f"faint-{'labelled' if faint_labelled else 'left'}-{rng.integers(1 << 30)}"
    client.create_project(name)
    client.add_samples(name, [{"stem": f"s{i}", "image": image, "label": label}
                              for i, (image, label) in enumerate(scene(rng, faint_labelled) for _ in range(labels))])
    return name


def test_a_project_that_leaves_faint_regions_unlabelled_stops_being_warned_about_them(client, rng):
    image, label = scene(rng, faint_labelled=False)
    fresh = f"faint-fresh-{rng.integers(1 << 30)}"
    client.create_project(fresh)
    assert missed_warnings(client.inspect(label, image=image, project=fresh))  # the defaults claim them

    name = project_of(client, rng, faint_labelled=False)
    report = client.inspect(label, image=image, project=name)
    assert missed_warnings(report) == [] and report.calibration.images == 12
    assert report.calibration.criteria["missed_objects"]["relative_contrast"] > 0.3  # above the faint ones


def test_a_project_that_labels_faint_regions_keeps_being_warned_when_one_is_left_out(client, rng):
    name = project_of(client, rng, faint_labelled=True)
    image, label = scene(rng, faint_labelled=True)
    assert missed_warnings(client.inspect(label, image=image, project=name)) == []
    label[label == len(BRIGHT) + 1] = 0  # one faint nucleus left out
    report = client.inspect(label, image=image, project=name)
    assert "missed_objects" in report.calibration.criteria
    [warning, *_] = missed_warnings(report)
    assert any(box.start[0] < 62 < box.stop[0] for box in warning.boxes)


def test_a_deleted_bright_nucleus_is_still_claimed_where_faint_ones_are_left_out(client, rng):
    name = project_of(client, rng, faint_labelled=False)
    image, label = scene(rng, faint_labelled=False)
    label[label == 1] = 0
    assert missed_warnings(client.inspect(label, image=image, project=name))
