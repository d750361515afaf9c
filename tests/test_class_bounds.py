"""Object-level bounds per class: learnt from each class's objects, each
object judged by its own class's bounds."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import draw

from labelassist.inspect.calibration import calibrate
from labelassist.inspect.class_bounds import class_objects, class_parameters, learn_class_bounds
from labelassist.inspect.inspection import inspect_label

SHAPE = (128, 128)
SMALL, BIG = 5, 12  # radii: "mitotic" objects are small and bright, "interphase" ones large and dim


def frame(rng, small_centres, big_centres, classes_of_small="mitotic"):
    """A label with small bright disks and large dim ones, their image and classes."""
    label = np.zeros(SHAPE, np.uint16)
    image = 200 + rng.normal(0, 20, SHAPE)
    classes = {}
    for object_id, (centre, radius, brightness, name) in enumerate(
            [(c, SMALL, 2000, classes_of_small) for c in small_centres]
            + [(c, BIG, 900, "interphase") for c in big_centres], start=1):
        rows, cols = draw.disk(centre, radius, shape=SHAPE)
        label[rows, cols] = object_id
        image[rows, cols] += brightness
        classes[object_id] = name
    return label, image.clip(0).astype(np.uint16), classes


def project(rng, labels=12):
    """Accepted labels, each with four small "mitotic" and four large "interphase" objects."""
    frames = []
    for _ in range(labels):
        jitter = rng.integers(-3, 4, (8, 2))
        small = [tuple(np.array(c) + j) for c, j in zip([(15, 15), (15, 110), (110, 15), (110, 110)], jitter)]
        big = [tuple(np.array(c) + j) for c, j in zip([(40, 40), (40, 88), (88, 40), (88, 88)], jitter[4:])]
        frames.append(frame(rng, small, big))
    return [f[0] for f in frames], [f[1] for f in frames], [f[2] for f in frames]


@pytest.fixture(scope="module")
def learnt():
    labels, images, classes = project(np.random.default_rng(0))
    calibration = calibrate(labels, images)
    bounds = learn_class_bounds(class_objects(labels, images, classes), calibration)
    return calibration, bounds


def size_findings(label, image, classes, learnt, criterion="object_size"):
    calibration, bounds = learnt
    report = inspect_label(label, image, settings=calibration.under(None), compute_prelabel=False,
                           classes=classes, class_parameters=class_parameters(bounds, calibration, None))
    return [f for f in report.findings if f.criterion == criterion]


def test_each_class_learns_its_own_size_bounds(learnt):
    calibration, bounds = learnt
    small, big = bounds["mitotic"].criteria["object_size"], bounds["interphase"].criteria["object_size"]
    project_min = dict(calibration.criteria)["object_size"]["min_area"]
    assert small["min_area"] < np.pi * SMALL**2 < small["max_area"] < np.pi * BIG**2
    assert np.pi * SMALL**2 < project_min * 3 and big["min_area"] > 2 * project_min
    assert np.pi * SMALL**2 < big["min_area"] < np.pi * BIG**2 < big["max_area"]
    assert bounds["mitotic"].objects == bounds["interphase"].objects == 48


def test_a_small_object_of_the_small_class_is_not_flagged(learnt):
    label, image, classes = frame(np.random.default_rng(1), [(64, 64)], [(30, 30)])
    assert size_findings(label, image, classes, learnt) == []


def test_the_same_object_labelled_as_the_large_class_is_flagged_naming_the_class(learnt):
    label, image, classes = frame(np.random.default_rng(1), [(64, 64)], [(30, 30)], classes_of_small="interphase")
    findings = size_findings(label, image, classes, learnt)
    assert len(findings) == 1 and findings[0].object_ids == [1]
    assert "'interphase' objects" in findings[0].message and "smaller than" in findings[0].message


def test_each_class_learns_its_brightness_and_a_bright_object_of_the_dim_class_is_flagged(learnt):
    _, bounds = learnt
    bright, dim = bounds["mitotic"].criteria["object_brightness"], bounds["interphase"].criteria["object_brightness"]
    assert dim["max_contrast"] < bright["max_contrast"] and dim["min_contrast"] < bright["min_contrast"]
    label, image, classes = frame(np.random.default_rng(1), [(64, 64)], [(30, 30)])
    assert size_findings(label, image, classes, learnt, "object_brightness") == []
    [finding] = size_findings(label, image, {1: "interphase", 2: "interphase"}, learnt, "object_brightness")
    assert finding.object_ids == [1] and "brighter than" in finding.message and "'interphase'" in finding.message
    assert finding.measured > dim["max_contrast"] == finding.bound


def test_a_large_object_labelled_as_the_small_class_is_larger_than_its_objects(learnt):
    label, image, _ = frame(np.random.default_rng(1), [(64, 64)], [(30, 30)])
    findings = size_findings(label, image, {1: "mitotic", 2: "mitotic"}, learnt)
    assert [f.object_ids for f in findings] == [[2]] and "larger than" in findings[0].message
    assert "'mitotic' objects" in findings[0].message


def test_objects_without_a_class_and_classes_without_bounds_keep_the_project_bounds(learnt):
    label, image, _ = frame(np.random.default_rng(1), [(64, 64)], [(30, 30)])
    assert size_findings(label, image, {}, learnt) == []
    assert size_findings(label, image, {1: "debris", 2: "interphase"}, learnt) == []


def test_a_class_with_too_few_objects_learns_nothing():
    labels, images, classes = project(np.random.default_rng(0), labels=2)
    assert learn_class_bounds(class_objects(labels, images, classes)) == {}


def test_explicit_settings_win_over_a_class_bound(learnt):
    calibration, bounds = learnt
    from labelassist.inspect.settings import InspectionSettings
    explicit = InspectionSettings([("object_size", {"min_area": 10.0})])
    parameters = class_parameters(bounds, calibration, explicit)
    assert parameters["interphase"]["object_size"]["min_area"] == 10.0
    assert parameters["interphase"]["object_size"]["max_area"] == bounds["interphase"].criteria["object_size"][
        "max_area"]


def class_size_finding(client, name: str, label, image, classes):
    inspection = client.inspect(label, image=image, project=name, object_classes=classes)
    found = [f for f in inspection.findings if f.criterion == "object_size" and f.object_class == "interphase"]
    return (found[0] if found else None), inspection.calibration


def test_dismissals_of_a_class_size_warning_move_that_class_bound_and_a_reviewers_undo_restores_it(client, rng):
    """Through the real services: three "not an error" answers to findings
    by the 'interphase' bounds lower that class's smallest object; the
    project-wide bound and the other class's stay; undone, it is back."""
    name = f"class-answers-{rng.integers(1 << 30)}"
    client.create_project(name)
    client.set_class_schema(name, ["mitotic", "interphase"])
    for index, (label, image, classes) in enumerate(zip(*project(np.random.default_rng(0)))):
        sample_id = client.add_sample(name, f"frame-{index}", image)
        client.submit_label(sample_id, "ann", label, object_classes=classes)
        client.review_label(sample_id, "rev", accept=True)
    label, image, classes = frame(np.random.default_rng(1), [(64, 64)], [(30, 30)], classes_of_small="interphase")
    finding, before = class_size_finding(client, name, label, image, classes)
    assert finding is not None and finding.object_ids == (1,) and finding.measured < finding.bound
    answers = []
    for _ in range(3):
        answers.append(client.answer_finding(name, finding, annotator="ann"))
        assert answers[-1].object_class == "interphase"
    after_answers, moved = class_size_finding(client, name, label, image, classes)
    assert after_answers is None  # an 'interphase' object this small is this project's convention now
    assert moved.classes["interphase"]["object_size"]["min_area"] < finding.measured < \
        before.classes["interphase"]["object_size"]["min_area"]
    assert moved.criteria["object_size"] == before.criteria["object_size"]  # the project-wide bound stays
    assert moved.classes["mitotic"] == before.classes["mitotic"]

    client.undo_finding_answer(answers[0].answer_id, reviewer="rev")
    restored, after_undo = class_size_finding(client, name, label, image, classes)
    assert restored is not None and after_undo.classes["interphase"] == before.classes["interphase"]
