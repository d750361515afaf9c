"""The consensus of several annotators' labels of one image, object by
object: it must beat each annotator against the truth, keep what the
others missed, and never join neighbours."""

import numpy as np
import pytest

from labelassist.imaging.agreement import boundary_f1, pair_agreement
from labelassist.imaging.consensus import consensus_label, match_objects, project_consensus

SHAPE = (96, 96)
CENTRES = [(16, 16), (16, 48), (16, 80), (48, 16), (48, 48), (48, 80), (80, 16), (80, 48), (80, 80)]


def disks(radii, centres=CENTRES) -> np.ndarray:
    """An instance label with one disk per centre; a radius of 0 leaves the object out."""
    rows, cols = np.indices(SHAPE)
    label = np.zeros(SHAPE, np.int32)
    for object_id, ((r, c), radius) in enumerate(zip(centres, radii), start=1):
        if radius:
            label[(rows - r) ** 2 + (cols - c) ** 2 <= radius ** 2] = object_id
    return label


TRUTH = disks([10] * 9)


def test_three_jittered_annotators_with_a_miss_each_merge_into_a_label_better_than_any_of_them():
    annotators = [disks([13, 7, 10, 13, 0, 7, 10, 13, 7]), disks([7, 13, 13, 0, 10, 13, 7, 10, 10]),
                  disks([10, 10, 7, 10, 13, 10, 0, 7, 13])]
    consensus = consensus_label(annotators)
    merged = pair_agreement(consensus, TRUTH)
    for label in annotators:
        single = pair_agreement(label, TRUTH)
        assert merged.f1 > single.f1
        assert merged.boundary_f1 > single.boundary_f1
    assert merged.f1 == 1.0


def test_an_object_only_one_annotator_drew_is_kept_when_the_others_are_known_to_miss_objects():
    careful = TRUTH
    rng = np.random.default_rng(0)
    samples = []
    for _ in range(6):
        hasty = [disks([10 if rng.random() > 0.3 else 0 for _ in CENTRES]) for _ in range(2)]
        samples.append({"careful": careful, "hasty-1": hasty[0], "hasty-2": hasty[1]})
    found = project_consensus(samples)
    assert found.voters["careful"].sensitivity > found.voters["hasty-1"].sensitivity
    for merged in found.merged:
        assert pair_agreement(merged, TRUTH).f1 == 1.0


def test_a_blob_nobody_confirms_is_dropped_when_its_annotator_draws_them_often():
    samples = []
    for seed in range(4):
        spurious = TRUTH.copy()
        spurious[np.random.default_rng(seed).integers(30, 34), 0:6] = 20  # a streak in a gap, every time
        samples.append({"ana": TRUTH, "ben": TRUTH, "cleo": spurious})
    found = project_consensus(samples)
    assert all(pair_agreement(merged, TRUTH).f1 == 1.0 for merged in found.merged)


def test_a_blob_merging_two_neighbours_does_not_join_them_in_the_consensus():
    merged_pair = TRUTH.copy()
    merged_pair[(merged_pair == 2) | (merged_pair == 1)] = 1
    merged_pair[12:21, 16:49] = 1
    consensus = consensus_label([TRUTH, disks([11] * 9), merged_pair])
    assert pair_agreement(consensus, TRUTH).f1 == 1.0
    assert len(np.unique(consensus[consensus > 0])) == 9


def blob(label: np.ndarray, *ids: int) -> np.ndarray:
    """``label`` with objects ``ids`` drawn as one, bridged along their centres' row (a merge of neighbours)."""
    merged = label.copy()
    merged[np.isin(merged, ids)] = ids[0]
    rows, cols = np.nonzero(np.isin(label, ids))
    merged[rows.mean().astype(int) - 4:rows.mean().astype(int) + 5, cols.min():cols.max() + 1] = ids[0]
    return merged


def test_an_object_two_annotators_each_merged_into_a_different_neighbour_stays_an_object():
    # Of the top row (objects 1, 2, 3): ana drew 1 and 2 as one blob, ben 2 and 3, cleo missed 2.
    cleo = TRUTH.copy()
    cleo[cleo == 2] = 0
    consensus = consensus_label([blob(TRUTH, 1, 2), blob(TRUTH, 3, 2), cleo])
    middle = np.unique(consensus[16, 44:53])
    assert len(middle) == 1 and middle[0] > 0
    assert pair_agreement(consensus, TRUTH).f1 == 1.0


def test_two_annotators_outlines_meet_halfway():
    consensus = consensus_label([disks([8] * 9), disks([12] * 9)], weights=[1.0, 1.0])
    assert boundary_f1(consensus, TRUTH, tolerance=1.0) == pytest.approx(1.0, abs=0.02)


def test_an_annotator_is_judged_against_the_others_not_against_a_consensus_they_shaped():
    sloppy = disks([10, 10, 10, 0, 0, 0, 10, 10, 10])
    found = project_consensus([{"ana": TRUTH, "ben": TRUTH, "cleo": sloppy}])
    assert np.array_equal(found.without(0, "cleo") > 0, TRUTH > 0)
    assert pair_agreement(found.without(0, "ana"), TRUTH).f1 == 1.0


def test_the_share_left_out_names_a_sample_where_one_annotator_skipped_most_objects():
    skipped = disks([10, 0, 0, 0, 0, 0, 0, 0, 10])
    jittered = disks([12, 8, 12, 8, 12, 8, 12, 8, 12])
    assert match_objects([TRUTH, jittered, skipped]).left_out() == pytest.approx(7 / 9)
    assert match_objects([TRUTH, jittered, TRUTH]).left_out() == 0.0
