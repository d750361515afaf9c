"""Classes from what happens later (divisions in a time-lapse), and the class
active-learning benchmark as a command on a small dataset folder."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import tifffile
from skimage.draw import disk

from labelassist.evaluation.class_datasets import tile_classes
from labelassist.imaging.divisions import dividing_within, divisions
from labelassist.io.formats import class_table
from labelassist.io.images import write_labels


def _frame(*nuclei: tuple[int, int, int, int], shape=(80, 80)) -> np.ndarray:
    """A label image of discs (id, row, col, radius)."""
    label = np.zeros(shape, np.int32)
    for object_id, row, col, radius in nuclei:
        label[disk((row, col), radius, shape=shape)] = object_id
    return label


# A (id 1, then 5) divides between frames 1 and 2 into 7 and 8; B (2, 6, 9) never does.
TIME_LAPSE = np.stack([_frame((1, 20, 20, 8), (2, 60, 60, 8)), _frame((5, 20, 20, 8), (6, 60, 60, 8)),
                       _frame((7, 20, 10, 6), (8, 20, 30, 6), (9, 60, 60, 8))])


def test_an_object_replaced_by_two_equal_halves_divides():
    assert divisions(TIME_LAPSE[1], TIME_LAPSE[2]) == {5: (7, 8)}
    assert divisions(TIME_LAPSE[0], TIME_LAPSE[1]) == {}


def test_a_split_into_a_large_and_a_small_part_is_no_division():
    uneven = _frame((7, 20, 12, 8), (8, 20, 30, 3), (9, 60, 60, 8))
    assert divisions(TIME_LAPSE[1], uneven) == {}


def test_dividing_within_looks_ahead_and_leaves_the_unknown_future_open():
    assert dividing_within(TIME_LAPSE, 1) == [{1: False, 2: False}, {5: True, 6: False},
                                              {7: None, 8: None, 9: None}]
    assert dividing_within(TIME_LAPSE, 2)[:2] == [{1: True, 2: False}, {5: True, 6: None}]


def test_a_tile_classifies_only_objects_mostly_inside_it():
    masks = _frame((1, 10, 10, 5), (2, 16, 31, 5), shape=(32, 64))[None]  # 2 lies half in each 32² tile
    rows = tile_classes(masks, [{1: "mitotic", 2: "interphase"}], tile=32, min_inside=0.6)
    assert rows == [("t00_y0000_x0000", {"objects": {"1": "mitotic"}}), ("t00_y0000_x0032", {"objects": {}})]


@pytest.fixture(scope="module")
def class_dataset(tmp_path_factory):
    """24 images of 48²: dim large "interphase" nuclei, and in every third
    image one small bright "mitotic" one."""
    folder = tmp_path_factory.mktemp("classes")
    (folder / "images").mkdir()
    (folder / "labels").mkdir()
    rng = np.random.default_rng(0)
    splits, classified = ["stem,split"], []
    for index in range(24):
        stem = f"s{index:02d}"
        label = _frame((1, 12, 12, 7), (2, 34, 34, 7), shape=(48, 48))
        classes = {"1": "interphase", "2": "interphase"}
        if index % 3 == 0:
            label[disk((12, 36), 3)] = 3
            classes["3"] = "mitotic"
        image = np.where(label == 3, 3000, np.where(label > 0, 1200, 200)) + rng.integers(0, 50, label.shape)
        tifffile.imwrite(folder / "images" / f"{stem}.tif", image.astype(np.uint16))
        write_labels(folder / "labels" / f"{stem}.tif", label)
        splits.append(f"{stem},{'test' if index >= 18 else 'train'}")
        classified.append((stem, {"objects": classes}))
    (folder / "split.csv").write_text("\n".join(splits) + "\n")
    class_table.write(classified, folder / "classes.csv")
    return folder


def test_bench_classes_writes_every_strategys_curve_and_the_rare_class_queries(class_dataset, tmp_path):
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "labelassist.cli", "bench", "classes", "--dataset",
                          str(class_dataset), "--out", str(out), "--batch", "3", "--budget", "1", "--seeds", "1",
                          "--strategies", "random,bald,class-balance", "--first-examples", "2"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["classes"] == ["interphase", "mitotic"] and results["rarest_class"] == "mitotic"
    assert results["pool_class_counts"] == [36, 6] and results["test_class_counts"] == [12, 2]
    assert results["full"]["mean"] == 1.0  # bright small nuclei: separable
    assert set(results["strategies"]) == {"random", "bald", "class-balance"}
    for row in results["strategies"].values():
        assert [p["samples"] for p in row["curve"]] == [3, 6, 9, 12, 15, 18]
        assert row["curve"][-1]["mean"] == 1.0 and row["to_95_percent"] is not None
        assert row["queries_to_first_rare"][0] is not None
    assert "| class-balance |" in (out / "results.md").read_text()


def test_bench_classes_without_a_classes_file_says_how_to_make_one(class_dataset, tmp_path):
    from labelassist.evaluation.class_efficiency import load_class_set

    with pytest.raises(ValueError, match="no missing.csv; give each object's class"):
        load_class_set(class_dataset, classes_file="missing.csv")
