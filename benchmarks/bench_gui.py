"""Desktop client responsiveness (offscreen Qt, or a real screen under Xvfb):

1. Brush-stroke repaint on a 2048² image: one mouse-move step of a stroke
   (stamp into the mask, recolour the touched window, redraw the view),
   against a full overlay recolour and redraw in the same run.
2. Next → image on screen → pre-label on screen, against a local stack
   (default pipeline, the bundled HeLa crops scaled to 1024² and 2048²).
3. The sample list of a 100,000-sample project: from choosing the project
   to its first page listed, and the next page as the list scrolls.

    python benchmarks/bench_gui.py      # offscreen Qt (the drawing work without a compositor)
    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" python benchmarks/bench_gui.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from common import footer, machine, write_results  # noqa: E402

from labelassist.client.gui.app import Connection, MainWindow  # noqa: E402
from labelassist.client.sdk import LabelAssistClient  # noqa: E402
from labelassist.io.bundled import hela_sample  # noqa: E402
from labelassist.stack import temporary_stack  # noqa: E402


def redraw(window: MainWindow) -> None:
    """Paint the view now, as the next frame would."""
    window.canvas.graphics.viewport().repaint()
    QApplication.processEvents()


def brush_repaint(window: MainWindow, size: int, repeats: int = 60) -> dict:
    image = np.kron(hela_sample()[0][0], np.ones((size // 256, size // 256), np.uint16))
    mask = np.kron(hela_sample()[1][0], np.ones((size // 256, size // 256), np.uint32))
    window.canvas.show_sample(image, mask)
    window.set_tool("brush")
    redraw(window)
    canvas = window.canvas
    stroke, full = [], []
    row, col = size // 2, size // 4
    canvas.stroke_start((row, col), False, True)
    for step in range(repeats):
        started = time.perf_counter()
        canvas.stroke_to((row + (step % 7), col + 4 * step))
        redraw(window)
        stroke.append(time.perf_counter() - started)
    canvas.stroke_end()
    for _ in range(max(repeats // 4, 5)):
        started = time.perf_counter()
        canvas.refresh()
        redraw(window)
        full.append(time.perf_counter() - started)
    return {"size": size, "brush_radius": canvas.brush_radius, "stroke_step_ms": 1e3 * statistics.median(stroke),
            "stroke_step_p95_ms": 1e3 * sorted(stroke)[int(0.95 * len(stroke))],
            "full_recolour_ms": 1e3 * statistics.median(full)}


def next_to_screen(addresses, size: int, samples: int = 9, project: str = "", painted: bool = False) -> dict:
    """Next → image set in the view, and → pre-label shown; with ``painted``
    also → image painted (the view repainted the moment the image is set)."""
    images = hela_sample()[0]
    project = project or f"bench-gui-{size}"
    with LabelAssistClient(addresses) as client:
        client.create_project(project)
        for index in range(samples):
            image = np.kron(images[index % len(images)], np.ones((size // 256, size // 256), np.uint16))
            client.add_sample(project, f"s{index}", image)
    window = MainWindow(Connection.from_addresses(addresses), "bench", project, next_after_submit=False)
    window.show()
    while window.calls.in_flight:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    image_times, prelabel_times, painted_times = [], [], []
    if painted:
        window.sample_shown.connect(lambda: (redraw(window),
                                             painted_times.append(time.perf_counter() - window.next_started)))
    for _ in range(samples):
        loop = QEventLoop()
        window.prelabel_shown.connect(loop.quit)
        QTimer.singleShot(120_000, loop.quit)
        window.next_sample()
        loop.exec()
        window.prelabel_shown.disconnect(loop.quit)
        redraw(window)
        image_times.append(window.timings["next_to_image"])
        prelabel_times.append(window.timings["next_to_prelabel"])
        window.dirty = False
    window.close()
    found = {"size": size, "samples": samples, "next_to_image_ms": 1e3 * statistics.median(image_times),
             "next_to_prelabel_ms": 1e3 * statistics.median(prelabel_times)}
    if painted:
        found["next_to_image_painted_ms"] = 1e3 * statistics.median(painted_times)
    return found


def browser_open(addresses, count: int = 100_000, repeats: int = 3) -> dict:
    """Seconds from showing a project in the sample list to its first page
    on screen, and for one more page (as when scrolled to the end)."""
    project = "bench-gui-pool"
    with LabelAssistClient(addresses, timeout=600) as client:
        client.create_project(project)
        started = time.perf_counter()
        client.add_samples(project, ({"stem": f"s{i:06d}", "image": np.full((8, 8), i % 65535, np.uint16)}
                                     for i in range(count)))
        registered = time.perf_counter() - started
    window = MainWindow(Connection.from_addresses(addresses), "bench", next_after_submit=False)
    window.show()
    first, more = [], []
    for _ in range(repeats):
        for times, action in ((first, lambda: window.browser.show_project(project)), (more, window.browser.more)):
            loop = QEventLoop()
            window.browser.loaded.connect(loop.quit)
            QTimer.singleShot(120_000, loop.quit)
            started = time.perf_counter()
            action()
            loop.exec()
            window.browser.loaded.disconnect(loop.quit)
            redraw(window)
            times.append(time.perf_counter() - started)
    rows = window.browser.table.rowCount()
    window.close()
    return {"samples": count, "register_s": registered, "first_page_s": statistics.median(first),
            "next_page_s": statistics.median(more), "rows_listed": rows}


def open_window(addresses) -> MainWindow:
    """The desktop client as the brush measurements see it: 1400×900, shown."""
    window = MainWindow(Connection.from_addresses(addresses), "bench")
    window.resize(1400, 900)
    window.show()
    return window


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    with temporary_stack() as addresses:
        window = open_window(addresses)
        brush = [brush_repaint(window, size) for size in (1024, 2048)]
        # The strokes are edits: on a real screen, closing would ask (modally) whether to drop them.
        window.dirty = False
        window.close()
        loads = [next_to_screen(addresses, size) for size in (1024, 2048)]
        pool = browser_open(addresses)
    lines = ["# Desktop client responsiveness", "",
             f"Qt platform: {QApplication.platformName()}; window 1400×900. Medians.", "",
             "| image | brush step (stamp + recolour window + redraw) | p95 | full overlay recolour + redraw |",
             "|---|---:|---:|---:|"]
    lines += [f"| {b['size']}² | {b['stroke_step_ms']:.1f} ms | {b['stroke_step_p95_ms']:.1f} ms | "
              f"{b['full_recolour_ms']:.1f} ms |" for b in brush]
    lines += ["", "| image | Next → image on screen | Next → pre-label on screen (default pipeline) |",
              "|---|---:|---:|"]
    lines += [f"| {r['size']}² | {r['next_to_image_ms']:.0f} ms | {r['next_to_prelabel_ms']:.0f} ms |"
              for r in loads]
    lines += ["", f"Sample list of a {pool['samples']:,}-sample project (registered through AddSamples in "
              f"{pool['register_s']:.0f} s): first page on screen {pool['first_page_s']:.2f} s, the next page "
              f"{pool['next_page_s']:.2f} s (median of 3; {pool['rows_listed']} rows listed, pages of 500)."]
    info = machine()
    command = "python benchmarks/bench_gui.py" if QApplication.platformName() == "offscreen" else \
        'QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" python benchmarks/bench_gui.py'
    lines += footer(info, command, "; the stack on the same machine")
    table = "\n".join(lines)
    platform = QApplication.platformName()
    write_results("gui" if platform == "offscreen" else f"gui_{platform}",
                  {"brush": brush, "next": loads, "pool": pool, "machine": info, "platform": platform}, table)
    print(table)
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
