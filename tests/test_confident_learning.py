"""Confident learning on hand-built class probabilities: the thresholds,
the confident joint, and the suspects it names."""

from __future__ import annotations

import numpy as np
import pytest

from labelassist.inspect.confident_learning import (class_suspects, class_thresholds, confident_classes,
                                                    confident_joint, noise_matrix)

# Five objects of class 0, five of class 1; the model is sure of each one's true class.
PROBABILITIES = np.array([[0.9, 0.1], [0.8, 0.2], [0.85, 0.15], [0.95, 0.05], [0.9, 0.1],
                          [0.1, 0.9], [0.2, 0.8], [0.05, 0.95], [0.15, 0.85], [0.1, 0.9]])
TRUE = np.array([0] * 5 + [1] * 5)


def flipped(indices) -> np.ndarray:
    labels = TRUE.copy()
    labels[list(indices)] = 1 - labels[list(indices)]
    return labels


def test_the_threshold_of_a_class_is_the_mean_probability_of_it_over_its_labelled_objects():
    assert class_thresholds(TRUE, PROBABILITIES) == pytest.approx([0.88, 0.88])
    labels = flipped([0])
    assert class_thresholds(labels, PROBABILITIES) == pytest.approx([(0.8 + 0.85 + 0.95 + 0.9) / 4,
                                                                     (0.1 + 0.9 + 0.8 + 0.95 + 0.85 + 0.9) / 6])


def test_clean_labels_have_a_diagonal_confident_joint_and_no_suspect():
    joint = confident_joint(TRUE, PROBABILITIES)
    assert joint[0, 1] == joint[1, 0] == 0 and joint.trace() == 6  # 0.8 and 0.85 fall short of t = 0.88
    assert len(class_suspects(TRUE, PROBABILITIES)) == 0
    assert noise_matrix(TRUE, PROBABILITIES) == pytest.approx(np.diag([0.5, 0.5]))


def test_flipped_classes_are_the_suspects_with_their_true_class_most_likely_first():
    labels = flipped([3, 7])  # p = 0.95 each of the class they were not given
    suspects = class_suspects(labels, PROBABILITIES)
    assert sorted(suspects.index.tolist()) == [3, 7]
    assert suspects.suspected.tolist() == [TRUE[i] for i in suspects.index]
    assert suspects.confidence == pytest.approx([0.95, 0.95])
    assert suspects.score == pytest.approx([0.95, 0.95])
    assert confident_joint(labels, PROBABILITIES)[0, 1] == 1 and confident_joint(labels, PROBABILITIES)[1, 0] == 1


def test_a_flip_the_model_is_less_sure_of_ranks_below_a_sure_one():
    labels = flipped([0, 3])  # the model gives 0.9 and 0.95 to their true class 0
    suspects = class_suspects(labels, PROBABILITIES)
    assert suspects.index.tolist() == [3, 0]
    assert suspects.score == pytest.approx([0.95, 0.9])


def test_per_class_thresholds_find_a_flip_into_a_class_the_model_is_unsure_of():
    # Class 1 is hard: its own objects reach only 0.55 on average, yet object 0 (labelled 0) reaches 0.6.
    probabilities = np.array([[0.4, 0.6], [0.9, 0.1], [0.95, 0.05], [0.9, 0.1],
                              [0.45, 0.55], [0.5, 0.5], [0.4, 0.6], [0.45, 0.55]])
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    assert confident_classes(labels, probabilities).tolist() == [1, 0, 0, 0, 1, -1, 1, 1]
    assert class_suspects(labels, probabilities).index.tolist() == [0]


def test_an_object_above_no_threshold_is_no_suspect():
    probabilities = np.vstack([PROBABILITIES, [[0.5, 0.5]]])
    labels = np.append(TRUE, 0)
    assert confident_classes(labels, probabilities)[-1] == -1
    assert 10 not in class_suspects(labels, probabilities).index


def test_normalized_margin_ranks_by_the_best_other_class_over_the_given_one():
    probabilities = np.array([[0.1, 0.7, 0.2], [0.2, 0.5, 0.3], [0.8, 0.1, 0.1], [0.7, 0.2, 0.1],
                              [0.1, 0.1, 0.8], [0.05, 0.15, 0.8], [0.1, 0.8, 0.1]])
    labels = np.array([0, 1, 0, 0, 2, 2, 2])
    suspects = class_suspects(labels, probabilities, ranking="normalized_margin")
    assert suspects.index.tolist() == [6, 0]
    assert suspects.suspected.tolist() == [1, 1]
    assert suspects.score == pytest.approx([0.5 * (1 + 0.8 - 0.1), 0.5 * (1 + 0.7 - 0.1)])


def test_among_three_hundred_objects_every_suspect_is_a_flip_and_every_confident_flip_a_suspect():
    rng = np.random.default_rng(0)
    true = rng.integers(0, 3, 300)
    probabilities = rng.dirichlet(np.ones(3) * 0.5, 300) * 0.3
    probabilities[np.arange(300), true] += 0.7
    labels = true.copy()
    flips = rng.choice(300, 15, replace=False)
    labels[flips] = (labels[flips] + 1) % 3
    found = set(class_suspects(labels, probabilities).index.tolist())
    thresholds = class_thresholds(labels, probabilities)
    confident_flips = {int(i) for i in flips if probabilities[i, true[i]] >= thresholds[true[i]]}
    assert found <= set(flips.tolist())
    assert found == confident_flips and len(found) >= 5


@pytest.mark.parametrize("labels, probabilities, named", [
    (np.array([0, 1]), np.array([0.2, 0.8]), "probabilities"),
    (np.array([0, 1, 1]), PROBABILITIES[:2], "labels"),
    (np.array([0, 2]), PROBABILITIES[:2], "labels"),
    (np.array([0.0, 1.0]), PROBABILITIES[:2], "labels"),
    (np.array([0, 1]), np.array([[1.5, -0.5], [0.2, 0.8]]), "probabilities"),
])
def test_bad_input_is_a_value_error_naming_the_argument(labels, probabilities, named):
    with pytest.raises(ValueError, match=named):
        class_suspects(labels, probabilities)
