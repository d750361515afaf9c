"""Exports open in the tools they are for, through ``labelassist project
export`` and the real services: the image each annotation names is a YX or
YXC file of the size the annotation says (opened with Pillow, as CVAT and
Label Studio do, and found by the format's own reader), a 16-bit image is
there as a contrast-stretched display copy beside its lossless data, and
a pre-label submitted as it is leaves as one object per object."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
import tifffile
from PIL import Image

from shapes import disc

CLI = [sys.executable, "-m", "labelassist.cli"]
SHAPE = (64, 48)


def _name(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{np.random.default_rng().integers(1 << 30)}"


def _label() -> np.ndarray:
    label = np.zeros(SHAPE, np.uint16)
    label[disc(SHAPE, (16, 16), 8)] = 1
    label[disc(SHAPE, (44, 30), 10)] = 2
    return label


def _samples(rng) -> dict[str, np.ndarray]:
    """A two-channel 16-bit image, a dim 16-bit grey one (a few hundred
    levels of 65536, as a camera writes them) and an 8-bit grey one."""
    dim = (300 + 200 * _label() + rng.integers(0, 50, SHAPE)).astype(np.uint16)
    return {"two_channel": np.stack([dim, (4000 - dim).astype(np.uint16)], axis=-1), "dim": dim,
            "plain": rng.integers(0, 255, SHAPE).astype(np.uint8)}


@pytest.fixture
def exported(cli_env, client, tmp_path, rng):
    """Export a project of those samples in a format; returns (folder, samples)."""
    def export(fmt: str):
        project = _name(fmt)
        client.create_project(project)
        samples = _samples(rng)
        for stem, image in samples.items():
            client.add_sample(project, stem, image, label=_label())
        out = tmp_path / fmt
        done = subprocess.run([*CLI, "project", "export", project, "--format", fmt, "-o", str(out)],
                              capture_output=True, text=True, env=cli_env, timeout=300)
        assert done.returncode == 0, done.stderr
        return out, samples
    return export


def _sizes_named(fmt: str, out) -> dict[str, tuple[object, tuple[int, int]]]:
    """Per image the annotations name: its path as the format's reader
    resolves it and the (width, height) its annotations give."""
    if fmt == "coco":
        from pycocotools.coco import COCO
        coco = COCO(str(out / "annotations.json"))
        return {i["file_name"]: (out / "images" / i["file_name"], (i["width"], i["height"]))
                for i in coco.loadImgs(coco.getImgIds())}
    if fmt == "cvat":
        root = ElementTree.parse(out / "annotations.xml").getroot()
        return {i.get("name"): (out / "images" / i.get("name"), (int(i.get("width")), int(i.get("height"))))
                for i in root.iter("image")}
    tasks = json.loads((out / "tasks.json").read_text())
    return {t["data"]["image"]: (None, (t["annotations"][0]["result"][0]["original_width"],
                                        t["annotations"][0]["result"][0]["original_height"])) for t in tasks}


@pytest.mark.parametrize("fmt", ("coco", "cvat", "label-studio"))
def test_every_exported_image_opens_in_pillow_at_the_size_its_annotations_give(fmt, exported):
    out, samples = exported(fmt)
    named = _sizes_named(fmt, out)
    assert len(named) == len(samples)
    for reference, (path, size) in named.items():
        path = path or out / reference.split("?d=")[1]
        with Image.open(path) as image:
            assert image.size == size == (SHAPE[1], SHAPE[0]), reference
            assert image.mode in ("L", "RGB"), reference  # what a browser, CVAT and Label Studio show


def test_a_two_channel_image_exports_a_composite_and_its_yxc_data(exported):
    out, samples = exported("coco")
    with Image.open(out / "images" / "two_channel.png") as shown:
        assert shown.mode == "RGB" and shown.size == (SHAPE[1], SHAPE[0])
    with tifffile.TiffFile(out / "originals" / "two_channel.tif") as original:
        assert len(original.pages) == 1 and original.pages[0].shape == (*SHAPE, 2)
        assert np.array_equal(original.asarray(), samples["two_channel"])


def test_a_16_bit_image_keeps_its_data_and_gets_a_stretched_display_copy(exported):
    out, samples = exported("cvat")
    shown = np.asarray(Image.open(out / "images" / "dim.png"))
    assert shown.dtype == np.uint8 and shown.min() == 0 and shown.max() == 255  # stretched, not flat grey
    assert shown[_label() > 0].mean() > shown[_label() == 0].mean() + 100
    assert np.array_equal(tifffile.imread(out / "originals" / "dim.tif"), samples["dim"])
    assert np.array_equal(np.asarray(Image.open(out / "images" / "plain.png")), samples["plain"])
    assert not (out / "originals" / "plain.tif").exists()  # an 8-bit image is its own display copy
    manifest = {i["stem"]: i for i in json.loads((out / "manifest.json").read_text())["images"]}
    assert manifest["dim"]["original"] == "originals/dim.tif" and "display copy" in manifest["dim"]["shown_is"]
    assert manifest["plain"]["original"] is None and manifest["plain"]["shown_is"] == "the data"
    readme = (out / "README.md").read_text()
    assert "`originals/`" in readme and "lossless" in readme and "1 % and 99.8 % percentiles" in readme


def test_cvat_names_each_image_by_its_file_name_as_cvat_exports_do(exported):
    out, _ = exported("cvat")
    root = ElementTree.parse(out / "annotations.xml").getroot()
    assert root.findtext("version") == "1.1" and root.findtext("meta/task/size") == "3"
    assert root.findtext("meta/task/labels/label/name") == "object"
    names = [image.get("name") for image in root.iter("image")]
    assert sorted(names) == ["dim.png", "plain.png", "two_channel.png"]
    assert all((out / "images" / name).is_file() for name in names)


def test_label_studio_tasks_name_local_files_label_studio_serves(exported):
    """Label Studio's own converter resolves each task's image under
    LOCAL_FILES_DOCUMENT_ROOT, as the server does, and reads its size."""
    out, _ = exported("label-studio")
    tasks = json.loads((out / "tasks.json").read_text())
    assert all(t["data"]["image"].startswith("/data/local-files/?d=images/") for t in tasks)
    check = ("import json, sys\n"
             "from label_studio_converter.utils import download, get_image_size\n"
             "for task in json.load(open(sys.argv[1])):\n"
             "    path = download(task['data']['image'], '.', download_resources=False)\n"
             "    result = task['annotations'][0]['result'][0]\n"
             "    assert get_image_size(path) == (result['original_width'], result['original_height']), path\n"
             "    print(path)\n")
    resolved = subprocess.run([sys.executable, "-c", check, str(out / "tasks.json")], capture_output=True, text=True,
                              env={**os.environ, "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT": str(out)}, timeout=120)
    assert resolved.returncode == 0, resolved.stderr
    assert len(resolved.stdout.split()) == 3


@pytest.mark.parametrize("fmt", ("coco", "cvat", "label-studio"))
def test_an_export_imports_back_with_its_lossless_data(fmt, exported, client):
    out, samples = exported(fmt)
    copy = _name(f"{fmt}-back")
    report = client.import_labels(copy, out, fmt, create=True)
    assert report.added == 3 and not report.failed
    for info in client.list_samples(copy):
        sample = client.get_sample(info.sample_id)
        assert np.array_equal(sample.require("image"), samples[info.stem]), info.stem


def test_a_prelabel_submitted_as_it_is_exports_one_annotation_per_object(client, tmp_path):
    from pycocotools.coco import COCO

    truth = disc((90, 90), (20, 20), 10) | disc((90, 90), (20, 65), 10) | disc((90, 90), (65, 45), 12)
    image = (truth * 1000 + 100).astype(np.uint16)
    project = _name("prelabelled")
    client.create_project(project)
    outcome = client.prelabel(image)
    client.add_sample(project, "three", image, label=outcome.mask)
    client.download_labels(project, tmp_path / "coco", "coco")
    assert len(COCO(str(tmp_path / "coco" / "annotations.json")).getAnnIds()) == outcome.object_count == 3


def test_an_ome_zarr_export_holds_the_two_channel_image_as_cyx_beside_its_yx_label(exported):
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Label, Reader

    out, samples = exported("ome-zarr")
    nodes = list(Reader(parse_url(str(out / "two_channel.ome.zarr")))())
    image = next(n for n in nodes if not any(isinstance(s, Label) for s in n.specs))
    label = next(n for n in nodes if any(isinstance(s, Label) for s in n.specs))
    assert [a["name"] for a in image.metadata["axes"]] == ["c", "y", "x"]
    assert np.array_equal(np.asarray(image.data[0]), np.moveaxis(samples["two_channel"], -1, 0))
    assert np.asarray(label.data[0]).shape == SHAPE


def test_exporting_again_into_a_folder_leaves_no_stale_original_for_an_image_shown_as_it_is(tmp_path):
    from labelassist.io.formats import export_image

    sixteen_bit = (np.arange(48 * 40) % 4000).reshape(48, 40).astype(np.uint16)
    assert export_image(tmp_path, "b", sixteen_bit).original == "originals/b.tif"
    eight_bit = (np.arange(48 * 40) % 200).reshape(48, 40).astype(np.uint8)
    assert export_image(tmp_path, "b", eight_bit).original is None
    assert not (tmp_path / "originals" / "b.tif").exists()  # import would take it for this sample's data


def test_a_stale_original_behind_a_linked_originals_folder_is_left_alone(tmp_path):
    from labelassist.io.formats import export_image

    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "b.tif").write_bytes(b"someone else's file")
    export = tmp_path / "export"
    export.mkdir()
    (export / "originals").symlink_to(victim, target_is_directory=True)
    export_image(export, "b", np.zeros((8, 8), np.uint8))
    assert (victim / "b.tif").read_bytes() == b"someone else's file"
