"""The label-level bounds (objects per label, labelled fraction) are robust
like the object-level ones: among twenty good labels of fields that differ
in how crowded they are, one or five bad labels (merged pairs, fragments, a
field far more crowded or nearly empty) move no bound by more than 10 %,
while a project whose labels all hold twice (or half) as many objects gets
bounds twice (or half) as far."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import draw

from labelassist.inspect.bounds import winsorized_centre
from labelassist.inspect.calibration import calibrate

SIDE = 256
CELL = 16  # one nucleus per cell of a grid: 256 places
RADIUS = 6
LABEL_LEVEL = [("object_count", "max_count"), ("foreground_fraction", "min_fraction"),
               ("foreground_fraction", "max_fraction")]


def field(rng, count: int) -> np.ndarray:
    """``count`` round nuclei of 6 px radius at random places of a grid."""
    label = np.zeros((SIDE, SIDE), np.uint16)
    places = rng.choice((SIDE // CELL) ** 2, size=count, replace=False)
    for index, place in enumerate(places, start=1):
        row, col = divmod(int(place), SIDE // CELL)
        rows, cols = draw.disk((CELL * row + CELL // 2, CELL * col + CELL // 2), RADIUS, shape=label.shape)
        label[rows, cols] = index
    return label


# Objects per field, as in an image set of fluorescent nuclei: most fields hold 13-31, a few are crowded and
# one nearly empty. A tail quantile of such counts jumps with the one label that crosses it.
COUNTS = [2, 13, 15, 17, 18, 19, 19, 20, 20, 21, 22, 22, 23, 24, 25, 28, 29, 31, 90, 120]


def counts(scale: float = 1.0) -> list[int]:
    return [int(round(scale * n)) for n in COUNTS]


def merged(label: np.ndarray) -> np.ndarray:
    """Objects 1 and 2 under one id: a merge."""
    label = label.copy()
    label[label == 2] = 1
    return label


def fragments(label: np.ndarray, pieces: int) -> np.ndarray:
    """``pieces`` 4 px specks with their own ids at the grid's corners: brush slips."""
    label = label.copy()
    for piece in range(pieces):
        row, col = divmod(piece, SIDE // CELL)
        label[CELL * row:CELL * row + 2, CELL * col:CELL * col + 2] = label.max() + 1
    return label


def bad_labels(rng, number: int) -> list[np.ndarray]:
    """Merged pairs and fragments in fields of the project's kinds, in turn;
    one of them crowded, one nearly empty."""
    makers = [lambda: merged(field(rng, 23)), lambda: fragments(field(rng, 34), 3),
              lambda: merged(field(rng, 120)), lambda: fragments(field(rng, 2), 1),
              lambda: fragments(field(rng, 19), 2)]
    return [makers[index % len(makers)]() for index in range(number)]


def label_bounds(labels) -> dict[tuple[str, str], float]:
    learnt = {(name, parameter): value for name, values in calibrate(labels).criteria
              for parameter, value in values.items()}
    return {key: learnt[key] for key in LABEL_LEVEL}


@pytest.fixture(scope="module")
def good_labels():
    rng = np.random.default_rng(3)
    return [field(rng, n) for n in counts()]


@pytest.mark.parametrize("bad", [1, 5])
def test_bad_labels_among_twenty_good_ones_move_no_label_level_bound_more_than_ten_percent(good_labels, bad):
    clean = label_bounds(good_labels)
    learnt = label_bounds(good_labels + bad_labels(np.random.default_rng(bad), bad))
    moved = {key: abs(learnt[key] - clean[key]) / clean[key] for key in LABEL_LEVEL}
    assert max(moved.values()) <= 0.10, moved


@pytest.mark.parametrize("bad", range(5))
def test_no_single_bad_label_moves_a_label_level_bound_more_than_ten_percent(good_labels, bad):
    clean = label_bounds(good_labels)
    learnt = label_bounds(good_labels + bad_labels(np.random.default_rng(0), 5)[bad:bad + 1])
    moved = {key: abs(learnt[key] - clean[key]) / clean[key] for key in LABEL_LEVEL}
    assert max(moved.values()) <= 0.10, moved


@pytest.mark.parametrize("scale", [2.0, 0.5])
def test_label_level_bounds_follow_a_projects_crowding_both_ways(good_labels, scale):
    rng = np.random.default_rng(3)
    shifted = [field(rng, n) for n in counts(scale)]
    clean, learnt = label_bounds(good_labels), label_bounds(shifted)
    assert learnt[("object_count", "max_count")] == pytest.approx(scale * clean[("object_count", "max_count")],
                                                                  rel=0.1)
    assert learnt[("foreground_fraction", "min_fraction")] == pytest.approx(
        scale * clean[("foreground_fraction", "min_fraction")], rel=0.1)


def test_no_good_label_lies_beyond_the_label_level_bounds_calibrated_on_them(good_labels):
    learnt = label_bounds(good_labels)
    assert max(len(np.unique(label)) - 1 for label in good_labels) < learnt[("object_count", "max_count")]
    fractions = [np.count_nonzero(label) / label.size for label in good_labels]
    assert learnt[("foreground_fraction", "min_fraction")] < min(fractions)
    assert max(fractions) < learnt[("foreground_fraction", "max_fraction")]


def test_a_label_far_beyond_the_others_weighs_in_the_centre_as_one_at_their_tail_quantile():
    counts = np.array(COUNTS, np.float64)
    tail = float(np.exp(np.quantile(np.log(np.append(counts, 1e6)), 0.9)))
    assert winsorized_centre(np.append(counts, 1e6)) == pytest.approx(winsorized_centre(np.append(counts, tail)))
