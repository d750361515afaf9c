"""Agreement of annotators' labels of one image, object by object, and
their consensus: the measures a lab reads before it vouches for a data set."""

import numpy as np
import pytest

from labelassist.imaging.agreement import (boundary_f1, matched_pairs, mean_interval, object_index, overlap_table,
                                          overlap_tables, pair_agreement)
from labelassist.imaging.consensus import consensus_label


def squares(*boxes, shape=(64, 64)) -> np.ndarray:
    """An instance label with one square object per (top, left, size)."""
    label = np.zeros(shape, np.int32)
    for object_id, (top, left, size) in enumerate(boxes, start=1):
        label[top:top + size, left:left + size] = object_id
    return label


REFERENCE = squares((4, 4, 12), (4, 30, 12), (30, 4, 12), (30, 30, 16))


def test_identical_labels_agree_fully_whatever_their_ids():
    renumbered = np.where(REFERENCE > 0, 10 - REFERENCE, 0)
    agreement = pair_agreement(REFERENCE, renumbered)
    assert (agreement.matched, agreement.f1, agreement.mean_matched_iou, agreement.boundary_f1,
            agreement.panoptic_quality) == (4, 1.0, 1.0, 1.0, 1.0)


def test_a_missed_object_costs_f1_and_panoptic_quality_but_not_matched_iou():
    missing = squares((4, 4, 12), (4, 30, 12), (30, 4, 12))
    agreement = pair_agreement(REFERENCE, missing)
    assert (agreement.objects_a, agreement.objects_b, agreement.matched) == (4, 3, 3)
    assert agreement.f1 == pytest.approx(6 / 7)
    assert agreement.mean_matched_iou == 1.0
    assert agreement.panoptic_quality == pytest.approx(3 / 3.5)


def test_an_outline_one_pixel_wider_agrees_within_the_tolerance_only():
    wider = squares((3, 3, 14), (3, 29, 14), (29, 3, 14), (29, 29, 18))
    assert boundary_f1(REFERENCE, wider, tolerance=1.5) == 1.0  # corners lie a diagonal step away
    assert boundary_f1(REFERENCE, wider, tolerance=0) == 0.0
    assert pair_agreement(REFERENCE, wider).mean_matched_iou == pytest.approx(np.mean(
        [144 / 196, 144 / 196, 144 / 196, 256 / 324]))


def test_two_merged_neighbours_match_one_of_the_two_at_most():
    merged = REFERENCE.copy()
    merged[4:16, 4:42] = 1  # the two top squares and the gap between them as one object
    pairs = matched_pairs(REFERENCE, merged)
    assert [(a, b) for a, b, _ in pairs] == [(3, 3), (4, 4)]


def test_binary_masks_are_compared_by_their_connected_objects():
    assert pair_agreement(REFERENCE > 0, REFERENCE).f1 == 1.0


def test_two_empty_labels_agree_and_labels_of_two_shapes_are_refused():
    empty = np.zeros((8, 8), np.int32)
    assert pair_agreement(empty, empty).f1 == 1.0
    with pytest.raises(ValueError, match="one shape"):
        pair_agreement(empty, np.zeros((8, 9), np.int32))


@pytest.mark.parametrize("widest_id", [136, 200_000], ids=["ids counted in pairs", "ids too many to pair"])
def test_the_overlap_tables_of_several_labels_are_each_labels_index_and_each_pairs_table(widest_id):
    from labelassist.io.bundled import hela_sample

    _, frames = hela_sample()
    labels = [frames[0], frames[1].astype(np.int32), frames[2].astype(np.int64)]
    labels[2][labels[2] == labels[2].max()] = widest_id
    indexes, tables = overlap_tables(labels)
    for (ids, areas), label in zip(indexes, labels):
        expected_ids, expected_areas, _ = object_index(label)
        assert np.array_equal(ids, expected_ids) and np.array_equal(areas, expected_areas)
    assert list(tables) == [(0, 1), (0, 2), (1, 2)]
    for (i, j), table in tables.items():
        for found, expected in zip(table, overlap_table(labels[i], labels[j])):
            assert np.array_equal(found, expected)
    with pytest.raises(ValueError, match="one shape"):  # as many pixels, another shape: not one image
        overlap_tables([np.zeros((4, 9), np.int32), np.zeros((6, 6), np.int32)])


def test_the_consensus_of_three_annotators_undoes_each_ones_own_slip():
    missed = squares((4, 4, 12), (4, 30, 12), (30, 4, 12))  # misses the fourth
    wide = squares((4, 4, 12), (4, 30, 12), (29, 3, 14), (30, 30, 16))  # one outline too wide
    spurious = np.where(REFERENCE > 0, REFERENCE, 0)
    spurious[50:56, 2:8] = 9  # a blob nobody else drew
    consensus = consensus_label([missed, wide, spurious])
    assert pair_agreement(consensus, REFERENCE).panoptic_quality == 1.0
    assert sorted(np.unique(consensus)) == [0, 1, 2, 3, 4]


def test_weights_decide_between_two_annotators():
    a, b = squares((4, 4, 12)), squares((4, 4, 12), (30, 30, 10))
    assert pair_agreement(consensus_label([a, b], weights=[1.0, 3.0]), b).f1 == 1.0
    assert pair_agreement(consensus_label([a, b], weights=[3.0, 1.0]), a).f1 == 1.0


def test_the_mean_comes_with_a_bootstrap_interval_around_it():
    mean, low, high = mean_interval([0.8, 0.9, 1.0, 0.7, 0.95])
    assert mean == pytest.approx(0.87) and low < mean < high and 0.7 <= low and high <= 1.0
    assert mean_interval([0.5]) == (0.5, 0.5, 0.5)


def test_the_agreement_command_compares_every_pair_of_annotators_on_a_real_project(client, cli_env, tmp_path):
    import json
    import subprocess
    import sys

    client.create_project("agreement")
    image = (REFERENCE > 0).astype(np.uint16) * 1000 + 100
    first = client.add_sample("agreement", "first", image)
    second = client.add_sample("agreement", "second", image)
    client.add_sample("agreement", "alone", image)
    missing = squares((4, 4, 12), (4, 30, 12), (30, 4, 12))
    client.submit_label(first, "ana", missing)  # an older label of ana's, replaced below
    client.submit_label(first, "ana", REFERENCE)
    client.submit_label(first, "ben", missing)
    client.submit_label(second, "ana", REFERENCE)
    client.submit_label(second, "ben", REFERENCE)
    client.submit_label(second, "cleo", REFERENCE)
    client.submit_label(client.list_samples("agreement")[2].sample_id, "ana", REFERENCE)
    report_path = tmp_path / "report.json"
    run = subprocess.run([sys.executable, "-m", "labelassist.cli", "agreement", "agreement", "-o", str(report_path)],
                         capture_output=True, text=True, env=cli_env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "2 samples labelled by two or more annotators, 1 by one" in run.stdout
    report = json.loads(report_path.read_text())
    assert [(p["sample"], p["annotators"], round(p["f1"], 4)) for p in report["pairs"]] == [
        ("first", ["ana", "ben"], round(6 / 7, 4)), ("second", ["ana", "ben"], 1.0),
        ("second", ["ana", "cleo"], 1.0), ("second", ["ben", "cleo"], 1.0)]
    assert report["samples"]["first"]["f1"] == pytest.approx(6 / 7)
    assert report["project"]["f1"]["mean"] == pytest.approx((6 / 7 + 1) / 2)
    assert report["annotators"]["cleo"]["f1"]["mean"] == 1.0 and report["annotators"]["ben"]["pairs"] == 3
