"""The object-level bounds (smallest plausible object, least solid and
least round plausible shape, background-like share) are robust like the
label-level ones: a bad label brings many good objects and one bad one,
so each label weighs as one in a bound's tail. Among twenty good labels of
fields of different nuclei, one or five bad labels (merged pairs, brush
slips, a crowded field of small nuclei) move no object-level bound by more
than 10 %, while a project whose nuclei are all larger, or all more
elongated, gets bounds that follow it."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import draw

from labelassist.inspect.bounds import label_lower_tail
from labelassist.inspect.calibration import calibrate

SIDE = 192
CELL = 32  # one nucleus per cell of a grid: 36 places
OBJECT_LEVEL = [("object_size", "min_area"), ("irregular_shape", "min_solidity"),
                ("irregular_shape", "min_circularity"), ("background_intensity", "max_background_fraction")]


def field(rng, count: int, radius: float, elongation: float = 1.0, cell: int = CELL):
    """``count`` elliptical nuclei of about ``radius`` px at random places of
    a grid, each ``elongation`` (with some spread) times longer than wide,
    on a dim noisy image."""
    label = np.zeros((SIDE, SIDE), np.uint16)
    places = rng.choice((SIDE // cell) ** 2, size=count, replace=False)
    for index, place in enumerate(places, start=1):
        row, col = divmod(int(place), SIDE // cell)
        r = radius * rng.uniform(0.8, 1.2)
        stretch = elongation * rng.uniform(1.0, 1.3)
        rows, cols = draw.ellipse(cell * row + cell // 2, cell * col + cell // 2, r * np.sqrt(stretch),
                                  r / np.sqrt(stretch), shape=label.shape, rotation=rng.uniform(0, np.pi))
        label[rows, cols] = index
    image = (np.where(label > 0, 1500, 300) + rng.normal(0, 30, label.shape)).clip(0).astype(np.uint16)
    return image, label


def merged(image, label):
    """The first two nuclei under one id, joined by a 5 px stroke: a merge."""
    label = label.copy()
    centres = [np.argwhere(label == i).mean(axis=0).astype(int) for i in (1, 2)]
    label[label == 2] = 1
    rows, cols = draw.line(*centres[0], *centres[1])
    for offset in range(-2, 3):
        label[np.clip(rows + offset, 0, SIDE - 1), cols] = 1
    return image, label


def slip(image, label):
    """A 30 px brush slip on background with its own id."""
    label = label.copy()
    background = np.argwhere(label == 0)
    row, col = background[len(background) // 2]
    label[row:row + 3, col:col + 10][label[row:row + 3, col:col + 10] == 0] = label.max() + 1
    return image, label


def good_labels(rng, radius: float = 8.0, elongation: float = 1.0):
    # Fields as an image set holds them: most of one kind, a few of smaller or larger nuclei, one crowded.
    radii = [radius * scale for scale in (0.7, 0.8, 0.9, 1.0, 1.0, 1.0, 1.1, 1.2, 1.3, 1.5)] * 2
    counts = [int(rng.integers(8, 30)) for _ in radii]
    return [field(rng, n, r, elongation) for n, r in zip(counts, radii)]


def bad_labels(rng, number: int):
    makers = [lambda: merged(*field(rng, 20, 8.0)), lambda: slip(*field(rng, 15, 9.0)),
              lambda: merged(*field(rng, 30, 6.0)), lambda: slip(*field(rng, 25, 7.0)),
              lambda: merged(*field(rng, 10, 10.0))]
    return [makers[index % len(makers)]() for index in range(number)]


def object_bounds(labelled) -> dict[tuple[str, str], float]:
    learnt = {(name, parameter): value for name, values in
              calibrate([label for _, label in labelled], [image for image, _ in labelled]).criteria
              for parameter, value in values.items()}
    return {key: learnt[key] for key in OBJECT_LEVEL}


def moves(clean, learnt) -> dict:
    return {key: abs(learnt[key] - clean[key]) / clean[key] for key in OBJECT_LEVEL}


@pytest.fixture(scope="module")
def good():
    return good_labels(np.random.default_rng(2))


@pytest.fixture(scope="module")
def clean(good):
    return object_bounds(good)


@pytest.mark.parametrize("bad", [1, 2, 5])
def test_bad_labels_among_twenty_good_ones_move_no_object_level_bound_more_than_ten_percent(good, clean, bad):
    learnt = object_bounds(good + bad_labels(np.random.default_rng(bad), bad))
    assert max(moves(clean, learnt).values()) <= 0.10, moves(clean, learnt)


@pytest.mark.parametrize("bad", range(5))
def test_no_single_bad_label_moves_an_object_level_bound_more_than_ten_percent(good, clean, bad):
    learnt = object_bounds(good + bad_labels(np.random.default_rng(0), 5)[bad:bad + 1])
    assert max(moves(clean, learnt).values()) <= 0.10, moves(clean, learnt)


def test_the_size_bound_follows_a_project_of_larger_nuclei(clean):
    larger = object_bounds(good_labels(np.random.default_rng(2), radius=12.0))
    assert larger[("object_size", "min_area")] == pytest.approx(2.25 * clean[("object_size", "min_area")], rel=0.25)


def test_the_shape_bounds_follow_a_project_of_elongated_nuclei(clean):
    elongated = object_bounds(good_labels(np.random.default_rng(2), elongation=2.5))
    assert elongated[("irregular_shape", "min_circularity")] < 0.85 * clean[("irregular_shape", "min_circularity")]


def test_a_crowded_label_weighs_in_a_tail_as_one_label():
    """Nineteen labels of 20 objects at 100 px and one of 400 at 10 px: the
    crowded label holds half the objects but a twentieth of the weight."""
    groups = [np.full(20, 100.0)] * 19 + [np.full(400, 10.0)]
    assert label_lower_tail(groups, 0.1) == 100.0
    assert label_lower_tail(groups, 0.02) == 10.0


def test_a_far_outlier_counts_as_lying_at_the_limit():
    values = np.linspace(0.9, 1.1, 50)
    far, near = np.append(values, -100.0), np.append(values, -1.0)
    assert label_lower_tail([far], 0.01, z=3.0) == label_lower_tail([near], 0.01, z=3.0)
