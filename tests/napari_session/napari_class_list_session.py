"""Run by tests/test_napari_plugin.py inside a real napari on a virtual
screen (Xvfb): in a project with object classes, the dock widget's sample
list filters by class as the selector's class index does (each object
class, objects without a class), opens a labelled sample from the list,
two objects of one class are selected (the second with a shift-click on
the Labels layer) and one palette click re-classes both; Submit stores
them. What it submitted is saved for the outer test."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import numpy as np

from labelassist.client.class_filter import ALL, UNCLASSIFIED
from labelassist.client.napari_plugin.widget import LABELS, LabelAssistWidget
from napari_classes_session import WAIT_MS, act


def test_class_filter_and_reclassing_several_objects_in_napari(make_napari_viewer, qtbot):
    project = os.environ["LA_NAPARI_PROJECT"]
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("label-assistant", "Label Assistant")
    act(qtbot, widget, widget.connect_services, "Connect")
    widget.project.setCurrentText(project)
    listing = widget.sample_list
    qtbot.waitUntil(lambda: len(listing.listed) == 5, timeout=WAIT_MS)
    assert [listing.filter.itemText(i) for i in range(listing.filter.count())] == \
        [ALL, "object: big", "object: small", UNCLASSIFIED]
    assert not listing.filter.isHidden()

    listing.choose(UNCLASSIFIED)
    qtbot.waitUntil(lambda: listing.listed == ["partial"], timeout=WAIT_MS)
    listing.choose("object: small")
    expected = [info.stem for info in widget.client.list_samples(project, object_class="small")]
    qtbot.waitUntil(lambda: listing.listed == expected, timeout=WAIT_MS)
    assert "new" not in expected and len(expected) == 4

    listing.samples.setCurrentRow(expected.index("labelled-0"))
    act(qtbot, widget, listing.open_selected, "Open")
    layer, palette = viewer.layers[LABELS], widget.session.classes
    big = sorted(i for i, c in palette.objects.items() if c.name == "big")[:2]
    assert len(big) == 2
    layer.selected_label = big[0]  # napari's picker
    rows, cols = np.nonzero(np.asarray(layer.data) == big[1])
    widget.classes._shift_click(layer, SimpleNamespace(modifiers=["Shift"],
                                                       position=(float(rows.mean()), float(cols.mean()))))
    assert palette.selection == big and "2 labels selected" in widget.classes.selected.text()
    widget.classes.object_buttons["small"].click()
    assert [palette.objects[i].name for i in big] == ["small", "small"]
    submitted = {str(k): v.name for k, v in palette.objects.items()}
    act(qtbot, widget, widget.submit, "Submit")
    with open(os.environ["LA_NAPARI_OUT"], "w") as out:
        json.dump({"reclassed": big, "classes": submitted}, out)
