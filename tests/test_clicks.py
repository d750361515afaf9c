"""Click-to-segment's model-independent core: windows, zoom-out, the
simulated annotator's corrective click, request checks, and the editor
placing an object as one undo step."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import draw

from labelassist.client.gui.editing import LabelEditor
from labelassist.models.clicks import (
    FIRST_WINDOW,
    Click,
    corrective_click,
    first_window,
    model_input,
    segment_object,
)


def _disc(shape, centre, radius) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[draw.disk(centre, radius, shape=shape)] = True
    return mask


def _threshold_model(batch: np.ndarray) -> np.ndarray:
    """A stand-in click model for images that are their own answer: bright is the object."""
    return (batch[:, 0] > 0.5).astype(np.float32)


def test_a_first_click_opens_a_window_centred_on_it():
    window = first_window([Click(100, 200)], None, None)
    assert window.side == FIRST_WINDOW
    assert abs(window.top + window.side / 2 - 100.5) <= 1 and abs(window.left + window.side / 2 - 200.5) <= 1


def test_an_object_larger_than_the_first_window_is_found_whole_by_zooming_out():
    target = _disc((600, 600), (300, 280), 110)
    found = segment_object(target.astype(np.float32), [Click(300, 280)], _threshold_model)
    mask = found.full(target.shape).astype(bool)
    assert found.passes == 1 and found.window.side == 256  # 64, 128 and 256 in one call: the object fits 256
    assert (mask & target).sum() / (mask | target).sum() > 0.97


def test_a_lone_click_keeps_the_narrowest_window_that_holds_the_object():
    target = _disc((600, 600), (300, 280), 20)
    found = segment_object(target.astype(np.float32), [Click(300, 280)], _threshold_model)
    assert found.window.side == 64 and (found.full(target.shape).astype(bool) == target).all()


@pytest.mark.parametrize("radius", [12, 45, 90])
def test_the_bundled_click_model_outlines_small_and_large_objects_from_one_click(radius):
    """One click in the middle of a disk of 24 to 180 pixels: wider than the
    first window, the model alone would outline a blob inside it."""
    from labelassist.models import generalist
    from labelassist.models.click_training import click_model_predictor

    model, _ = generalist.load_bundled("clicknet")
    rng = np.random.default_rng(radius)
    target = _disc((400, 400), (200, 210), radius)
    image = (rng.normal(400, 20, target.shape) + 300 * target).astype(np.uint16)
    found = segment_object(image, [Click(200, 210)], click_model_predictor(model)).full(target.shape).astype(bool)
    assert (found & target).sum() / (found | target).sum() >= 0.9


def test_an_object_at_the_image_border_stops_the_zoom_at_the_border():
    target = _disc((200, 200), (5, 100), 30)  # cut by the top edge
    found = segment_object(target.astype(np.float32), [Click(10, 100)], _threshold_model)
    mask = found.full(target.shape).astype(bool)
    assert (mask & target).sum() / (mask | target).sum() > 0.95


def test_only_the_part_under_the_positive_click_is_kept():
    image = (_disc((128, 128), (40, 40), 12) | _disc((128, 128), (44, 80), 12)).astype(np.float32)
    found = segment_object(image, [Click(40, 40)], _threshold_model)
    mask = found.full(image.shape).astype(bool)
    assert mask[40, 40] and not mask[44, 80]


def test_a_box_or_a_current_mask_sets_the_window_to_the_object():
    mask = _disc((512, 512), (250, 250), 60)
    window = first_window([Click(250, 250)], None, mask)
    assert 120 < window.side < 200
    boxed = first_window([Click(250, 250)], (190, 190, 311, 311), None)
    assert 120 < boxed.side < 200
    channels = model_input(mask.astype(np.float32), window, [Click(250, 250), Click(250, 180, False)], mask)
    assert channels.shape[0] == 4 and channels[1].any() and channels[2].any() and channels[3].mean() > 0.3


@pytest.mark.parametrize("clicks, box, message", [
    ([], None, "no clicks"),
    ([Click(5, 5, False)], None, "no positive click"),
    ([Click(64, 5)], None, "outside the 64×64 image"),
    ([Click(float("nan"), 5)], None, "outside"),
    ([Click(5, 5)], (10, 10, 5, 20), "box"),
])
def test_bad_requests_are_named(clicks, box, message):
    with pytest.raises(ValueError, match=message):
        segment_object(np.zeros((64, 64), np.float32), clicks, _threshold_model, box=box)


def test_a_current_mask_of_another_size_is_named():
    with pytest.raises(ValueError, match="current mask is 32×32"):
        segment_object(np.zeros((64, 64), np.float32), [Click(5, 5)], _threshold_model,
                       mask=np.zeros((32, 32), bool))


def test_the_corrective_click_goes_to_the_centre_of_the_largest_error():
    target = _disc((100, 100), (50, 50), 20)
    missed = corrective_click(target, np.zeros_like(target))
    assert missed.positive and abs(missed.y - 50) <= 1 and abs(missed.x - 50) <= 1
    too_much = target | _disc((100, 100), (50, 85), 10)
    extra = corrective_click(target, too_much)
    assert not extra.positive and extra.x > 72
    assert corrective_click(target, target) is None


def test_the_editor_places_an_object_as_one_undo_step_and_keeps_its_neighbours():
    mask = np.zeros((50, 50), np.uint32)
    mask[10:20, 10:20] = 1
    mask[10:20, 20:30] = 2
    editor = LabelEditor(mask.copy())
    crop = np.ones((12, 16), np.uint8)
    editor.place_object(3, crop, 8, 14)  # overlaps both neighbours
    assert (editor.mask == 3).sum() == 12 * 16 - 10 * 6 - 10 * 10  # only background became 3
    assert (editor.mask == 1).sum() == 100 and (editor.mask == 2).sum() == 100
    editor.place_object(1, np.ones((5, 5), np.uint8), 30, 30)  # an object replaced, not extended
    assert (editor.mask == 1).sum() == 25 and editor.mask[30, 30] == 1
    editor.undo()
    editor.undo()
    assert np.array_equal(editor.mask, mask)


def test_the_simulated_annotator_counts_what_each_start_costs():
    from labelassist.evaluation.effort import StartEffort, annotate, polygon_vertices

    reference = np.zeros((80, 80), np.uint16)
    reference[10:30, 10:30] = 1
    reference[draw.disk((55, 55), 15)] = 2
    assert polygon_vertices(reference == 1) == 4
    assert polygon_vertices(reference == 2) >= 8

    scratch = StartEffort("scratch")
    annotate(reference, None, None, scratch)
    assert scratch.objects == 2 and scratch.polygons == 2 and scratch.vertices == polygon_vertices(reference == 1) + \
        polygon_vertices(reference == 2) and scratch.clicks == 0

    perfect = StartEffort("perfect")
    start = reference.copy()
    start[70:75, 0:5] = 3  # a false object
    annotate(reference, start, None, perfect)
    assert perfect.accepted == 2 and perfect.deleted == 1 and perfect.actions == 1

    calls = []

    def oracle(clicks, current):  # a stand-in click model: half the object, then all of it
        calls.append(list(clicks))
        target = reference == (1 if clicks[0][0] < 40 else 2)
        return target if len(clicks) > 1 else target & (np.arange(80)[None, :] < 20)

    clicking = StartEffort("click")
    annotate(reference, None, oracle, clicking)
    assert clicking.clicks == 4 and clicking.noc90 == [2, 2] and clicking.polygons == 0
    assert all(first[2] for first, *_ in calls)  # every first click is positive


def test_objects_are_matched_one_to_one_at_iou_one_half():
    from labelassist.imaging.measures import instance_labels, match_objects

    truth = np.zeros((40, 40), np.uint16)
    truth[5:15, 5:15] = 1
    truth[20:30, 20:30] = 2
    predicted = np.zeros((40, 40), np.uint8)
    predicted[5:15, 6:16] = 1  # IoU 0.82 with object 1
    predicted[20:30, 20:25] = 1  # half of object 2: IoU 0.5
    predicted[35:38, 35:38] = 1  # a false object
    assert match_objects(truth, instance_labels(predicted)) == {1: 1, 2: 2}
    assert match_objects(truth, instance_labels(predicted), min_iou=0.6) == {1: 1}
