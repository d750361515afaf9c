"""Nothing silently wrong where data comes in, through ``labelassist
project`` and the real services: a truncated TIFF or one whose pages
disagree with its metadata is reported with what it lacks while the rest of
the folder is added, a channel choice applies to the files that have
channels and says per file what it did, and images that cannot be labelled
are refused with the reason."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

CLI = [sys.executable, "-m", "labelassist.cli"]


def run(env, *args, timeout=300):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=timeout)


def _name(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{np.random.default_rng().integers(1 << 30)}"


def _five_plane_ome_tiff(path: Path, rng) -> bytes:
    tifffile.imwrite(path, rng.integers(0, 255, (5, 48, 56)).astype(np.uint8), ome=True, metadata={"axes": "ZYX"})
    return path.read_bytes()


def _chain_cut_after(path: Path, pages: int) -> None:
    """The file's chain of page directories ended after ``pages`` pages: its
    OME-XML still announces them all."""
    with tifffile.TiffFile(path) as tiff:
        offset = tiff.pages[pages - 1].offset
    data = bytearray(path.read_bytes())
    count = struct.unpack("<H", data[offset:offset + 2])[0]
    data[offset + 2 + 12 * count:offset + 6 + 12 * count] = bytes(4)
    path.write_bytes(bytes(data))


def test_a_tiff_whose_pages_fall_short_of_its_ome_metadata_is_reported_and_the_rest_are_added(
        cli_env, client, tmp_path, rng):
    folder = tmp_path / "images"
    folder.mkdir()
    _five_plane_ome_tiff(folder / "short.ome.tif", rng)
    _chain_cut_after(folder / "short.ome.tif", 3)
    tifffile.imwrite(folder / "whole.tif", rng.integers(0, 255, (40, 50)).astype(np.uint8))
    project = _name("short")
    made = run(cli_env, "project", "create", project, "--images", str(folder))
    assert made.returncode == 1, made.stderr
    assert ("failed " + str(folder / "short.ome.tif") + ": short.ome.tif: truncated or corrupt TIFF: expected 5 "
            "planes of shape (5, 48, 56) (OME metadata), found 3") in made.stderr
    assert "1 of 2 files read; added 1 samples" in made.stdout
    assert [info.stem for info in client.list_samples(project)] == ["whole"]


def test_an_ome_tiff_cut_short_is_not_taken_for_one_plane(cli_env, client, tmp_path, rng):
    folder = tmp_path / "images"
    folder.mkdir()
    data = _five_plane_ome_tiff(tmp_path / "five.ome.tif", rng)
    (folder / "cut.ome.tif").write_bytes(data[:len(data) // 2])
    tifffile.imwrite(folder / "whole.tif", rng.integers(0, 255, (40, 50)).astype(np.uint8))
    project = _name("cut")
    made = run(cli_env, "project", "create", project, "--images", str(folder))
    assert made.returncode == 1, made.stderr
    assert f"cut.ome.tif: truncated or corrupt TIFF: " in made.stderr
    assert f"the end of the file (byte {len(data) // 2})" in made.stderr and "Traceback" not in made.stderr
    assert [info.stem for info in client.list_samples(project)] == ["whole"]


def test_an_imagej_stack_cut_short_says_how_many_of_its_planes_the_file_holds(cli_env, client, tmp_path, rng):
    path = tmp_path / "stack.tif"
    tifffile.imwrite(path, rng.integers(0, 255, (6, 32, 32)).astype(np.uint8), imagej=True,
                     metadata={"axes": "ZYX"})
    with tifffile.TiffFile(path) as tiff:
        start = tiff.series[0].dataoffset
    path.write_bytes(path.read_bytes()[:start + 2 * 32 * 32 + 100])
    project = _name("imagej-cut")
    made = run(cli_env, "project", "create", project, "--images", str(path))
    assert made.returncode == 1
    assert "stack.tif: truncated or corrupt TIFF: " in made.stderr and "Traceback" not in made.stderr
    assert f"{project}: none of 1 files could be read; no project was created" in made.stderr
    assert project not in [p.name for p in client.list_projects()]


def test_a_channel_choice_applies_to_files_with_channels_and_says_per_file_what_it_did(
        cli_env, client, tmp_path, rng):
    folder = tmp_path / "mixed"
    folder.mkdir()
    cyx = rng.integers(0, 4000, (2, 30, 40)).astype(np.uint16)
    tifffile.imwrite(folder / "a_channels.tif", cyx, imagej=True, metadata={"axes": "CYX"})
    rgb = rng.integers(0, 255, (30, 40, 3)).astype(np.uint8)
    Image.fromarray(rgb).save(folder / "b_colour.png")
    zyx = rng.integers(0, 255, (3, 30, 40)).astype(np.uint8)
    tifffile.imwrite(folder / "c_stack.tif", zyx, imagej=True, metadata={"axes": "ZYX"})
    project = _name("mixed")
    made = run(cli_env, "project", "create", project, "--images", str(folder), "--channel", "1")
    assert made.returncode == 0, made.stderr
    assert "a_channels.tif: channel 1 of 2 (axes CYX)" in made.stdout
    assert "b_colour.png: an RGB image: kept as RGB" in made.stdout
    assert "c_stack.tif: no channel axis (axes ZYX): read as it is" in made.stdout
    infos = {info.stem: info for info in client.list_samples(project)}
    assert set(infos) == {"a_channels", "b_colour", "c_stack_z0", "c_stack_z1", "c_stack_z2"}
    assert np.array_equal(client.get_sample(infos["a_channels"].sample_id).require("image"), cyx[1])
    assert np.array_equal(client.get_sample(infos["b_colour"].sample_id).require("image"), rgb)
    assert infos["b_colour"].origin.channel == -1
    assert np.array_equal(client.get_sample(infos["c_stack_z2"].sample_id).require("image"), zyx[2])


def test_an_rgb_tiff_stays_rgb_under_a_channel_choice(cli_env, client, tmp_path, rng):
    rgb = rng.integers(0, 255, (30, 40, 3)).astype(np.uint8)
    tifffile.imwrite(tmp_path / "slide.tif", rgb, photometric="rgb")
    project = _name("rgb-tiff")
    made = run(cli_env, "project", "create", project, "--images", str(tmp_path / "slide.tif"), "--channel", "0")
    assert made.returncode == 0, made.stderr
    [info] = client.list_samples(project)
    assert np.array_equal(client.get_sample(info.sample_id).require("image"), rgb)


def test_images_too_thin_to_label_are_refused_with_the_reason_and_the_rest_are_added(cli_env, client, tmp_path, rng):
    folder = tmp_path / "images"
    folder.mkdir()
    Image.fromarray(np.full((1, 1), 7, np.uint8)).save(folder / "dot.png")
    tifffile.imwrite(folder / "line.tif", rng.integers(0, 255, (1, 50)).astype(np.uint8))
    tifffile.imwrite(folder / "cells.tif", rng.integers(0, 255, (30, 40)).astype(np.uint8))
    project = _name("thin")
    made = run(cli_env, "project", "create", project, "--images", str(folder))
    assert made.returncode == 1
    assert "dot.png has axes YX (1, 1): planes of 1×1 pixels are too small to label (at least 2×2)" in made.stderr
    assert "line.tif has axes YX (1, 50): planes of 1×50 pixels are too small to label" in made.stderr
    assert "1 of 3 files read" in made.stdout
    assert [info.stem for info in client.list_samples(project)] == ["cells"]


def test_the_sdk_adding_a_single_row_image_gets_invalid_argument_saying_why(client):
    from labelassist.client.errors import InvalidArgumentError

    project = _name("row")
    client.create_project(project)
    with pytest.raises(InvalidArgumentError, match=r"'image' of shape \(1, 40\) is too small to label: at least 2×2"):
        client.add_sample(project, "row", np.zeros((1, 40), np.uint8))


def test_a_remainder_too_thin_to_label_joins_the_tile_before_it(cli_env, client, tmp_path, rng):
    image = rng.integers(0, 255, (129, 65)).astype(np.uint8)
    tifffile.imwrite(tmp_path / "wide.tif", image, tile=(32, 32))
    project = _name("sliver")
    made = run(cli_env, "project", "create", project, "--images", str(tmp_path / "wide.tif"), "--tile", "64")
    assert made.returncode == 0, made.stderr
    regions = sorted((i.origin.y, i.origin.x, i.origin.height, i.origin.width) for i in client.list_samples(project))
    assert regions == [(0, 0, 64, 65), (64, 0, 65, 65)]
    for info in client.list_samples(project):
        o = info.origin
        assert np.array_equal(client.get_sample(info.sample_id).require("image"),
                              image[o.y:o.y + o.height, o.x:o.x + o.width])
