"""OME metadata kept from the file to the export, through ``labelassist
project`` and the real services: channel names and the pixel size reach the
sample's origin (so clients name channels "membrane", not "0"), the OME-TIFF
export writes the pixel size back, and the OME-Zarr export writes the scale
and channel labels in the NGFF version asked for."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tifffile

CLI = [sys.executable, "-m", "labelassist.cli"]


def run(env, *args, timeout=300):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture
def named_project(cli_env, client, tmp_path, rng):
    """A project from a two-channel OME-TIFF whose channels and pixel size are named, one plane labelled."""
    cyx = rng.integers(0, 4000, (2, 40, 48)).astype(np.uint16)
    path = tmp_path / "cells.ome.tif"
    tifffile.imwrite(path, cyx, ome=True, metadata={
        "axes": "CYX", "Channel": {"Name": ["membrane", "nuclei"]},
        "PhysicalSizeX": 0.325, "PhysicalSizeXUnit": "µm", "PhysicalSizeY": 325.0, "PhysicalSizeYUnit": "nm"})
    project = f"named-{os.getpid()}-{np.random.default_rng().integers(1 << 30)}"
    made = run(cli_env, "project", "create", project, "--images", str(path))
    assert made.returncode == 0, made.stderr
    [info] = client.list_samples(project)
    label = np.zeros((40, 48), np.uint8)
    label[5:15, 5:15] = 1
    client.submit_label(info.sample_id, "ann", label)
    return project, info, cyx


def test_a_samples_origin_carries_the_files_channel_names_and_pixel_size(named_project):
    _, info, _ = named_project
    assert list(info.origin.channel_names) == ["membrane", "nuclei"]
    assert info.origin.physical_size_x == pytest.approx(0.325)
    assert info.origin.physical_size_y == pytest.approx(0.325)  # 325 nm
    assert info.origin.physical_size_z == 0


def test_the_ome_tiff_export_writes_the_sources_pixel_size(cli_env, named_project, tmp_path):
    project, _, _ = named_project
    exported = run(cli_env, "project", "export", project, "-o", str(tmp_path / "out"))
    assert exported.returncode == 0, exported.stderr
    with tifffile.TiffFile(tmp_path / "out" / "cells_labels.ome.tif") as written:
        xml = written.ome_metadata
    assert 'PhysicalSizeX="0.325"' in xml and 'PhysicalSizeY="0.325"' in xml and 'PhysicalSizeXUnit="µm"' in xml


def test_the_ome_zarr_export_is_ngff_0_4_by_default_with_scale_and_channel_labels(cli_env, named_project, tmp_path):
    project, info, _ = named_project
    exported = run(cli_env, "project", "export", project, "-o", str(tmp_path / "zarr"), "--format", "ome-zarr")
    assert exported.returncode == 0, exported.stderr
    attributes = json.loads((tmp_path / "zarr" / f"{info.stem}.ome.zarr" / ".zattrs").read_text())
    multiscale = attributes["multiscales"][0]
    assert multiscale["version"] == "0.4"
    assert multiscale["datasets"][0]["coordinateTransformations"][0]["scale"] == pytest.approx([1.0, 0.325, 0.325])
    assert [c["label"] for c in attributes["omero"]["channels"]] == ["membrane", "nuclei"]


def test_the_ome_zarr_export_writes_ngff_0_5_when_asked(cli_env, named_project, tmp_path):
    project, info, cyx = named_project
    exported = run(cli_env, "project", "export", project, "-o", str(tmp_path / "zarr"), "--format", "ome-zarr",
                   "--ngff", "0.5")
    assert exported.returncode == 0, exported.stderr
    store = tmp_path / "zarr" / f"{info.stem}.ome.zarr"
    ome = json.loads((store / "zarr.json").read_text())["attributes"]["ome"]
    assert ome["version"] == "0.5"
    assert [c["label"] for c in ome["omero"]["channels"]] == ["membrane", "nuclei"]
    imported = run(cli_env, "project", "import", f"{project}-back", str(tmp_path / "zarr"), "--format", "ome-zarr",
                   "--create")
    assert imported.returncode == 0, imported.stderr


def test_a_czi_files_channel_names_and_pixel_size_reach_the_samples_origin(cli_env, client, tmp_path):
    pyczi = pytest.importorskip("pylibCZIrw.czi")
    path = tmp_path / "slide.czi"
    with pyczi.create_czi(str(path), exist_ok=True) as czi:
        for c in range(2):
            czi.write(data=np.full((24, 32), c, np.uint16), plane={"T": 0, "Z": 0, "C": c})
        czi.write_metadata(channel_names={0: "membrane", 1: "nuclei"}, scale_x=0.2e-6, scale_y=0.2e-6)
    project = f"czi-named-{os.getpid()}-{np.random.default_rng().integers(1 << 30)}"
    made = run(cli_env, "project", "create", project, "--images", str(path))
    assert made.returncode == 0, made.stderr
    [info] = client.list_samples(project)
    assert list(info.origin.channel_names) == ["membrane", "nuclei"]
    assert info.origin.physical_size_x == pytest.approx(0.2) and info.origin.physical_size_y == pytest.approx(0.2)
