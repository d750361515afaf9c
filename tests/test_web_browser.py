"""The browser app in a real Chromium (Debian's, driven by Playwright)
against ``labelassist up``'s stack and gateway, on an emulated iPad with
touch, and at the iPad's size in Firefox ESR: what the page drew is, pixel
for pixel, what the selector stores; a pen's pressure and a palm, pinch and
pan; a Submit while the gateway is down."""

from __future__ import annotations

import time

import numpy as np
import pytest
from web_page import (background_square, browser, device_page, fingers, firefox_browser,  # noqa: F401
                      in_browsers, object_centre, open_next, page_label, pen_stroke, sign_in, stored_label, submit,
                      to_page, touch_stroke)

from labelassist.client.sdk import LabelAssistClient

pytestmark = pytest.mark.slow


IN_BOTH = in_browsers("ipad-landscape", "firefox:ipad-landscape")


@pytest.fixture
def ipad(request):
    """An iPad's page in Chromium, or the param's (of ``IN_BOTH``)."""
    yield from device_page(request, getattr(request, "param", "ipad-landscape"))


@pytest.mark.parametrize("ipad", IN_BOTH, indirect=True)
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


@pytest.mark.parametrize("ipad", IN_BOTH, indirect=True)
def test_a_pens_pressure_sizes_the_brush_and_a_palm_on_the_glass_draws_nothing(web_stack, web_project, ipad):
    sign_in(ipad, web_stack.web_url, web_stack.tokens["anna"], web_project)
    open_next(ipad)
    prelabel = page_label(ipad)
    top, left = background_square(prelabel, 56)
    palm = [to_page(ipad, top + 46, left + 8 + 8 * step) for step in range(6)]
    fingers(ipad, [{0: palm[0]}, {0: palm[2]}])
    assert (page_label(ipad) != prelabel).any(), "a touch alone draws"

    pen_stroke(ipad, [(top + 8, left + 8), (top + 8, left + 28), (top + 8, left + 48)], pressure=0.2)
    pen_stroke(ipad, [(top + 24, left + 8), (top + 24, left + 28), (top + 24, left + 48)], pressure=0.8)
    fingers(ipad, [{0: at} for at in palm[3:]] + [{}])  # the palm stays on the glass and moves: it is no finger
    touch_stroke(ipad, [(top + 46, left + 8), (top + 46, left + 48)])  # a touch while the pen is near
    drawn = page_label(ipad)

    assert (drawn[top + 38:top + 56] == prelabel[top + 38:top + 56]).all(), "the palm's stroke is undone"
    light, heavy = (int((drawn[top:top + 38, left + 28] != 0)[rows].sum()) for rows in (slice(0, 16), slice(16, 38)))
    assert 4 <= light < heavy, f"a light pen draws thinner than a firm one ({light} and {heavy} pixels across)"


def two_fingers(x: float, y: float, apart: float, moves: list[tuple[float, float, float]]) -> list[dict]:
    """Frames of two fingers ``apart`` across (x, y), the second landing after the first, then spread
    ``apart`` and moved by (dx, dy) for each (apart, dx, dy) of ``moves``, then lifted."""
    return ([{1: (x - apart / 2, y)}, {1: (x - apart / 2, y), 2: (x + apart / 2, y)}]
            + [{1: (x - wide / 2 + dx, y + dy), 2: (x + wide / 2 + dx, y + dy)} for wide, dx, dy in moves] + [{}])


@pytest.mark.parametrize("apart, moves, zoomed, shift", [
    pytest.param(100, [(120, 0, 0), (160, 0, 0), (200, 0, 0)], 2, (0, 0), id="pinch"),
    pytest.param(80, [(80, 20, 10), (80, 40, 20), (80, 60, 30)], 1, (60, 30), id="pan")])
@pytest.mark.parametrize("ipad", IN_BOTH, indirect=True)
def test_two_fingers_zoom_by_their_spread_and_pan_with_their_centre_and_draw_nothing(web_stack, web_project, ipad,
                                                                                      apart, moves, zoomed, shift):
    sign_in(ipad, web_stack.web_url, web_stack.tokens["anna"], web_project)
    open_next(ipad)
    before, zoom = page_label(ipad), ipad.evaluate("window.labelAssist.zoom()")
    x, y = ipad.evaluate("window.labelAssist.imageToPage(128, 128)")
    fingers(ipad, two_fingers(x, y, apart, moves))
    assert ipad.evaluate("window.labelAssist.zoom()") == pytest.approx(zoomed * zoom, rel=0.02)
    assert ipad.evaluate("window.labelAssist.imageToPage(128, 128)") == pytest.approx([x + shift[0], y + shift[1]],
                                                                                       abs=2)
    np.testing.assert_array_equal(page_label(ipad), before, "the first finger's stroke is undone")
    ipad.tap("#release")


@pytest.mark.parametrize("ipad", IN_BOTH, indirect=True)
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
        # The time is stamped after the frame that painted the pre-label, a moment after label() changes.
        ipad.wait_for_function("() => window.labelAssist.timings().next_to_prelabel_ms !== undefined")
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


@pytest.mark.parametrize("ipad", IN_BOTH, indirect=True)
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
