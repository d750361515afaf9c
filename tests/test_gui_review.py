"""Reviewing in the desktop client, through Qt (offscreen) against the real
stack: accept and reject with a comment, the queue of likely label errors,
and inspection findings fixed in one click."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")
from PySide6.QtCore import Qt  # noqa: E402

from labelassist.client.gui.app import Connection, MainWindow  # noqa: E402
from labelassist.io.bundled import hela_sample  # noqa: E402
from test_gui import WAIT_MS, _open_window, _wait_idle  # noqa: E402


def test_a_reviewer_rejects_a_label_and_the_annotator_sees_why(qtbot, stack, client, rng):
    images, _ = hela_sample()
    name = f"gui-review-{os.getpid()}-{rng.integers(1 << 30)}"
    client.create_project(name, strategy="sequential")
    mask = (images[0] > np.percentile(images[0], 85)).astype(np.uint8)
    for i in range(3):
        client.add_sample(name, f"frame{i}", images[i], label=mask if i < 2 else None)
    reviewer = MainWindow(Connection.from_addresses(stack.addresses), annotator="rita", project=name,
                          next_after_submit=False)
    qtbot.addWidget(reviewer)
    reviewer.show()  # shortcuts reach a window on screen
    _wait_idle(qtbot, reviewer)
    reviewer.browser.state.setCurrentText("to review")
    qtbot.waitUntil(lambda: reviewer.browser.table.rowCount() == 2, timeout=WAIT_MS)
    with qtbot.waitSignal(reviewer.sample_shown, timeout=WAIT_MS):
        reviewer.browser.open_row(0)
    _wait_idle(qtbot, reviewer)
    reviewer.panel.review_comment.setText("the dim nucleus at the top is missing")
    with qtbot.waitSignal(reviewer.reviewed, timeout=WAIT_MS):
        reviewer.review.review(False)
    _wait_idle(qtbot, reviewer)
    assert reviewer.browser.table.item(0, 4).text() == "rejected"
    with qtbot.waitSignal(reviewer.sample_shown, timeout=WAIT_MS):
        reviewer.browser.open_row(1)
    _wait_idle(qtbot, reviewer)
    with qtbot.waitSignal(reviewer.reviewed, timeout=WAIT_MS):
        qtbot.keyClick(reviewer, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    _wait_idle(qtbot, reviewer)

    # The annotator's list shows the rejected label with the comment; a new version clears the verdict.
    [first, second, third] = client.list_samples(name)
    assert (first.review, first.review_comment, first.reviewer) == ("rejected", "the dim nucleus at the top is "
                                                                   "missing", "rita")
    assert second.review == "accepted" and third.review == ""
    annotator = _open_window(qtbot, stack, name)
    annotator.browser.state.setCurrentText("rejected")
    qtbot.waitUntil(lambda: annotator.browser.table.rowCount() == 1, timeout=WAIT_MS)
    with qtbot.waitSignal(annotator.sample_shown, timeout=WAIT_MS):
        annotator.browser.open_row(0)
    assert "rejected by rita: the dim nucleus" in annotator.panel.sample_label.text()
    annotator.panel.inspect_before_submit.setChecked(False)
    with qtbot.waitSignal(annotator.submitted, timeout=WAIT_MS):
        annotator.submit()
    _wait_idle(qtbot, annotator)
    assert client.list_samples(name)[0].review == "" and client.list_samples(name)[0].label_version == 2
    reviewer.close()
    annotator.close()


def test_a_finding_with_a_fix_is_fixed_in_one_click_and_undone_in_one(qtbot, stack, gui_project):
    """A pin-hole in a pre-labelled nucleus: inspection lists it as info with
    a fix; Apply fix fills it (one undo step) and the finding is gone."""
    project, _ = gui_project
    window = _open_window(qtbot, stack, project)
    with qtbot.waitSignal(window.prelabel_shown, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_N)
    _wait_idle(qtbot, window)
    mask = window.canvas.editor.mask.copy()
    from scipy import ndimage

    core = ndimage.binary_erosion(mask > 0, iterations=4)
    row, col = np.argwhere(core)[len(np.argwhere(core)) // 2]
    holed = mask.copy()
    holed[row, col] = 0
    window.canvas.replace_mask(holed)
    with qtbot.waitSignal(window.inspected, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_I)
    [pin] = [i for i, f in enumerate(window.findings) if f.criterion == "holes"]
    assert window.findings[pin].fix == ("fill_holes", {"max_size": 4}) and window.findings[pin].severity.label == "info"
    assert not window.panel.fix_button.isEnabled()
    window.panel.warnings.setCurrentRow(pin)
    assert window.panel.fix_button.isEnabled() and "fill_holes" in window.panel.fix_button.text()
    with qtbot.waitSignal(window.inspected, timeout=WAIT_MS):
        window.panel.fix_button.click()
    _wait_idle(qtbot, window)
    assert window.canvas.editor.mask[row, col] == mask[row, col]
    assert not [f for f in window.findings if f.criterion == "holes"]
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.canvas.editor.mask[row, col] == 0
    window.close()


@pytest.mark.slow
def test_the_reviewers_queue_lists_likely_errors_first_and_outlines_them(qtbot, generalist_stack):
    """The sample list's "likely errors": a blob planted in one of four HeLa
    tiles ranks that label first; opening it outlines the blob."""
    from labelassist.client.sdk import LabelAssistClient
    from labelassist.evaluation.corruptions import paint_blob

    images, masks = hela_sample()
    project = f"queue-{os.getpid()}-{np.random.default_rng().integers(1 << 30)}"
    blobbed, blob = paint_blob(masks[1, :128, :128], np.random.default_rng(0))
    labels = [masks[0, :128, :128], blobbed, masks[2, :128, :128], masks[3, :128, :128]]
    with LabelAssistClient(generalist_stack.addresses, timeout=300) as sdk:
        sdk.create_project(project)
        sdk.add_samples(project, [{"stem": f"s{i}", "image": images[i, :128, :128], "label": label}
                                  for i, label in enumerate(labels)])
    window = MainWindow(Connection.from_addresses(generalist_stack.addresses), annotator="rita", project=project,
                        next_after_submit=False)
    qtbot.addWidget(window)
    window.show()
    _wait_idle(qtbot, window)
    with qtbot.waitSignal(window.browser.loaded, timeout=WAIT_MS):
        window.browser.state.setCurrentText("likely errors")
    table = window.browser.table
    assert table.rowCount() == 4 and table.item(0, 0).text() == "s1"
    assert table.item(0, 6).data(Qt.ItemDataRole.DisplayRole) >= 0.9 > table.item(1, 6).data(Qt.ItemDataRole.DisplayRole)
    with qtbot.waitSignal(window.sample_shown, timeout=WAIT_MS):
        window.browser.open_row(0)
    assert window.sample.stem == "s1" and window.canvas._highlights
    (r0, c0, r1, c1), *_ = window.browser.suspect_boxes(window.sample.sample_id)
    assert blob[r0:r1, c0:c1].any()
    window.close()


def test_a_reviewer_sees_what_changed_since_an_earlier_label_version(qtbot, stack, client, rng):
    from labelassist.client.gui.versions import ADDED, REMOVED
    from shapes import disc

    images, _ = hela_sample()
    shape = (128, 128)
    first = (disc(shape, (30, 30), 10) * 1 + disc(shape, (90, 90), 12) * 2).astype(np.uint16)
    second = first.copy()
    second[second == 2] = 0  # an object removed
    second[disc(shape, (30, 95), 8)] = 3  # one added
    project = f"versions-{rng.integers(1 << 30)}"
    client.create_project(project)
    sample_id = client.add_sample(project, "s", images[0, :128, :128], label=first)
    client.submit_label(sample_id, "ann", second)
    window = MainWindow(Connection.from_addresses(stack.addresses), annotator="rita", project=project,
                        next_after_submit=False)
    qtbot.addWidget(window)
    window.show()
    _wait_idle(qtbot, window)
    with qtbot.waitSignal(window.sample_shown, timeout=WAIT_MS):
        window.open_sample(sample_id)
    _wait_idle(qtbot, window)
    assert window.panel.compare_combo.count() == 2 and window.panel.compare_combo.itemText(1).startswith("v1")
    with qtbot.waitSignal(window.compared, timeout=WAIT_MS) as blocker:
        window.panel.compare_combo.setCurrentIndex(1)
    counts = blocker.args[0]
    assert counts == {"added": int(disc(shape, (30, 95), 8).sum()), "removed": int((first == 2).sum()),
                      "reassigned": 0}
    shown = window.canvas.diff_item.image
    assert window.canvas.diff_item.isVisible()
    assert tuple(shown[30, 95]) == ADDED and tuple(shown[90, 90]) == REMOVED and shown[30, 30, 3] == 0
    window.panel.compare_combo.setCurrentIndex(0)
    assert not window.canvas.diff_item.isVisible()
    window.close()


def test_label_diff_matches_objects_by_overlap_not_by_id():
    from labelassist.client.gui.versions import label_diff

    earlier = np.zeros((20, 20), np.uint16)
    earlier[2:8, 2:8], earlier[10:18, 10:18] = 1, 2
    renumbered = np.where(earlier == 1, 7, np.where(earlier == 2, 4, 0)).astype(np.uint16)
    assert label_diff(renumbered, earlier)[1] == {"added": 0, "removed": 0, "reassigned": 0}
    split = renumbered.copy()
    split[10:18, 14:18] = 9  # half of an object becomes another one
    assert label_diff(split, earlier)[1] == {"added": 0, "removed": 0, "reassigned": 32}


def test_assist_settings_edited_in_the_client_reach_the_project(qtbot, stack, client, gui_project):
    from labelassist.client.gui.app import AssistSettingsDialog

    project, _ = gui_project
    window = _open_window(qtbot, stack, project)
    operations = {family: client.list_operations(family) for family in ("preprocess", "prelabel", "postprocess")}
    dialog = AssistSettingsDialog(project, client.get_project(project).assist, operations, window)
    assert "gaussian" in dialog.preprocess.toolTip() and dialog.method.text() == ""
    dialog.preprocess.setPlainText("gaussian:sigma=1.5\n\nstretch")
    dialog.method.setText("otsu:polarity=bright")
    dialog.postprocess.setPlainText("fill_holes")
    with qtbot.waitSignal(window.assist_saved, timeout=WAIT_MS):
        window.projects.save_assist_settings(*dialog.settings())
    stored = client.get_project(project).assist
    assert [c.name for c in stored.preprocess] == ["gaussian", "stretch"] and stored.method.name == "otsu"
    assert [c.name for c in stored.postprocess] == ["fill_holes"]
    reopened = AssistSettingsDialog(project, stored, operations, window)
    assert reopened.method.text() == "otsu:polarity=bright" and reopened.preprocess.toPlainText().startswith(
        "gaussian:sigma=1.5")

    window.projects.save_assist_settings([("no_such_step", {})], None, [])  # the selector refuses it, by name
    qtbot.waitUntil(lambda: window.calls.in_flight == 0, timeout=WAIT_MS)
    assert "no_such_step" in window.last_error
    assert client.get_project(project).assist.method.name == "otsu"  # unchanged
    window.close()


def test_each_channel_of_a_multichannel_image_can_be_hidden_recoloured_and_stretched(qtbot):
    from labelassist.client.gui.canvas import LabelCanvas
    from labelassist.client.gui.channels import ChannelPanel

    canvas, panel = LabelCanvas(), ChannelPanel()
    qtbot.addWidget(canvas)
    qtbot.addWidget(panel)
    panel.changed.connect(canvas.set_display)
    image = np.zeros((64, 64, 2), np.uint16)
    image[:32, :, 0] = 4000  # top half: channel 0
    image[:, :32, 1] = 2000  # left half: channel 1
    image[40:, 40:, 1] = 1000  # a dimmer corner of channel 1
    canvas.show_sample(image)
    panel.show_image(image)
    assert len(panel.rows) == 2
    visible, colour, low, high = panel.rows[1]
    visible.setChecked(False)  # channel 1 hidden: only channel 0 (green) is drawn
    shown = canvas.image_item.image
    assert tuple(shown[50, 10]) == (0, 0, 0) and tuple(shown[10, 50]) == (0, 1, 0)
    panel.rows[0][1].setCurrentText("red")
    assert tuple(canvas.image_item.image[10, 50]) == (1, 0, 0)
    visible.setChecked(True)
    before = canvas.image_item.image[50, 50].copy()  # the dim corner: half of channel 1's range
    high.setValue(45.0)  # stretch channel 1 up to its 45th percentile (1000): the dim corner saturates
    after = canvas.image_item.image[50, 50]
    assert after[0] > before[0] and after[0] == 1.0
    panel.show_image(np.zeros((8, 8), np.uint16))  # a grey image: nothing to mix
    assert panel.rows == []


def test_next_on_a_two_channel_sample_offers_its_channels(qtbot, stack, client, rng):
    image = (rng.random((96, 96, 2)) * 3000).astype(np.uint16)
    project = f"channels-{rng.integers(1 << 30)}"
    client.create_project(project, preprocess=[("channel", {"index": 1})])  # pre-labels read channel 1
    client.add_sample(project, "two", image)
    window = _open_window(qtbot, stack, project)
    with qtbot.waitSignal(window.sample_shown, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_N)
    _wait_idle(qtbot, window)
    assert len(window.channel_panel.rows) == 2 and window.channel_panel.isVisible()
    window.channel_panel.rows[0][0].setChecked(False)
    assert window.canvas.image_item.image[..., 1].max() == 0  # channel 0 (green) hidden
    window.close()


def test_the_channels_dock_names_channels_as_the_source_file_does(qtbot, stack, client, rng):
    image = (rng.random((64, 64, 2)) * 3000).astype(np.uint16)
    project = f"named-channels-{rng.integers(1 << 30)}"
    client.create_project(project, preprocess=[("channel", {"index": 1})])
    client.add_sample(project, "two", image, origin={"file": "cells.ome.tif", "axes": "CYX", "shape": [2, 64, 64],
                                                     "height": 64, "width": 64, "channel": -1,
                                                     "channel_names": ["membrane", "nuclei"]})
    window = _open_window(qtbot, stack, project)
    with qtbot.waitSignal(window.sample_shown, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_N)
    _wait_idle(qtbot, window)
    assert [row[0].text() for row in window.channel_panel.rows] == ["membrane", "nuclei"]
    window.close()
