"""Agreement in the browser app, in a real Chromium against ``labelassist
up``'s stack and gateway: an admin reads the project's agreement and every
annotator's quality, builds the consensus, compares a disputed sample's
labels side by side and picks one; an annotator sees only their own
numbers and no queue."""

from __future__ import annotations

import numpy as np
import pytest
from web_page import browser, new_page, sign_in  # noqa: F401

from labelassist.client.sdk import LabelAssistClient

pytestmark = pytest.mark.slow


def squares(shape, *corners, side: int = 20) -> np.ndarray:
    label = np.zeros(shape, np.uint16)
    for object_id, (top, left) in enumerate(corners, start=1):
        label[top:top + side, left:left + side] = object_id
    return label


@pytest.fixture
def disputed(web_stack, web_project):
    """The web project's first sample labelled by anna (four nuclei) and ben (two of them): its id and labels."""
    with LabelAssistClient(web_stack.addresses, token=web_stack.tokens["admin"]) as admin:
        first = next(iter(admin.iter_samples(web_project)))
        shape = admin.get_sample(first.sample_id).require("image").shape[:2]
    four = squares(shape, (10, 10), (10, 50), (50, 10), (50, 50))
    two = squares(shape, (10, 10), (10, 50))
    versions = {}
    for name, label in (("anna", four), ("ben", two)):
        with LabelAssistClient(web_stack.addresses, token=web_stack.tokens[name]) as client:
            versions[name] = client.submit_label(first.sample_id, name, label).version
    return first.sample_id, versions


@pytest.fixture
def desktop(browser):
    page = new_page(browser, "desktop-mouse")
    yield page
    page.context.close()


def open_agreement(page) -> None:
    page.click("#agreement")
    page.wait_for_function("() => { const a = window.labelAssist.agreement(); return a.agreement && a.queue; }",
                           timeout=60000)


def table_rows(page, selector: str) -> list[list[str]]:
    return page.evaluate(f"""() => [...document.querySelectorAll('{selector} tr')].map(
        (tr) => [...tr.children].map((cell) => cell.textContent))""")


def test_an_admin_reads_agreement_and_quality_then_picks_one_label_of_a_disputed_sample(web_stack, web_project,
                                                                                        disputed, desktop):
    sample_id, versions = disputed
    sign_in(desktop, web_stack.web_url, web_stack.tokens["admin"], web_project, "admin")
    open_agreement(desktop)
    # anna drew four nuclei, ben two of them exactly: F1 and PQ 2·2/6, one sample so the interval is the mean.
    measures = table_rows(desktop, "#agreement-summary table")
    assert measures[0] == ["F1", "boundary F1", "PQ"]
    assert measures[1][0] == "0.667 [0.667, 0.667]" and measures[1][2] == "0.667 [0.667, 0.667]"
    quality = table_rows(desktop, "#annotator-quality")
    assert [r[0] for r in quality[1:]] == ["anna", "ben"]
    assert quality[0][-6:] == ["missed", "extra", "merged", "split", "wide", "narrow"]
    assert all(r[3] == "0.667 [0.667, 0.667]" for r in quality[1:])

    desktop.click("#build-consensus")
    desktop.wait_for_function("() => /Consensus: 1 built/.test(document.getElementById('status').textContent)"
                              " && window.labelAssist.agreement().queue", timeout=60000)
    item = f".adjudication-item[data-sample-id='{sample_id}']"
    desktop.click(f"{item} button:text('Compare')")
    desktop.wait_for_selector(f"{item} .label-choice:nth-child(3) canvas", timeout=30000)
    shown = desktop.evaluate(f"""() => [...document.querySelectorAll("{item} figcaption")].map(
        (caption) => caption.firstChild.textContent)""")
    assert shown[:2] == [f"anna · v{versions['anna']}", f"ben · v{versions['ben']}"]
    assert shown[2].startswith("consensus · v")
    assert desktop.evaluate(f"document.querySelector(\"{item} canvas\").width") > 0

    desktop.click(f"{item} button:text('Pick anna')")
    desktop.wait_for_function("() => window.labelAssist.agreement().lastAdjudicated !== null", timeout=30000)
    chosen = desktop.evaluate("window.labelAssist.agreement().lastAdjudicated")
    assert chosen["sample_id"] == sample_id and chosen["sources"] == [versions["anna"]]
    with LabelAssistClient(web_stack.addresses, token=web_stack.tokens["admin"]) as admin:
        assert admin.label_history(sample_id)[-1].version == chosen["version"]
        settled = admin.get_sample(sample_id, with_image=False)
        assert settled.message.review == "accepted"
        assert np.array_equal(settled.require("label") > 0,
                              admin.get_sample(sample_id, with_image=False, label_version=versions["anna"]
                                               ).require("label") > 0)


def test_an_annotator_sees_only_their_own_quality_and_no_adjudication_queue(web_stack, web_project, disputed,
                                                                            desktop):
    sign_in(desktop, web_stack.web_url, web_stack.tokens["ben"], web_project, "ben")
    open_agreement(desktop)
    quality = table_rows(desktop, "#annotator-quality")
    assert [r[0] for r in quality[1:]] == ["ben"]
    assert desktop.inner_text("#adjudication") == "The adjudication queue is for the project's reviewers and admins."
    assert desktop.is_hidden("#build-consensus")


def test_edit_opens_a_disputed_sample_in_the_editor_as_a_reviewer(web_stack, web_project, disputed, desktop):
    sample_id, _ = disputed
    sign_in(desktop, web_stack.web_url, web_stack.tokens["rita"], web_project, "rita")
    open_agreement(desktop)
    desktop.click(f".adjudication-item[data-sample-id='{sample_id}'] button:text('Edit')")
    desktop.wait_for_function(f"() => window.labelAssist.label()?.sample_id === {sample_id}", timeout=30000)
    assert desktop.evaluate("window.labelAssist.reviewing()") is True
    assert desktop.is_hidden("#agreement-panel") and desktop.is_visible("#review-panel")


def test_the_gateway_refuses_a_malformed_version_and_a_choice_without_one(web_stack, disputed):
    import httpx

    sample_id, _ = disputed
    headers = {"Authorization": f"Bearer {web_stack.tokens['admin']}"}
    with httpx.Client(base_url=web_stack.web_url, timeout=60, headers=headers) as http:
        answer = http.get(f"/api/samples/{sample_id}/labels/latest")
        assert answer.status_code == 400 and "label version must be a positive integer" in answer.json()["error"]
        answer = http.post(f"/api/samples/{sample_id}/adjudicate", json={"comment": "no choice"})
        assert answer.status_code == 400 and "'version' must name the label version chosen" in answer.json()["error"]
        answer = http.get(f"/api/projects/{'no-such-project'}/agreement")
        assert answer.status_code == 404
