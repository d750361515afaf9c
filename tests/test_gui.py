"""The desktop client driven through Qt (offscreen) against the real stack:
Next, pre-label, brush, undo, post-process, inspect, submit, read back."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")
from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from labelassist.client.gui.app import Connection, MainWindow  # noqa: E402
from labelassist.client.gui.canvas import colour_ids  # noqa: E402
from labelassist.io.bundled import hela_sample  # noqa: E402

WAIT_MS = 60_000


def _drag(window: MainWindow, points: list[tuple[float, float]], button=Qt.MouseButton.LeftButton) -> None:
    """A real mouse drag over image pixels (row, col), sent as Qt events to the view."""
    canvas = window.canvas
    viewport = canvas.graphics.viewport()

    def at(point):
        scene = canvas.view.mapViewToScene(QPointF(point[1] + 0.5, point[0] + 0.5))
        return canvas.graphics.mapFromScene(scene)

    def send(kind, point, buttons, which):
        local = QPointF(at(point))
        event = QMouseEvent(kind, local, QPointF(viewport.mapToGlobal(local.toPoint())), which, buttons,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)

    send(QMouseEvent.Type.MouseButtonPress, points[0], button, button)
    for point in points[1:]:
        send(QMouseEvent.Type.MouseMove, point, button, Qt.MouseButton.NoButton)
    send(QMouseEvent.Type.MouseButtonRelease, points[-1], Qt.MouseButton.NoButton, button)


def _wait_idle(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.calls.in_flight == 0, timeout=WAIT_MS)
    assert window.last_error is None, window.last_error


def _open_window(qtbot, stack, project: str) -> MainWindow:
    window = MainWindow(Connection.from_addresses(stack.addresses), annotator="qt-test", project=project,
                        next_after_submit=False)
    qtbot.addWidget(window)
    window.show()
    _wait_idle(qtbot, window)
    return window


def test_annotation_round_trip_through_the_desktop_client(qtbot, stack, client, gui_project):
    project, image = gui_project
    window = _open_window(qtbot, stack, project)
    assert window.project == project
    assert window.panel.method_combo.count() > 5 and window.panel.postprocess_list.count() > 3

    # Next: the image, then its default pre-label, arrive on screen.
    with qtbot.waitSignal(window.prelabel_shown, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_N)
    _wait_idle(qtbot, window)
    assert np.array_equal(window.canvas.image_item.image, image)
    prelabel = window.canvas.editor.mask.copy()
    assert prelabel.max() >= 3  # nuclei found
    assert np.array_equal(window.canvas.overlay.image, colour_ids(prelabel))
    assert "next_to_prelabel" in window.timings

    # Brush on background far from every nucleus, then undo it.
    row, col = _emptiest_point(prelabel)
    window.set_tool("brush")
    window.tools.brush_size.setValue(5)
    _drag(window, [(row, col - 6), (row, col), (row, col + 6)])
    painted = window.canvas.editor.mask
    new_ids = set(np.unique(painted[prelabel != painted]).tolist())
    assert len(new_ids) == 1 and 0 not in new_ids  # one new object
    assert 100 < (painted != prelabel).sum() < 400  # a 5-px brush over 12 px: ~ 200 px
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(window.canvas.editor.mask, prelabel)

    # Paint the planted defect again: a blob on background.
    window.tools.brush_size.setValue(6)
    _drag(window, [(row, col - 4), (row, col), (row, col + 4)])
    edited = window.canvas.editor.mask.copy()
    blob = edited != prelabel
    assert blob.sum() > 100

    # Post-process (fill holes, remove small objects) keeps the blob (> 30 px).
    qtbot.keyClick(window, Qt.Key.Key_O)
    _wait_idle(qtbot, window)
    assert window.canvas.editor.mask[blob].all()

    # Inspect: a warning names the painted blob, and selecting it outlines it.
    with qtbot.waitSignal(window.inspected, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_I)
    blob_id = int(window.canvas.editor.mask[blob][0])
    flagged = [i for i, f in enumerate(window.findings) if f.criterion == "background_intensity"]
    assert flagged, [f.criterion for f in window.findings]
    assert blob_id in window.findings[flagged[0]].object_ids
    window.panel.warnings.setCurrentRow(flagged[0])
    assert window.canvas._highlights  # the outline is on screen

    # Submit: the selector holds exactly the edited mask.
    final = window.canvas.editor.mask.copy()
    sample_id = window.sample.sample_id
    with qtbot.waitSignal(window.submitted, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    stored = client.get_sample(sample_id, with_image=False).require("label")
    assert np.array_equal(stored, final)
    assert client.label_history(sample_id)[-1].annotator == "qt-test"
    _wait_idle(qtbot, window)
    assert window.panel.progress_label.text().startswith("1 / 1")
    window.close()


def _emptiest_point(mask: np.ndarray) -> tuple[int, int]:
    """The background pixel farthest from any object (and the border)."""
    from scipy import ndimage

    inner = np.pad(mask == 0, 1, constant_values=False)
    distance = ndimage.distance_transform_edt(inner)[1:-1, 1:-1]
    row, col = np.unravel_index(np.argmax(distance), distance.shape)
    return int(row), int(col)


def test_service_errors_reach_the_status_bar_not_a_crash(qtbot, stack):
    window = MainWindow(Connection.from_addresses(stack.addresses), project="no-such-project")
    qtbot.addWidget(window)
    _wait_idle(qtbot, window)
    window.panel.project_combo.addItem("no-such-project")
    window.panel.project_combo.setCurrentText("no-such-project")
    window.next_sample()
    qtbot.waitUntil(lambda: window.calls.in_flight == 0, timeout=WAIT_MS)
    assert window.last_error is not None and "NOT_FOUND" in window.last_error
    assert "no-such-project" in window.last_error
    assert window.sample is None
    # It also stands on the canvas, where the annotator looks.
    assert not window.canvas.message.isHidden()
    assert "Next sample failed" in window.canvas.message.text() and "no-such-project" in window.canvas.message.text()


def test_submit_inspects_first_and_holds_a_label_with_warnings(qtbot, stack, client, gui_project):
    """Submit runs the inspection; a blob painted on background stops it with
    the warning on screen, nothing stored; a second Submit stores as is."""
    project, _ = gui_project
    window = _open_window(qtbot, stack, project)
    with qtbot.waitSignal(window.prelabel_shown, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_N)
    _wait_idle(qtbot, window)
    row, col = _emptiest_point(window.canvas.editor.mask)
    window.set_tool("brush")
    window.tools.brush_size.setValue(6)
    _drag(window, [(row, col - 4), (row, col), (row, col + 4)])
    edited = window.canvas.editor.mask.copy()
    sample_id = window.sample.sample_id

    with qtbot.waitSignal(window.submit_held, timeout=WAIT_MS) as held:
        qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    _wait_idle(qtbot, window)
    assert held.args[0] >= 1
    assert "background_intensity" in [f.criterion for f in window.findings]
    assert client.label_history(sample_id) == []  # nothing stored
    assert "Not submitted" in window.statusBar().currentMessage()

    with qtbot.waitSignal(window.submitted, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(client.get_sample(sample_id, with_image=False).require("label"), edited)
    _wait_idle(qtbot, window)
    window.close()


def test_a_new_project_from_a_local_dataset_folder(qtbot, stack, client, tmp_path):
    """New project: the folder's images and labels become samples, with
    progress, and the window switches to the project."""
    import tifffile

    from labelassist.client.gui.app import NewProjectDialog

    images, labels = hela_sample()
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    for index in range(3):
        tifffile.imwrite(tmp_path / "images" / f"f{index}.tif", images[index])
    tifffile.imwrite(tmp_path / "labels" / "f0.tif", labels[0])
    window = _open_window(qtbot, stack, "")
    assert "sequence_aware" in window.projects.strategies
    dialog = NewProjectDialog(window.projects.strategies, window)
    assert dialog.strategy.currentText() == "sequence_aware"
    name = f"from-folder-{np.random.default_rng().integers(1 << 30)}"
    steps = []
    window.busy.valueChanged.connect(steps.append)
    with qtbot.waitSignal(window.project_created, timeout=WAIT_MS):
        window.projects.create_project(name, "random", tmp_path)
    _wait_idle(qtbot, window)
    assert window.project == name
    stored = client.list_samples(name)
    assert [s.stem for s in stored] == ["f0", "f1", "f2"] and [s.labeled for s in stored] == [True, False, False]
    assert np.array_equal(client.get_sample(stored[1].sample_id).require("image"), images[1])
    assert steps[-1] == 3
    assert client.get_project(name).strategy == "random"

    window.projects.create_project(name, "random", tmp_path / "nothing-here")  # a bad folder: a clear error, no project
    qtbot.waitUntil(lambda: window.calls.in_flight == 0, timeout=WAIT_MS)
    assert "no images in" in window.last_error and "nothing-here" in window.last_error
    window.close()


def test_inspection_settings_edited_in_the_client_reach_the_project(qtbot, stack, client, gui_project):
    from labelassist.client.gui.app import InspectionSettingsDialog

    project, _ = gui_project
    window = _open_window(qtbot, stack, project)
    criteria = client.list_criteria()
    dialog = InspectionSettingsDialog(project, criteria, client.get_project(project).inspection, window)
    rows = {dialog.table.item(row, 0).text(): row for row in range(dialog.table.rowCount())}
    assert set(rows) == {c.name for c in criteria}
    assert "min_area (default 40.0)" in dialog.table.item(rows["object_size"], 1).toolTip()
    dialog.table.item(rows["touching_border"], 0).setCheckState(Qt.CheckState.Unchecked)
    dialog.table.item(rows["object_size"], 1).setText("min_area=200")
    chosen, disabled = dialog.settings()
    assert chosen == [("object_size", {"min_area": "200"})] and disabled == ["touching_border"]

    dialog.min_confidence.setValue(0.7)
    with qtbot.waitSignal(window.inspection_saved, timeout=WAIT_MS):
        window.projects.save_inspection_settings(chosen, disabled, dialog.min_confidence.value())
    settings = client.get_project(project).inspection
    assert [c.name for c in settings.criteria] == ["object_size"] and list(settings.disabled) == ["touching_border"]
    assert settings.min_confidence == pytest.approx(0.7)

    reopened = InspectionSettingsDialog(project, criteria, settings, window)  # shows what is stored
    assert reopened.table.item(rows["object_size"], 1).text() == "min_area=200.0"
    assert reopened.min_confidence.value() == pytest.approx(0.7)
    assert reopened.table.item(rows["touching_border"], 0).checkState() == Qt.CheckState.Unchecked
    reopened.table.item(rows["holes"], 1).setText("min_hole_area")  # no value
    with pytest.raises(ValueError, match="expected key=value"):
        reopened.settings()
    window.close()


def test_skip_passes_on_a_sample_with_a_reason_and_shows_the_next(qtbot, stack, client, gui_project):
    project, image = gui_project
    client.add_sample(project, "hela-1", hela_sample()[0][1], sequence="hela")
    window = _open_window(qtbot, stack, project)
    window.panel.auto_prelabel.setChecked(False)
    with qtbot.waitSignal(window.sample_shown, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_N)
    _wait_idle(qtbot, window)
    first = window.sample.sample_id
    window.panel.skip_reason.setText("nuclei out of focus")
    with qtbot.waitSignal(window.sample_released, timeout=WAIT_MS), \
            qtbot.waitSignal(window.sample_shown, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_K)
    _wait_idle(qtbot, window)
    assert window.sample.sample_id != first
    assert client.progress(project).skipped == 1

    with qtbot.waitSignal(window.sample_released, timeout=WAIT_MS):
        window.panel.release_button.click()
    _wait_idle(qtbot, window)
    assert window.sample is None
    window.close()


def test_the_wheel_changes_no_choice_that_has_not_the_focus(qtbot, stack, gui_project):
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QWheelEvent

    window = _open_window(qtbot, stack, gui_project[0])
    combo = window.panel.refine_combo
    assert combo.count() >= 2 and not combo.hasFocus()
    before = combo.currentText()
    wheel = QWheelEvent(QPointF(5, 5), QPointF(combo.mapToGlobal(QPoint(5, 5))), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(combo, wheel)
    assert combo.currentText() == before
    window.close()


def test_a_missing_project_is_named_not_ignored(qtbot, stack):
    window = _open_window(qtbot, stack, "no-such-project")
    assert window.panel.sample_label.text() == "no project 'no-such-project': pick one, or create it with New project…"
    assert window.project != "no-such-project"
    window.close()


def test_the_pre_label_that_next_brings_is_no_unsubmitted_edit(qtbot, stack, gui_project):
    window = _open_window(qtbot, stack, gui_project[0])
    with qtbot.waitSignal(window.prelabel_shown, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_N)
    _wait_idle(qtbot, window)
    assert window.canvas.editor.mask.any() and not window.dirty
    window.close()


def test_next_on_an_rgb_project_shows_the_slide_and_its_prelabel(qtbot, stack, client, rng):
    """An H&E project whose assist settings deconvolve the hematoxylin: Next
    shows the colour slide and the nuclei pre-labelled from the settings."""
    from test_projects_from_files import h_and_e_slide

    from shapes import dice

    rgb, nuclei = h_and_e_slide(rng)
    name = f"gui-rgb-{os.getpid()}-{rng.integers(1 << 30)}"
    client.create_project(name, preprocess=["hed"], method=("otsu", {"polarity": "bright"}))
    client.add_sample(name, "slide", rgb)
    window = _open_window(qtbot, stack, name)
    with qtbot.waitSignal(window.prelabel_shown, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_N)
    _wait_idle(qtbot, window)
    assert np.array_equal(window.canvas.image_item.image, rgb)
    assert dice(window.canvas.editor.mask > 0, nuclei) > 0.9
    window.close()


def test_a_prelabel_of_a_classes_project_shows_each_objects_guessed_class(qtbot, stack, client):
    """The status bar names the class model and its least sure guess; its
    tooltip lists each object's class and confidence."""
    from test_class_prelabels import labelled_project

    name = f"gui-classes-{os.getpid()}"
    labelled_project(client, name, seed=13)
    window = _open_window(qtbot, stack, name)
    with qtbot.waitSignal(window.prelabel_shown, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_N)
    _wait_idle(qtbot, window)
    guesses = window.session.class_guesses
    assert guesses is not None and guesses.model == "classes@1"
    assert "classes by classes@1: " in window.statusBar().currentMessage()
    assert f"object {min(guesses.objects)}: " in window.statusBar().toolTip()
    window.close()


def test_a_two_channel_image_shows_as_a_colour_composite(qtbot):
    """Two fluorescence channels: the first in green, the second in magenta."""
    from labelassist.client.gui.canvas import LabelCanvas

    canvas = LabelCanvas()
    qtbot.addWidget(canvas)
    image = np.zeros((64, 64, 2), np.uint16)
    image[:32, :, 0] = 4000  # top half: channel 0
    image[:, :32, 1] = 4000  # left half: channel 1
    canvas.show_sample(image)
    shown = canvas.image_item.image
    assert shown.shape == (64, 64, 3)
    assert tuple(shown[10, 50]) == (0, 1, 0) and tuple(shown[50, 10]) == (1, 0, 1)
    assert tuple(shown[10, 10]) == (1, 1, 1) and tuple(shown[50, 50]) == (0, 0, 0)
    assert canvas.editor.mask.shape == (64, 64)


def test_the_sample_list_opens_any_sample_and_submit_stores_its_next_version(qtbot, stack, client, rng):
    images, _ = hela_sample()
    name = f"gui-list-{os.getpid()}-{rng.integers(1 << 30)}"
    client.create_project(name, strategy="sequential")
    ids = [client.add_sample(name, f"frame{i}", images[i], sequence=f"s{i}") for i in range(3)]
    window = _open_window(qtbot, stack, name)
    assert "Press N" not in window.canvas.message.text() and "press N" in window.canvas.message.text()
    qtbot.waitUntil(lambda: window.browser.table.rowCount() == 3, timeout=WAIT_MS)
    assert [window.browser.sample_at(r) for r in range(3)] == ids

    # Open the second sample from the list, paint, submit: version 1 without any lease.
    with qtbot.waitSignal(window.sample_shown, timeout=WAIT_MS):
        window.browser.open_row(1)
    _wait_idle(qtbot, window)
    assert window.sample.sample_id == ids[1] and window.canvas.message.isHidden()
    window.panel.inspect_before_submit.setChecked(False)
    window.canvas.replace_mask((images[1] > np.percentile(images[1], 80)).astype(np.uint32))
    with qtbot.waitSignal(window.submitted, timeout=WAIT_MS):
        window.submit()
    _wait_idle(qtbot, window)
    assert window.browser.table.item(1, 5).text() == "1"

    # PgDown opens the next in the list; PgUp comes back, showing the stored label; a new submit is version 2.
    with qtbot.waitSignal(window.sample_shown, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert window.sample.sample_id == ids[2]
    _wait_idle(qtbot, window)
    with qtbot.waitSignal(window.sample_shown, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_PageUp)
    _wait_idle(qtbot, window)
    first = client.get_sample(ids[1], with_image=False).require("label")
    assert window.sample.sample_id == ids[1] and np.array_equal(window.canvas.editor.mask, first)
    window.canvas.replace_mask(np.zeros_like(first))
    with qtbot.waitSignal(window.submitted, timeout=WAIT_MS):
        window.submit()
    _wait_idle(qtbot, window)
    assert [v.version for v in client.label_history(ids[1])] == [1, 2]

    # The filter hides what does not match.
    window.browser.filter.setText("frame2")
    assert [window.browser.table.isRowHidden(r) for r in range(3)] == [True, True, False]
    window.close()


def test_menus_hold_every_action_and_f1_lists_the_shortcuts(qtbot, stack, gui_project):
    project, _ = gui_project
    window = _open_window(qtbot, stack, project)
    titles = [action.text() for action in window.menuBar().actions()]
    assert titles == ["&File", "&Edit", "&View", "&Tools", "&Label", "&Project", "&Help"]
    label_menu = dict(window.menus)["Label"]
    assert {"Next", "Skip", "Submit", "Inspect"} <= {a.text() for a in label_menu}
    qtbot.keyClick(window, Qt.Key.Key_F1)
    sheet = window.shortcut_sheet
    rows = {(sheet.table.item(r, 1).text(), sheet.table.item(r, 2).text()) for r in range(sheet.table.rowCount())}
    assert ("Submit", "Ctrl+S") in rows and ("Next", "N") in rows and ("Keyboard shortcuts", "F1, ?") in rows
    sheet.close()
    window.close()


@pytest.mark.parametrize("size", [(1366, 768), (1280, 800)])
def test_submit_stays_in_sight_on_a_laptop_and_a_tablet_screen(qtbot, stack, gui_project, size):
    project, _ = gui_project
    window = _open_window(qtbot, stack, project)
    window.resize(*size)
    qtbot.waitUntil(lambda: window.width() <= size[0] and window.height() <= size[1], timeout=WAIT_MS)
    QApplication.processEvents()
    for button in (window.panel.submit_button, window.panel.next_button):
        corner = button.mapTo(window, button.rect().bottomRight())
        top = button.mapTo(window, button.rect().topLeft())
        assert button.isVisible() and 0 <= top.y() and corner.y() <= window.height() and corner.x() <= window.width()
    window.close()


def test_the_lease_shows_its_time_left_and_is_renewed_while_the_sample_is_open(qtbot, stack, client, rng):
    images, _ = hela_sample()
    name = f"gui-lease-{os.getpid()}-{rng.integers(1 << 30)}"
    client.create_project(name, lease_seconds=4)
    client.add_sample(name, "only", images[0])
    window = _open_window(qtbot, stack, name)
    window.panel.auto_prelabel.setChecked(False)
    with qtbot.waitSignal(window.sample_shown, timeout=WAIT_MS):
        window.next_sample()
    qtbot.waitUntil(lambda: "left" in window.lease_label.text(), timeout=WAIT_MS)
    with qtbot.waitSignal(window.lease_renewed, timeout=WAIT_MS):
        pass  # renewed once less than half of the 4 s is left
    qtbot.wait(3000)  # past the first lease's end
    assert client.next_sample(name, "someone-else").exhausted  # still held by the window
    assert window.session.lease_left() > 0 and "lease 0:0" in window.lease_label.text()
    window.close()
