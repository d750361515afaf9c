"""The image-set registry of benchmarks/datasets.py builds dataset folders the
benchmarks read, each source image in the set its rules name."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labelassist.io.dataset_folder import read_dataset

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def datasets():
    spec = importlib.util.spec_from_file_location("image_sets", ROOT / "benchmarks" / "datasets.py")
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up by name.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def write_source(folder: Path, image_id: str, image: np.ndarray, boxes: list[tuple[slice, slice]]) -> None:
    """One DSB2018-style image folder: images/<id>.png (RGBA) and one mask PNG per object."""
    (folder / image_id / "images").mkdir(parents=True)
    (folder / image_id / "masks").mkdir()
    rgba = np.dstack([image, np.full(image.shape[:2], 255, np.uint8)])
    Image.fromarray(rgba).save(folder / image_id / "images" / f"{image_id}.png")
    for number, box in enumerate(boxes):
        mask = np.zeros(image.shape[:2], np.uint8)
        mask[box] = 255
        Image.fromarray(mask).save(folder / image_id / "masks" / f"m{number}.png")


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    root = tmp_path_factory.mktemp("dsb") / "stage1_train"
    boxes = [(slice(10, 30), slice(10, 30)), (slice(50, 70), slice(40, 60))]
    dark = np.full((256, 256, 3), 10, np.uint8)
    for index in range(5):
        write_source(root, f"small{index}", dark, boxes)
    write_source(root, "large0", np.full((360, 360, 3), 10, np.uint8), boxes)
    write_source(root, "u2os0", np.full((520, 696, 3), 10, np.uint8), boxes)
    write_source(root, "bright0", np.full((256, 256, 3), 220, np.uint8), boxes)
    stained = np.zeros((256, 320, 3), np.uint8)
    stained[...] = (200, 120, 180)
    write_source(root, "he0", stained, boxes)
    return root.parent


def test_each_source_image_lands_in_the_set_its_rules_name(datasets, source, tmp_path):
    counts = datasets.build(source, tmp_path)
    members = {name: sorted(s.stem for s in read_dataset(tmp_path / f"dsb2018-{name}")) for name in counts}
    assert members == {"fluo-small": [f"small{i}" for i in range(5)], "fluo-large": ["large0"],
                       "histology": ["he0"], "brightfield": ["bright0"], "fluo-u2os": ["u2os0"]}


def test_a_quarter_of_each_set_rounded_up_is_the_test_split(datasets, source, tmp_path):
    counts = datasets.build(source, tmp_path, ["fluo-small"])
    assert counts == {"fluo-small": {"images": 5, "test": 2}}
    splits = [s.split for s in read_dataset(tmp_path / "dsb2018-fluo-small")]
    assert sorted(splits) == ["test", "test", "train", "train", "train"]


def test_the_split_is_the_same_on_every_build(datasets, source, tmp_path):
    datasets.build(source, tmp_path / "a", ["fluo-small"])
    datasets.build(source, tmp_path / "b", ["fluo-small"])
    assert ((tmp_path / "a" / "dsb2018-fluo-small" / "split.csv").read_text()
            == (tmp_path / "b" / "dsb2018-fluo-small" / "split.csv").read_text())


def test_labels_number_each_mask_and_images_keep_colour_only_where_it_is(datasets, source, tmp_path):
    datasets.build(source, tmp_path, ["histology", "fluo-large"])
    import tifffile

    label = tifffile.imread(tmp_path / "dsb2018-fluo-large" / "labels" / "large0.tif")
    assert sorted(np.unique(label)) == [0, 1, 2]
    assert (label == 1).sum() == 400
    assert np.asarray(Image.open(tmp_path / "dsb2018-fluo-large" / "images" / "large0.png")).shape == (360, 360)
    assert np.asarray(Image.open(tmp_path / "dsb2018-histology" / "images" / "he0.png")).shape == (256, 320, 3)


def test_the_hold_out_set_is_registered_and_an_unknown_set_is_named(datasets, source, tmp_path):
    assert datasets.HOLD_OUT in datasets.IMAGE_SETS
    with pytest.raises(ValueError, match="unknown image sets 'nope'|unknown image sets nope"):
        datasets.build(source, tmp_path, ["nope"])
