"""Post-assistance for classes through the real services: a project whose
labels carry object classes, a few of them flipped; the label-error
ranking puts the flipped objects first as class suspects, and inspection
judges each object by its class's calibrated bounds."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from labelassist.evaluation.class_suspects import average_precision, measure_class_suspects
from labelassist.inspect.ranking import LabelRanking
from test_class_bounds import frame, project

FLIPPED = {2: 1, 5: 6, 9: 3}  # label -> the object whose class is flipped (1-4 "mitotic", 5-8 "interphase")


def flipped_project(rng):
    labels, images, classes = project(rng)
    for index, object_id in FLIPPED.items():
        classes[index][object_id] = "interphase" if classes[index][object_id] == "mitotic" else "mitotic"
    return labels, images, classes


def foreground(label):
    return lambda image: (label > 0).astype(float)


def test_the_ranking_core_puts_the_flipped_classes_first_with_their_true_class():
    labels, images, classes = flipped_project(np.random.default_rng(0))
    ranking = LabelRanking(lambda image: (image > 600).astype(float))
    for index, (label, image, named) in enumerate(zip(labels, images, classes)):
        ranking.add(index, lambda: (label, image, named))
    ranked = ranking.ranked()
    top = [(key, s.object_id) for key, s in ranked.suspects[:len(FLIPPED)]]
    assert sorted(top) == sorted(FLIPPED.items())
    for key, suspect in ranked.suspects[:len(FLIPPED)]:
        assert "class_suspect" in suspect.signals and suspect.class_confidence >= 0.8
        assert suspect.suspected_class != suspect.given_class == classes[key][suspect.object_id]
        assert (f"object {suspect.object_id}: labelled '{suspect.given_class}', probably "
                f"'{suspect.suspected_class}' ({suspect.class_confidence:.2f})") in suspect.reason
    assert all("class_suspect" not in s.signals for _, s in ranked.suspects[len(FLIPPED):])
    assert "96 objects of 2 classes" in ranked.class_note


def test_a_ranking_with_one_class_says_why_it_has_no_class_suspects():
    labels, images, _ = project(np.random.default_rng(0), labels=2)
    ranking = LabelRanking(lambda image: (image > 600).astype(float))
    for label, image in zip(labels, images):
        ranking.add("one", lambda: (label, image, {i: "mitotic" for i in range(1, 9)}))
    ranked = ranking.ranked()
    assert ranked.class_note.startswith("no class suspects") and "fewer than 2 classes" in ranked.class_note
    assert all("class_suspect" not in s.signals for _, s in ranked.suspects)


@pytest.fixture(scope="module")
def classified(in_process):
    """A project of twelve labels with object classes, three of them flipped."""
    labels, images, classes = flipped_project(np.random.default_rng(0))
    in_process.create_project("class-suspects")
    in_process.set_class_schema("class-suspects", ["mitotic", "interphase"])
    ids = []
    for index, (label, image, named) in enumerate(zip(labels, images, classes)):
        ids.append(in_process.add_sample("class-suspects", f"frame-{index:02d}", image))
        in_process.submit_label(ids[-1], "ann", label, object_classes=named)
    return ids, classes


def test_the_review_queue_ranks_the_flipped_classes_first(in_process, classified):
    ids, classes = classified
    ranking = in_process.rank_label_errors("class-suspects")
    top = ranking.suspects[:len(FLIPPED)]
    assert sorted((ids.index(s.sample_id), s.object_id) for s in top) == sorted(FLIPPED.items())
    for suspect in top:
        assert "class_suspect" in suspect.signals and suspect.score >= 0.8
        index = ids.index(suspect.sample_id)
        assert suspect.given_class == classes[index][suspect.object_id] != suspect.suspected_class
        assert suspect.class_confidence >= 0.8 and f"probably '{suspect.suspected_class}'" in suspect.reason
    assert "96 objects of 2 classes" in ranking.class_note
    assert all("class_suspect" not in s.signals for s in ranking.suspects[len(FLIPPED):])


def test_the_calibration_holds_each_class_s_bounds_and_inspection_judges_by_them(in_process, classified):
    calibration = in_process.calibration("class-suspects")
    assert set(calibration.classes) == {"mitotic", "interphase"}
    assert calibration.classes["interphase"]["object_size"]["min_area"] > 2 * calibration.criteria["object_size"][
        "min_area"]
    label, image, _ = frame(np.random.default_rng(1), [(64, 64)], [(30, 30)])
    as_small = in_process.inspect(label, image, project="class-suspects", object_classes={1: "mitotic",
                                                                                           2: "interphase"})
    assert [f for f in as_small.findings if f.criterion == "object_size"] == []
    as_large = in_process.inspect(label, image, project="class-suspects", object_classes={1: "interphase",
                                                                                           2: "interphase"})
    sizes = [f for f in as_large.findings if f.criterion == "object_size"]
    assert [tuple(f.object_ids) for f in sizes] == [(1,)] and "'interphase' objects" in sizes[0].message
    assert as_large.calibration.classes["interphase"] == calibration.classes["interphase"]


def test_the_benchmark_finds_flipped_rule_classes_in_a_labelled_set():
    labels, images, _ = project(np.random.default_rng(0), labels=24)
    measured = measure_class_suspects(images, labels, share=0.05, seed=0, rule="set")
    assert measured["objects"] == 192 and measured["small_bright"] == 96 and measured["flipped"] == 10
    assert measured["precision"] == 1.0 and measured["recall"] >= 0.5 and measured["average_precision"] >= 0.9


def test_average_precision_is_the_mean_precision_at_each_positive():
    score = np.array([0.9, 0.8, 0.7, 0.6])
    assert average_precision(score, np.array([True, False, True, False])) == pytest.approx((1 + 2 / 3) / 2)
    assert average_precision(score, np.zeros(4, bool)) == 0.0


def test_the_cli_shows_class_suspects_and_each_class_s_bounds(in_process, classified):
    from conftest import address_env

    env = address_env(in_process.addresses)
    queue = subprocess.run([sys.executable, "-m", "labelassist.cli", "review-queue", "class-suspects", "--limit", "3"],
                           capture_output=True, text=True, env=env, timeout=300)
    assert queue.returncode == 0, queue.stderr
    assert queue.stdout.count("probably '") == 3 and "labelled 'interphase', probably 'mitotic'" in queue.stdout
    assert "class suspects by confident learning over 96 objects of 2 classes" in queue.stdout
    shown = subprocess.run([sys.executable, "-m", "labelassist.cli", "inspection", "class-suspects"],
                           capture_output=True, text=True, env=env, timeout=300)
    assert shown.returncode == 0, shown.stderr
    # 48 drawn, two of them flipped to 'interphase' and one 'interphase' object flipped to 'mitotic'
    assert "objects of class 'mitotic' (47 objects), by their own bounds:" in shown.stdout
    assert "object_brightness: max_contrast=" in shown.stdout
