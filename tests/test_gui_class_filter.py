"""The desktop client's sample list filtered by class, against the real
stack: the Qt-free controller's choices and pages, and the list's combo box
(Qt offscreen) filled from the schema, listing one class, hidden for a
project without classes."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from labelassist.client.class_filter import ALL, UNCLASSIFIED, ClassFilter  # noqa: E402
from test_class_filter import two_cells  # noqa: E402
from test_gui import WAIT_MS, _open_window, _wait_idle  # noqa: E402


def classified_project(client, name: str) -> dict[str, int]:
    """Samples a (mitotic), b (interphase, blurred), c (an object without a class), d (unlabelled)."""
    client.create_project(name)
    client.set_class_schema(name, ["mitotic", "interphase"], ["blurred"])
    image, label = two_cells()
    ids = {stem: client.add_sample(name, stem, image) for stem in "abcd"}
    client.submit_label(ids["a"], "ann", label, object_classes={1: "mitotic", 2: "mitotic"})
    client.submit_label(ids["b"], "ann", label, object_classes={1: "interphase", 2: "interphase"},
                        image_classes=["blurred"])
    client.submit_label(ids["c"], "ann", label, object_classes={1: "interphase"})
    return ids


def test_the_controller_offers_the_schemas_classes_and_pages_the_chosen_one(client):
    ids = classified_project(client, "filter-controller")
    controller = ClassFilter()
    assert controller.use(client.class_schema("filter-controller")) == [
        ALL, "object: mitotic", "object: interphase", "image: blurred", UNCLASSIFIED]

    def fetch(project, token, labelled, **wanted):
        return client.samples_page(project, token, 0, labelled, **wanted)

    assert controller.choose("object: interphase") is True
    page = controller.page_call(fetch, "filter-controller", "", False)
    controller.choose(UNCLASSIFIED)  # a later choice leaves the page already asked for alone
    assert [s.sample_id for s in page()[0]] == [ids["b"], ids["c"]]
    assert [s.sample_id for s in controller.page_call(fetch, "filter-controller", "", False)()[0]] == [ids["c"]]
    with pytest.raises(ValueError, match="no class filter 'object: prophase'"):
        controller.choose("object: prophase")
    assert controller.use(None) == [] and not controller.offered and controller.chosen == ALL


def test_the_sample_list_shows_one_class_from_its_combo_box(qtbot, stack, client, gui_project):
    ids = classified_project(client, "filter-gui")
    window = _open_window(qtbot, stack, "filter-gui")
    browser = window.browser
    qtbot.waitUntil(lambda: browser.class_combo.count() == 5, timeout=WAIT_MS)
    assert browser.class_combo.isVisible() and browser.class_combo.currentText() == ALL
    qtbot.waitUntil(lambda: len(browser.listed()) == 4, timeout=WAIT_MS)

    with qtbot.waitSignal(browser.loaded, timeout=WAIT_MS):
        browser.class_combo.textActivated.emit("object: mitotic")
    assert browser.listed() == [ids["a"]]
    with qtbot.waitSignal(browser.loaded, timeout=WAIT_MS):
        browser.class_combo.textActivated.emit("image: blurred")
    assert browser.listed() == [ids["b"]]
    with qtbot.waitSignal(browser.loaded, timeout=WAIT_MS):
        browser.class_combo.textActivated.emit(UNCLASSIFIED)
    assert browser.listed() == [ids["c"]] and browser.count.text() == "1 samples listed"

    project, _ = gui_project
    window.panel.project_combo.setCurrentText(project)
    qtbot.waitUntil(lambda: not browser.class_combo.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: len(browser.listed()) == len(client.list_samples(project)), timeout=WAIT_MS)
    assert browser.class_filter.chosen == ALL and browser.class_combo.count() == 0
    _wait_idle(qtbot, window)
    window.close()
