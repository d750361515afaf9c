"""Inspection learns a project's conventions from its accepted labels: a
project of small objects stops drawing size warnings once enough labels
exist, a project with too few keeps the defaults, and explicit settings
still win."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
from skimage import draw

from labelassist.inspect.calibration import MIN_IMAGES, calibrate


def small_nuclei(rng, radius: int = 3, count: int = 5, side: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Round objects of about 29 px, below the default 40 px size bound."""
    label = np.zeros((side, side), np.uint16)
    centres = [(12 + 20 * (i // 3), 12 + 20 * (i % 3)) for i in range(count)]
    for index, centre in enumerate(centres, start=1):
        offset = rng.integers(-2, 3, 2)
        label[draw.disk(tuple(np.array(centre) + offset), radius, shape=label.shape)] = index
    image = (np.where(label > 0, 2000, 300) + rng.normal(0, 40, label.shape)).clip(0).astype(np.uint16)
    return image, label


def _size_warnings(report) -> int:
    return sum(1 for f in report.findings if f.criterion == "object_size" and f.severity >= 2)


def test_too_few_accepted_labels_keep_the_defaults():
    rng = np.random.default_rng(0)
    assert calibrate([small_nuclei(rng)[1] for _ in range(MIN_IMAGES - 1)]).criteria == []
    learnt = dict(calibrate([small_nuclei(rng)[1] for _ in range(MIN_IMAGES)]).criteria)
    assert learnt["object_size"]["min_area"] < 29 < 40  # moved below the project's smallest objects


def test_a_project_of_small_objects_is_judged_by_its_own_sizes(client, stack):
    rng = np.random.default_rng(1)
    name = f"small-{os.getpid()}-{rng.integers(1 << 30)}"
    client.create_project(name)
    image, label = small_nuclei(rng)
    assert _size_warnings(client.inspect(label, image=image, project=name)) >= 1  # the default bound: 40 px

    samples = [small_nuclei(rng) for _ in range(MIN_IMAGES + 2)]
    client.add_samples(name, [{"stem": f"a{i}", "image": im, "label": lab} for i, (im, lab) in
                              enumerate(samples[:MIN_IMAGES - 1])])
    report = client.inspect(label, image=image, project=name)
    assert _size_warnings(report) >= 1 and report.calibration.criteria == {}
    assert report.calibration.images == MIN_IMAGES - 1

    client.add_samples(name, [{"stem": f"b{i}", "image": im, "label": lab} for i, (im, lab) in
                              enumerate(samples[MIN_IMAGES - 1:])])
    report = client.inspect(label, image=image, project=name)
    assert _size_warnings(report) == 0
    assert report.calibration.images == MIN_IMAGES + 2 and report.calibration.objects >= 50
    assert report.calibration.criteria["object_size"]["min_area"] < 29
    assert _size_warnings(client.inspect(label, image=image)) >= 1  # without the project: the defaults

    # An explicit setting of the project still wins over the calibrated bound.
    client.set_inspection(name, [("object_size", {"min_area": 40})])
    assert _size_warnings(client.inspect(label, image=image, project=name)) >= 1

    env = {**os.environ, **{f"LABELASSIST_{n.upper()}_ADDRESS": a for n, a in stack.addresses.as_dict().items()}}
    shown = subprocess.run([sys.executable, "-m", "labelassist.cli", "inspection", name], capture_output=True,
                           text=True, env=env, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert f"calibrated from {MIN_IMAGES + 2} accepted labels" in shown.stdout and "object_size: min_area=" in shown.stdout


def convention_scene(rng, small: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two large and three smaller bright discs; the label holds the large
    ones, and the smaller ones too when ``small``. Returns image, label and
    the label with every disc."""
    from shapes import disc

    shape = (128, 128)
    large = disc(shape, (32, 32), 14) | disc(shape, (90, 40), 14)
    smaller = disc(shape, (30, 95), 9) | disc(shape, (70, 100), 9) | disc(shape, (105, 95), 9)
    image = (300 + 1200 * (large | smaller) + rng.normal(0, 40, shape)).clip(0).astype(np.uint16)
    everything = (large | smaller).astype(np.uint8)
    return image, (large | smaller if small else large).astype(np.uint8), everything


def _measured(client, project: str, labels: int) -> None:
    """Wait until the selector has measured the pre-label sources on ``labels`` submitted labels."""
    import time

    deadline = time.monotonic() + 90
    while not any(row.labels >= labels for row in client.progress(project).prelabel_evidence):
        assert time.monotonic() < deadline, "pre-label evidence was not measured"
        time.sleep(0.3)


def _missing_warnings(report) -> list:
    return [f for f in report.findings if f.criterion == "prelabel_agreement" and "missing from the label" in f.message]


def test_agreement_uses_only_a_prelabel_source_that_earned_it(client, rng):
    """A project whose annotators leave the smaller objects out: the classical
    pre-label, which finds them all, agrees poorly with its labels, so its
    labels are not compared with it; a project that labels everything is."""
    name = f"large-only-{rng.integers(1 << 30)}"
    client.create_project(name)
    fresh = client.inspect(convention_scene(rng, False)[1], image=convention_scene(rng, False)[0], project=name)
    assert fresh.prelabel_source == "" and "no pre-label source has been measured" in fresh.prelabel_note
    for index in range(3):
        image, label, _ = convention_scene(rng, small=False)
        client.submit_label(client.add_sample(name, f"s{index}", image), "ann", label)
    _measured(client, name, 3)

    image, label, _ = convention_scene(rng, small=False)
    judged = client.inspect(label, image=image, project=name)
    assert judged.prelabel_source == "" and not _missing_warnings(judged)
    assert "agreement not checked" in judged.prelabel_note and "classical: mean Dice 0.7" in judged.prelabel_note
    assert "below 0.8" in judged.prelabel_note
    assert _missing_warnings(client.inspect(label, image=image))  # without the project: the default pre-label

    everything = f"everything-{rng.integers(1 << 30)}"
    client.create_project(everything)
    for index in range(3):
        image, label, _ = convention_scene(rng, small=True)
        client.submit_label(client.add_sample(everything, f"s{index}", image), "ann", label)
    _measured(client, everything, 3)
    image, _, whole = convention_scene(rng, small=True)
    one_left_out = whole.copy()
    one_left_out[:60, 80:] = 0  # the smaller disc at (30, 95)
    report = client.inspect(one_left_out, image=image, project=everything)
    assert report.prelabel_source == "classical" and "classical: mean Dice 0.9" in report.prelabel_note
    [missing] = _missing_warnings(report)
    assert "against this project's last 3 labels" in missing.message


def crescents(rng, side: int = 160) -> tuple[np.ndarray, np.ndarray]:
    """Sixteen crescent-shaped objects (solidity far below the default 0.8),
    as a project of, say, bent bacteria or kidney-shaped nuclei has."""
    label = np.zeros((side, side), np.uint16)
    for index in range(16):
        centre = np.array((20 + 40 * (index // 4), 20 + 40 * (index % 4))) + rng.integers(-2, 3, 2)
        outer = np.zeros_like(label, bool)
        outer[draw.disk(tuple(centre), 13, shape=label.shape)] = True
        inner = np.zeros_like(outer)
        inner[draw.disk(tuple(centre + (0, 7)), 11, shape=label.shape)] = True
        label[outer & ~inner] = index + 1
    image = (np.where(label > 0, 2000, 300) + rng.normal(0, 40, label.shape)).clip(0).astype(np.uint16)
    return image, label


def _irregular_warnings(report) -> int:
    return sum(1 for f in report.findings if f.criterion == "irregular_shape" and f.severity >= 2)


def test_a_project_of_irregular_objects_calibrates_after_the_labels_its_inspect_asks_for(client, stack,
                                                                                         start_service, rng):
    from labelassist.client.sdk import LabelAssistClient, ServiceAddresses

    name = f"crescents-{rng.integers(1 << 30)}"
    client.create_project(name)
    client.add_samples(name, [{"stem": f"c{i}", "image": image, "label": label}
                              for i, (image, label) in enumerate(crescents(rng) for _ in range(4))])
    image, label = crescents(rng)
    default_report = client.inspect(label, image=image, project=name)
    assert _irregular_warnings(default_report) >= 1 and default_report.calibration.criteria == {}
    assert default_report.calibration.min_images == MIN_IMAGES  # the stack's inspect: 10 labels

    eager = start_service("inspect", "--selector-address", stack.addresses.selector, "--calibrate-after", "4")
    with LabelAssistClient(ServiceAddresses(selector=stack.addresses.selector, inspect=eager.address)) as direct:
        report = direct.inspect(label, image=image, project=name)
    assert report.calibration.min_images == 4 and report.calibration.images == 4
    assert report.calibration.criteria["irregular_shape"]["min_solidity"] < 0.8
    assert _irregular_warnings(report) == 0


def test_a_projects_own_assist_settings_can_earn_the_agreement_check(client, rng):
    """Annotators label only the large objects and the project's assist
    settings drop the small ones: those settings agree with the labels and
    become what the labels are compared with, through assist."""
    name = f"settings-earned-{rng.integers(1 << 30)}"
    client.create_project(name, method=("li", {}), postprocess=[("fill_holes", {}),
                                                                ("remove_small_objects", {"min_size": 400})])
    for index in range(3):
        image, label, _ = convention_scene(rng, small=False)
        client.submit_label(client.add_sample(name, f"s{index}", image), "ann", label)
    import time

    deadline = time.monotonic() + 90
    while not any(r.source == "settings" and r.labels >= 3 for r in client.progress(name).prelabel_evidence):
        assert time.monotonic() < deadline, list(client.progress(name).prelabel_evidence)
        time.sleep(0.3)
    image, label, _ = convention_scene(rng, small=False)
    one_left_out = label.copy()
    one_left_out[:60, :60] = 0  # the large disc at (32, 32)
    report = client.inspect(one_left_out, image=image, project=name)
    measured = {row.source: row.dice for row in client.progress(name).prelabel_evidence}
    assert measured["settings"] > 0.95 and measured["classical"] < 0.8  # the default pipeline keeps the small ones
    assert report.prelabel_source == "settings" and "settings: mean Dice" in report.prelabel_note
    [missing] = _missing_warnings(report)
    assert "settings: mean Dice" in missing.message
    assert not _missing_warnings(client.inspect(label, image=image, project=name))  # the small ones are no miss
