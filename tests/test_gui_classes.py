"""Classes and agreement in the desktop client, through Qt (offscreen)
against the real stack: the class palette from the project's schema, class
pre-labels drawn in their colours and corrected with a key, a new object
in the current class, Submit storing the classes; and the agreement over
time dialog, plotted from the selector's AgreementOverTime."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")
from PySide6.QtCore import Qt  # noqa: E402

from labelassist.client.class_palette import object_centres, rgb  # noqa: E402
from labelassist.client.gui.class_overlay import colour_by_lookup, recolour_window  # noqa: E402
from labelassist.client.gui.agreement import AgreementController, chart  # noqa: E402
from test_agreement_over_time import HALF  # noqa: E402
from test_agreement_overlap import MISSES_TWO, REFERENCE, image  # noqa: E402
from test_class_prelabels import labelled_project  # noqa: E402
from test_gui import WAIT_MS, _drag, _emptiest_point, _open_window, _wait_idle  # noqa: E402


def test_class_prelabels_are_corrected_with_a_key_and_submitted_with_the_mask(qtbot, stack, client):
    labelled_project(client, "gui-classes", seed=31)
    window = _open_window(qtbot, stack, "gui-classes")
    qtbot.waitUntil(lambda: list(window.classes.object_buttons) == ["big", "small"], timeout=WAIT_MS)
    assert window.classes.isVisible() and window.classes.object_buttons["big"].text() == "big  (1)"
    palette = window.session.classes
    with qtbot.waitSignal(window.prelabel_shown, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_N)
    _wait_idle(qtbot, window)
    mask = window.canvas.editor.mask.copy()
    guessed = {i: g.predicted_class for i, g in window.session.class_guesses.objects.items()}
    assert guessed and set(guessed) == set(np.unique(mask).tolist()) - {0}
    lookup = window.canvas.id_colours
    colours = {d.name: rgb(d.colour) for d in palette.schema.object_classes}
    assert all(tuple(lookup[i][:3]) == colours[name] for i, name in guessed.items())
    assert len(window.classes.layer.captions) == len(guessed)

    # J jumps to the least sure guess; the other class's key corrects it.
    qtbot.keyClick(window, Qt.Key.Key_J)
    least = palette.selected
    assert least == min(guessed, key=lambda i: (window.session.class_guesses.objects[i].confidence, i))
    other = "small" if guessed[least] == "big" else "big"
    qtbot.keyClick(window, Qt.Key.Key_2 if other == "small" else Qt.Key.Key_1)
    assert palette.objects[least].name == other and palette.current == other
    assert f"object {least}, {other} (set by you)" in window.classes.selected_label.text()

    # A click on background deselects; the palette's "big" becomes current; a new object drawn gets it.
    window.canvas.object_clicked.emit(0)
    window.classes.click_class("big")
    assert palette.objects[least].name == other
    window.canvas.view.autoRange(padding=0.02)  # J zoomed in on the guess
    row, col = _emptiest_point(mask)
    window.set_tool("brush")
    window.tools.brush_size.setValue(4)
    _drag(window, [(row, col - 3), (row, col), (row, col + 3)])
    drawn = int(window.canvas.editor.mask[row, col])
    assert drawn not in guessed and palette.objects[drawn].name == "big" and palette.selected == drawn

    window.panel.inspect_before_submit.setChecked(False)
    sample_id = window.sample.sample_id
    with qtbot.waitSignal(window.submitted, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert client.label_history(sample_id)[-1].object_classes == {**guessed, least: other, drawn: "big"}
    _wait_idle(qtbot, window)

    # The shortcut sheet (F1) lists the class keys.
    window.show_shortcuts()
    sheet = window.shortcut_sheet.table
    rows = [[sheet.item(r, c).text() for c in range(3)] for r in range(sheet.rowCount())]
    assert ["Classes", "big (object class)", "1"] in rows and ["Classes", "small (object class)", "2"] in rows
    window.shortcut_sheet.close()
    window.close()


def _drawn_as_from_scratch(window) -> bool:
    """The overlay and captions are what recolouring and captioning the whole mask would give."""
    canvas, palette = window.canvas, window.session.classes
    expected = palette.captions(object_centres(canvas.editor.mask))
    written = {i: (item.text(), (item.pos().y() - 0.5, item.pos().x() - 0.5))
               for i, item in window.classes.layer.captions.items()}
    return np.array_equal(canvas._rgba, colour_by_lookup(canvas.editor.mask, canvas.id_colours)) and \
        set(written) == set(expected) and all(written[i][0] == expected[i][0] and
                                               np.allclose(written[i][1], expected[i][1]) for i in expected)


def test_recolouring_a_window_matches_recolouring_everything():
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 4, (30, 40)).astype(np.uint32)
    lookup = np.array([[0, 0, 0, 0], [255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255]], np.uint8)
    rgba = colour_by_lookup(ids, lookup)
    ids[10:14, 0:6] = 3  # at the image's edge: the window's rim is clipped
    recolour_window(rgba, ids, (slice(10, 14), slice(0, 6)), lookup)
    assert np.array_equal(rgba, colour_by_lookup(ids, lookup))


def test_an_edit_recolours_and_recaptions_only_what_it_changed(qtbot, stack, client):
    labelled_project(client, "gui-classes-edit", seed=33)
    window = _open_window(qtbot, stack, "gui-classes-edit")
    qtbot.waitUntil(lambda: list(window.classes.object_buttons) == ["big", "small"], timeout=WAIT_MS)
    _wait_idle(qtbot, window)
    mask = np.zeros((120, 160), np.uint32)
    mask[10:30, 10:30], mask[10:30, 60:90], mask[70:100, 20:50] = 1, 2, 3
    canvas, palette, layer = window.canvas, window.session.classes, window.classes.layer
    canvas.show_sample(np.zeros(mask.shape, np.uint16), mask)
    palette.start({1: "big", 2: "small", 3: "big"})
    window.classes.show_classes()
    items = dict(layer.captions)
    assert _drawn_as_from_scratch(window) and set(items) == {1, 2, 3}

    canvas.set_tool("brush")
    canvas.stroke_start((20, 28), False, False)  # grows object 1 into the background beside it
    canvas.stroke_to((20, 40))
    canvas.stroke_end()
    assert canvas.edited_window is not None and canvas.edited_window[1].stop <= 50
    assert _drawn_as_from_scratch(window) and layer.captions == items  # the same items, object 1's moved
    canvas.stroke_start((60, 120), False, True)  # a new object, in the current class
    canvas.stroke_to((60, 130))
    canvas.stroke_end()
    assert palette.class_of(4) == palette.current and _drawn_as_from_scratch(window)
    assert all(layer.captions[i] is items[i] for i in items)
    window.classes.select(3)
    window.classes.click_class("small")
    assert layer.written[3][0] == "3 small" and layer.captions[3] is items[3] and _drawn_as_from_scratch(window)
    canvas.undo()
    assert 4 not in layer.captions and _drawn_as_from_scratch(window)
    canvas.redo()
    assert 4 in layer.captions and _drawn_as_from_scratch(window)
    window.dirty = False
    window.close()


def test_shift_clicked_objects_are_re_classed_together_by_one_key(qtbot, stack, client):
    labelled_project(client, "gui-classes-several", seed=33)
    window = _open_window(qtbot, stack, "gui-classes-several")
    qtbot.waitUntil(lambda: list(window.classes.object_buttons) == ["big", "small"], timeout=WAIT_MS)
    with qtbot.waitSignal(window.prelabel_shown, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_N)
    _wait_idle(qtbot, window)
    palette = window.session.classes
    first, second, *_ = sorted(set(np.unique(window.canvas.editor.mask).tolist()) - {0})
    window.classes.select(first, add=False)
    window.classes.select(second, add=True)
    assert palette.selection == [first, second]
    assert "selected: 2 objects" in window.classes.selected_label.text()
    assert len(window.canvas._highlights) == 2
    qtbot.keyClick(window, Qt.Key.Key_2)
    assert palette.objects[first].name == palette.objects[second].name == "small"
    qtbot.keyClick(window, Qt.Key.Key_1)
    assert palette.objects[first].name == palette.objects[second].name == "big"
    window.close()


def test_a_segmentation_project_shows_no_palette_and_colours_by_instance(qtbot, stack, gui_project):
    project, _ = gui_project
    window = _open_window(qtbot, stack, project)
    _wait_idle(qtbot, window)
    assert not window.classes.isVisible() and window.canvas.id_colours is None
    window.close()


@pytest.fixture
def improving(client):
    """Four samples alice and bob both label: bob misses two objects on the first two, none on the last two."""
    name = f"gui-agreement-{os.getpid()}-{np.random.default_rng().integers(1 << 30)}"
    client.create_project(name)
    for index in range(4):
        sample_id = client.add_sample(name, f"s{index}", image(index))
        client.submit_label(sample_id, "alice", REFERENCE)
        client.submit_label(sample_id, "bob", MISSES_TWO if index < 2 else REFERENCE)
    return name


def test_agreement_over_time_is_charted_per_window_for_the_project_and_each_annotator(client, improving):
    found = AgreementController(client).over_time_call(improving, "labels", 2)()
    assert found.ticks == ["1-2", "3-4"] and [s.name for s in found.series] == ["project", "alice", "bob"]
    assert found.series[0].x == [0, 1] and found.series[0].f1 == [HALF, 1.0]
    assert found.series[0].low[0] <= found.series[0].f1[0] <= found.series[0].high[0]
    assert found.summary() == "project F1 0.67 in 1-2 → 1.00 in 3-4 (2 annotators)"
    with pytest.raises(ValueError, match="'window' must be one of week, labels, got 'day'"):
        AgreementController(client).over_time_call(improving, "day")


def test_an_empty_answer_says_what_agreement_needs():
    from labelassist.proto.v1 import selector_pb2

    empty = chart(selector_pb2.AgreementOverTimeResponse(window="week"))
    assert empty.empty and empty.summary().startswith("No agreement yet")


def test_the_agreement_dialog_plots_the_project_and_each_annotator(qtbot, stack, improving):
    window = _open_window(qtbot, stack, improving)
    window.agreement.open()
    dialog = window.agreement.dialog
    qtbot.waitUntil(lambda: dialog.chart is not None, timeout=WAIT_MS)  # per calendar week first
    assert len(dialog.chart.ticks) == 1
    dialog.per_window.setValue(2)
    with qtbot.waitSignal(dialog.shown, timeout=WAIT_MS):
        dialog.windows.setCurrentIndex(1)  # per N labels
    assert dialog.chart.ticks == ["1-2", "3-4"]
    names = [item.name() for item in dialog.plot.getPlotItem().listDataItems()]
    assert names == ["project (4 labels)", "alice (4 labels)", "bob (4 labels)"]
    assert dialog.summary.text() == dialog.chart.summary()
    _wait_idle(qtbot, window)
    window.close()


def test_switching_to_a_project_without_classes_hides_the_palette(qtbot, stack, client, gui_project):
    project, _ = gui_project
    labelled_project(client, "gui-classes-switch", seed=32)
    window = _open_window(qtbot, stack, "gui-classes-switch")
    qtbot.waitUntil(lambda: list(window.classes.object_buttons) == ["big", "small"], timeout=WAIT_MS)
    window.panel.project_combo.setCurrentText(project)
    qtbot.waitUntil(lambda: not window.classes.object_buttons, timeout=WAIT_MS)
    assert not window.classes.isVisible() and window.session.classes.current == ""
    assert [a for a in window.actions() if a.text().endswith(" class)")] == []
    _wait_idle(qtbot, window)
    window.close()
