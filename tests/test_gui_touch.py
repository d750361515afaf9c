"""The canvas on a tablet, with touch and pen events synthesised through
Qt's test API: one finger draws with the brush, two fingers pan without
drawing, a palm is ignored while the pen is over the view, and pen
pressure scales the brush; the same tests again on a real X screen of a
tablet's size (Xvfb, 1280×800)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from labelassist.client.gui.canvas import LabelCanvas  # noqa: E402
from labelassist.client.gui.touch import pressure_radius  # noqa: E402


@pytest.fixture
def canvas(qtbot):
    widget = LabelCanvas()
    qtbot.addWidget(widget)
    widget.resize(500, 400)
    widget.show()
    widget.show_sample(np.full((200, 200), 100, np.uint16))
    widget.set_tool("brush")
    QApplication.processEvents()
    return widget


def _on_screen(canvas, row: float, col: float) -> QPoint:
    scene = canvas.view.mapViewToScene(QPointF(col, row))
    return canvas.graphics.mapFromScene(scene)


def _swipe(canvas, device, fingers: list[list[tuple[float, float]]]) -> None:
    """Each finger's path over image pixels (row, col), all moving together."""
    viewport = canvas.graphics.viewport()
    steps = len(fingers[0])
    for step in range(steps):
        sequence = QTest.touchEvent(viewport, device)
        for finger, path in enumerate(fingers):
            point = _on_screen(canvas, *path[step])
            if step == 0:
                sequence.press(finger, point)
            elif step == steps - 1:
                sequence.release(finger, point)
            else:
                sequence.move(finger, point)
        sequence.commit()
        QApplication.processEvents()


def test_one_finger_draws_and_two_fingers_pan(canvas):
    device = QTest.createTouchDevice()
    _swipe(canvas, device, [[(100, 60), (100, 80), (100, 100), (100, 120)]])
    painted = canvas.editor.mask > 0
    assert painted[100, 60:120].all() and painted.sum() < 2000
    canvas.undo()
    assert not (canvas.editor.mask > 0).any()  # one stroke, one undo step

    before = canvas.view.viewRange()
    _swipe(canvas, device, [[(50, 50), (60, 50), (70, 50)], [(50, 150), (60, 150), (70, 150)]])
    after = canvas.view.viewRange()
    assert not (canvas.editor.mask > 0).any()  # panning drew nothing
    assert after[1][0] < before[1][0] - 10  # the view followed the fingers down by about 20 rows


def test_a_palm_draws_nothing_while_the_pen_is_over_the_view_and_pressure_sizes_the_brush(canvas):
    stylus = QPointingDevice("test pen", 7, QInputDevice.DeviceType.Stylus, QPointingDevice.PointerType.Pen,
                             QInputDevice.Capability.Position | QInputDevice.Capability.Pressure, 1, 2)
    viewport = canvas.graphics.viewport()
    canvas.brush_radius = 6.0

    def pen(kind, pressure: float, buttons) -> None:
        where = QPointF(_on_screen(canvas, 100, 100))
        QApplication.sendEvent(viewport, QTabletEvent(kind, stylus, where, viewport.mapToGlobal(where), pressure,
                                                      0, 0, 0, 0, 0, Qt.KeyboardModifier.NoModifier,
                                                      Qt.MouseButton.LeftButton, buttons))

    pen(QEvent.Type.TabletMove, 0.0, Qt.MouseButton.NoButton)  # hovering
    _swipe(canvas, QTest.createTouchDevice(), [[(40, 40), (40, 60), (40, 80)]])
    assert not (canvas.editor.mask > 0).any()
    pen(QEvent.Type.TabletPress, 1.0, Qt.MouseButton.LeftButton)
    assert canvas.brush_radius == pytest.approx(pressure_radius(6.0, 1.0)) and canvas.brush_radius > 6.0
    pen(QEvent.Type.TabletMove, 0.2, Qt.MouseButton.LeftButton)
    assert canvas.brush_radius == pytest.approx(pressure_radius(6.0, 0.2)) and canvas.brush_radius < 6.0
    pen(QEvent.Type.TabletRelease, 0.0, Qt.MouseButton.NoButton)
    assert canvas.brush_radius == 6.0  # the chosen size again
    canvas.touch.pen_seen = float("-inf")  # the pen went away
    _swipe(canvas, QTest.createTouchDevice(), [[(40, 40), (40, 60), (40, 80)]])
    assert (canvas.editor.mask > 0).any()


def test_touch_and_pen_on_a_real_x_screen_of_a_tablets_size(tmp_path):
    """The two tests above under Xvfb at 1280×800 through Qt's xcb platform,
    where touch and tablet events take the window system's path."""
    if QApplication.platformName() == "xcb":
        pytest.skip("this run is already on the X screen")
    if shutil.which("xvfb-run") is None:
        pytest.skip("needs Debian's xvfb (make system-packages)")
    tests = [f"{__file__}::{name}" for name in ("test_one_finger_draws_and_two_fingers_pan",
                                                 "test_a_palm_draws_nothing_while_the_pen_is_over_the_view_and_"
                                                 "pressure_sizes_the_brush")]
    run = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", sys.executable, "-m", "pytest", "-q",
                          "-p", "no:cacheprovider", "--disable-warnings", *tests],
                         env={**os.environ, "QT_QPA_PLATFORM": "xcb"}, capture_output=True, text=True, timeout=300,
                         cwd=tmp_path)
    assert run.returncode == 0 and "2 passed" in run.stdout, run.stdout[-4000:] + run.stderr[-2000:]


def test_large_targets_make_every_control_a_finger_wide(qtbot, stack, gui_project):
    from PySide6.QtWidgets import QToolBar

    from labelassist.client.gui.app import Connection, MainWindow

    project, _ = gui_project
    window = MainWindow(Connection.from_addresses(stack.addresses), annotator="tablet", project=project,
                        next_after_submit=False)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitUntil(lambda: window.calls.in_flight == 0, timeout=60_000)
    window.named_actions["Large targets for touch"].trigger()
    QApplication.processEvents()
    assert all(bar.iconSize().height() == 48 for bar in window.findChildren(QToolBar))
    assert window.panel.submit_button.height() >= 48 and window.panel.next_button.height() >= 48
    corner = window.panel.submit_button.mapTo(window, window.panel.submit_button.rect().bottomRight())
    assert window.panel.submit_button.isVisible() and corner.y() <= window.height()  # still in sight at 1280×800
    window.named_actions["Large targets for touch"].trigger()
    assert all(bar.iconSize().height() == 24 for bar in window.findChildren(QToolBar))
    window.close()


def test_the_window_layout_is_remembered_between_sessions(qtbot, stack, gui_project, tmp_path):
    """Size, docks and large targets as the annotator left them: a second
    window on the same settings starts that way."""
    from PySide6.QtCore import QSettings

    from labelassist.client.gui.app import Connection, MainWindow

    project, _ = gui_project
    settings_file = str(tmp_path / "layout.ini")

    def open_window() -> MainWindow:
        window = MainWindow(Connection.from_addresses(stack.addresses), annotator="tablet", project=project,
                            settings=QSettings(settings_file, QSettings.Format.IniFormat))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.calls.in_flight == 0, timeout=60_000)
        return window

    first = open_window()
    first.resize(900, 700)  # not the size a new window gets on this screen
    QApplication.processEvents()
    size = (first.width(), first.height())
    first.browser.hide()
    first.named_actions["Large targets for touch"].trigger()
    QApplication.processEvents()
    first.close()

    second = open_window()
    assert (second.width(), second.height()) == size != (1400, 900)  # not the size a new window gets
    assert not second.browser.isVisible() and second.panel.isVisible()
    assert second.named_actions["Large targets for touch"].isChecked()
    assert second.panel.submit_button.height() >= 48
    second.close()
