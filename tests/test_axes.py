"""Images as they come: axes from the file's metadata (OME-TIFF, ImageJ
hyperstacks, RGB), a plane or channel picked by name, errors that name the
axes, and RGB histology through colour deconvolution."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tifffile
from PIL import Image
from shapes import disc

from labelassist.io.axes import read_with_axes, select_plane

SHAPE = (64, 80)


def stack(t=2, z=3, c=2) -> np.ndarray:
    """Every plane filled with its own code 100*t + 10*z + c."""
    data = np.zeros((t, z, c, *SHAPE), np.uint16)
    for ti in range(t):
        for zi in range(z):
            for ci in range(c):
                data[ti, zi, ci] = 100 * ti + 10 * zi + ci
    return data


def test_an_ome_tiff_knows_its_axes_and_gives_the_plane_asked_for(tmp_path):
    path = tmp_path / "stack.ome.tif"
    tifffile.imwrite(path, stack(), ome=True, metadata={"axes": "TZCYX"})
    image = read_with_axes(path)
    assert image.axes == "TZCYX" and image.data.shape == (2, 3, 2, *SHAPE)
    plane = select_plane(image, channel=1, z=2, t=1)
    assert plane.shape == SHAPE and (plane == 121).all()
    channels_last = select_plane(image, z=0, t=1)
    assert channels_last.shape == (*SHAPE, 2) and channels_last[0, 0].tolist() == [100, 101]


def test_a_stack_without_a_chosen_plane_is_refused_naming_its_axes(tmp_path):
    path = tmp_path / "hyperstack.tif"
    tifffile.imwrite(path, stack(t=1)[0], imagej=True, metadata={"axes": "ZCYX"})
    image = read_with_axes(path)
    assert image.axes == "ZCYX"
    with pytest.raises(ValueError) as caught:
        select_plane(image)
    assert str(caught.value).startswith("image has axes ZCYX (3, 2, 64, 80); pick a plane with --z (0-2), "
                                        "and a channel with --channel (0-1)")
    with pytest.raises(ValueError, match="--z 7 is out of range 0-2"):
        select_plane(image, z=7)


def test_a_file_that_does_not_name_its_axes_needs_them_stated(tmp_path):
    path = tmp_path / "plain.tif"
    tifffile.imwrite(path, stack(t=1, c=1)[0, :, 0], metadata=None, photometric="minisblack")
    with pytest.raises(ValueError, match="give them with --axes, e.g. --axes ZYX"):
        read_with_axes(path)
    image = read_with_axes(path, axes="zyx")
    assert (select_plane(image, z=2) == 20).all()
    with pytest.raises(ValueError, match="does not fit data of shape"):
        read_with_axes(path, axes="CZYX")


def test_rgb_files_are_channels_last(tmp_path):
    rgb = np.zeros((*SHAPE, 3), np.uint8)
    rgb[..., 1] = 200
    Image.fromarray(rgb).save(tmp_path / "slide.png")
    Image.fromarray(rgb).save(tmp_path / "slide.jpg", quality=95)
    for name in ("slide.png", "slide.jpg"):
        image = read_with_axes(tmp_path / name)
        assert image.axes == "YXC"
        assert select_plane(image, channel=1).shape == SHAPE


def he_slide(rng) -> tuple[np.ndarray, np.ndarray]:
    """An H&E-like RGB slide: hematoxylin nuclei on eosin-stained tissue."""
    from skimage.color import hed2rgb

    nuclei = np.zeros((128, 128), bool)
    for centre in ((30, 30), (40, 90), (90, 50), (100, 100)):
        nuclei |= disc((128, 128), centre, 12)
    stains = np.zeros((128, 128, 3))
    stains[..., 0] = np.where(nuclei, 0.9, 0.02) + rng.normal(0, 0.01, nuclei.shape)
    stains[..., 1] = 0.3 + rng.normal(0, 0.01, nuclei.shape)
    rgb = (np.clip(hed2rgb(stains), 0, 1) * 255).astype(np.uint8)
    return rgb, nuclei


def test_colour_deconvolution_pre_labels_the_nuclei_of_an_rgb_slide(client, rng):
    rgb, nuclei = he_slide(rng)
    outcome = client.prelabel(rgb, method=("otsu", {}), preprocess=[("hed", {"stain": "hematoxylin"})])
    found = outcome.mask > 0
    assert 2 * (found & nuclei).sum() / (found.sum() + nuclei.sum()) > 0.95
    density, _ = client.preprocess(rgb.mean(axis=-1), ["hed"])  # grey brightfield: its optical density
    assert density[nuclei].mean() > density[~nuclei].mean()


def test_prelabel_from_the_command_line_picks_the_channel_asked_for(stack_env, tmp_path):
    data = np.zeros((2, *SHAPE), np.uint16)
    data[0, 10:30, 10:30] = 3000  # channel 0: one square
    data[1, 40:60, 40:70] = 3000  # channel 1: another
    data += 100
    path = tmp_path / "two_channels.tif"
    tifffile.imwrite(path, data, imagej=True, metadata={"axes": "CYX"})
    output = tmp_path / "mask.tif"
    run = subprocess.run([sys.executable, "-m", "labelassist.cli", "prelabel", str(path), "-o", str(output),
                          "--channel", "1", "--method", "otsu"], capture_output=True, text=True,
                         env=stack_env, timeout=120)
    assert run.returncode == 0, run.stderr
    mask = tifffile.imread(output)
    assert mask[50, 55] > 0 and mask[20, 20] == 0
    stacked = tmp_path / "zstack.tif"
    tifffile.imwrite(stacked, np.stack([data[0]] * 5), imagej=True, metadata={"axes": "ZYX"})
    refused = subprocess.run([sys.executable, "-m", "labelassist.cli", "prelabel", str(stacked), "-o",
                              str(output)], capture_output=True, text=True, env=stack_env, timeout=120)
    assert refused.returncode == 2
    assert "image has axes ZYX (5, 64, 80); pick a plane with --z (0-4)" in refused.stderr


def test_inspecting_a_folder_reports_a_broken_sample_and_inspects_the_rest(stack_env, tmp_path):
    folder = tmp_path / "folder"
    (folder / "images").mkdir(parents=True)
    (folder / "labels").mkdir()
    label = np.zeros(SHAPE, np.uint8)
    label[10:30, 10:30] = 1
    image = (label * 3000 + 100).astype(np.uint16)
    for stem in ("a", "c"):
        tifffile.imwrite(folder / "images" / f"{stem}.tif", image)
        tifffile.imwrite(folder / "labels" / f"{stem}.tif", label)
    (folder / "images" / "b.tif").write_bytes(b"not an image")
    tifffile.imwrite(folder / "labels" / "b.tif", label)
    Image.fromarray((image // 16).astype(np.uint8)).save(folder / "images" / "d.jpg", quality=95)
    tifffile.imwrite(folder / "labels" / "d.tif", label[:40])  # wrong size
    tifffile.imwrite(folder / "images" / "e.tif", np.stack([image, image]), imagej=True, metadata={"axes": "ZYX"})
    tifffile.imwrite(folder / "labels" / "e.tif", np.stack([label, label]), imagej=True, metadata={"axes": "ZYX"})
    run = subprocess.run([sys.executable, "-m", "labelassist.cli", "inspect", str(folder)], capture_output=True,
                         text=True, env=stack_env, timeout=300)
    assert run.returncode == 1, run.stderr
    report = json.loads((folder / "inspection.json").read_text())
    assert [s["sample"] for s in report["samples"]] == ["a", "c", "e_z0", "e_z1"]  # a stack: every plane
    failed = {f["sample"]: f["error"] for f in report["failed"]}
    assert set(failed) == {"b", "d"}
    assert "b.tif: not a readable image" in failed["b"] and "shape mismatch" in failed["d"]
    assert "FAILED" in run.stdout and "2 sample(s) could not be inspected" in run.stderr


@pytest.fixture
def stack_env(stack):
    return {**os.environ, "LABELASSIST_DATA_DIR": str(stack.data_dir)}


def test_arrays_carry_their_axes_through_the_contract(client, rng):
    """The SDK sends each array with its axes; the service takes one plane,
    channels last, and refuses a stack naming its axes."""
    from labelassist.client import AxisImage
    from labelassist.client.errors import InvalidArgumentError

    truth = np.zeros((64, 64), np.uint8)
    truth[16:40, 20:44] = 1
    cyx = np.stack([rng.integers(0, 50, (64, 64)), truth * 3000 + 100]).astype(np.uint16)  # Fiji's layout
    outcome = client.prelabel(AxisImage(cyx, "CYX"), ("otsu", {"polarity": "bright"}),
                              preprocess=[("channel", {"index": 1})])
    assert np.array_equal(outcome.mask > 0, truth > 0)
    single = client.prelabel(AxisImage(cyx[1][None, None], "TZYX"), ("otsu", {"polarity": "bright"}))
    assert np.array_equal(single.mask > 0, truth > 0)  # one T and one Z plane: dropped

    with pytest.raises(InvalidArgumentError) as refused:
        client.prelabel(AxisImage(np.zeros((3, 2, 64, 64), np.uint16), "ZCYX"))
    assert "array 'image' has axes ZCYX (3, 2, 64, 64); a call works on one plane" in refused.value.details()
    assert "z (0-2)" in refused.value.details() and "labelassist project create" in refused.value.details()
    with pytest.raises(InvalidArgumentError, match="axes 'QYX' do not fit"):
        client.preprocess(AxisImage(np.zeros((2, 8, 8), np.uint8), "QYX"), ["invert"])
    with pytest.raises(InvalidArgumentError, match=r"send it with its axes \(e.g. AxisImage\(data, 'ZYX'\)"):
        client.preprocess(np.zeros((64, 64, 40), np.uint8), ["invert"])  # a plain 3-D array is channels last
