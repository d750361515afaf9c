"""The annotator in the browser against the desktop client, in one run on
one machine and one local stack (default pipeline, the bundled HeLa crops
scaled to 1024² and 2048², uint16):

1. Next → image on screen and Next → pre-label on screen, in Chromium
   (Debian's, driven by Playwright, a 1400×900 desktop window) and in the
   Qt client (offscreen, as benchmarks/bench_gui.py times it); the
   browser's with the sample leased when Next is pressed, leased ahead
   and still on its way, and leased ahead and arrived.
2. Brush stroke at 2048²: each pointermove's event time to the end of the
   frame that drew it, measured in the page (performance.now() in a
   requestAnimationFrame after the draw handler).
3. Bytes on the wire per sample (image + pre-label + submitted label) for
   a 2048² 16-bit image: the gateway's own byte counters (its Prometheus
   metrics, by route) against the protobuf messages the SDK sends and
   receives for the same three over gRPC.

    python benchmarks/bench_web.py
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx  # noqa: E402
import numpy as np  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from bench_gui import next_to_screen as qt_next_to_screen  # noqa: E402
from common import publish  # noqa: E402
from web_page import CHROMIUM, mouse_stroke, sign_in  # noqa: E402

import labelassist.proto.wire.calls as calls_module  # noqa: E402
from labelassist.client.sdk import LabelAssistClient  # noqa: E402
from labelassist.io.bundled import hela_sample  # noqa: E402
from labelassist.stack import temporary_stack  # noqa: E402

SIZES = (1024, 2048)
SAMPLES = 9
# Camera-like noise on the images whose bytes are counted (the scaled crops repeat each pixel 8×8 times).
WIRE_NOISE = 20.0
WIRE_ROUTES = {"image": "/api/projects/{project}/next", "prelabel": "/api/samples/{sample_id}/mask",
               "label": "/api/samples/{sample_id}/label"}


def scaled_images(size: int) -> list[np.ndarray]:
    return [np.kron(image, np.ones((size // 256, size // 256), np.uint16)) for image in hela_sample()[0]]


def add_project(addresses, name: str, size: int, samples: int, noise: float = 0.0) -> None:
    """``noise``: the standard deviation of Gaussian noise added, so that an
    image compresses as a camera's does and not as 8×8 blocks of one value."""
    rng = np.random.default_rng(0)
    images = [np.clip(image + rng.normal(0, noise, image.shape), 0, 65535).astype(np.uint16) if noise else image
              for image in scaled_images(size)]
    with LabelAssistClient(addresses) as client:
        client.create_project(name)
        for index in range(samples):
            client.add_sample(name, f"s{index}", images[index % len(images)])


def start_gateway(addresses, folder: Path) -> tuple[subprocess.Popen, dict]:
    ready = folder / "web.json"
    command = [sys.executable, "-m", "labelassist.client.web", "--host", "127.0.0.1", "--port", "0",
               "--metrics-port", "0", "--ready-file", str(ready),
               *[f"--{name}={address}" for name, address in addresses.as_dict().items()]]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the gateway did not start")
        time.sleep(0.05)
    return process, json.loads(ready.read_text())


@contextlib.contextmanager
def stack_gateway_chromium():
    """A local stack, the gateway in front of it and Debian's Chromium: (addresses, the gateway's ready
    file's contents, the browser)."""
    with temporary_stack() as addresses, tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        gateway, ready = start_gateway(addresses, Path(folder))
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield addresses, ready, browser
        finally:
            browser.close()
            gateway.terminate()
            gateway.wait(timeout=30)


def load_note(load: float) -> str:
    return (f"The machine was shared with other work (load average {load:.1f} at the start and "
            f"{os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} CPUs).")


def gateway_bytes(metrics_port: int) -> dict[tuple[str, str], float]:
    """(direction, route) → bytes so far, from the gateway's metrics."""
    text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
    counted = {}
    for line in text.splitlines():
        for direction in ("sent", "received"):
            prefix = f"labelassist_web_{direction}_bytes_total{{route=\""
            if line.startswith(prefix):
                route, value = line[len(prefix):].split('"} ')
                counted[(direction, route)] = float(value)
    return counted


def next_and_wait(page) -> dict:
    page.click("#next")
    page.wait_for_function("() => window.labelAssist.timings().next_to_prelabel_ms !== undefined", timeout=120000)
    return page.evaluate("window.labelAssist.timings()")


def wait_for_look_ahead(page) -> None:
    """As an annotator who has worked on the sample for a moment: the next one leased ahead has arrived."""
    page.wait_for_function("() => window.labelAssist.ahead().settled && window.labelAssist.ahead().sample_id > 0",
                           timeout=120000)


# How Next finds the next sample: leased now (the first Next, or after Release), leased ahead but still on its
# way (Next pressed the moment the pre-label showed), leased ahead and arrived (after a moment's work).
NEXT_CASES = ("leased_now", "ahead_on_its_way", "ahead_arrived")


def web_next_to_screen(page, url: str, project: str) -> dict:
    sign_in(page, url, "", project, name="bench")
    times = {case: {"next_to_image_ms": [], "next_to_prelabel_ms": []} for case in NEXT_CASES}
    for _ in range(SAMPLES):
        for case in NEXT_CASES:
            if case == "leased_now" and page.evaluate("window.labelAssist.label() !== null"):
                wait_for_look_ahead(page)  # not the CPU a pre-label being made ahead takes
                page.click("#release")
                page.wait_for_function("() => window.labelAssist.label() === null")
            if case == "ahead_arrived":
                wait_for_look_ahead(page)
            timings = next_and_wait(page)
            for measure, values in times[case].items():
                values.append(timings[measure])
    page.click("#release")
    return {case: {measure: statistics.median(values) for measure, values in measures.items()}
            for case, measures in times.items()}


# On the way to the image of a sample leased now: the page's own stamps (from Next) and the gateway's steps.
PAGE_STEPS = ("next_to_headers_ms", "next_to_body_ms", "next_to_pixels_ms", "next_to_image_ms")
GATEWAY_STEPS = ("lease", "schema", "sample", "view", "compress")


def leased_now_rounds(browser, addresses, url: str, size: int, rounds: int, samples: int) -> list[dict]:
    """Next → image with the sample leased now, the browser's and the Qt
    client's interleaved: per round, the browser's medians over ``samples``
    Nexts (with the steps on the way) and then Qt's over as many."""
    project = f"bench-web-now-{size}"
    add_project(addresses, project, size, samples)
    found = []
    for index in range(rounds):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        sign_in(page, url, "", project, name="bench")
        steps = []
        for _ in range(samples):
            if page.evaluate("window.labelAssist.label() !== null"):
                wait_for_look_ahead(page)
                page.click("#release")
                page.wait_for_function("() => window.labelAssist.label() === null")
            steps.append(next_and_wait(page))
        page.click("#release")
        context.close()
        web = {step: statistics.median(s[step] for s in steps) for step in PAGE_STEPS}
        web["gateway"] = {step: statistics.median(s["server"].get(step, 0.0) for s in steps) for step in GATEWAY_STEPS}
        qt = qt_next_to_screen(addresses, size, samples, project=f"bench-gui-now-{size}-{index}", painted=True)
        found.append({"web": web, "qt_next_to_image_ms": qt["next_to_image_ms"],
                      "qt_next_to_image_painted_ms": qt["next_to_image_painted_ms"],
                      "ratio": web["next_to_image_ms"] / qt["next_to_image_ms"],
                      "ratio_painted": web["next_to_image_ms"] / qt["next_to_image_painted_ms"]})
    return found


def leased_now_main(rounds: int, samples: int, sizes: tuple[int, ...] = SIZES) -> int:
    """Only Next → image with the sample leased now, ``rounds`` times interleaved with Qt (web_next.md)."""
    app = QApplication.instance() or QApplication(sys.argv)
    started, load = time.perf_counter(), os.getloadavg()[0]
    with stack_gateway_chromium() as (addresses, ready, browser):
        chromium = browser.version
        by_size = {size: leased_now_rounds(browser, addresses, ready["url"], size, rounds, samples) for size in sizes}
    elapsed = time.perf_counter() - started
    lines = ["# Next → image with the sample leased now: the browser against the desktop client", "",
             f"One local stack (default pipeline); {rounds} rounds, each the browser's median of {samples} Nexts "
             f"(Release, then Next: one round trip) and then the Qt client's median of {samples}, so both meet the "
             f"same load. Chromium {chromium} (headless, software rendering) in a 1400×900 window, the Qt client "
             f"offscreen. {load_note(load)}", "",
             "The browser's time ends with the frame that painted the image; the Qt client's with the image set in "
             "its view (as bench_gui.py and web.md time it), and painted: its view repainted the moment the image "
             "is set.", "",
             "| image | browser (median of rounds) | Qt: set | Qt: painted | ratio to set, per round | median | "
             "ratio to painted, per round | median |", "|---|---:|---:|---:|---|---:|---|---:|"]
    for size, found in by_size.items():
        cells = [f"{statistics.median(r[key] for r in found):.0f} ms"
                 for key in ("qt_next_to_image_ms", "qt_next_to_image_painted_ms")]
        for key in ("ratio", "ratio_painted"):
            ratios = [row[key] for row in found]
            cells += [" ".join(f"{r:.2f}×" for r in ratios), f"{statistics.median(ratios):.2f}×"]
        lines.append(f"| {size}² | {statistics.median(r['web']['next_to_image_ms'] for r in found):.0f} ms | "
                     + " | ".join(cells) + " |")
    lines += ["", "Where the browser's time goes (medians over the rounds; from Next pressed, and the gateway's own "
              "steps from its Server-Timing header: the schema is asked for beside the lease):", "",
              "| image | answer's headers | body read into pixels | pixels in a canvas | on screen | gateway: lease | "
              "schema | GetSample | 8-bit view | compression |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for size, found in by_size.items():
        page_cells = [f"{statistics.median(r['web'][step] for r in found):.1f} ms" for step in PAGE_STEPS]
        gateway_cells = [f"{statistics.median(r['web']['gateway'][step] for r in found):.1f} ms"
                         for step in GATEWAY_STEPS]
        lines.append(f"| {size}² | " + " | ".join(page_cells + gateway_cells) + " |")
    lines += ["", f"The run took {elapsed:.0f} s."]
    del app
    return publish("web_next", {"rounds": rounds, "samples": samples, "by_size": by_size, "chromium": chromium,
                                "load_average": load, "seconds": elapsed}, lines,
                   f"python benchmarks/bench_web.py --next-rounds {rounds} --samples {samples} --sizes "
                   + " ".join(map(str, sizes)), "; the stack on the same machine")


def brush_latency(page, url: str, project: str, moves: int = 300) -> dict:
    """Pointer event → pixels drawn for mouse strokes across a 2048² sample:
    to the pixels in the canvas, and to the start of the frame after them."""
    sign_in(page, url, "", project, name="bench")
    next_and_wait(page)
    wait_for_look_ahead(page)
    page.evaluate("window.labelAssist.strokeLatencies(); window.labelAssist.strokeWork()")
    rows = np.linspace(300, 1700, 6)
    for row in rows:
        mouse_stroke(page, [(row, 200 + col) for col in np.linspace(0, 1600, moves // len(rows))])
    latencies = page.evaluate("window.labelAssist.strokeLatencies()")
    drawn, frame = sorted(latencies["drawn_ms"]), sorted(latencies["frame_ms"])
    work = page.evaluate("window.labelAssist.strokeWork()")
    raw_updates = page.evaluate("'onpointerrawupdate' in document.querySelector('canvas.view:not(.base)')")
    page.click("#release")
    return {"moves": len(drawn), "median_ms": statistics.median(drawn), "p95_ms": p95(drawn), "max_ms": drawn[-1],
            "frame_median_ms": statistics.median(frame), "frame_p95_ms": p95(frame), "frame_max_ms": frame[-1],
            "handler_p95_ms": p95(work["handler_ms"]), "draw_p95_ms": p95(work["draw_ms"]),
            "pointerrawupdate": raw_updates}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))]


def web_wire_bytes(page, url: str, project: str, metrics_port: int) -> dict:
    """The gateway's bytes per sample: image, pre-label, and the submitted
    label (its drawn stroke kept). The page fetches the image and the
    pre-label of the sample it opens and of the one it leases ahead: counted
    over the three samples it fetches for one submitted label (opened,
    ahead, and ahead of that once the second opens), per sample."""
    sign_in(page, url, "", project, name="bench")
    before = gateway_bytes(metrics_port)
    next_and_wait(page)
    wait_for_look_ahead(page)
    second = page.evaluate("window.labelAssist.ahead().sample_id")
    mouse_stroke(page, [(1000, 1000), (1000, 1400), (1300, 1400)])
    page.click("#submit")
    page.wait_for_function("() => window.labelAssist.lastStored() !== null"
                           " || /press Submit again/.test(document.getElementById('status').textContent)")
    if page.evaluate("window.labelAssist.lastStored()") is None:
        page.click("#submit")
        page.wait_for_function("() => window.labelAssist.lastStored() !== null")
    page.wait_for_function(f"() => window.labelAssist.label()?.sample_id === {second}", timeout=120000)
    wait_for_look_ahead(page)
    after = gateway_bytes(metrics_port)
    page.click("#release")
    direction, fetched = {"image": "sent", "prelabel": "sent", "label": "received"}, {"image": 3, "prelabel": 3,
                                                                                     "label": 1}
    return {part: (after.get((direction[part], route), 0) - before.get((direction[part], route), 0)) / fetched[part]
            for part, route in WIRE_ROUTES.items()}


class MessageBytes:
    """Counts the protobuf bytes of the SDK's streamed messages (payload, without gRPC framing)."""

    def __init__(self):
        self.down = self.up = 0

    def __enter__(self):
        self.saved = {calls_module: (calls_module.read_stream, calls_module.write_stream)}
        read, write = calls_module.read_stream, calls_module.write_stream

        def counting_read(responses, *args, **kwargs):
            def counted():
                for message in responses:
                    self.down += message.ByteSize()
                    yield message
            return read(counted(), *args, **kwargs)

        def counting_write(*args, **kwargs):
            for message in write(*args, **kwargs):
                self.up += message.ByteSize()
                yield message

        for module in self.saved:
            module.read_stream, module.write_stream = counting_read, counting_write
        return self

    def __exit__(self, *exc):
        for module, (read, write) in self.saved.items():
            module.read_stream, module.write_stream = read, write


def grpc_wire_bytes(addresses, project: str) -> dict:
    """What the desktop client moves for one sample through the SDK: the
    image (GetSample), the pre-label assist makes (Prelabel by sample id),
    and the label (SubmitLabel)."""
    with LabelAssistClient(addresses) as client:
        sid = client.next_sample(project, "bench-grpc").sample.sample_id
        with MessageBytes() as image:
            client.get_sample(sid)
        with MessageBytes() as prelabel:
            mask = client.prelabel(None, sample_id=sid).mask
        mask = mask.copy()
        mask[1000:1300, 1000:1400] = mask.max() + 1
        with MessageBytes() as label:
            client.submit_label(sid, "bench-grpc", mask)
    return {"image": image.down, "prelabel": prelabel.down, "label": label.up}


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    started, load = time.perf_counter(), os.getloadavg()[0]
    with stack_gateway_chromium() as (addresses, ready, browser):
        chromium = browser.version
        loads = []
        for size in SIZES:
            add_project(addresses, f"bench-web-{size}", size, SAMPLES)
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            web = web_next_to_screen(context.new_page(), ready["url"], f"bench-web-{size}")
            context.close()
            qt = qt_next_to_screen(addresses, size, SAMPLES)
            loads.append({"size": size, "web": web, "qt": qt})
        add_project(addresses, "bench-web-wire", 2048, 4, noise=WIRE_NOISE)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        brush = brush_latency(context.new_page(), ready["url"], "bench-web-wire")
        web_bytes = web_wire_bytes(context.new_page(), ready["url"], "bench-web-wire", ready["metrics_port"])
        context.close()
        grpc_bytes = grpc_wire_bytes(addresses, "bench-web-wire")
    elapsed = time.perf_counter() - started
    lines = ["# The annotator in the browser against the desktop client", "",
             f"One run, one local stack (default pipeline), medians of {SAMPLES} samples; Chromium "
             f"{chromium} (headless, software rendering) in a 1400×900 window, the Qt client offscreen. "
             + load_note(load), "",
             "The browser's Next in three cases: the sample leased now (the first Next, or after Release: one "
             "round trip), leased ahead but still on its way (Next pressed the moment the pre-label showed), "
             "and leased ahead and arrived (after a moment's work on the sample). The Qt client leases when Next "
             "is pressed.", ""]
    for measure, title in (("next_to_image_ms", "Next → image on screen"),
                           ("next_to_prelabel_ms", "Next → pre-label on screen")):
        lines += [f"{title}:", "", "| image | browser: leased now | ahead, on its way | ahead, arrived | Qt | ratios |",
                  "|---|---:|---:|---:|---:|---:|"]
        for row in loads:
            web, qt = row["web"], row["qt"][measure]
            ratios = " / ".join(f"{web[case][measure] / qt:.2f}×" for case in NEXT_CASES)
            lines.append(f"| {row['size']}² | " + " | ".join(f"{web[case][measure]:.0f} ms" for case in NEXT_CASES)
                         + f" | {qt:.0f} ms | {ratios} |")
        lines.append("")
    lines += [f"Brush stroke at 2048², pointer event → pixels drawn ({brush['moves']} mouse moves, the next sample "
              "leased ahead already arrived; each move drawn in its own event handler"
              + (", pointerrawupdate" if brush["pointerrawupdate"] else ", pointermove") + "):", "",
              "| | median | p95 | max |", "|---|---:|---:|---:|",
              f"| to the pixels in the canvas | {brush['median_ms']:.1f} ms | {brush['p95_ms']:.1f} ms | "
              f"{brush['max_ms']:.1f} ms |",
              f"| to the start of the frame after them | {brush['frame_median_ms']:.1f} ms | "
              f"{brush['frame_p95_ms']:.1f} ms | {brush['frame_max_ms']:.1f} ms |", "",
              "The page's own work in it: the handler (the stroke and its drawing) p95 "
              f"{brush['handler_p95_ms']:.1f} ms, the drawing alone p95 {brush['draw_p95_ms']:.1f} ms. The frame after "
              "the pixels starts up to a frame's time later (16.7 ms at 60 Hz) whatever the page does: for moves that come at any moment, its p95 is "
              "about 95% of a frame.", "",
              f"Bytes on the wire per sample, 2048² uint16 image (Gaussian noise σ={WIRE_NOISE:g}, about the crops' own pixel-to-pixel variation, added so it "
              "compresses as a camera's image does; the pre-label as assist makes it, the label with one "
              "stroke more; the browser's image is its 8-bit view; the gateway's answers zstd-compressed, as Chromium "
              "accepts):", "",
              "| | image | pre-label | submitted label | total |", "|---|---:|---:|---:|---:|"]
    for name, counted in (("browser (gateway HTTP bodies)", web_bytes), ("gRPC (SDK messages)", grpc_bytes)):
        lines.append(f"| {name} | {counted['image'] / 1e6:.2f} MB | {counted['prelabel'] / 1e6:.2f} MB | "
                     f"{counted['label'] / 1e6:.3f} MB | {sum(counted.values()) / 1e6:.2f} MB |")
    lines += ["", f"The run took {elapsed:.0f} s."]
    payload = {"next": loads, "brush_2048": brush, "wire_bytes_2048": {"web": web_bytes, "grpc": grpc_bytes},
               "chromium": chromium, "seconds": elapsed, "load_average": [load, os.getloadavg()[0]]}
    del app
    return publish("web", payload, lines, "python benchmarks/bench_web.py", "; the stack on the same machine")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--next-rounds", type=int, default=0,
                        help="only Next → image with the sample leased now, this many rounds interleaved with Qt")
    parser.add_argument("--samples", type=int, default=5, help="Nexts per round (with --next-rounds)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="image sizes (with --next-rounds)")
    args = parser.parse_args()
    sys.exit(leased_now_main(args.next_rounds, args.samples, tuple(args.sizes)) if args.next_rounds else main())
