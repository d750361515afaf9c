"""A classes project's brush stroke in the desktop client (offscreen Qt):
2048² mask with round objects in two classes, each drawn in its class's
colour with its "id class" caption. Measures one mouse-move step of a
stroke, the end of a stroke (the new object takes the current class:
colours and captions brought up to date, the view redrawn), a re-class of
one object (a class click), and, in the same run, the whole-overlay
recolour and caption rebuild every edit would cost without the changed
box, and the same strokes in a segmentation project (no classes).

    python benchmarks/bench_gui_classes.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from skimage import draw  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from bench_gui import open_window, redraw  # noqa: E402
from common import publish  # noqa: E402

from labelassist.client.gui.app import MainWindow  # noqa: E402
from labelassist.client.results import ClassDefinition, ClassSchema  # noqa: E402
from labelassist.stack import temporary_stack  # noqa: E402

SCHEMA = ClassSchema((ClassDefinition("round", "#ff3030"), ClassDefinition("other", "#30a0ff")))


def objects_mask(size: int, count: int) -> np.ndarray:
    """``count`` disks on a grid, ids 1..count, background between them."""
    mask = np.zeros((size, size), np.uint32)
    per_row = int(np.ceil(np.sqrt(count)))
    spacing = size // per_row
    for index in range(count):
        centre = (spacing // 2 + spacing * (index // per_row), spacing // 2 + spacing * (index % per_row))
        rows, cols = draw.disk(centre, spacing // 3, shape=mask.shape)
        mask[rows, cols] = index + 1
    return mask


def median_ms(times: list[float]) -> float:
    return 1e3 * statistics.median(times)


def shown(ms: float | None) -> str:
    return "—" if ms is None else f"{ms:.1f} ms"


def classes_stroke(window: MainWindow, size: int, count: int, schema: ClassSchema = SCHEMA, strokes: int = 7,
                   steps: int = 8) -> dict:
    canvas, view = window.canvas, window.classes
    mask = objects_mask(size, count)
    image = np.random.default_rng(0).integers(0, 4000, (size, size), dtype=np.uint16)
    view.build(schema)
    canvas.show_sample(image, mask)
    window.session.classes.start({i: SCHEMA.object_classes[i % 2].name for i in range(1, count + 1)})
    view.show_classes()
    window.set_tool("brush")
    redraw(window)
    spacing = size // int(np.ceil(np.sqrt(count)))
    step_times, end_times, reclass_times, full_times = [], [], [], []
    for stroke in range(strokes):
        row, col = spacing * (stroke + 1) - 3, spacing // 2  # along the background between object rows
        canvas.stroke_start((row, col), False, True)
        for step in range(steps):
            started = time.perf_counter()
            canvas.stroke_to((row, col + 3 * step))
            redraw(window)
            step_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        canvas.stroke_end()
        redraw(window)
        end_times.append(time.perf_counter() - started)
        if not schema.object_classes:
            continue
        view.select(stroke + 1)
        started = time.perf_counter()
        view.click_class(SCHEMA.object_classes[stroke % 2].name)
        redraw(window)
        reclass_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        view.layer.rebuild(window.session.classes)
        redraw(window)
        full_times.append(time.perf_counter() - started)
    window.dirty = False
    return {"size": size, "objects": count, "classes": bool(schema.object_classes), "step_ms": median_ms(step_times),
            "stroke_end_ms": median_ms(end_times), "reclass_ms": median_ms(reclass_times) if reclass_times else None,
            "full_ms": median_ms(full_times) if full_times else None}


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    with temporary_stack() as addresses:
        window = open_window(addresses)
        rows = [classes_stroke(window, 2048, count) for count in (300, 500)]
        rows.append(classes_stroke(window, 2048, 500, ClassSchema()))
        window.close()
    lines = ["# A classes project's brush stroke in the desktop client", "",
             f"Qt platform: {QApplication.platformName()}; window 1400×900; medians of 7 strokes of 8 steps. "
             "The last column is what every edit cost when the whole overlay and all captions were redrawn.", "",
             "| image | objects | project | brush step | stroke end (class, colours, captions) | re-class one object | "
             "whole overlay + all captions |", "|---|---:|---|---:|---:|---:|---:|"]
    lines += [f"| {r['size']}² | {r['objects']} | {'classes' if r['classes'] else 'segmentation'} | "
              f"{r['step_ms']:.1f} ms | {r['stroke_end_ms']:.1f} ms | {shown(r['reclass_ms'])} | "
              f"{shown(r['full_ms'])} |" for r in rows]
    code = publish("gui_classes", {"strokes": rows, "platform": QApplication.platformName()}, lines,
                   "python benchmarks/bench_gui_classes.py", "; the stack on the same machine")
    del app
    return code


if __name__ == "__main__":
    sys.exit(main())
