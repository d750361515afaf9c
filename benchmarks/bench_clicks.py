"""Click-to-segment latency on the CPU, with the bundled generalist click model:

1. Click -> mask through the assist service (Segment on a selector sample,
   the crop returned) at 512² and 2048², with the model served by the local
   tritonserver and with assist running it in-process (no Triton).
2. The model alone, one 96² window: Triton against in-process torch.
3. The desktop client (offscreen Qt): click -> object on the overlay.

    python benchmarks/bench_clicks.py [--clicks 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from common import median_seconds, publish  # noqa: E402

from labelassist.client.sdk import LabelAssistClient  # noqa: E402
from labelassist.models.synthetic import synthetic_scene  # noqa: E402
from labelassist.stack import temporary_stack  # noqa: E402


def scenes() -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """A 512² synthetic scene, and the same tiled 4×4 into 2048² (uint16)."""
    rng = np.random.default_rng(5)
    while True:
        image, labels = synthetic_scene(rng, 512)
        if labels.max() >= 20:
            break
    image = (image * 4000).astype(np.uint16)
    big_labels = np.zeros((2048, 2048), np.int64)
    for index in range(16):
        top, left = 512 * (index // 4), 512 * (index % 4)
        big_labels[top:top + 512, left:left + 512] = np.where(labels > 0, labels + index * 1000, 0)
    return {512: (image, labels), 2048: (np.tile(image, (4, 4)), big_labels)}


def centres(labels: np.ndarray, count: int) -> list[tuple[float, float]]:
    from scipy import ndimage

    ids = [i for i in np.unique(labels) if i][:count]
    return [tuple(float(v) for v in ndimage.center_of_mass(labels == i)) for i in ids]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[int(q * (len(ordered) - 1))]


def through_service(triton: str | None, data: dict, clicks: int) -> dict:
    out = {}
    with temporary_stack(triton=triton, timeout=180) as addresses, \
            LabelAssistClient(addresses, timeout=300) as client:
        client.create_project("latency")
        for size, (image, labels) in data.items():
            sample_id = client.add_sample("latency", f"s{size}", image)
            points = centres(labels, clicks)
            client.segment(None, [(*points[0], True)], sample_id=sample_id, crop_to_object=True)  # warm-up
            seconds = []
            for point in points:
                started = time.perf_counter()
                found = client.segment(None, [(*point, True)], sample_id=sample_id, crop_to_object=True)
                seconds.append(time.perf_counter() - started)
            out[size] = {"median_ms": 1000 * statistics.median(seconds), "p95_ms": 1000 * percentile(seconds, 0.95),
                         "runtime": found.runtime, "clicks": len(seconds)}
        if triton:
            out["gui"] = gui_click_to_overlay(addresses, data[512], clicks)
    return out


def model_alone(repeats: int) -> dict:
    """One 96² window through the model: in-process torch and the local Triton."""
    from labelassist.models import CLICK_MODEL_NAME, generalist
    from labelassist.models import repository as model_store
    from labelassist.models.click_training import click_model_predictor
    from labelassist.models.triton import TritonClient
    from labelassist.models.tritonserver import LocalTriton
    import tempfile

    batch = np.random.default_rng(0).random((1, 4, 96, 96), dtype=np.float32)
    model, _ = generalist.load_bundled(CLICK_MODEL_NAME)
    local = click_model_predictor(model)
    in_process, _ = median_seconds(lambda: local(batch), repeats, warmup=3)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "models"
        model_store.install_generalist(root)
        server = LocalTriton(root, Path(folder) / "run")
        server.start(models=[CLICK_MODEL_NAME])
        try:
            client = TritonClient(server.url)
            served, _ = median_seconds(lambda: client.click_probability(batch), repeats, warmup=3)
        finally:
            server.stop()
    return {"in_process_ms": 1000 * in_process, "triton_ms": 1000 * served, "ratio": served / in_process}


def gui_click_to_overlay(addresses, scene, clicks: int) -> dict:
    from PySide6.QtWidgets import QApplication

    from labelassist.client.gui.app import Connection, MainWindow

    app = QApplication.instance() or QApplication([])
    image, labels = scene
    with LabelAssistClient(addresses) as client:
        client.create_project("gui-latency")
        client.add_sample("gui-latency", "scene", image)
    window = MainWindow(Connection.from_addresses(addresses), annotator="bench", project="gui-latency",
                        next_after_submit=False)
    window.show()

    def wait(condition, timeout=120.0):
        deadline = time.monotonic() + timeout
        while not condition():
            app.processEvents()
            time.sleep(0.001)
            if time.monotonic() > deadline:
                raise TimeoutError(window.last_error or "timed out")

    wait(lambda: window.calls.in_flight == 0 and window.project == "gui-latency")
    window.next_sample()
    wait(lambda: window.calls.in_flight == 0 and window.canvas.editor is not None and window.sample is not None)
    window.set_tool("click")
    seconds = []
    for point in centres(labels, clicks):
        window.canvas.finish_object()
        before = window.canvas.editor.mask.copy()
        started = time.perf_counter()
        window.canvas.segment_click(point, True, new_object=True)
        wait(lambda: window.calls.in_flight == 0)
        window.canvas.graphics.viewport().repaint()
        app.processEvents()
        seconds.append(time.perf_counter() - started)
        if np.array_equal(before, window.canvas.editor.mask):
            seconds.pop()  # the click landed on an object already there: nothing to show
    window.dirty = False
    window.close()
    return {"median_ms": 1000 * statistics.median(seconds), "p95_ms": 1000 * percentile(seconds, 0.95),
            "clicks": len(seconds)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clicks", type=int, default=30)
    args = parser.parse_args()
    data = scenes()
    triton = through_service("local", data, args.clicks)
    in_process = through_service(None, data, args.clicks)
    alone = model_alone(50)
    lines = ["# Click-to-segment latency (CPU)", "",
             "One positive click at the centre of each of the first objects of a synthetic scene; Segment on a "
             "selector sample (the crop returned); bundled generalist click model; medians and 95th "
             "percentiles.", "",
             "| path | 512² median / p95 (ms) | 2048² median / p95 (ms) |", "|---|---:|---:|"]
    for name, result in (("assist → Triton (local tritonserver)", triton), ("assist in-process", in_process)):
        lines.append(f"| {name} | {result[512]['median_ms']:.0f} / {result[512]['p95_ms']:.0f} | "
                     f"{result[2048]['median_ms']:.0f} / {result[2048]['p95_ms']:.0f} |")
    gui = triton["gui"]
    lines += ["", f"Desktop client (offscreen Qt, 512², through Triton): click → object on the overlay "
              f"{gui['median_ms']:.0f} ms median, {gui['p95_ms']:.0f} ms p95 ({gui['clicks']} clicks).", "",
              f"The model alone on one 96² window: in-process {alone['in_process_ms']:.1f} ms, Triton "
              f"{alone['triton_ms']:.1f} ms ({alone['ratio']:.2f}× in-process)."]
    return publish("clicks", {"triton": triton, "in_process": in_process, "model_alone": alone}, lines,
                   "python benchmarks/bench_clicks.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    raise SystemExit(main())
