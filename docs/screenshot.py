"""Screenshots of the desktop client for the README, on a real screen
(Xvfb), against a real stack on the bundled HeLa crops:

* ``empty.png``: the first screen, before a project is picked (1366×768);
* ``annotating.png``: Next (image and pre-label), a blob painted on
  background with the brush, Inspect, the first warning selected;
* ``review.png``: a reviewer's queue ("to review"), a submitted label open
  with its comment box;
* ``multichannel.png``: a two-channel sample (nuclei and a cell-body
  stain) with the Channels dock;
* ``tablet.png``: the window at 1280×800 with large touch targets.

    make screenshot      # = xvfb-run -a python docs/screenshot.py docs/screenshots
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication
from scipy import ndimage

from labelassist.client.gui.app import Connection, MainWindow
from labelassist.client.sdk import LabelAssistClient
from labelassist.demo import PROJECT, register_sample
from labelassist.io.bundled import hela_sample
from labelassist.stack import temporary_stack

MULTICHANNEL = "hela-two-channels"


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


def open_window(addresses, project: str | None, size: tuple[int, int], annotator: str = "screenshot") -> MainWindow:
    # A layout of its own: the screenshots never read or change the user's saved one.
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "layout.ini"), QSettings.Format.IniFormat)
    window = MainWindow(Connection.from_addresses(addresses), annotator, project, next_after_submit=False,
                        settings=settings)
    window.resize(*size)
    window.show()
    settle(window)
    return window


def save(window: MainWindow, path: Path) -> None:
    settle(window, 800)
    window.grab().save(str(path))
    print(f"wrote {path} ({window.width()}×{window.height()}, {QApplication.platformName()} platform)")
    window.dirty = False
    window.close()


def empty(addresses, folder: Path) -> None:
    save(open_window(addresses, None, (1366, 768)), folder / "empty.png")


def annotating(addresses, folder: Path) -> None:
    window = open_window(addresses, PROJECT, (1560, 1060))
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
    save(window, folder / "annotating.png")


def review(addresses, folder: Path) -> None:
    with LabelAssistClient(addresses) as client:
        for _ in range(2):  # two labels submitted by an annotator
            sample_id = client.next_sample(PROJECT, "ana").sample.sample_id
            mask = client.prelabel(None, postprocess=["relabel"], sample_id=sample_id).mask
            client.submit_label(sample_id, "ana", mask, origin="accepted_prelabel")
    window = open_window(addresses, PROJECT, (1560, 1060), annotator="rita")
    window.browser.state.setCurrentText("to review")
    settle(window, 1000)
    window.browser.open_row(0)
    wait_for(window.sample_shown)
    window.review_comment.setText("the dim nucleus at the top edge is missing")
    window.panel_scroll.ensureWidgetVisible(window.review_comment, 0, 120)
    save(window, folder / "review.png")


def multichannel(addresses, folder: Path) -> None:
    images, _ = hela_sample()
    nuclei = images[0].astype(np.float32)
    body = ndimage.gaussian_filter(ndimage.grey_dilation(nuclei, size=15), 4)  # a cell-body stain around them
    two = np.stack([nuclei, body * 0.6], axis=-1).astype(np.uint16)
    with LabelAssistClient(addresses) as client:
        client.create_project(MULTICHANNEL, preprocess=[("channel", {"index": 0})])
        client.add_sample(MULTICHANNEL, "hela-two-channels", two)
    window = open_window(addresses, MULTICHANNEL, (1560, 1060))
    window.next_sample()
    wait_for(window.prelabel_shown)
    window.channel_panel.show()
    window.canvas.view.autoRange(padding=0.02)
    save(window, folder / "multichannel.png")


def tablet(addresses, folder: Path) -> None:
    window = open_window(addresses, PROJECT, (1280, 800))
    window.named_actions["Large targets for touch"].trigger()
    window.next_sample()
    wait_for(window.prelabel_shown)
    window.canvas.view.autoRange(padding=0.02)
    save(window, folder / "tablet.png")


def main(folder: Path) -> int:
    QApplication.instance() or QApplication(sys.argv)
    folder.mkdir(parents=True, exist_ok=True)
    with temporary_stack() as addresses:
        with LabelAssistClient(addresses) as client:
            register_sample(client)
        for shot in (empty, annotating, review, multichannel, tablet):
            shot(addresses, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
