"""The leave-one-set-out benchmark (benchmarks/bench_loso.py): a fold trains
on every development set but the one it leaves out and never on the
hold-out, and the script runs end to end on tiny dataset folders."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

ROOT = Path(__file__).resolve().parents[1]
SETS = ("fluo-small", "fluo-large", "histology", "brightfield", "fluo-u2os")


@pytest.fixture(scope="module")
def loso():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_loso

    return bench_loso


def write_folder(folder: Path, brightness: int, images: int = 3) -> None:
    """A dataset folder of ``images`` 64×64 images with two square nuclei each, the last one a test image."""
    (folder / "images").mkdir(parents=True)
    (folder / "labels").mkdir()
    rows = ["stem,split"]
    for index in range(images):
        labels = np.zeros((64, 64), np.uint16)
        labels[8 + index:24 + index, 10:26] = 1
        labels[36:52, 30 + index:46 + index] = 2
        image = np.where(labels > 0, 200, 20).astype(np.uint8) + np.uint8(brightness)
        stem = f"s{index}"
        tifffile.imwrite(folder / "images" / f"{stem}.tif", image)
        tifffile.imwrite(folder / "labels" / f"{stem}.tif", labels)
        rows.append(f"{stem},{'test' if index == images - 1 else 'train'}")
    (folder / "split.csv").write_text("\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Tiny development sets and a hold-out, each with its own brightness to tell their images apart."""
    root = tmp_path_factory.mktemp("loso")
    for offset, name in enumerate(SETS):
        write_folder(root / "datasets" / f"dsb2018-{name}", brightness=offset)
    write_folder(root / "hela", brightness=len(SETS))
    return root


def test_a_fold_trains_on_every_development_set_but_the_one_left_out(loso):
    assert loso.fold_sets("histology") == ["fluo-small", "fluo-large", "brightfield", "hela"]
    assert "fluo-u2os" not in loso.DEV_SETS


def test_the_hold_out_is_never_a_training_set(loso, folders):
    with pytest.raises(ValueError, match="hold-out"):
        loso.set_folder("fluo-u2os", folders / "datasets", folders / "hela")
    with pytest.raises(ValueError, match="hold-out"):
        loso.broad_pairs(["fluo-small", "fluo-u2os"], folders / "datasets", folders / "hela")
    with pytest.raises(ValueError, match="not a development set"):
        loso.fold_sets("fluo-u2os")


def test_training_pairs_take_the_same_number_of_training_images_from_each_set(loso, folders):
    pairs, used = loso.broad_pairs(loso.fold_sets("fluo-large"), folders / "datasets", folders / "hela", per_set=4)
    assert used == {"fluo-small": 2, "histology": 2, "brightfield": 2, "hela": 2}
    assert len(pairs) == 16
    # Each set's brightness offset: only the four sets trained on, only their training images (index 0, 1).
    offsets = sorted({int(image.min()) - 20 for image, _ in pairs})
    assert offsets == [0, 2, 3, 5]
    assert all(int(labels.max()) == 2 for _, labels in pairs)


def test_object_statistics_give_the_cost_of_one_pixel_of_outline(loso):
    reference = np.zeros((20, 20), np.int32)
    reference[5:15, 5:15] = 1
    stats = loso.object_statistics([reference])
    assert stats["objects"] == 1 and stats["median_area_px"] == 100
    assert stats["iou_of_1px_erosion"] == pytest.approx(64 / 100)


def test_the_benchmark_runs_a_fold_and_the_hold_out_end_to_end(loso, folders, tmp_path):
    out = tmp_path / "results"
    loso.main(["--folds", "brightfield", "--hold-out", "--stage1", str(ROOT / "services" / "data"),
               "--datasets", str(folders / "datasets"), "--hela", str(folders / "hela"),
               "--weights", str(tmp_path / "weights"), "--out", str(out), "--unet-epochs", "1", "--unet-steps", "1",
               "--click-steps", "1", "--images-per-set", "1", "--max-images", "1", "--click-objects", "2",
               "--effort-images", "1", "--threads", "1"])
    fold = json.loads((out / "brightfield.json").read_text())
    assert fold["trained_on"] == {"fluo-small": 1, "fluo-large": 1, "histology": 1, "hela": 1}
    assert fold["objects"]["objects"] == 2 and fold["click"]["objects"] == 2
    assert set(fold["effort"]) == {"scratch", "classical", "generalist", "click"}
    assert fold["effort"]["scratch"]["percent_of_polygons"] == pytest.approx(100)
    assert (tmp_path / "weights" / "brightfield" / "generalist_clicknet.pt").exists()
    held = json.loads((out / "fluo-u2os.json").read_text())
    assert held["set"] == "fluo-u2os" and "trained_on" not in held
    table = (out / "results.md").read_text()
    assert "| brightfield |" in table and "## Hold-out `fluo-u2os`" in table


def test_without_click_steps_the_click_model_stays_stage_ones(loso, folders):
    import torch

    from labelassist.models.generalist import BUNDLED, load_weights

    pairs, _ = loso.broad_pairs(["fluo-small"], folders / "datasets", folders / "hela", per_set=1)
    recipe = loso.BroadRecipe(unet_epochs=1, unet_steps=1, click_steps=0)
    models, summary = loso.train_broad(pairs, BUNDLED["unet"].parent, recipe, log=lambda line: None)
    stage1 = load_weights(BUNDLED["clicknet"])[0].state_dict()
    assert summary["clicknet"]["stage2"] is False
    assert all(torch.equal(value, stage1[name]) for name, value in models["clicknet"].state_dict().items())


def test_the_bundled_models_on_a_development_set_start_from_the_default_pipeline(loso, folders, tmp_path):
    out = tmp_path / "bundled"
    loso.main(["--bundled", "histology", "--datasets", str(folders / "datasets"), "--hela", str(folders / "hela"),
               "--out", str(out), "--max-images", "1", "--click-objects", "1", "--effort-images", "1",
               "--threads", "1"])
    result = json.loads((out / "histology.json").read_text())
    assert result["trained_on"] == "bundled models" and result["classical_start"] == "default pipeline"
    assert result["effort"]["scratch"]["objects"] == 2
    assert (out / "results.md").read_text().startswith("# Bundled models on development sets")
