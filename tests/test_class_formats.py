"""Classes through CVAT, Label Studio and OME-Zarr, both ways, through a
real selector: a project with two object classes and image classes is
exported and imported into a new project with identical masks, classes
and class schema; and each format's own class fields as other tools read
them (CVAT labels and tags, Label Studio brush labels and choices, NGFF
label properties)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
from test_classes import cell_image

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.io.formats import LabelledImage, label_format

OBJECTS = {1: "mitotic", 2: "interphase"}  # object 3 left without a class
FORMATS = ("cvat", "label-studio", "ome-zarr")


@pytest.fixture(scope="module")
def selector(module_service):
    """The module's selector with project "source" (one labelled sample with classes), which the
    tests only read; each import goes to a project of its own."""
    service = module_service("selector")
    with LabelAssistClient(ServiceAddresses(selector=service.address), retries=0) as client:
        client.create_project("source")
        client.set_class_schema("source", [{"name": "mitotic", "colour": "#ff0000", "key": "m"}, "interphase"],
                                ["in-focus", "usable"], multi_label=True)
        image, label = cell_image()
        sample_id = client.add_sample("source", "cells", image)
        client.submit_label(sample_id, "ann", label, object_classes=OBJECTS, image_classes=["in-focus", "usable"])
        yield client, label


@pytest.mark.parametrize("fmt", FORMATS)
def test_classes_round_trip_into_a_new_project(fmt, selector, tmp_path):
    client, label = selector
    report = client.download_labels("source", tmp_path / fmt, format=fmt)
    assert report.samples == 1
    assert (tmp_path / fmt / "classes.csv").read_text().splitlines() == [
        "sample,object_id,class", "cells,1,mitotic", "cells,2,interphase", "cells,,in-focus", "cells,,usable"]
    imported = client.import_labels(f"copy-{fmt}", tmp_path / fmt, format=fmt, create=True)
    assert (imported.added, imported.failed) == (1, [])
    assert client.class_schema(f"copy-{fmt}") == client.class_schema("source")
    copy = next(iter(client.iter_samples(f"copy-{fmt}")))
    np.testing.assert_array_equal(client.get_sample(copy.sample_id, with_image=False).require("label"), label)
    copied = client.label_history(copy.sample_id)[-1]
    assert copied.object_classes == OBJECTS
    assert copied.image_classes == ("in-focus", "usable")


def test_cvat_gives_each_mask_its_class_as_label_and_each_image_class_as_a_tag(selector, tmp_path):
    client, _ = selector
    client.download_labels("source", tmp_path / "cvat", format="cvat")
    root = ElementTree.parse(tmp_path / "cvat" / "annotations.xml").getroot()
    declared = {label.findtext("name"): (label.findtext("type"), label.findtext("color"))
                for label in root.iter("label")}
    assert declared == {"mitotic": ("mask", "#ff0000"), "interphase": ("mask", "#56b4e9"), "object": ("mask", None),
                        "in-focus": ("tag", "#f0e442"), "usable": ("tag", "#0072b2")}
    image = root.find("image")
    assert [m.get("label") for m in image.iter("mask")] == ["mitotic", "interphase", "object"]
    assert [t.get("label") for t in image.iter("tag")] == ["in-focus", "usable"]


def test_label_studio_brush_labels_are_classes_and_choices_image_classes(selector, tmp_path):
    client, _ = selector
    client.download_labels("source", tmp_path / "ls", format="label-studio")
    results = json.loads((tmp_path / "ls" / "tasks.json").read_text())[0]["annotations"][0]["result"]
    assert [r["value"]["brushlabels"] for r in results if r["type"] == "brushlabels"] == [
        ["mitotic"], ["interphase"], ["object"]]
    assert [r["value"]["choices"] for r in results if r["type"] == "choices"] == [["in-focus", "usable"]]
    config = ElementTree.parse(tmp_path / "ls" / "label_config.xml").getroot()
    assert [label.get("value") for label in config.iter("Label")] == ["mitotic", "interphase", "object"]
    assert config.find("Choices").get("choice") == "multiple"
    assert [c.get("value") for c in config.iter("Choice")] == ["in-focus", "usable"]


def test_ome_zarr_label_properties_name_each_objects_class(selector, tmp_path):
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Label, Reader

    client, _ = selector
    client.download_labels("source", tmp_path / "zarr", format="ome-zarr")
    nodes = list(Reader(parse_url(str(tmp_path / "zarr" / "cells.ome.zarr")))())
    label = next(n for n in nodes if any(isinstance(s, Label) for s in n.specs))
    assert label.metadata["properties"] == {1: {"class": "mitotic"}, 2: {"class": "interphase"}}
    assert label.metadata["color"][1] == [1.0, 0.0, 0.0, 1.0]


def test_other_tools_exports_declare_their_classes_by_name(tmp_path):
    _, label = cell_image()
    sample = LabelledImage("cells", np.zeros(label.shape, np.uint8), label,
                           classes={"objects": {"1": "dividing"}, "image": ["sharp"]})
    for fmt in ("cvat", "label-studio"):
        label_format(fmt).write([sample], tmp_path / fmt)  # no schema: names only, as other tools write them
        (tmp_path / fmt / "manifest.json").unlink()
        assert label_format(fmt).class_schema(tmp_path / fmt) == {
            "object": [{"name": "dividing"}], "image": [{"name": "sharp"}], "multi_label": False}
        entry = next(iter(label_format(fmt).read(tmp_path / fmt, None)))
        assert (entry["object_classes"], entry["image_classes"]) == ({1: "dividing"}, ["sharp"])
