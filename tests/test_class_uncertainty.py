"""Class-posterior uncertainty and rare-class gain, with hand-computed values."""

import numpy as np
import pytest
from scipy.special import xlogy
from scipy.stats import entropy as scipy_entropy

from labelassist.imaging import class_uncertainty as cu

HALF_AND_SURE = np.array([[0.5, 0.5], [0.9, 0.1]])


def test_entropy_margin_and_least_confidence_of_two_objects():
    assert cu.object_uncertainty(HALF_AND_SURE, "entropy") == pytest.approx(
        [np.log(2), -(0.9 * np.log(0.9) + 0.1 * np.log(0.1))])
    assert cu.object_uncertainty(HALF_AND_SURE, "margin") == pytest.approx([1.0, 0.2])
    assert cu.object_uncertainty(HALF_AND_SURE, "least_confidence") == pytest.approx([0.5, 0.1])


def test_bald_is_ln2_where_two_members_disagree_completely_and_0_where_they_agree():
    disagreeing = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    agreeing = np.array([[[0.5, 0.5]], [[0.5, 0.5]]])
    assert cu.object_uncertainty(disagreeing, "bald") == pytest.approx([np.log(2)])
    assert cu.object_uncertainty(agreeing, "bald") == pytest.approx([0.0], abs=1e-9)
    assert cu.object_uncertainty(agreeing, "entropy") == pytest.approx([np.log(2)])  # the members' mean


def test_scores_equal_baals_heuristics(rng):
    """baal's Entropy, Margin, Certainty and BALD, written out on baal's axes
    (samples, classes, iterations): equal values (margin and certainty turned
    so that higher is more uncertain)."""
    members = rng.dirichlet([0.7, 0.7, 0.7], size=(5, 40))  # (members, n, k)
    baal_layout = np.moveaxis(members, 0, -1)  # (n, k, members)
    mean = baal_layout.mean(-1)
    ordered = np.sort(mean, axis=1)
    bald = -np.sum(xlogy(mean, mean), axis=1) + np.mean(np.sum(xlogy(baal_layout, baal_layout), axis=1), axis=-1)
    np.testing.assert_allclose(cu.object_uncertainty(members, "entropy"), scipy_entropy(mean.T), atol=1e-9)
    np.testing.assert_allclose(cu.object_uncertainty(members, "margin"), 1 - (ordered[:, -1] - ordered[:, -2]))
    np.testing.assert_allclose(cu.object_uncertainty(members, "least_confidence"), 1 - mean.max(axis=1))
    np.testing.assert_allclose(cu.object_uncertainty(members, "bald"), bald, atol=1e-9)


def test_bald_without_members_is_refused():
    with pytest.raises(ValueError, match="measure 'bald' needs member posteriors"):
        cu.object_uncertainty(HALF_AND_SURE, "bald")


def test_posteriors_that_do_not_sum_to_one_are_refused():
    with pytest.raises(ValueError, match="must sum to 1 over the classes"):
        cu.object_uncertainty(np.array([[0.5, 0.2]]))


@pytest.mark.parametrize("how, expected", [("mean", 0.6), ("max", 1.0), ("sum", 1.8)])
def test_a_sample_aggregates_its_objects(how, expected):
    assert cu.aggregate(np.array([0.2, 1.0, 0.6]), how) == pytest.approx(expected)


def test_a_sample_without_objects_scores_zero():
    assert cu.aggregate(np.zeros(0), "max") == 0.0
    assert cu.sample_scores(np.zeros((3, 0, 2))).tolist() == [0.0] * len(cu.SCORE_NAMES)


def test_sample_scores_hold_every_measure_and_aggregation():
    scores = dict(zip(cu.SCORE_NAMES, cu.sample_scores(HALF_AND_SURE)))
    assert scores["margin_sum"] == pytest.approx(1.2) and scores["least_confidence_max"] == pytest.approx(0.5)
    assert scores["bald_mean"] == 0.0  # one model: no disagreement to measure
    assert len(scores) == 12


def test_expected_class_counts_sum_the_objects_posteriors():
    posteriors = np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]])
    assert cu.expected_class_counts(posteriors) == pytest.approx([1.6, 1.4])
    assert cu.expected_class_counts(np.stack([posteriors, posteriors])) == pytest.approx([1.6, 1.4])


def test_rarity_weights_favour_the_class_with_fewest_labels():
    assert cu.rarity_weights(np.array([9, 1])) == pytest.approx([0.1, 0.5])


def test_rare_class_order_spreads_a_batch_over_the_rare_classes():
    """Class 0 has no labelled object, class 1 five. A (one expected object
    of class 0) goes first; once it is counted, class 0 weighs 1/2, so C
    (5 of class 1: 5/6) beats B (0.9 of class 0: 0.45), though B's gain
    at the start (0.9) was above C's (0.83)."""
    expected = np.array([[1.0, 0.0], [0.9, 0.0], [0.0, 5.0]])
    assert cu.rare_class_order(expected, np.array([0.0, 5.0]), 3).tolist() == [0, 2, 1]
    assert cu.rare_class_order(expected, np.array([0.0, 5.0]), 1).tolist() == [0]


def test_summarise_builds_one_row_per_sample():
    summary = cu.summarise([HALF_AND_SURE, np.zeros((0, 2))], ["interphase", "mitotic"], [3, 1])
    assert len(summary) == 2 and summary.classes == ("interphase", "mitotic")
    assert summary.expected_counts.tolist() == [[1.4, 0.6], [0.0, 0.0]]
    assert summary.scores["margin_mean"] == pytest.approx([0.6, 0.0])
    assert len(summary.subset(np.array([1]))) == 1
