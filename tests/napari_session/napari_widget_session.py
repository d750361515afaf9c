"""Run by tests/test_napari_plugin.py inside a real napari on a virtual
screen (Xvfb): the plugin's dock widget, found through its npe2 manifest,
takes one sample from Next to Submit against the stack named by
LABELASSIST_*_ADDRESS, answers one warning "not an error", and saves the Labels layer it submitted for the
outer test to compare with what the selector stored."""

from __future__ import annotations

import os

import numpy as np
from skimage.measure import regionprops

from labelassist.client.napari_plugin.widget import (
    IMAGE,
    LABELS,
    OBJECT_CLICKS,
    WARNINGS,
    LabelAssistWidget,
)

WAIT_MS = 60_000


def act(qtbot, widget: LabelAssistWidget, action) -> None:
    """Press a button's action and wait until it is done (failures fail the test)."""
    outcome: list = []
    on_done, on_failed = (lambda what: outcome.append(("done", what)),
                          lambda what, message: outcome.append(("failed", what, message)))
    widget.done.connect(on_done)
    widget.failed.connect(on_failed)
    try:
        action()
        qtbot.waitUntil(lambda: bool(outcome), timeout=WAIT_MS)
    finally:
        widget.done.disconnect(on_done)
        widget.failed.disconnect(on_failed)
    assert outcome[0][0] == "done", outcome


def test_next_to_submit_in_napari(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("label-assistant", "Label Assistant")
    assert isinstance(widget, LabelAssistWidget)
    act(qtbot, widget, widget.connect_services)
    widget.project.setCurrentText(os.environ["LA_NAPARI_PROJECT"])
    assert widget.project.currentText() == os.environ["LA_NAPARI_PROJECT"]

    act(qtbot, widget, widget.next_sample)
    image, labels = viewer.layers[IMAGE].data, viewer.layers[LABELS].data
    assert image.shape == labels.shape and labels.max() > 2  # the pre-label's nuclei

    # Click-to-segment: one nucleus (the roundest of the larger objects; a pre-label may
    # merge two) taken out of the label comes back from a click on it.
    largest = max((r for r in regionprops(labels) if r.area > 200), key=lambda r: r.solidity)
    cut = labels.copy()
    cut[cut == largest.label] = 0
    viewer.layers[LABELS].data = cut
    act(qtbot, widget, widget.segment)  # the first press makes the click layers
    viewer.layers[OBJECT_CLICKS].add([list(largest.centroid)])
    act(qtbot, widget, widget.segment)
    back = viewer.layers[LABELS].data
    new = back == back.max()
    overlap = (new & (labels == largest.label)).sum()
    assert overlap > 0.7 * largest.area and overlap > 0.7 * new.sum()
    assert len(viewer.layers[OBJECT_CLICKS].data) == 0

    # napari's own tools edit the layer: a 25 px square object painted in a corner, below object_size's 40 px.
    edited = viewer.layers[LABELS].data.copy()
    square = int(edited.max()) + 1
    edited[3:8, 3:8] = square
    viewer.layers[LABELS].data = edited

    act(qtbot, widget, widget.inspect)
    assert widget.table.rowCount() == len(widget.findings)
    if any(f.boxes for f in widget.findings):
        assert WARNINGS in viewer.layers

    # The annotator judges the square's warning wrong: "Not an error" records it and the table says so.
    [row] = [i for i, f in enumerate(widget.findings) if f.criterion == "object_size" and square in f.object_ids]
    widget.table.setCurrentCell(row, 0)
    act(qtbot, widget, widget.dismiss_finding)
    assert widget.table.item(row, 0).text() == "not an error"

    act(qtbot, widget, widget.submit)
    np.save(os.environ["LA_NAPARI_OUT"], viewer.layers[LABELS].data)
