"""The client's editing core (no Qt): brush, eraser, polygon, scribbles, undo and redo."""

import numpy as np
import pytest

from labelassist.client.gui.editing import LabelEditor, disk_stroke, polygon_footprint


def test_a_brush_stamp_is_a_disk_of_the_given_radius():
    window, inside = disk_stroke((50, 50), [(25, 25)], 5)
    rows, cols = np.mgrid[window]
    expected = (rows - 25) ** 2 + (cols - 25) ** 2 <= 25
    assert np.array_equal(inside, expected)
    assert inside.sum() == 81


def test_a_stroke_covers_the_capsule_between_points_and_clips_at_the_border():
    window, inside = disk_stroke((40, 40), [(2, 0), (2, 30)], 3)
    assert window[0].start == 0 and window[1].start == 0  # clipped, not negative
    mask = np.zeros((40, 40), bool)
    mask[window] = inside
    assert mask[2, :31].all() and mask[5, 10] and not mask[6, 10]
    assert not mask[2, 34]


def test_stroke_gesture_is_one_undo_step_and_redo_restores_it():
    editor = LabelEditor(np.zeros((64, 64), np.uint32))
    editor.begin()
    for start, end in [((10, 10), (10, 20)), ((10, 20), (30, 20)), ((30, 20), (30, 40))]:
        editor.paint([start, end], 2, label=7)
    patch = editor.end()
    painted = editor.mask.copy()
    assert patch is not None and (painted == 7).sum() > 100
    assert editor.undo() is not None
    assert not editor.mask.any() and not editor.can_undo
    editor.redo()
    assert np.array_equal(editor.mask, painted)


def test_eraser_and_only_background_painting_keep_other_objects():
    mask = np.zeros((30, 30), np.uint32)
    mask[5:15, 5:15] = 1
    editor = LabelEditor(mask)
    editor.paint([(10, 0), (10, 29)], 2, label=2, only_background=True)
    assert (editor.mask[5:15, 5:15] == 1).all() and (editor.mask == 2).any()
    editor.paint([(10, 10)], 3, label=0)
    assert editor.mask[10, 10] == 0 and editor.mask[5, 5] == 1
    editor.undo()
    editor.undo()
    assert np.array_equal(editor.mask, mask)


def test_polygon_fill_matches_the_triangle():
    window, inside = polygon_footprint((100, 100), [(10, 10), (10, 60), (60, 10)])
    mask = np.zeros((100, 100), bool)
    mask[window] = inside
    assert mask[20, 20] and not mask[55, 55]
    assert abs(mask.sum() - 50 * 50 / 2) < 120  # area of the triangle, give or take its edges
    assert polygon_footprint((10, 10), [(1, 1), (2, 2)]) is None


def test_replace_is_one_undo_step_and_a_wrong_shape_is_refused():
    editor = LabelEditor(np.zeros((20, 20), np.uint32))
    new = np.zeros((20, 20), np.uint32)
    new[3:8, 4:9] = 3
    editor.replace(new)
    assert editor.undo() == (slice(3, 8), slice(4, 9))
    assert not editor.mask.any()
    with pytest.raises(ValueError, match=r"shape \(10, 10\)"):
        editor.replace(np.zeros((10, 10)))


def test_scribbles_are_separate_from_the_label():
    editor = LabelEditor(np.zeros((20, 20), np.uint32))
    editor.scribble([(5, 5), (5, 15)], 1, kind=1)
    editor.scribble([(15, 5)], 1, kind=2)
    assert not editor.mask.any() and set(np.unique(editor.scribbles)) == {0, 1, 2}
    assert not editor.can_undo
    editor.clear_scribbles()
    assert not editor.scribbles.any()


def test_the_undo_history_is_bounded():
    editor = LabelEditor(np.zeros((10, 10), np.uint32), undo_limit=3)
    for label in range(1, 6):
        editor.paint([(5, 5)], 1, label=label)
    undone = 0
    while editor.undo() is not None:
        undone += 1
    assert undone == 3 and editor.mask[5, 5] == 2


def test_an_objects_box_follows_placements_undo_and_painting():
    """The click tool's object box: where placing a crop puts the object,
    and found again after any other change (undo, a brush stroke)."""
    editor = LabelEditor(np.zeros((64, 64), np.uint32))
    first = np.ones((10, 12), np.uint8)
    editor.place_object(3, first, 5, 6)
    assert editor.object_box(3) == (5, 6, 15, 18)
    smaller = np.zeros((20, 20), np.uint8)
    smaller[2:6, 3:8] = 1
    editor.place_object(3, smaller, 30, 30)  # the object moves: its old pixels go
    assert editor.object_box(3) == (32, 33, 36, 38) and (editor.mask == 3).sum() == 20
    editor.undo()
    assert editor.object_box(3) == (5, 6, 15, 18) and (editor.mask == 3).sum() == 120
    editor.paint([(50, 50)], 2.0, 3)
    top, left, bottom, right = editor.object_box(3)
    assert (top, left) == (5, 6) and bottom > 50 and right > 50
    assert editor.object_box(4) is None


def test_the_installed_qt_binding_keeps_its_references_to_none(qtbot):
    """A long session makes hundreds of thousands of void Qt calls; a binding
    that returns None without a reference (PySide6 6.12.0 on Python 3.11)
    aborts the client after some thousand of them."""
    import sys

    from PySide6.QtWidgets import QTableWidgetItem

    item = QTableWidgetItem("x")
    before = sys.getrefcount(None)
    for _ in range(2000):
        item.setText("y")
        item.setToolTip("z")
    assert sys.getrefcount(None) - before > -100
