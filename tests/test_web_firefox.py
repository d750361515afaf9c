"""The browser app in Debian's Firefox ESR (over WebDriver BiDi, see
tests/firefox_page.py) against ``labelassist up``'s stack and gateway,
with a mouse and with a finger: what the page drew is, pixel for pixel,
what the selector stores."""

from __future__ import annotations

import numpy as np
import pytest
from firefox_page import firefox, firefox_browser  # noqa: F401
from web_page import (background_square, object_centre, open_next, page_label, sign_in, stored_label, stroke,
                      submit, to_page)

pytestmark = pytest.mark.slow


def test_an_annotator_in_firefox_draws_on_the_prelabel_and_the_selector_stores_exactly_it(web_stack, web_project,
                                                                                           firefox):
    sign_in(firefox, web_stack.web_url, web_stack.tokens["anna"], web_project)
    opened = open_next(firefox)
    prelabel = page_label(firefox)
    assert prelabel.shape == tuple(opened["shape"]) and prelabel.max() > 0, "the pre-label is shown at once"

    top, left = background_square(prelabel, 24)
    stroke(firefox, [(top + 6, left + 6), (top + 6, left + 18), (top + 18, left + 18)])
    drawn = page_label(firefox)
    new_id = int(drawn[top + 6, left + 6])
    assert new_id == prelabel.max() + 1 and (drawn == new_id).sum() > 50
    np.testing.assert_array_equal(drawn[drawn != new_id], prelabel[drawn != new_id])

    stored_on_page = submit(firefox)
    assert stored_on_page["sample_id"] == opened["sample_id"]
    np.testing.assert_array_equal(np.array(stored_on_page["values"]).reshape(drawn.shape), drawn)
    stored, origin = stored_label(web_stack, opened["sample_id"])
    np.testing.assert_array_equal(stored, drawn)
    assert origin == "LABEL_ORIGIN_EDITED_PRELABEL"
    assert firefox.evaluate("window.labelAssist.pending()") == 0, "nothing waits in IndexedDB"


def finger_stroke(page, points: list[tuple[float, float]]) -> None:
    page.touch([to_page(page, *point) for point in points])


@pytest.mark.parametrize("firefox", ["android-tablet"], indirect=True)
def test_a_finger_in_firefox_draws_and_erases_and_the_selector_stores_exactly_it(web_stack, web_project, firefox):
    sign_in(firefox, web_stack.web_url, web_stack.tokens["anna"], web_project)
    opened = open_next(firefox)
    prelabel = page_label(firefox)
    top, left = background_square(prelabel, 24)
    finger_stroke(firefox, [(top + 6, left + 6), (top + 6, left + 18), (top + 18, left + 18)])
    drawn = page_label(firefox)
    assert drawn[top + 6, left + 6] == prelabel.max() + 1 and (drawn == prelabel.max() + 1).sum() > 50

    firefox.click("[data-tool=eraser]")
    centre = object_centre(prelabel)
    finger_stroke(firefox, [centre, (centre[0] + 2, centre[1] + 2)])
    erased = page_label(firefox)
    assert erased[centre] == 0 and (erased == 0).sum() > (drawn == 0).sum()

    submit(firefox)
    stored, _ = stored_label(web_stack, opened["sample_id"])
    np.testing.assert_array_equal(stored, erased)
