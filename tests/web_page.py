"""Driving the browser app in a real Chromium (Debian's, through
Playwright) as an annotator does: the browser, device emulations, and the
page's own gestures, for tests/test_web_browser*.py and benchmarks."""

from __future__ import annotations

import shutil
import weakref

import numpy as np
import pytest
from firefox_page import FirefoxPage, firefox_browser  # noqa: F401

from labelassist.client.sdk import LabelAssistClient
from labelassist.proto.v1 import selector_pb2

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DEVICES = {
    "ipad-landscape": {"viewport": {"width": 1180, "height": 820}, "has_touch": True, "is_mobile": True,
                       "device_scale_factor": 2},
    "ipad-portrait": {"viewport": {"width": 820, "height": 1180}, "has_touch": True, "is_mobile": True,
                      "device_scale_factor": 2},
    "android-tablet": {"viewport": {"width": 1280, "height": 800}, "has_touch": True, "is_mobile": True,
                       "device_scale_factor": 1.5},
    "desktop-mouse": {"viewport": {"width": 1440, "height": 900}, "has_touch": False, "is_mobile": False,
                      "device_scale_factor": 1},
    "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True,
              "device_scale_factor": 3},
}


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api", reason="the test extra's playwright is not installed")
    if CHROMIUM is None:
        pytest.skip("no chromium on this machine (`make system-packages` installs Debian's)")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def new_page(browser, device: str):
    """A page in a fresh context (its own storage) emulating ``device``; close its ``context`` after."""
    return browser.new_context(**DEVICES[device]).new_page()


def device_page(request, device: str):
    """A page emulating ``device`` in Chromium, or in Firefox for ``"firefox:DEVICE"`` (its size, in a fresh
    user context of the module's one Firefox, over WebDriver BiDi, see firefox_page.py): yielded, closed after
    (Firefox's when the next opens). Firefox has no touch
    emulation there: its pages answer ``navigator.maxTouchPoints`` with 0, so ``press`` and ``stroke`` use the
    mouse, and ``fingers``, ``touch_stroke`` and ``tap`` send touch input all the same."""
    browser_name, _, device = device.rpartition(":")
    if browser_name == "firefox":
        yield request.getfixturevalue("firefox_browser").new_page(DEVICES[device]["viewport"])
        return
    page = new_page(request.getfixturevalue("browser"), device)
    yield page
    page.context.close()


def in_browsers(*devices: str) -> list:
    """Test parameters for ``device_page``: marked ``firefox`` for Firefox's, to select or leave out with -m."""
    return [pytest.param(device, marks=pytest.mark.firefox) if device.startswith("firefox:") else device
            for device in devices]


def sign_in(page, url: str, token: str, project: str, name: str = "") -> None:
    page.goto(url)
    page.fill("#token", token)
    page.fill("#annotator", name)
    page.click("#signin-button")
    page.wait_for_selector("#app:not([hidden])")
    page.select_option("#project", project)


def press(page, selector: str) -> None:
    """A tap on a touch device, a click with the mouse elsewhere."""
    if page.evaluate("navigator.maxTouchPoints > 0"):
        page.tap(selector)
    else:
        page.click(selector)


def open_next(page) -> dict:
    press(page, "#next")
    page.wait_for_function("() => window.labelAssist.label() !== null")
    return page.evaluate("window.labelAssist.label()")


def to_page(page, row: float, col: float) -> tuple[float, float]:
    return tuple(page.evaluate("([r, c]) => window.labelAssist.imageToPage(r, c)", [row, col]))


# Chromium's touch input keeps its fingers in the DevTools session that sent them: one session a page.
_touch_sessions = weakref.WeakKeyDictionary()


def fingers(page, frames: list[dict[int, tuple[float, float]]]) -> None:
    """Fingers on the glass, frame by frame, as touch input from the screen: each frame maps each finger
    touching then to its page (x, y); a finger missing from a frame has lifted (an empty frame lifts them all).
    A finger may stay down from one call to the next."""
    if isinstance(page, FirefoxPage):
        page.fingers(frames)
        return
    if page not in _touch_sessions:
        _touch_sessions[page] = (page.context.new_cdp_session(page), set())
    cdp, touching = _touch_sessions[page]
    for frame in frames:
        points = [{"x": x, "y": y, "id": finger} for finger, (x, y) in frame.items()]
        kind = "touchEnd" if not frame else "touchStart" if set(frame) - touching else "touchMove"
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})
        touching.clear()
        touching.update(frame)


def touch_stroke(page, points: list[tuple[float, float]]) -> None:
    """One finger along image (row, col) points, and up."""
    fingers(page, [{0: to_page(page, *point)} for point in points] + [{}])


def pen_stroke(page, points: list[tuple[float, float]], pressure: float) -> None:
    """A pen along image (row, col) points, pressed with ``pressure`` (0..1): Chromium's input from a pen, or
    Gecko's (see firefox_page.js)."""
    at = [to_page(page, *p) for p in points]
    if isinstance(page, FirefoxPage):
        page.pen(at, pressure)
        return
    cdp = page.context.new_cdp_session(page)
    pen = {"pointerType": "pen", "button": "left", "force": pressure}
    cdp.send("Input.dispatchMouseEvent", {"type": "mousePressed", "x": at[0][0], "y": at[0][1], "buttons": 1,
                                          "clickCount": 1, **pen})
    for x, y in at[1:]:
        cdp.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y, "buttons": 1, **pen})
    cdp.send("Input.dispatchMouseEvent", {"type": "mouseReleased", "x": at[-1][0], "y": at[-1][1], "buttons": 0,
                                          "clickCount": 1, **pen})
    cdp.detach()


def mouse_stroke(page, points: list[tuple[float, float]]) -> None:
    at = [to_page(page, *p) for p in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y, steps=3)
    page.mouse.up()


def stroke(page, points: list[tuple[float, float]]) -> None:
    """A finger on a touch device, the mouse elsewhere."""
    (touch_stroke if page.evaluate("navigator.maxTouchPoints > 0") else mouse_stroke)(page, points)


def tap_image(page, row: float, col: float) -> None:
    touch_stroke(page, [(row, col)])


def submit(page) -> dict:
    """Submit; when the inspection holds it with warnings, Submit again (as
    an annotator who has read them); the label as the page stored it."""
    press(page, "#submit")
    page.wait_for_function("() => window.labelAssist.lastStored() !== null"
                           " || /press Submit again/.test(document.getElementById('status').textContent)", timeout=30000)
    if page.evaluate("window.labelAssist.lastStored()") is None:
        press(page, "#submit")
    page.wait_for_function("() => window.labelAssist.lastStored() !== null", timeout=30000)
    return page.evaluate("window.labelAssist.lastStored()")


def page_label(page) -> np.ndarray:
    held = page.evaluate("window.labelAssist.label()")
    return np.array(held["values"], np.uint32).reshape(held["shape"])


def stored_label(stack, sample_id: int) -> tuple[np.ndarray, str]:
    """The label the selector stores for ``sample_id`` and its last version's origin, read as the admin."""
    with LabelAssistClient(stack.addresses, token=stack.tokens["admin"]) as admin:
        label = admin.get_sample(sample_id, with_image=False).require("label")
        return label, selector_pb2.LabelOrigin.Name(admin.label_history(sample_id)[-1].origin)


def object_centre(label: np.ndarray) -> tuple[int, int]:
    """The median pixel of the label's first object (in row-major order): inside it for a blob."""
    rows, cols = np.nonzero(label == label[label > 0][0])
    return int(np.median(rows)), int(np.median(cols))


def background_square(label: np.ndarray, size: int) -> tuple[int, int]:
    """The top-left corner of a ``size``² square of background, away from the border."""
    filled = np.pad((label > 0).astype(np.int64), ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    for top in range(4, label.shape[0] - size - 4, 4):
        for left in range(4, label.shape[1] - size - 4, 4):
            inside = (filled[top + size, left + size] - filled[top, left + size] - filled[top + size, left]
                      + filled[top, left])
            if inside == 0:
                return top, left
    raise AssertionError(f"no {size}x{size} square of background in the label")


def press_in_list(page, items: str, text: str, button: str) -> None:
    """Press ``button`` (a selector within the item) in the first of ``items`` that reads ``text``."""
    index = page.evaluate("([items, text]) => [...document.querySelectorAll(items)]"
                          ".findIndex((item) => item.textContent.includes(text))", [items, text])
    assert index >= 0, f"no {items} reads {text!r}"
    press(page, f"{items}:nth-child({index + 1}) {button}")


def bounding_box(page, selector: str) -> dict | None:
    """The element's box on the page (x, y, width, height), None where it is not shown."""
    return page.evaluate("(selector) => { const r = document.querySelector(selector).getBoundingClientRect(); "
                         "return r.width || r.height ? {x: r.x, y: r.y, width: r.width, height: r.height} : null; }",
                         selector)
