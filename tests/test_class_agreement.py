"""Class agreement between annotators: Cohen's kappa and Krippendorff's
alpha against hand-computed values, per-class agreement and detection F1
of matched objects, image classes, the consensus's class per object; then
through a real selector (annotator quality, the adjudication queue, the
consensus version's classes) and the ``agreement`` command."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import address_env
from test_agreement_overlap import image, squares

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.imaging.class_agreement import (class_agreement, class_counts, cohen_kappa, image_class_agreement,
                                                 krippendorff_alpha, pair_class_agreement)
from labelassist.imaging.consensus import consensus_classes, consensus_label

FOUR = squares((4, 4, 12), (4, 30, 12), (30, 4, 12), (30, 30, 16))
THREE = squares((4, 4, 12), (4, 30, 12), (30, 4, 12))


def classes_of(*names: str) -> dict:
    return {"objects": {str(i): name for i, name in enumerate(names, start=1) if name}}


def test_cohen_kappa_of_a_two_by_two_table_is_the_textbook_value():
    # observed 35/50 = 0.7; chance (25*30 + 25*20) / 50² = 0.5; kappa (0.7 - 0.5) / 0.5
    assert cohen_kappa(np.array([[20, 5], [10, 15]])) == pytest.approx(0.4)
    # observed 0.85, chance 0.5*0.6 + 0.5*0.4 = 0.5
    assert cohen_kappa(np.array([[45, 5], [10, 40]])) == pytest.approx(0.7)


def test_kappa_is_undefined_when_everything_is_one_class_or_nothing_was_compared():
    assert cohen_kappa(np.array([[7]])) is None
    assert cohen_kappa(np.zeros((2, 2))) is None


def test_krippendorff_alpha_of_pairs_matches_the_hand_computed_coincidences():
    # coincidences aa 40, bb 30, ab = ba 15 (n 100, n_a 55, n_b 45):
    # D_o = 30/100, D_e = (100² - 55² - 45²) / (100 * 99) = 0.5, alpha = 1 - 0.3/0.5
    units = [["a", "a"]] * 20 + [["a", "b"]] * 5 + [["b", "a"]] * 10 + [["b", "b"]] * 15
    assert krippendorff_alpha(units) == pytest.approx(0.4)


def test_krippendorff_alpha_takes_three_annotators_and_missing_values():
    # units: (a, a, a), (a, b, -), (b, b, b), (c, -, -) unpairable and left out.
    # o_aa = 6/2 + 0 = 3, o_ab = o_ba = 1, o_bb = 3: n 8, n_a = n_b = 4;
    # D_o = 2/8, D_e = (64 - 32) / 56; alpha = 1 - 0.25 * 56 / 32
    units = [["a", "a", "a"], ["a", "b", None], ["b", "b", "b"], ["c", None, None]]
    assert krippendorff_alpha(units) == pytest.approx(1 - 0.25 * 56 / 32)


def test_classes_of_matched_objects_give_kappa_per_class_f1_and_detection_f1():
    # Four objects matched; three given one class, the fourth mitotic by one and interphase by the other.
    first = classes_of("mitotic", "interphase", "interphase", "mitotic")
    second = classes_of("mitotic", "interphase", "interphase", "interphase")
    found = pair_class_agreement(FOUR, first, FOUR, second)
    assert (found.compared, found.observed) == (4, 0.75)
    # rows: first (interphase 2, mitotic 2), columns: second (interphase 3, mitotic 1); chance (2*3 + 2*1)/16
    assert found.kappa == pytest.approx((0.75 - 0.5) / 0.5)
    scores = {c.name: c for c in found.classes}
    assert scores["mitotic"].agreement_f1 == pytest.approx(2 * 1 / 3)
    assert scores["interphase"].agreement_f1 == pytest.approx(2 * 2 / 5)
    assert scores["mitotic"].detection_f1 == 1.0
    assert ("mitotic", "interphase", 1) in found.confusion


def test_an_object_the_other_annotator_missed_costs_its_class_detection_f1_only():
    first = classes_of("mitotic", "interphase", "interphase", "mitotic")
    second = classes_of("mitotic", "interphase", "interphase")
    found = pair_class_agreement(FOUR, first, THREE, second)
    scores = {c.name: c for c in found.classes}
    assert (found.compared, found.observed) == (3, 1.0)
    assert scores["mitotic"].detection_f1 == pytest.approx(2 / 3)  # 3 mitotic objects drawn, 2 matched
    assert scores["interphase"].detection_f1 == 1.0


def test_counts_add_up_over_images_before_kappa():
    agree = class_counts(FOUR, classes_of("a", "b", "a", "b"), FOUR, classes_of("a", "b", "a", "b"))
    differ = class_counts(FOUR, classes_of("a", "a", "b", "b"), FOUR, classes_of("b", "b", "a", "a"))
    pooled = class_agreement(agree + differ)
    assert (pooled.compared, pooled.observed) == (8, 0.5)
    assert pooled.kappa == pytest.approx(0.0)


def test_image_classes_agree_per_class_and_as_sets():
    found = image_class_agreement([[["in-focus"], ["in-focus"]], [["in-focus"], ["blurred"]],
                                   [["blurred"], ["blurred"]], [["in-focus"], None]])
    assert (found.compared, found.observed) == (3, pytest.approx(2 / 3))
    scores = {c.name: c for c in found.classes}
    assert scores["in-focus"].agreement_f1 == pytest.approx(2 / 3)  # present 3 times in pairs, twice together
    assert scores["in-focus"].objects == 4  # the lone label of the fourth image counts, though not compared
    assert scores["blurred"].detection_f1 is None


def test_the_consensus_takes_each_objects_majority_class_and_a_tie_goes_to_the_heavier_annotator():
    labels = [FOUR, FOUR, FOUR]
    given = [classes_of("a", "a", "b", "b"), classes_of("a", "b", "b", "a"), classes_of("b", "a", "b", "a")]
    merged = consensus_label(labels)
    assert consensus_classes(merged, labels, given)["objects"] == {"1": "a", "2": "a", "3": "b", "4": "a"}
    tied = consensus_classes(merged, labels[:2], given[:2], weights=[1.0, 2.0])
    assert tied["objects"] == {"1": "a", "2": "b", "3": "b", "4": "a"}
    images = consensus_classes(merged, labels, [{"image": ["x"]}, {"image": ["y"]}, {"image": ["x"]}])
    assert images == {"image": ["x"]}


@pytest.fixture
def classified(start_service):
    service = start_service("selector")
    with LabelAssistClient(ServiceAddresses(selector=service.address), retries=0) as client:
        client.create_project("kinds")
        client.set_class_schema("kinds", ["mitotic", "interphase"], ["in-focus", "blurred"])
        samples = [client.add_sample("kinds", f"s{i}", image(i)) for i in range(2)]
        given = {"ana": ("mitotic", "interphase", "interphase", "mitotic"),
                 "ben": ("mitotic", "interphase", "interphase", "mitotic"),
                 "cleo": ("interphase", "interphase", "interphase", "mitotic")}
        for name, classes in given.items():
            for sample_id in samples:
                client.submit_label(sample_id, name, FOUR, object_classes=dict(enumerate(classes, start=1)),
                                    image_classes=["blurred" if name == "cleo" and sample_id == samples[1]
                                                   else "in-focus"])
        yield client, service, samples


def test_the_consensus_version_carries_the_majority_class_of_each_object(classified):
    client, _, samples = classified
    built = client.build_consensus("kinds")
    assert len(built.built) == 2
    newest = client.label_history(samples[0])[-1]
    assert newest.object_classes == {1: "mitotic", 2: "interphase", 3: "interphase", 4: "mitotic"}
    assert newest.image_classes == ("in-focus",)
    chosen = client.adjudicate(samples[0], newest.version)
    assert chosen.version == newest.version
    assert client.build_consensus("kinds").unchanged == 2  # same labels and classes: stored once


def test_annotator_quality_reports_each_ones_classes_against_the_others(classified):
    client, _, _ = classified
    found = {a.annotator: a for a in client.class_agreement("kinds")}
    assert found["ana"].objects.compared == 8 and found["ana"].objects.observed == 1.0
    cleo = found["cleo"].objects
    assert cleo.observed == pytest.approx(0.75)  # object 1 of each sample: interphase where the others say mitotic
    assert {c.name: c.agreement_f1 for c in cleo.classes}["mitotic"] == pytest.approx(2 / 3)
    assert ("interphase", "mitotic", 2) in cleo.confusion
    assert found["cleo"].images.compared == 2 and found["cleo"].images.observed == 0.5
    assert found["ben"].images.kappa is None  # every image in-focus on both sides: agreement, but not beyond chance


def test_the_adjudication_queue_names_class_disagreement_and_ranks_it_first(classified):
    client, _, samples = classified
    queue = client.adjudication_queue("kinds")
    assert [item.sample_id for item in queue] == [samples[1], samples[0]]
    # s1: of 3 pairs x 4 objects, cleo differs on object 1 with two; images: cleo differs with two of 3 pairs
    assert queue[0].class_disagreement == pytest.approx((2 + 2) / (12 + 3))
    assert queue[1].class_disagreement == pytest.approx(2 / 15)


def test_the_agreement_command_reports_class_kappa_alpha_and_per_class_scores(classified, tmp_path):
    _, service, _ = classified
    path = tmp_path / "report.json"
    run = subprocess.run([sys.executable, "-m", "labelassist.cli", "agreement", "kinds", "-o", str(path)],
                         capture_output=True, text=True, env=address_env(ServiceAddresses(selector=service.address)),
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert "object classes of matched objects: 24 compared" in run.stdout
    report = json.loads(path.read_text())["classes"]
    assert report["objects"]["observed"] == pytest.approx(20 / 24)
    assert report["pairs"]["ana & ben"]["kappa"] == 1.0
    # cleo against ana and ben: (i, m) x4, (i, i) x8, (m, m) x4 of 16; rows cleo (i 12, m 4), columns (i 8, m 8)
    assert report["annotators"]["cleo"]["kappa"] == pytest.approx((12 / 16 - (12 * 8 + 4 * 8) / 256) / (1 - 0.5))
    assert "cleo: kappa 0.500 over 16 matched objects" in run.stdout
    # units (m, m, i) x2, (i, i, i) x4, (m, m, m) x2: coincidences mm 2 + 6, ii 12, mi = im 2;
    # n 24, n_m 10, n_i 14: D_o = 4/24, D_e = (24² - 10² - 14²) / (24 * 23)
    assert report["objects"]["alpha"] == pytest.approx(1 - (4 / 24) / (280 / 552))
    assert report["objects"]["classes"]["interphase"]["detection_f1"] == 1.0
    assert report["images"]["compared"] == 6
