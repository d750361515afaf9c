"""Labels out to and back from the formats other tools use, through
``labelassist project export/import`` and the real services: each format
keeps touching instances, holes and an empty image exactly (ids may be
renumbered), each export opens in the format's own reader, and an import
names what it could not read and adds the rest."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
import tifffile

CLI = [sys.executable, "-m", "labelassist.cli"]
FORMATS = ("coco", "label-studio", "cvat", "ome-zarr")


def run(env, *args):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=300)


def _name(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{np.random.default_rng().integers(1 << 30)}"


def _labels() -> dict[str, np.ndarray]:
    touching = np.zeros((32, 40), np.uint16)
    touching[5:15, 5:15], touching[5:15, 15:25] = 1, 2  # two objects sharing an edge
    touching[20:30, 30:38] = 3
    holed = np.zeros((32, 40), np.uint16)
    holed[4:20, 4:20] = 7
    holed[9:13, 9:13] = 0  # a hole
    holed[0, 39] = 9  # one pixel in a corner
    return {"touching": touching, "holed": holed, "empty": np.zeros((32, 40), np.uint16)}


def _images(rng) -> dict[str, np.ndarray]:
    return {"touching": rng.integers(0, 4000, (32, 40)).astype(np.uint16),
            "holed": rng.integers(0, 255, (32, 40, 3)).astype(np.uint8),  # RGB
            "empty": np.full((32, 40), 5, np.uint8)}


def _same_objects(original: np.ndarray, label: np.ndarray) -> None:
    """Every object keeps its pixels; ids may be renumbered."""
    pairs = {(int(a), int(b)) for a, b in zip(original.ravel(), label.ravel())}
    assert len({a for a, _ in pairs}) == len(pairs) == len({b for _, b in pairs})
    assert np.array_equal(label > 0, original > 0)


def _opens_in_its_own_reader(fmt: str, out) -> None:
    if fmt == "coco":
        from pycocotools.coco import COCO
        coco = COCO(str(out / "annotations.json"))
        assert len(coco.getImgIds()) == 3 and len(coco.getAnnIds()) == 5
        assert sorted(a["area"] for a in coco.loadAnns(coco.getAnnIds())) == [1.0, 80.0, 100.0, 100.0, 240.0]
    elif fmt == "label-studio":
        from label_studio_converter.brush import decode_rle
        tasks = json.loads((out / "tasks.json").read_text())
        results = {t["data"]["image"]: t["annotations"][0]["result"] for t in tasks}
        assert results["/data/local-files/?d=images/empty.png"] == []
        masks = [np.reshape(decode_rle(r["value"]["rle"]), (32, 40, 4))[:, :, 3] > 0
                 for r in results["/data/local-files/?d=images/holed.png"]]
        assert sorted(int(m.sum()) for m in masks) == [1, 240]
        assert (out / "label_config.xml").read_text().startswith("<View>")
    elif fmt == "cvat":
        root = ElementTree.parse(out / "annotations.xml").getroot()
        assert root.findtext("version") == "1.1"
        masks = {i.get("name"): i.findall("mask") for i in root.iter("image")}
        assert [len(masks[f"{n}.png"]) for n in ("touching", "holed", "empty")] == [3, 2, 0]
    else:
        from ome_zarr.io import parse_url
        from ome_zarr.reader import Label, Reader
        nodes = list(Reader(parse_url(str(out / "holed.ome.zarr")))())
        label = next(n for n in nodes if any(isinstance(s, Label) for s in n.specs))
        assert [a["name"] for a in label.metadata["axes"]] == ["y", "x"]
        _same_objects(_labels()["holed"], np.asarray(label.data[0]))
        assert [a["name"] for a in nodes[0].metadata["axes"]] == ["c", "y", "x"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_project_round_trips_through_each_format(fmt, cli_env, client, tmp_path, rng):
    project = _name(fmt)
    client.create_project(project)
    labels, images = _labels(), _images(rng)
    for name in labels:
        client.add_sample(project, name, images[name], label=labels[name])
    client.add_sample(project, "unlabelled", images["touching"])  # not exported

    out = tmp_path / fmt
    exported = run(cli_env, "project", "export", project, "--format", fmt, "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "wrote 3 labelled samples" in exported.stdout
    _opens_in_its_own_reader(fmt, out)

    copy = _name(f"{fmt}-copy")
    imported = run(cli_env, "project", "import", copy, str(out), "--format", fmt, "--create")
    assert imported.returncode == 0, imported.stderr
    back = {info.stem: info for info in client.list_samples(copy)}
    assert sorted(back) == sorted(labels)
    for name, original in labels.items():
        sample = client.get_sample(back[name].sample_id)
        assert np.array_equal(sample.require("image"), images[name])
        _same_objects(original, sample.require("label"))
        assert client.label_history(back[name].sample_id)[0].annotator == f"imported:{fmt}"


@pytest.mark.parametrize("fmt", ("coco", "label-studio", "cvat"))
def test_an_import_names_what_it_cannot_read_and_adds_the_rest(fmt, client, tmp_path, rng):
    project = _name(f"{fmt}-partial")
    client.create_project(project)
    for name, label in _labels().items():
        client.add_sample(project, name, _images(rng)[name], label=label)
    out = tmp_path / "out"
    client.download_labels(project, out, fmt)
    next((out / "images").glob("holed.*")).unlink()  # one image gone
    report = client.import_labels(_name("partial"), out, fmt, create=True)
    assert report.added == 2 and [name for name, _ in report.failed] == ["holed"]
    assert "not found" in report.failed[0][1] and "--images" in report.failed[0][1]

    # The images elsewhere: --images finds them.
    moved = tmp_path / "elsewhere"
    shutil.move(out / "images", moved)
    report = client.import_labels(_name("moved"), out, fmt, images=moved, create=True)
    assert report.added == 2 and len(report.failed) == 1


def test_label_studio_tasks_from_the_tool_itself_import(client, tmp_path, rng):
    """Label Studio's own export: an uploaded file's URL, a polygon, a
    cancelled annotation skipped for the next one, predictions when there
    is no annotation, and a task nobody labelled (added unlabelled)."""
    from label_studio_converter.brush import encode_rle

    from labelassist.io.images import write_image
    (tmp_path / "images").mkdir()
    for name in ("a", "b", "c"):
        write_image(tmp_path / "images" / f"{name}.png", rng.integers(0, 255, (20, 30)).astype(np.uint8))
    square = np.zeros((20, 30), np.uint8)
    square[2:8, 3:9] = 255
    brush = {"type": "brushlabels", "original_width": 30, "original_height": 20,
             "value": {"format": "rle", "rle": encode_rle(np.repeat(square.ravel(), 4)), "brushlabels": ["cell"]}}
    polygon = {"type": "polygonlabels", "original_width": 30, "original_height": 20,
               "value": {"points": [[50, 50], [90, 50], [90, 90], [50, 90]], "polygonlabels": ["cell"]}}
    tasks = [{"id": 1, "data": {"image": "/data/local-files/?d=images/a.png"},
              "annotations": [{"was_cancelled": True, "result": []}, {"result": [brush, polygon]}]},
             {"id": 2, "data": {"img": "/data/upload/3/b.png"}, "predictions": [{"result": [polygon]}]},
             {"id": 3, "data": {"image": "images/c.png"}}]
    (tmp_path / "export.json").write_text(json.dumps(tasks))
    project = _name("ls")
    report = client.import_labels(project, tmp_path / "export.json", "label-studio", create=True)
    assert report.added == 3 and not report.failed
    back = {info.stem: info for info in client.list_samples(project)}
    a = client.get_sample(back["a"].sample_id).require("label")
    assert len(np.unique(a)) == 3 and np.array_equal(a[2:8, 3:9] > 0, np.ones((6, 6), bool))
    assert a[10:18, 15:27].all()  # the polygon: 50-90 % of 20 x 30
    assert client.get_sample(back["b"].sample_id).require("label").any()
    assert not back["c"].labeled


def test_ome_tiff_labels_of_a_stack_import_beside_their_images(cli_env, client, tmp_path, rng):
    """A ZYX stack's label file in its layout (what ``export`` writes, or
    another tool's): registered plane by plane with the images."""
    images, labels = tmp_path / "images", tmp_path / "labels"
    images.mkdir(), labels.mkdir()
    stack = rng.integers(0, 4000, (3, 24, 24)).astype(np.uint16)
    tifffile.imwrite(images / "cells.ome.tif", stack, ome=True, metadata={"axes": "ZYX"})
    truth = np.zeros((3, 24, 24), np.uint16)
    truth[:, 4:10, 4:10], truth[1, 12:20, 12:20] = 1, 2
    tifffile.imwrite(labels / "cells_labels.ome.tif", truth, ome=True, metadata={"axes": "ZYX"})
    project = _name("ome-tiff")
    imported = run(cli_env, "project", "import", project, str(labels), "--format", "ome-tiff", "--images",
                   str(images), "--create")
    assert imported.returncode == 0, imported.stderr
    infos = client.list_samples(project)
    assert len(infos) == 3 and all(i.labeled for i in infos)
    for info in infos:
        _same_objects(truth[info.origin.z], client.get_sample(info.sample_id).require("label"))
        assert client.label_history(info.sample_id)[0].annotator == "imported:ome-tiff"

    out = tmp_path / "back"
    assert run(cli_env, "project", "export", project, "-o", str(out), "--ids", "as-labelled").returncode == 0
    assert np.array_equal(tifffile.imread(out / "cells_labels.ome.tif"), truth)


def test_a_broken_ome_zarr_is_named_and_the_rest_imported(client, tmp_path, rng):
    project = _name("zarr")
    client.create_project(project)
    for name, label in _labels().items():
        client.add_sample(project, name, _images(rng)[name], label=label)
    out = tmp_path / "zarr"
    client.download_labels(project, out, "ome-zarr")
    (out / "broken.ome.zarr").mkdir()
    report = client.import_labels(_name("zarr-copy"), out, "ome-zarr", create=True)
    assert report.added == 3 and [name for name, _ in report.failed] == ["broken"]


def test_a_project_exported_by_cvat_imports_with_what_it_left_out_named(cli_env, client, tmp_path):
    """A project export written by CVAT itself (tests/data/cvat_project_export,
    from datumaro's test assets): each subset's images under
    ``images/<subset>/``, one image name in three subsets, and shapes a
    segmentation label cannot hold. Every image is imported under its subset's
    name; the polygons become labelled objects of their class; boxes,
    polylines and points are named in notes, and an image with nothing else
    stays unlabelled instead of getting an empty label."""
    from pathlib import Path

    source = tmp_path / "cvat"
    shutil.copytree(Path(__file__).parent / "data" / "cvat_project_export", source)
    project = _name("cvat-real")
    imported = run(cli_env, "project", "import", project, str(source), "--format", "cvat", "--create")
    assert imported.returncode == 0, imported.stderr
    assert "imported 6 samples" in imported.stdout
    notes = [line for line in imported.stderr.splitlines() if line.startswith("note ")]
    assert len(notes) == 6
    assert any(line.startswith("note Train-img0: skipped 1 <box>, 1 <polyline>") and "without a label" in line
               for line in notes)
    assert any(line.startswith("note Test-img1: skipped 1 <points>") for line in notes)
    samples = {info.stem: info for info in client.list_samples(project)}
    assert sorted(samples) == [f"{subset}-img{i}" for subset in ("Test", "Train", "Validation") for i in (0, 1)]
    assert not any(samples[f"{subset}-img0"].labeled for subset in ("Test", "Train", "Validation"))
    for subset, grey in (("Test", 60), ("Train", 120), ("Validation", 180)):  # each read from its subset's folder
        for i in (0, 1):
            image = client.get_sample(samples[f"{subset}-img{i}"].sample_id).require("image")
            assert abs(float(image.mean()) - grey) < 2, (subset, i, image.mean())
    polygon = client.get_sample(samples["Train-img1"].sample_id)
    label = polygon.require("label")
    assert label.shape == (10, 10) and len(np.unique(label)) == 2
    assert set(polygon.info.object_classes.values()) == {"label1"}


def test_cvat_subsets_never_share_a_file_or_a_sample_name(tmp_path):
    """Names a CVAT project export repeats per subset: a frame of one subset
    is never read from another's file, a sample name that would repeat
    fails as an item naming both images, tags on an image whose shapes
    are all boxes still come in as its image classes, and a frame with no
    shape comes in unlabelled."""
    from PIL import Image

    from labelassist.io.formats import cvat

    def image(name, subset, shapes):
        return f'<image name="{name}" subset="{subset}" width="4" height="4">{shapes}</image>'

    polygon = '<polygon label="cell" points="0,0;3,0;3,3"/>'
    box_and_tag = '<box label="cell" xtl="0" ytl="0" xbr="2" ybr="2"/><tag label="in-focus"/>'
    (tmp_path / "annotations.xml").write_text(
        "<annotations><version>1.1</version>" + image("a.png", "Train", polygon) + image("a.jpg", "Test", polygon)
        + image("Train-a.png", "Train", polygon) + image("t.png", "", box_and_tag) + image("e.png", "", "")
        + "</annotations>")
    for path, grey in (("images/Train/a.png", 10), ("images/a.jpg", 20), ("images/Train/Train-a.png", 30),
                       ("images/t.png", 50), ("images/e.png", 60)):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((4, 4), grey, np.uint8)).save(tmp_path / path)
    entries = {(entry["stem"], "error" in entry): entry for entry in cvat.read(tmp_path, None)}
    assert entries[("Train-a", False)]["image"].mean() == 10
    assert "not found under images/Test/" in entries[("Test-a", True)]["error"]  # not images/a.jpg
    assert "already taken by 'Train/a.png'" in entries[("Train-a", True)]["error"]
    tagged = entries[("t", False)]
    assert tagged["image_classes"] == ["in-focus"] and not tagged["label"].any() and "<box>" in tagged["note"]
    assert entries[("e", False)]["label"] is None  # a frame CVAT lists with no shape: not annotated, not empty
