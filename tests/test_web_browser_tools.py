"""The browser app's drawing tools on an emulated iPad, in a real Chromium
and at the iPad's size in Firefox ESR: lasso and polygon, flood fill and
undo, a finding's one-tap fix, and click-to-segment through the bundled
click model; what the page shows is what is stored."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest
from firefox_page import firefox_browser  # noqa: F401
from shapes import disc
from web_page import (background_square, browser, device_page, in_browsers, open_next, page_label,  # noqa: F401
                      press_in_list, sign_in, submit, tap_image, touch_stroke)

from labelassist.client.sdk import LabelAssistClient

pytestmark = pytest.mark.slow


@pytest.fixture(params=in_browsers("ipad-landscape", "firefox:ipad-landscape"))
def ipad(request):
    yield from device_page(request, request.param)


def stored_label(stack, token: str, sample_id: int) -> np.ndarray:
    with LabelAssistClient(stack.addresses, token=token) as admin:
        return admin.get_sample(sample_id, with_image=False).require("label")


def test_a_dragged_lasso_and_a_tapped_polygon_close_into_filled_objects(web_stack, web_project, ipad):
    sign_in(ipad, web_stack.web_url, web_stack.tokens["anna"], web_project)
    start = open_next(ipad)
    prelabel = page_label(ipad)
    top, left = background_square(prelabel, 40)
    ipad.tap("[data-tool=lasso]")

    touch_stroke(ipad, [(top + 2, left + 2), (top + 2, left + 18), (top + 18, left + 18), (top + 18, left + 2)])
    lassoed = page_label(ipad)
    lasso_id = int(lassoed[top + 10, left + 10])
    assert lasso_id == prelabel.max() + 1
    assert (lassoed == lasso_id).sum() == pytest.approx(16 * 16, rel=0.15), "the drag closes into a filled square"

    corners = [(top + 24, left + 24), (top + 24, left + 38), (top + 38, left + 31)]
    for corner in corners:
        tap_image(ipad, *corner)
    assert (page_label(ipad) == lassoed).all(), "an open polygon draws nothing yet"
    tap_image(ipad, *corners[0])  # back on the first point: closed
    drawn = page_label(ipad)
    triangle = int(drawn[top + 30, left + 31])
    assert triangle == lasso_id + 1 and (drawn == triangle).sum() == pytest.approx(14 * 14 / 2, rel=0.25)

    stored_on_page = submit(ipad)
    assert stored_on_page["sample_id"] == start["sample_id"]
    np.testing.assert_array_equal(stored_label(web_stack, web_stack.tokens["admin"], start["sample_id"]), drawn)


def test_fill_gives_a_hole_the_current_objects_id_and_undo_takes_it_back(web_stack, web_project, ipad):
    sign_in(ipad, web_stack.web_url, web_stack.tokens["anna"], web_project)
    open_next(ipad)
    top, left = background_square(page_label(ipad), 40)
    centre = (top + 20, left + 20)
    ipad.tap("[data-tool=lasso]")
    touch_stroke(ipad, [(top + 4, left + 4), (top + 4, left + 36), (top + 36, left + 36), (top + 36, left + 4)])
    ipad.tap("[data-tool=eraser]")
    touch_stroke(ipad, [centre, (centre[0], centre[1] + 1)])
    holed = page_label(ipad)
    object_id = int(holed[top + 6, left + 6])
    assert holed[centre] == 0

    ipad.tap("[data-tool=brush]")
    touch_stroke(ipad, [(top + 8, left + 8), (top + 8, left + 9)])  # touches the object: it is current again
    ipad.tap("[data-tool=fill]")
    tap_image(ipad, *centre)
    filled = page_label(ipad)
    assert filled[centre] == object_id and not (filled[top:top + 40, left:left + 40] == 0)[8:32, 8:32].any()
    assert ((filled != holed) & (filled != object_id)).sum() == 0, "only the hole changes"
    ipad.tap("#undo")
    assert page_label(ipad)[centre] == 0
    ipad.tap("#release")


def test_a_holes_finding_is_shown_where_it_is_and_its_fix_fills_the_hole(web_stack, web_project, ipad):
    sign_in(ipad, web_stack.web_url, web_stack.tokens["anna"], web_project)
    opened = open_next(ipad)
    top, left = background_square(page_label(ipad), 40)
    centre = (top + 20, left + 20)
    ipad.tap("[data-tool=lasso]")
    touch_stroke(ipad, [(top + 4, left + 4), (top + 4, left + 36), (top + 36, left + 36), (top + 36, left + 4)])
    object_id = int(page_label(ipad)[top + 6, left + 6])
    ipad.tap("[data-tool=eraser]")
    touch_stroke(ipad, [centre, (centre[0], centre[1] + 1)])
    assert page_label(ipad)[centre] == 0

    ipad.tap("#check")
    ipad.wait_for_selector("#findings-panel:not([hidden])")
    findings = ipad.evaluate("window.labelAssist.findings()")
    hole = next(f for f in findings if f["criterion"] == "holes" and object_id in f["object_ids"])
    assert hole["fix"]["name"] == "fill_holes"
    box = hole["boxes"][hole["object_ids"].index(object_id)] if len(hole["boxes"]) == len(hole["object_ids"]) \
        else hole["boxes"][0]
    assert box[0] <= centre[0] < box[2] and box[1] <= centre[1] < box[3], "the finding is drawn where the hole is"
    press_in_list(ipad, "#findings li", hole["message"], "button:last-child")  # its Fix
    ipad.wait_for_function(f"() => window.labelAssist.label().values[{centre[0]} * "
                           f"window.labelAssist.label().shape[1] + {centre[1]}] === {object_id}")
    fixed = page_label(ipad)
    assert not any(f["criterion"] == "holes" and object_id in f["object_ids"]
                   for f in ipad.evaluate("window.labelAssist.findings()"))

    submit(ipad)
    np.testing.assert_array_equal(stored_label(web_stack, web_stack.tokens["admin"], opened["sample_id"]), fixed)


# -- click-to-segment through the bundled click model -------------------------------------------------------------


@pytest.fixture(scope="module")
def click_gateway(generalist_stack, tmp_path_factory):
    """The gateway on its own in front of ``labelassist up``'s stack with the bundled models: its URL."""
    ready = tmp_path_factory.mktemp("click-gateway") / "ready.json"
    addresses = generalist_stack.addresses.as_dict()
    command = [sys.executable, "-m", "labelassist.client.web", "--host", "127.0.0.1", "--port", "0",
               "--ready-file", str(ready), *[f"--{name}={address}" for name, address in addresses.items()]]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read().decode()
            time.sleep(0.05)
        yield json.loads(ready.read_text())["url"]
    finally:
        process.terminate()
        process.wait(timeout=30)


def touching_pair() -> tuple[np.ndarray, np.ndarray]:
    """Two bright round objects that touch, on a dark noisy background, and their labels."""
    shape, labels = (256, 256), np.zeros((256, 256), np.uint16)
    labels[disc(shape, (128, 100), 24)] = 1
    labels[disc(shape, (128, 146), 24) & (labels == 0)] = 2
    image = 400 + 1200 * (labels > 0) + np.random.default_rng(1).normal(0, 60, shape)
    return np.clip(image, 0, 65535).astype(np.uint16), labels


def test_a_positive_and_a_negative_click_segment_one_object_and_it_is_stored_as_shown(generalist_stack,
                                                                                       click_gateway, ipad):
    image, truth = touching_pair()
    project = f"web-clicks-{np.random.default_rng().integers(1 << 30)}"
    with LabelAssistClient(generalist_stack.addresses, timeout=120) as sdk:
        sdk.create_project(project)
        sdk.add_sample(project, "pair", image)
    sign_in(ipad, click_gateway, "", project, name="walt")
    opened = open_next(ipad)
    before = page_label(ipad)
    ipad.tap("[data-tool=click]")

    tap_image(ipad, 128, 100)
    ipad.wait_for_function("() => /pixels from 1 clicks/.test(document.getElementById('status').textContent)",
                           timeout=60000)
    once = page_label(ipad)
    object_id = int(once[128, 100])
    assert object_id == before.max() + 1
    ipad.tap("#negative")
    tap_image(ipad, 128, 150)
    ipad.wait_for_function("() => /pixels from 2 clicks/.test(document.getElementById('status').textContent)",
                           timeout=60000)
    twice = page_label(ipad)
    mine = twice == object_id
    assert mine[128, 100] and not mine[128, 150]
    overlap = (mine & (truth == 1)).sum() / (mine | (truth == 1)).sum()
    assert overlap >= 0.7 and (mine & (truth == 2)).sum() < 0.1 * (truth == 2).sum()
    assert f"object {object_id}" in ipad.inner_text("#object")

    stored_on_page = submit(ipad)
    np.testing.assert_array_equal(np.array(stored_on_page["values"]).reshape(twice.shape), twice)
    with LabelAssistClient(generalist_stack.addresses) as sdk:
        np.testing.assert_array_equal(sdk.get_sample(opened["sample_id"], with_image=False).require("label"), twice)
