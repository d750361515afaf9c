"""Click-to-segment through the real stack: ``labelassist up``'s bundled
generalist click model served by the real tritonserver, the Segment RPC,
its errors, Triton down, in-process without Triton, fine-tuning through
Train, and the desktop client's Click tool."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
from skimage import draw

from labelassist.client.errors import InvalidArgumentError, ServiceUnavailableError
from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.models import repository as model_store

pytestmark = pytest.mark.slow
SHAPE = (256, 256)
# (centre, radius) of well separated objects of three sizes
OBJECTS = [((60, 60), 14), ((70, 170), 22), ((175, 110), 45)]


def scene(objects=OBJECTS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Bright round objects on a dark noisy background, and their instance labels."""
    rng = np.random.default_rng(seed)
    labels = np.zeros(SHAPE, np.uint16)
    for index, (centre, radius) in enumerate(objects, start=1):
        labels[draw.ellipse(*centre, radius, radius * 0.8, shape=SHAPE)] = index
    image = 400 + 1200 * (labels > 0) + rng.normal(0, 60, SHAPE)
    return np.clip(image, 0, 65535).astype(np.uint16), labels


def iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a > 0, b > 0
    return float((a & b).sum() / max((a | b).sum(), 1))


@pytest.fixture(scope="module")
def sdk(generalist_stack):
    with LabelAssistClient(generalist_stack.addresses, timeout=120) as client:
        yield client


def test_up_publishes_the_bundled_models_and_triton_serves_them(generalist_stack):
    repository = generalist_stack.model_repository
    for name in model_store.MODEL_NAMES:
        assert model_store.versions(repository, name) == [1]
        meta = json.loads((repository / name / "1" / "meta.json").read_text())
        assert meta["source"] == "generalist" and "HeLa" in meta["trained_on"]
        assert model_store.served_versions(generalist_stack.triton_url, name) == {1}
    env = {**os.environ, "LABELASSIST_DATA_DIR": str(generalist_stack.data_dir)}
    listing = subprocess.run([sys.executable, "-m", "labelassist.cli", "model", "list"], capture_output=True,
                             text=True, env=env, timeout=60)
    assert listing.returncode == 0, listing.stderr
    assert "clicknet    1  serving  generalist" in listing.stdout
    assert "unet        1  serving  generalist" in listing.stdout


def test_one_click_on_an_object_returns_that_object(sdk):
    image, labels = scene()
    for index, ((row, col), radius) in enumerate(OBJECTS[:2], start=1):
        found = sdk.segment(image, [(row, col, True)])
        assert found.runtime == "triton" and found.model_source == "generalist" and found.model_version == 1
        assert found.mask.shape == SHAPE
        assert iou(found.mask, labels == index) >= 0.7, index
        assert not (found.mask.astype(bool) & (labels > 0) & (labels != index)).any()  # no other object
    (row, col), radius = OBJECTS[2]  # larger than the first window: a box gives its extent
    boxed = sdk.segment(image, [(row, col, True)], box=(row - radius - 4, col - radius - 4, row + radius + 4,
                                                          col + radius + 4))
    assert iou(boxed.mask, labels == 3) >= 0.75


def test_a_negative_click_removes_a_wrongly_included_neighbour(sdk):
    touching = [((128, 100), 24), ((128, 146), 24)]
    image, labels = scene(touching, seed=1)
    merged = (labels > 0).astype(np.uint8)  # a pre-label that took both as one
    once = sdk.segment(image, [(128, 100, True), (128, 150, False)], mask=merged)
    assert (once.mask.astype(bool) & (labels == 2)).sum() < 0.8 * (labels == 2).sum()  # the neighbour shrinks
    twice = sdk.segment(image, [(128, 100, True), (128, 150, False), (128, 140, False)], mask=merged)
    assert iou(twice.mask, labels == 1) >= 0.85
    assert (twice.mask.astype(bool) & (labels == 2)).sum() < 0.1 * (labels == 2).sum()

    # The current mask as a crop of its box (what the desktop client sends): the same answer.
    rows, cols = np.nonzero(merged)
    top, left = rows.min(), cols.min()
    crop = merged[top:rows.max() + 1, left:cols.max() + 1]
    cropped = sdk.segment(image, [(128, 100, True), (128, 150, False), (128, 140, False)], mask=crop,
                          mask_offset=(top, left))
    assert np.array_equal(cropped.mask, twice.mask)
    with pytest.raises(InvalidArgumentError, match="does not lie inside the image"):
        sdk.segment(image, [(128, 100, True)], mask=crop, mask_offset=(250, 0))


def test_a_sample_segments_by_id_and_the_crop_comes_with_its_offset(sdk):
    image, labels = scene()
    sdk.create_project("clicks")
    sample_id = sdk.add_sample("clicks", "scene", image)
    (row, col), _ = OBJECTS[1]
    cropped = sdk.segment(None, [(row, col, True)], sample_id=sample_id, crop_to_object=True)
    assert cropped.mask.shape[0] < 80 and (cropped.top, cropped.left) != (0, 0)
    full = sdk.segment(image, [(row, col, True)])
    assert np.array_equal(cropped.full(SHAPE), full.mask) and iou(full.mask, labels == 2) >= 0.7


def test_segment_gives_the_new_object_the_class_asked_for(sdk):
    image, labels = scene()
    sdk.create_project("clicks-classes")
    sdk.set_class_schema("clicks-classes", ["round", "other"])
    sample_id = sdk.add_sample("clicks-classes", "scene", image)
    (row, col), _ = OBJECTS[0]
    found = sdk.segment(None, [(row, col, True)], sample_id=sample_id, object_class="round")
    assert found.object_class == "round" and iou(found.mask, labels == 1) >= 0.7


@pytest.mark.parametrize("clicks, image, message", [
    ([(300.0, 5.0, True)], scene()[0], "outside the 256×256 image"),
    ([(5.0, 5.0, False)], scene()[0], "no positive click"),
    ([], scene()[0], "no clicks"),
    ([(0.0, 0.0, True)], np.zeros((0, 5), np.uint16), r"at least 2×2 pixels, got shape \(0, 5\)"),
    ([(1.0, 1.0, True)], np.zeros((4, 4, 7), np.uint16), "7 channels"),
])
def test_bad_segment_requests_are_invalid_argument_and_named(sdk, clicks, image, message):
    with pytest.raises(InvalidArgumentError, match=message):
        sdk.segment(image, clicks)


def test_triton_down_is_unavailable_and_the_other_tools_still_work(start_service):
    with socket.socket() as probe:  # a port where no Triton listens
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    assist = start_service("assist", "--triton-url", f"127.0.0.1:{dead}")
    image, labels = scene()
    with LabelAssistClient(ServiceAddresses(assist=assist.address), retries=0) as client:
        with pytest.raises(ServiceUnavailableError, match="brush, polygon and scribble tools still work"):
            client.segment(image, [(60, 60, True)])
        assert client.prelabel(image).object_count == 3  # the default classical pipeline
        seed = np.zeros(SHAPE, np.uint8)
        seed[60, 60] = 1
        assert client.refine(image, seed, method="flood_fill")[60, 60] > 0


def test_without_triton_the_click_model_runs_in_process(start_service):
    assist = start_service("assist")
    image, labels = scene()
    with LabelAssistClient(ServiceAddresses(assist=assist.address)) as client:
        found = client.segment(image, [(70, 170, True)])
    assert found.runtime == "in-process" and found.model_source == "generalist"
    assert iou(found.mask, labels == 2) >= 0.7


def test_train_fine_tunes_the_click_model_and_triton_serves_the_new_version(generalist_stack, sdk, tmp_path):
    from labelassist.proto.v1 import assist_pb2

    dataset = generalist_stack.data_dir / "datasets" / "scenes"
    (dataset / "images").mkdir(parents=True)
    (dataset / "labels").mkdir()
    import tifffile

    for index in range(3):
        image, labels = scene(seed=index)
        tifffile.imwrite(dataset / "images" / f"s{index}.tif", image)
        tifffile.imwrite(dataset / "labels" / f"s{index}.tif", labels)
    job = sdk.train(dataset, model="clicknet", epochs=1, steps_per_epoch=1, batch_size=2)
    events = list(sdk.train_status(job))
    assert events[-1].state == assist_pb2.TRAIN_STATE_SUCCEEDED, events[-1].message
    assert events[-1].model_version == 2
    image, labels = scene()
    found = sdk.segment(image, [(70, 170, True)])
    assert found.model_version == 2 and found.model_source == "trained" and found.area > 0
    with pytest.raises(InvalidArgumentError, match="no model 'resnet'"):
        sdk.train(dataset, model="resnet")


def test_the_click_tool_in_the_desktop_client_adds_refines_and_finishes_objects(qtbot, generalist_stack, sdk):
    pytest.importorskip("pytestqt")
    from PySide6.QtCore import Qt

    from labelassist.client.gui.app import Connection, MainWindow

    image, labels = scene(seed=3)
    sdk.create_project("gui-clicks")
    sdk.add_sample("gui-clicks", "scene", image)
    window = MainWindow(Connection.from_addresses(generalist_stack.addresses), annotator="qt-test",
                        project="gui-clicks", next_after_submit=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.calls.in_flight == 0, timeout=60_000)
    with qtbot.waitSignal(window.sample_shown, timeout=60_000):
        qtbot.keyClick(window, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: window.calls.in_flight == 0, timeout=60_000)
    window.canvas.replace_mask(np.zeros(SHAPE, np.uint32))  # start from nothing, whatever the pre-label
    qtbot.keyClick(window, Qt.Key.Key_A)
    assert window.canvas.tool == "click"

    def click(row, col, positive=True):
        window.canvas.segment_click((row, col), positive)
        qtbot.waitUntil(lambda: window.calls.in_flight == 0, timeout=60_000)
        assert window.last_error is None, window.last_error

    click(60, 60)  # a new object
    first = window.canvas.editor.mask.copy()
    assert len(np.unique(first[first > 0])) == 1 and iou(first, labels == 1) >= 0.7
    click(70, 170)  # far from it: finishes it and starts the next
    second = window.canvas.editor.mask.copy()
    assert len(np.unique(second[second > 0])) == 2
    assert iou(second == second[70, 170], labels == 2) >= 0.7 and np.array_equal(second == first[60, 60], first > 0)
    click(65, 150, positive=False)  # refines the current object: never touches the first
    assert np.array_equal(window.canvas.editor.mask == first[60, 60], first > 0)
    assert not window.canvas.editor.mask[65, 150]
    qtbot.keyClick(window, Qt.Key.Key_Return)
    assert window.canvas.click_object is None
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # each answer is one undo step
    assert np.array_equal(window.canvas.editor.mask, second)
    window.canvas.segment_click((60, 60), positive=False)  # nothing in hand: a right click deletes the object
    assert not (window.canvas.editor.mask == first[60, 60]).any() and window.calls.in_flight == 0
    window.dirty = False


def test_model_install_puts_the_generalist_into_a_repository_for_a_triton_of_ones_own(tmp_path):
    command = [sys.executable, "-m", "labelassist.cli", "--data-dir", str(tmp_path), "model", "install"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "installed the bundled generalist unet and clicknet as version 1" in first.stdout
    for name in model_store.MODEL_NAMES:
        assert model_store.versions(tmp_path / "models", name) == [1]
        assert (tmp_path / "models" / name / "config.pbtxt").exists()
    again = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert "nothing installed" in again.stdout
