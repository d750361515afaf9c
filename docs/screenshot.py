"""Screenshot of the desktop client for the README, on a real screen (Xvfb):
the stack on the bundled HeLa crops, Next (image and pre-label), a blob
painted on background with the brush, Inspect, the first warning selected.

    make screenshot      # = xvfb-run -a python docs/screenshot.py docs/screenshot.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy import ndimage
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from labelassist.client.gui.app import Connection, MainWindow
from labelassist.client.sdk import LabelAssistClient
from labelassist.demo import PROJECT, register_sample
from labelassist.stack import temporary_stack


def wait_for(signal, timeout_s: float = 120) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()


def settle(window: MainWindow, ms: int = 300) -> None:
    while window.calls.in_flight:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main(output: Path) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    with temporary_stack() as addresses:
        with LabelAssistClient(addresses) as client:
            register_sample(client)
        window = MainWindow(Connection.from_addresses(addresses), "screenshot", PROJECT)
        window.resize(1560, 1060)
        window.show()
        settle(window)
        window.display_combo.setCurrentText("clahe")
        window.next_sample()
        wait_for(window.prelabel_shown)
        settle(window)
        # A blob painted on background: the kind of slip inspection catches.
        far = ndimage.distance_transform_edt(np.pad(window.canvas.editor.mask == 0, 1))[1:-1, 1:-1]
        row, col = (int(v) for v in np.unravel_index(np.argmax(far), far.shape))
        window.set_tool("brush")
        window.canvas.stroke_start((row, col), False, True)
        window.brush_size.setValue(7)
        window.canvas.stroke_to((row + 8, col + 6))
        window.canvas.stroke_end()
        window.inspect()
        wait_for(window.inspected)
        settle(window)
        boxed = [i for i, f in enumerate(window.findings) if len(f.boxes)]
        blob = [i for i in boxed if window.findings[i].criterion == "background_intensity"]
        if boxed:
            window.warnings.setCurrentRow((blob or boxed)[0])
        window.canvas.view.autoRange(padding=0.02)
        window.panel_scroll.ensureWidgetVisible(window.warnings, 0, 200)
        settle(window, 800)
        output.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(output))
        print(f"wrote {output} ({QApplication.platformName()} platform)")
        window.dirty = False
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot.png")))
