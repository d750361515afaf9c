"""The desktop client on the annotator's screen, against the real stack: it
fits a laptop's screen with Submit in reach, shows a dim 16-bit image
stretched, and speaks in plain words (the technical ones in tooltips and
details)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from labelassist.client.gui.app import Connection, MainWindow  # noqa: E402

WAIT_MS = 60_000
# Opens the client on an offscreen screen of the given size and reports where its window and Submit lie.
ON_A_SCREEN = """
import json, sys
from PySide6.QtWidgets import QApplication
from labelassist.client.gui.app import Connection, MainWindow
from labelassist.client.sdk import ServiceAddresses
app = QApplication([])
window = MainWindow(Connection.from_addresses(ServiceAddresses(*sys.argv[1:4])), annotator="small", project=None)
window.show()
while window.calls.in_flight:
    app.processEvents()
submit = window.panel.submit_button
corner = submit.mapTo(window, submit.rect().topLeft())
rect = lambda r: [r.x(), r.y(), r.width(), r.height()]
print(json.dumps({"screen": rect(window.screen().availableGeometry()), "window": rect(window.frameGeometry()),
                  "inside": [window.width(), window.height()], "submit": [corner.x(), corner.y(), submit.width(),
                  submit.height()], "shown": submit.isVisible(), "error": window.last_error}))
"""


@pytest.mark.parametrize("width, height", [(1366, 768), (1280, 800)])
def test_the_window_fits_a_laptop_screen_with_submit_in_reach(width, height, stack, tmp_path):
    screens = tmp_path / "screen.json"
    screens.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": width, "height": height,
                                                "logicalDpi": 96}]}))
    addresses = stack.addresses
    opened = subprocess.run([sys.executable, "-c", ON_A_SCREEN, addresses.selector, addresses.assist,
                             addresses.inspect], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={screens}"})
    assert opened.returncode == 0, opened.stderr
    found = json.loads(opened.stdout.strip().splitlines()[-1])
    assert found["error"] is None and found["screen"] == [0, 0, width, height]
    left, top, window_width, window_height = found["window"]
    assert left >= 0 and top >= 0 and left + window_width <= width and top + window_height <= height
    x, y, submit_width, submit_height = found["submit"]
    assert found["shown"] and x >= 0 and y >= 0
    assert x + submit_width <= found["inside"][0] and y + submit_height <= found["inside"][1]


def _open(qtbot, stack, project: str | None, connection: Connection | None = None) -> MainWindow:
    window = MainWindow(connection or Connection.from_addresses(stack.addresses), annotator="plain",
                        project=project, next_after_submit=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.calls.in_flight == 0, timeout=WAIT_MS)
    return window


def test_a_dim_16_bit_image_opens_contrast_stretched(qtbot, stack, client, rng):
    """A camera's 16-bit image spans a few hundred levels; one hot pixel
    would leave the rest black between the image's minimum and maximum."""
    image = rng.integers(300, 700, (128, 128)).astype(np.uint16)
    image[5, 5] = 60000
    project = f"dim-{os.getpid()}-{rng.integers(1 << 30)}"
    client.create_project(project)
    client.add_sample(project, "dim", image)
    window = _open(qtbot, stack, project)
    with qtbot.waitSignal(window.sample_shown, timeout=WAIT_MS):
        window.next_sample()
    low, high = window.canvas.image_item.getLevels()
    assert 300 <= low < 320 and 680 < high < 700
    window.close()


def test_the_annotator_reads_plain_words_and_the_analyst_finds_the_technical_ones(qtbot, stack, gui_project):
    window = _open(qtbot, stack, gui_project[0])
    with qtbot.waitSignal(window.prelabel_shown, timeout=WAIT_MS):
        window.next_sample()
    assert "lease via" not in window.panel.sample_label.text() and "picked for you" in window.panel.sample_label.text()
    assert "strategy" in window.panel.sample_label.toolTip()
    refine = {window.panel.refine_combo.itemText(i): window.panel.refine_combo.itemData(i)
              for i in range(window.panel.refine_combo.count())}
    assert refine["Grow from scribbles"] == "random_walker" and "random_walker" not in refine
    methods = [window.panel.method_combo.itemText(i) for i in range(window.panel.method_combo.count())]
    assert "Trained model" in methods and "unet" not in methods
    qtbot.waitUntil(lambda: window.calls.in_flight == 0, timeout=WAIT_MS)
    assert window.panel.method_combo.itemText(0).startswith("Automatic (project settings): Threshold (Li)")
    assert "median" in window.panel.method_combo.itemData(0, 3)  # the tooltip: the steps that ran
    window.close()


def test_a_connection_failure_reads_as_a_sentence_with_the_grpc_text_as_details(qtbot, stack):
    nowhere = Connection("127.0.0.1:1", "127.0.0.1:1", "127.0.0.1:1")
    window = _open(qtbot, stack, None, nowhere)
    assert "UNAVAILABLE" in window.last_error  # kept for the analyst
    shown = window.statusBar().currentMessage()
    assert "cannot be reached" in shown and "UNAVAILABLE" not in shown and "ipv4" not in shown
    assert "UNAVAILABLE" in window.statusBar().toolTip()
    window.close()
