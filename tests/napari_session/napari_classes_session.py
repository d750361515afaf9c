"""Run by tests/test_napari_plugin.py inside a real napari on a virtual
screen (Xvfb): in a project with object classes, the dock widget's class
palette colours the leased pre-label by the class model's guesses, the
least sure guess is re-classed with a palette click, an object painted
with a new label takes the current class (on Inspect, which sends the
classes, as on Submit), and Submit sends the classes;
the classes it submitted are saved for the outer test."""

from __future__ import annotations

import json
import os

import numpy as np

from labelassist.client.class_palette import rgb
from labelassist.client.napari_plugin.widget import LABELS, LabelAssistWidget

WAIT_MS = 60_000


def act(qtbot, widget: LabelAssistWidget, action, name: str) -> None:
    """Press a button's action and wait until that action is done (failures fail the test)."""
    outcome: list = []
    on_done, on_failed = (lambda what: outcome.append(("done", what)) if what == name else None,
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


def test_class_palette_in_napari(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("label-assistant", "Label Assistant")
    act(qtbot, widget, widget.connect_services, "Connect")
    widget.project.setCurrentText(os.environ["LA_NAPARI_PROJECT"])
    qtbot.waitUntil(lambda: list(widget.classes.object_buttons) == ["big", "small"], timeout=WAIT_MS)
    assert not widget.classes.isHidden()

    act(qtbot, widget, widget.next_sample, "Next")
    layer, palette = viewer.layers[LABELS], widget.session.classes
    guesses = widget.session.class_guesses
    assert guesses is not None and guesses.objects
    guessed = {i: g.predicted_class for i, g in guesses.objects.items()}
    colours = {d.name: rgb(d.colour) for d in palette.schema.object_classes}
    for object_id, name in guessed.items():
        shown = np.round(np.asarray(layer.colormap.map([object_id]))[0][:3] * 255).astype(int).tolist()
        assert shown == list(colours[name]), (object_id, name, shown)
    features = layer.features.set_index("index")
    assert {i: features.loc[i, "class"] for i in guessed} == guessed

    # Least sure next selects the least confident guess; a palette click re-classes it.
    widget.classes.least_sure()
    least = int(layer.selected_label)
    assert least == min(guessed, key=lambda i: (guesses.objects[i].confidence, i))
    other = "small" if guessed[least] == "big" else "big"
    widget.classes.object_buttons[other].click()
    assert palette.objects[least].name == other and palette.current == other

    # A new label painted in the corner takes the current class on Submit.
    data = layer.data.copy()
    new_id = int(data.max()) + 1
    data[:3, :3] = new_id
    layer.data = data
    act(qtbot, widget, widget.inspect, "Inspect")  # the inspection gets the painted label's class too
    assert palette.objects[new_id].name == other and widget.session.inspected_mask is not None
    act(qtbot, widget, widget.submit, "Submit")
    with open(os.environ["LA_NAPARI_OUT"], "w") as out:
        json.dump({str(k): v for k, v in {**guessed, least: other, new_id: other}.items()}, out)
