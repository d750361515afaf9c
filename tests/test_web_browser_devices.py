"""The browser app on each device it is made for, in a real Chromium (and
at the device's size in Firefox ESR): an iPad in portrait, a 10" Android
tablet and a desktop with a mouse annotate; a reviewer's Submit is refused
in the page with the reason; a phone reviews (view, accept, reject)."""

from __future__ import annotations

import numpy as np
import pytest
from firefox_page import firefox_browser  # noqa: F401
from web_page import (background_square, bounding_box, browser, device_page, in_browsers, open_next,  # noqa: F401
                      page_label, press, sign_in, stroke, submit)

from labelassist.client.sdk import LabelAssistClient

pytestmark = pytest.mark.slow


@pytest.fixture
def device(request):
    yield from device_page(request, request.param)


@pytest.mark.parametrize("device", in_browsers("ipad-portrait", "android-tablet", "desktop-mouse",
                                               "firefox:ipad-portrait"), indirect=True)
def test_an_annotator_signs_in_draws_and_submits_on_each_device(web_stack, web_project, device):
    sign_in(device, web_stack.web_url, web_stack.tokens["anna"], web_project)
    opened = open_next(device)
    top, left = background_square(page_label(device), 24)
    stroke(device, [(top + 6, left + 6), (top + 6, left + 18), (top + 18, left + 18)])
    drawn = page_label(device)
    assert drawn[top + 6, left + 6] == drawn.max() and (drawn == drawn.max()).sum() > 50

    stored_on_page = submit(device)
    np.testing.assert_array_equal(np.array(stored_on_page["values"]).reshape(drawn.shape), drawn)
    with LabelAssistClient(web_stack.addresses, token=web_stack.tokens["admin"]) as admin:
        np.testing.assert_array_equal(admin.get_sample(opened["sample_id"], with_image=False).require("label"), drawn)


def labelled_project(web_stack, project: str) -> list[int]:
    """Label every sample of ``project`` as the admin: the ids, in pool order."""
    with LabelAssistClient(web_stack.addresses, token=web_stack.tokens["admin"]) as admin:
        ids = []
        while not (leased := admin.next_sample(project, "admin")).exhausted:
            sid = leased.sample.sample_id
            mask = np.zeros((256, 256), np.uint8)
            mask[40:80, 40:80] = 1
            admin.submit_label(sid, "admin", mask)
            ids.append(sid)
        return sorted(ids)


@pytest.mark.parametrize("device", in_browsers("ipad-landscape", "firefox:ipad-landscape"), indirect=True)
def test_a_reviewers_submit_is_refused_in_the_page_with_the_reason(web_stack, web_project, device):
    first = labelled_project(web_stack, web_project)[0]
    sign_in(device, web_stack.web_url, web_stack.tokens["rita"], web_project)
    press(device, "#review")
    device.wait_for_function("() => window.labelAssist.reviewing() && window.labelAssist.label() !== null")
    assert device.evaluate("window.labelAssist.label().sample_id") == first

    held = "() => /was not stored|press Submit again/.test(document.getElementById('status').textContent)"
    press(device, "#submit")
    device.wait_for_function(held, timeout=30000)
    if "press Submit again" in device.inner_text("#status"):  # the inspection's warnings first
        press(device, "#submit")
        device.wait_for_function("() => /was not stored/.test(document.getElementById('status').textContent)",
                                 timeout=30000)
    message = device.inner_text("#status")
    assert "may not submit" in message and "rita" in message
    assert device.evaluate("window.labelAssist.label() !== null"), "the label stays on screen"
    assert device.evaluate("window.labelAssist.pending()") == 0, "a refusal is not retried"
    with LabelAssistClient(web_stack.addresses, token=web_stack.tokens["admin"]) as admin:
        assert len(admin.label_history(first)) == 1


@pytest.mark.parametrize("device", in_browsers("phone", "firefox:phone"), indirect=True)
def test_a_phone_reviews_accepting_one_label_and_rejecting_the_next(web_stack, web_project, device):
    first, second = labelled_project(web_stack, web_project)
    sign_in(device, web_stack.web_url, web_stack.tokens["rita"], web_project)
    assert bounding_box(device, ".tools") is None, "drawing tools wait for a tablet"
    press(device, "#review")
    device.wait_for_function("() => window.labelAssist.reviewing() && window.labelAssist.label() !== null")
    accept = bounding_box(device, "#accept")
    assert accept["height"] >= 44 and accept["x"] + accept["width"] <= 390, "Accept fits the phone, big enough"
    assert page_label(device)[60, 60] == 1, "the label under review is shown"

    press(device, "#accept")
    device.wait_for_function(f"() => window.labelAssist.lastReview()?.sample_id === {first}")
    assert device.evaluate("window.labelAssist.label().sample_id") == second
    device.fill("#review-comment", "the object is cut off")
    press(device, "#reject")
    device.wait_for_function(f"() => window.labelAssist.lastReview()?.sample_id === {second}")
    assert "Nothing to review" in device.inner_text("#status") or "rejected" in device.inner_text("#status")

    with LabelAssistClient(web_stack.addresses, token=web_stack.tokens["admin"]) as admin:
        verdicts = {s.sample_id: (s.review, s.review_comment) for s in admin.list_samples(web_project)}
    assert verdicts[first] == ("accepted", "") and verdicts[second] == ("rejected", "the object is cut off")
