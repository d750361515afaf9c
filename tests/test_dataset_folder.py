"""The dataset folder format, read on the client side: a dataset folder with
its labels and sequences, or a plain folder of images."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from PIL import Image

from labelassist.io.dataset_folder import read_samples


def test_a_plain_folder_of_images_is_one_sample_per_image(tmp_path):
    tifffile.imwrite(tmp_path / "b.tif", np.zeros((8, 8), np.uint16))
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "notes.txt").write_text("not an image")
    samples = read_samples(tmp_path)
    assert [(s.stem, s.image.name, s.label) for s in samples] == [("a", "a.png", None), ("b", "b.tif", None)]


def test_a_dataset_folder_brings_its_labels_and_sequences(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    for stem in ("t0", "t1"):
        tifffile.imwrite(tmp_path / "images" / f"{stem}.tif", np.zeros((8, 8), np.uint16))
    tifffile.imwrite(tmp_path / "labels" / "t1.tif", np.ones((8, 8), np.uint8))
    (tmp_path / "sequences.csv").write_text("stem,sequence\nt0,movie\nt1,movie\n")
    samples = read_samples(tmp_path)
    assert [(s.stem, s.label is not None, s.sequence) for s in samples] == [("t0", False, "movie"),
                                                                             ("t1", True, "movie")]


def test_a_folder_without_images_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match=f"no images in {tmp_path}"):
        read_samples(tmp_path)


def test_a_dataset_folder_of_stacks_gives_one_sample_per_plane(tmp_path):
    import tifffile

    from labelassist.evaluation.evaluation_set import load_evaluation_set

    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    rng = np.random.default_rng(3)
    for name in ("a", "b"):
        stack = rng.integers(0, 255, (3, 16, 20)).astype(np.uint8)
        labels = (stack > 128).astype(np.uint8)
        tifffile.imwrite(tmp_path / "images" / f"{name}.tif", stack, imagej=True, metadata={"axes": "ZYX"})
        tifffile.imwrite(tmp_path / "labels" / f"{name}.tif", labels, imagej=True, metadata={"axes": "ZYX"})
    tifffile.imwrite(tmp_path / "images" / "flat.tif", stack[0])
    tifffile.imwrite(tmp_path / "labels" / "flat.tif", labels[0])
    data = load_evaluation_set(tmp_path, seed=1)
    assert data.stems == ["a_z0", "a_z1", "a_z2", "b_z0", "b_z1", "b_z2", "flat"]
    assert np.array_equal(data.images[5], stack[2]) and np.array_equal(data.labels[5], labels[2])
    assert list(data.sequences[:3]) == ["a"] * 3  # a stack's planes share its sequence, so a split keeps them together
    assert len(set(data.sequences[data.test]) & set(data.sequences[data.train])) == 0
