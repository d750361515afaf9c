"""The browser app in a real Chromium (Debian's, driven by Playwright)
against ``labelassist up``'s stack and gateway, on an emulated iPad with
touch: what the page drew is, pixel for pixel, what the selector stores."""

from __future__ import annotations

import time

import numpy as np
import pytest
from web_page import (background_square, browser, new_page, object_centre, open_next, page_label,  # noqa: F401
                      pen_stroke, sign_in, stored_label, submit, to_page, touch_stroke)

from labelassist.client.sdk import LabelAssistClient

pytestmark = pytest.mark.slow


@pytest.fixture
def ipad(browser):
    page = new_page(browser, "ipad-landscape")
    yield page
    page.context.close()


def test_an_ipad_annotator_edits_the_prelabel_by_touch_and_the_selector_stores_exactly_it(web_stack, web_project,
                                                                                           ipad):
    sign_in(ipad, web_stack.web_url, web_stack.tokens["anna"], web_project)
    opened = open_next(ipad)
    prelabel = page_label(ipad)
    assert prelabel.shape == tuple(opened["shape"]) and prelabel.max() > 0, "the pre-label is shown at once"

    # A brush stroke over background starts a new object.
    rows, cols = np.nonzero(prelabel == 0)
    row, col = int(rows[len(rows) // 2]), int(cols[len(cols) // 2])
    touch_stroke(ipad, [(row, col), (row, col + 6), (row + 6, col + 6)])
    drawn = page_label(ipad)
    new_id = int(drawn[row, col])
    assert new_id == prelabel.max() + 1 and (drawn == new_id).sum() > 20

    # The eraser takes a pre-labelled object's centre away.
    ipad.tap("[data-tool=eraser]")
    centre = object_centre(prelabel)
    touch_stroke(ipad, [centre, (centre[0] + 2, centre[1] + 2)])
    erased = page_label(ipad)
    assert erased[centre] == 0 and (erased == 0).sum() > (drawn == 0).sum()

    stored_on_page = submit(ipad)
    assert stored_on_page["sample_id"] == opened["sample_id"]
    np.testing.assert_array_equal(np.array(stored_on_page["values"]).reshape(erased.shape), erased)
    stored, origin = stored_label(web_stack, opened["sample_id"])
    np.testing.assert_array_equal(stored, erased)
    assert origin == "LABEL_ORIGIN_EDITED_PRELABEL"
    assert ipad.evaluate("window.labelAssist.pending()") == 0


def test_a_pens_pressure_sizes_the_brush_and_a_palm_on_the_glass_draws_nothing(web_stack, web_project, ipad):
    sign_in(ipad, web_stack.web_url, web_stack.tokens["anna"], web_project)
    open_next(ipad)
    prelabel = page_label(ipad)
    top, left = background_square(prelabel, 56)
    cdp = ipad.context.new_cdp_session(ipad)
    palm = [to_page(ipad, top + 46, left + 8 + 8 * step) for step in range(6)]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": palm[0][0], "y": palm[0][1]}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": palm[2][0], "y": palm[2][1]}]})
    assert (page_label(ipad) != prelabel).any(), "a touch alone draws"

    pen_stroke(ipad, [(top + 8, left + 8), (top + 8, left + 28), (top + 8, left + 48)], pressure=0.2)
    pen_stroke(ipad, [(top + 24, left + 8), (top + 24, left + 28), (top + 24, left + 48)], pressure=0.8)
    for x, y in palm[3:]:  # the palm stays on the glass and moves: it is no finger
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()
    touch_stroke(ipad, [(top + 46, left + 8), (top + 46, left + 48)])  # a touch while the pen is near
    drawn = page_label(ipad)

    assert (drawn[top + 38:top + 56] == prelabel[top + 38:top + 56]).all(), "the palm's stroke is undone"
    light, heavy = (int((drawn[top:top + 38, left + 28] != 0)[rows].sum()) for rows in (slice(0, 16), slice(16, 38)))
    assert 4 <= light < heavy, f"a light pen draws thinner than a firm one ({light} and {heavy} pixels across)"


def test_two_fingers_pinch_to_zoom_and_draw_nothing(web_stack, web_project, ipad):
    sign_in(ipad, web_stack.web_url, web_stack.tokens["anna"], web_project)
    open_next(ipad)
    before, zoom = page_label(ipad), ipad.evaluate("window.labelAssist.zoom()")
    x, y = ipad.evaluate("window.labelAssist.imageToPage(128, 128)")
    cdp = ipad.context.new_cdp_session(ipad)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [
        {"x": x - 50, "y": y, "id": 1}, {"x": x + 50, "y": y, "id": 2}]})
    for spread in (60, 80, 100):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [
            {"x": x - spread, "y": y, "id": 1}, {"x": x + spread, "y": y, "id": 2}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    assert ipad.evaluate("window.labelAssist.zoom()") == pytest.approx(2 * zoom, rel=0.02)
    np.testing.assert_array_equal(page_label(ipad), before)
    ipad.tap("#release")


def test_next_shows_the_sample_leased_ahead_and_release_gives_both_back(web_stack, web_project, ipad):
    sign_in(ipad, web_stack.web_url, web_stack.tokens["anna"], web_project, name="anna")
    first = open_next(ipad)["sample_id"]
    ipad.wait_for_function("() => window.labelAssist.ahead().settled && window.labelAssist.ahead().sample_id > 0")
    ahead = ipad.evaluate("window.labelAssist.ahead().sample_id")
    assert ahead != first
    with LabelAssistClient(web_stack.addresses, token=web_stack.tokens["ben"]) as ben:
        assert ben.next_sample(web_project, "ben").exhausted, "both samples are anna's"

        ipad.tap("#next")
        ipad.wait_for_function(f"() => window.labelAssist.label()?.sample_id === {ahead}")
        assert ipad.evaluate("window.labelAssist.timings().next_to_prelabel_ms") < 1000, "shown at once"
        ipad.tap("#release")
        ipad.wait_for_function("() => window.labelAssist.label() === null")
        deadline = time.monotonic() + 10
        while (leased := ben.next_sample(web_project, "ben")).exhausted and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not leased.exhausted, "Release gave the open sample and the one ahead back"
        ben.release_sample(leased.sample.sample_id, "ben")


def restart_gateway(stack, timeout: float = 60) -> None:
    """Supervise as ``labelassist up`` does until the killed gateway serves again."""
    web = stack.children["web"]
    deadline = time.monotonic() + timeout
    while web.restarted or web.restart_due is not None or web.process.poll() is not None:
        assert time.monotonic() < deadline, web.log_tail()
        stack.supervise(report=lambda line: None)
        time.sleep(0.1)


def test_a_submit_while_the_gateway_is_down_waits_in_the_browser_and_arrives_once(web_stack, web_project, ipad):
    sign_in(ipad, web_stack.web_url, web_stack.tokens["anna"], web_project)
    opened = open_next(ipad)
    touch_stroke(ipad, [(30, 30), (30, 60), (60, 60)])
    drawn = page_label(ipad)
    web = web_stack.children["web"]
    web.process.kill()
    web.process.wait()

    ipad.tap("#submit")
    ipad.wait_for_selector("#pending.waiting")
    assert ipad.evaluate("window.labelAssist.pending()") == 1
    assert "1 waiting" in ipad.inner_text("#pending")

    restart_gateway(web_stack)
    ipad.wait_for_function("() => window.labelAssist.lastStored() !== null", timeout=60000)
    assert ipad.evaluate("window.labelAssist.pending()") == 0
    with LabelAssistClient(web_stack.addresses, token=web_stack.tokens["admin"]) as admin:
        assert len(admin.label_history(opened["sample_id"])) == 1
        np.testing.assert_array_equal(admin.get_sample(opened["sample_id"], with_image=False).require("label"), drawn)
