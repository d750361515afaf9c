"""Hostile exports given to ``labelassist project import``, through the CLI
and the real services: an import reads images only inside the folder it
was given, refuses a declared size before decoding anything of it, refuses
XML entities, and names each bad item while the rest are added (exit 1);
an annotation file it cannot read at all is refused before anything is
added (exit 2)."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

CLI = [sys.executable, "-m", "labelassist.cli"]
SECRET = np.full((32, 40), 201, np.uint8)  # the pixels of a file outside the export
DATA_LIMIT = 1 << 30  # the importing process's heap: a decoded bomb would need about 2 GiB


def _limited_memory():
    resource.setrlimit(resource.RLIMIT_DATA, (DATA_LIMIT, DATA_LIMIT))


def run(env, *args):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=300,
                          preexec_fn=_limited_memory)


def _name(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{np.random.default_rng().integers(1 << 30)}"


@pytest.fixture
def export(tmp_path):
    """An export folder with one good image, ``images/good.png``, and a
    secret image outside it, ``outside/secret.png`` (also linked from
    ``images/linked.png``)."""
    folder, outside = tmp_path / "export", tmp_path / "outside"
    (folder / "images").mkdir(parents=True)
    outside.mkdir()
    Image.fromarray(np.full((32, 40), 7, np.uint8)).save(folder / "images" / "good.png")
    Image.fromarray(SECRET).save(outside / "secret.png")
    (folder / "images" / "linked.png").symlink_to(outside / "secret.png")
    return folder


def _coco(folder, images: list[dict], annotations: list[dict]):
    (folder / "annotations.json").write_text(json.dumps({"images": images, "annotations": annotations,
                                                         "categories": [{"id": 1, "name": "object"}]}))


def _coco_image(image_id: int, file_name: str, height: int = 32, width: int = 40) -> dict:
    return {"id": image_id, "file_name": file_name, "height": height, "width": width}


def _coco_box(image_id: int) -> dict:
    return {"id": image_id, "image_id": image_id, "category_id": 1, "iscrowd": 0,
            "segmentation": [[2, 2, 10, 2, 10, 10, 2, 10]]}


def _label_studio(folder, tasks: list[dict]):
    (folder / "tasks.json").write_text(json.dumps(tasks))


def _task(task_id: int, image: str, result: list | None = None) -> dict:
    polygon = {"type": "polygonlabels", "original_width": 40, "original_height": 32,
               "value": {"points": [[10, 10], [50, 10], [50, 50]], "polygonlabels": ["object"]}}
    return {"id": task_id, "data": {"image": image}, "annotations": [{"result": result or [polygon]}]}


def _cvat(folder, images: str):
    (folder / "annotations.xml").write_text(f'<?xml version="1.0"?>\n<annotations><version>1.1</version>{images}'
                                            "</annotations>")


def _cvat_image(name: str, shape: str = '<polygon label="object" points="2,2;10,2;10,10" z_order="0"/>') -> str:
    return f'<image id="0" name="{name}" width="40" height="32">{shape}</image>'


def _outside_references(fmt: str, folder) -> None:
    names = ["images/good.png", "../outside/secret.png", "images/linked.png"]
    if fmt == "coco":
        _coco(folder, [_coco_image(n, name) for n, name in enumerate(names, 1)],
              [_coco_box(n) for n in range(1, 4)])
    elif fmt == "label-studio":
        urls = ["/data/local-files/?d=images/good.png", "/data/local-files/?d=../outside/secret.png",
                "/data/local-files/?d=images/linked.png"]
        _label_studio(folder, [_task(n, url) for n, url in enumerate(urls, 1)])
    else:
        _cvat(folder, "".join(_cvat_image(name) for name in names))


def _imported(client, project: str) -> dict[str, np.ndarray]:
    return {info.stem: client.get_sample(info.sample_id).require("image") for info in client.list_samples(project)}


@pytest.mark.parametrize("fmt", ("coco", "label-studio", "cvat"))
def test_an_import_reads_no_image_outside_the_folder_it_was_given(fmt, export, cli_env, client):
    _outside_references(fmt, export)
    project = _name(f"outside-{fmt}")
    result = run(cli_env, "project", "import", project, str(export), "--format", fmt, "--create")
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("is outside the annotations' folder") == 2, result.stderr
    images = _imported(client, project)
    assert sorted(images) == ["good"]
    assert not any(np.array_equal(image, SECRET) for image in images.values())


def test_a_link_out_of_the_images_folder_is_not_followed(export, tmp_path, cli_env, client):
    annotations = tmp_path / "annotations"
    annotations.mkdir()
    _coco(annotations, [_coco_image(1, "good.png"), _coco_image(2, "linked.png")], [_coco_box(1), _coco_box(2)])
    project = _name("linked")
    result = run(cli_env, "project", "import", project, str(annotations), "--format", "coco",
                 "--images", str(export / "images"), "--create")
    assert result.returncode == 1
    assert "failed linked: path" in result.stderr and "outside the images folder (--images)" in result.stderr
    assert sorted(_imported(client, project)) == ["good"]


def _bombs(fmt: str, folder) -> None:
    """One label declaring far more pixels than its 32x40 image, one good."""
    if fmt == "coco":
        huge = {"id": 2, "image_id": 2, "category_id": 1, "iscrowd": 0,
                "segmentation": {"size": [20000, 20000], "counts": "0" + "1" * 40}}
        _coco(folder, [_coco_image(1, "good.png"), _coco_image(2, "good.png", 20000, 20000)],
              [_coco_box(1), huge])
    elif fmt == "cvat":  # a name of its own: CVAT names each frame once, and a repeated name fails as an item
        shutil.copy(folder / "images" / "good.png", folder / "images" / "bomb.png")
        _cvat(folder, _cvat_image("images/good.png") + _cvat_image(
            "images/bomb.png", '<mask label="object" rle="0, 2000000000" left="0" top="0" width="40" '
                               'height="32" z_order="0"/>'))
    else:
        declared = (2_000_000_000).to_bytes(4, "big")  # values (bytes) the brush codec would allocate
        brush = {"type": "brushlabels", "original_width": 40, "original_height": 32,
                 "value": {"format": "rle", "rle": list(declared) + [0] * 64, "brushlabels": ["object"]}}
        _label_studio(folder, [_task(1, "images/good.png"), _task(2, "images/good.png", [brush])])


@pytest.mark.parametrize("fmt", ("coco", "label-studio", "cvat"))
def test_a_label_declaring_more_pixels_than_its_image_is_refused_before_it_is_decoded(fmt, export, cli_env,
                                                                                       client):
    _bombs(fmt, export)
    project = _name(f"bomb-{fmt}")
    result = run(cli_env, "project", "import", project, str(export), "--format", fmt, "--create")
    assert result.returncode == 1, result.stderr
    assert f"failed {'bomb' if fmt == 'cvat' else 'good'}:" in result.stderr and "Traceback" not in result.stderr
    assert "imported 1 samples" in result.stdout
    expected = {"coco": "more than the 67,108,864", "cvat": "runs cover 2000000000 pixels",
                "label-studio": "declares 2000000000 values"}[fmt]
    assert expected in result.stderr


def test_an_ome_zarr_declaring_a_huge_image_is_refused_before_it_is_read(tmp_path, cli_env, client):
    folder = tmp_path / "zarrs"
    store = folder / "huge.ome.zarr"
    (store / "0").mkdir(parents=True)
    (store / ".zgroup").write_text(json.dumps({"zarr_format": 2}))
    (store / ".zattrs").write_text(json.dumps({"multiscales": [{
        "version": "0.4", "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
        "datasets": [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1, 1]}]}]}]}))
    (store / "0" / ".zarray").write_text(json.dumps({
        "zarr_format": 2, "shape": [30000, 30000], "chunks": [30000, 30000], "dtype": "|u1", "compressor": None,
        "fill_value": 3, "order": "C", "filters": None}))
    result = run(cli_env, "project", "import", _name("zarr-bomb"), str(folder), "--format", "ome-zarr", "--create")
    assert result.returncode == 1, result.stderr
    assert "failed huge: huge.ome.zarr: its image declares 30000x30000 pixels" in result.stderr


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<annotations><image id="0" name="images/good.png&lol3;" width="40" height="32"/></annotations>
"""


@pytest.mark.parametrize("document", ("billion laughs", "external entity"))
def test_cvat_xml_with_entities_is_refused_and_nothing_is_read(document, export, tmp_path, cli_env, client):
    secret = tmp_path / "secret.txt"
    secret.write_text("images/good.png")
    xml = BILLION_LAUGHS if document == "billion laughs" else (
        f'<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        '<annotations><image id="0" name="&xxe;" width="40" height="32"/></annotations>\n')
    (export / "annotations.xml").write_text(xml)
    project = _name("entities")
    result = run(cli_env, "project", "import", project, str(export), "--format", "cvat", "--create")
    assert result.returncode == 2  # the whole file refused: nothing was imported
    assert "annotations.xml declares XML entities or a DTD" in result.stderr
    assert "Traceback" not in result.stderr and "UNKNOWN" not in result.stderr


def test_each_bad_item_is_named_and_the_rest_are_imported(export, cli_env, client):
    images = [_coco_image(1, "good.png"), _coco_image(2, "good.png"), _coco_image(3, "good.png", 64, 64),
              _coco_image(4, "good.png"), _coco_image(5, "good.png")]
    annotations = [_coco_box(1),
                   {"id": 2, "image_id": 2, "segmentation": {"size": [32, 40], "counts": "\x7f\x7f"}},
                   _coco_box(3),
                   {"id": 4, "image_id": 4, "segmentation": {"size": [32, 40], "counts": [5, 3]}},
                   {"id": 5, "image_id": 5, "segmentation": {"size": [32, 40]}}]
    _coco(export, images, annotations)
    result = run(cli_env, "project", "import", _name("bad-items"), str(export), "--format", "coco", "--create")
    assert result.returncode == 1
    failures = [line for line in result.stderr.splitlines() if line.startswith("failed good:")]
    assert len(failures) == 4, result.stderr
    assert "annotation 1: its RLE counts hold" in failures[0]
    assert "is (32, 40) but its annotation says (64, 64)" in failures[1]
    assert "annotation 1: its RLE covers 8 pixels, its image 32x40 = 1280" in failures[2]
    assert "annotation 1: missing field 'counts'" in failures[3]
    assert "imported 1 samples" in result.stdout


def test_an_annotation_file_that_is_not_json_is_refused_with_its_name(export, cli_env):
    (export / "annotations.json").write_text("{not json")
    result = run(cli_env, "project", "import", _name("not-json"), str(export), "--format", "coco", "--create")
    assert result.returncode == 2
    assert "annotations.json is not JSON" in result.stderr and "Traceback" not in result.stderr


def test_ome_zarr_and_ome_tiff_imports_read_nothing_through_links_out_of_their_folder(tmp_path, cli_env, client):
    import tifffile

    outside = tmp_path / "outside"
    outside.mkdir()
    tifffile.imwrite(outside / "secret.tif", SECRET)
    labels, images = tmp_path / "labels", tmp_path / "images"
    labels.mkdir()
    images.mkdir()
    tifffile.imwrite(images / "good.tif", np.full((32, 40), 7, np.uint8))
    (images / "linked.tif").symlink_to(outside / "secret.tif")
    for stem in ("good", "linked"):
        tifffile.imwrite(labels / f"{stem}_labels.tif", np.eye(32, 40, dtype=np.uint8))
    project = _name("tiff-links")
    result = run(cli_env, "project", "import", project, str(labels), "--format", "ome-tiff", "--images",
                 str(images), "--create")
    assert result.returncode == 1
    assert "is outside the images folder" in result.stderr
    assert sorted(_imported(client, project)) == ["good"]

    zarrs = tmp_path / "zarrs"
    zarrs.mkdir()
    (zarrs / "linked.ome.zarr").symlink_to(outside)
    result = run(cli_env, "project", "import", _name("zarr-links"), str(zarrs), "--format", "ome-zarr", "--create")
    assert result.returncode == 1
    assert "failed linked: path" in result.stderr and "is outside the folder zarrs" in result.stderr
