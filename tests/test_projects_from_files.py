"""Projects from real image files through ``labelassist project`` and the
real services: stacks become one sample per plane, channels are picked,
RGB slides pre-label through colour deconvolution, large tiled images
become tiles without being loaded whole, and labels export in the source
file's own layout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile
from skimage import color, draw

from labelassist.client.errors import FailedPreconditionError, InvalidArgumentError
from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from shapes import dice

CLI = [sys.executable, "-m", "labelassist.cli"]
# The CLI under a wrapper that prints its own peak resident memory (KiB) last.
PEAK = ("import resource, runpy, sys\nsys.argv = ['labelassist', *sys.argv[1:]]\ntry:\n"
        "    runpy.run_module('labelassist.cli', run_name='__main__')\nfinally:\n"
        "    print('peak_kib', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n")


def run(env, *args, timeout=300):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=timeout)


def _name(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{np.random.default_rng().integers(1 << 30)}"


def _disks(shape, count, radius, rng) -> np.ndarray:
    truth = np.zeros(shape, np.uint8)
    for _ in range(count):
        centre = rng.integers(radius + 2, np.array(shape) - radius - 2)
        truth[draw.disk(tuple(centre), radius, shape=shape)] = 1
    return truth


def _exported(env, project: str, out: Path, name: str, axes: str) -> np.ndarray:
    """``project export`` into ``out``: the label image ``name``, checked to have ``axes``."""
    exported = run(env, "project", "export", project, "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    with tifffile.TiffFile(out / name) as written:
        assert written.series[0].axes == axes
        return written.asarray()


def test_a_tzcyx_ome_tiff_becomes_one_sample_per_plane_and_exports_in_its_layout(cli_env, client, tmp_path, rng):
    stack = rng.integers(0, 4000, (2, 3, 2, 64, 80)).astype(np.uint16)
    path = tmp_path / "cells.ome.tif"
    tifffile.imwrite(path, stack, ome=True, metadata={"axes": "TZCYX"})
    project = _name("stack")
    made = run(cli_env, "project", "create", project, "--images", str(path))
    assert made.returncode == 0, made.stderr
    assert "added 6 samples" in made.stdout
    infos = client.list_samples(project)
    assert sorted(i.stem for i in infos) == sorted(f"cells_t{t}_z{z}" for t in range(2) for z in range(3))
    for info in infos:
        origin = info.origin
        assert (origin.file, origin.axes, tuple(origin.shape)) == ("cells.ome.tif", "TZCYX", stack.shape)
        image = client.get_sample(info.sample_id).require("image")
        assert np.array_equal(image, np.moveaxis(stack[origin.t, origin.z], 0, -1))  # channels last
        assert info.sequence == "cells"

    # Two planes labelled, then exported: one OME-TIFF with the file's T, Z, Y, X.
    labelled = {}
    for info in infos[:2]:
        mask = np.zeros((64, 80), np.uint8)
        mask[10:20, 10 + 5 * info.origin.z:30] = 1
        mask[40:50, 50:60] = 2
        client.submit_label(info.sample_id, "exporter", mask)
        labelled[(info.origin.t, info.origin.z)] = mask
    labels = _exported(cli_env, project, tmp_path / "export", "cells_labels.ome.tif", "TZYX")
    assert labels.shape == (2, 3, 64, 80)
    for (t, z), mask in labelled.items():
        assert np.array_equal(labels[t, z] > 0, mask > 0)
        assert len(np.unique(labels[t, z])) == 3  # two objects, each its own id
    assert set(np.unique(labels[list(zip(*labelled))[0], list(zip(*labelled))[1]])) - {0} == {1, 2, 3, 4}
    assert labels.sum() == sum(labels[t, z].sum() for t, z in labelled)  # the rest stays background


def test_a_picked_channel_is_what_the_samples_hold_and_what_prelabels(cli_env, client, tmp_path, rng):
    truth = _disks((128, 128), 6, 9, rng)
    decoy = _disks((128, 128), 6, 9, rng)
    cyx = np.stack([decoy * 3000 + 200, truth * 3000 + 200]).astype(np.uint16)
    cyx = (cyx + rng.normal(0, 60, cyx.shape)).clip(0, 65535).astype(np.uint16)
    path = tmp_path / "two_channels.tif"
    tifffile.imwrite(path, cyx, imagej=True, metadata={"axes": "CYX"})
    project = _name("channel")
    made = run(cli_env, "project", "create", project, "--images", str(path), "--channel", "1")
    assert made.returncode == 0, made.stderr
    [info] = client.list_samples(project)
    assert info.origin.channel == 1
    assert np.array_equal(client.get_sample(info.sample_id).require("image"), cyx[1])
    outcome = client.prelabel(None, ("otsu", {"polarity": "bright"}), sample_id=info.sample_id)
    assert dice(outcome.mask > 0, truth) > 0.9 and dice(outcome.mask > 0, decoy) < 0.5

    refused = run(cli_env, "project", "add", project, str(path), "--channel", "2")
    assert refused.returncode == 1
    assert "axes CYX (2, 128, 128): --channel 2 is out of range 0-1" in refused.stderr


def h_and_e_slide(rng, side: int = 160) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic H&E tile: hematoxylin in round nuclei, eosin everywhere."""
    nuclei = _disks((side, side), 8, 10, rng)
    hed = np.zeros((side, side, 3))
    hed[..., 0] = nuclei * 0.9 + rng.normal(0, 0.02, nuclei.shape)
    hed[..., 1] = 0.25 + rng.normal(0, 0.02, nuclei.shape)
    return (np.clip(color.hed2rgb(hed), 0, 1) * 255).astype(np.uint8), nuclei


def test_an_rgb_project_prelabels_its_nuclei_with_its_assist_settings(cli_env, client, tmp_path, rng):
    rgb, nuclei = h_and_e_slide(rng)
    path = tmp_path / "slide.tif"
    tifffile.imwrite(path, rgb, photometric="rgb")
    project = _name("rgb")
    made = run(cli_env, "project", "create", project, "--images", str(path), "--pre", "hed",
               "--method", "otsu:polarity=bright")
    assert made.returncode == 0, made.stderr
    [info] = client.list_samples(project)
    assert client.get_sample(info.sample_id).require("image").shape == (160, 160, 3)
    # No method in the call: the project's settings (colour deconvolution, then Otsu) run.
    outcome = client.prelabel(None, sample_id=info.sample_id)
    assert outcome.applied == ["hed", "otsu"] and dice(outcome.mask > 0, nuclei) > 0.9
    from_file = run(cli_env, "prelabel", str(path), "-o", str(tmp_path / "mask.tif"), "--project", project)
    assert from_file.returncode == 0, from_file.stderr
    assert dice(tifffile.imread(tmp_path / "mask.tif") > 0, nuclei) > 0.9
    shown = run(cli_env, "assist-settings", project)
    assert "pre-processing: hed\n" in shown.stdout and "method: otsu:polarity=bright" in shown.stdout

    # A step of the wrong family is refused when it is set, naming it.
    refused = run(cli_env, "assist-settings", project, "--pre", "otsu")
    assert refused.returncode == 2 and "INVALID_ARGUMENT" in refused.stderr
    assert "unknown preprocess operation 'otsu'" in refused.stderr
    reset = run(cli_env, "assist-settings", project, "--reset")
    assert reset.returncode == 0 and "method: the default pipeline" in reset.stdout
    with pytest.raises(InvalidArgumentError, match="works on one channel, the image has 3 channels; .*add a "
                                                   r"'channel' or 'merge' pre-processing step \('hed' for an RGB brightfield slide\)"):
        client.prelabel(None, sample_id=info.sample_id)  # the default pipeline takes one channel


def _peak_kib(result: subprocess.CompletedProcess) -> int:
    return int(result.stderr.rsplit("peak_kib", 1)[1].split()[0])


def _high_water_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_a_large_tiled_image_becomes_tiles_without_being_loaded_whole(start_service, tmp_path):
    """16384×8192 of uint16 (256 MiB) in 512² tiles, uncompressed so its
    bytes on disk are the image's: the CLI reads a band of tiles at a time
    (and no more than a few MiB ahead) and the selector takes batches of
    bounded size; neither holds the image."""
    height, side, file_tile = 16384, 8192, 512
    image_bytes = height * side * 2

    def tiles():
        for y in range(0, height, file_tile):
            for x in range(0, side, file_tile):
                yield np.full((file_tile, file_tile), (y // file_tile) * 100 + x // file_tile, np.uint16)

    big = tmp_path / "slide.ome.tif"
    tifffile.imwrite(big, tiles(), shape=(height, side), dtype=np.uint16, tile=(file_tile, file_tile),
                     ome=True, metadata={"axes": "YX"})
    small = tmp_path / "small.tif"
    tifffile.imwrite(small, np.zeros((64, 64), np.uint16))
    selector = start_service("selector")
    env = {**os.environ, "LABELASSIST_SELECTOR_ADDRESS": selector.address}
    with LabelAssistClient(ServiceAddresses(selector=selector.address), timeout=120) as client:
        client.create_project("slides")
        baseline = subprocess.run([sys.executable, "-c", PEAK, "project", "add", "slides", str(small)],
                                  capture_output=True, text=True, env=env, timeout=300)
        assert baseline.returncode == 0, baseline.stderr
        before = _high_water_kib(selector.process.pid)
        added = subprocess.run([sys.executable, "-c", PEAK, "project", "add", "slides", str(big), "--tile", "1024"],
                               capture_output=True, text=True, env=env, timeout=600)
        assert added.returncode == 0, added.stderr
        assert "added 128 samples" in added.stdout
        cli_growth = _peak_kib(added) - _peak_kib(baseline)
        selector_growth = _high_water_kib(selector.process.pid) - before
        assert cli_growth * 1024 < image_bytes / 4, f"the CLI grew by {cli_growth} KiB"
        # Loading the image whole would cost at least its size; freed heap kept for reuse stays below half.
        assert selector_growth * 1024 < image_bytes / 2, f"the selector grew by {selector_growth} KiB"
        infos = {i.stem: i for i in client.list_samples("slides")}
        corner = infos["slide_y15360_x3072"]
        assert (corner.origin.y, corner.origin.x, corner.origin.height, corner.origin.width) == (15360, 3072, 1024, 1024)
        tile = client.get_sample(corner.sample_id).require("image")
        expected = np.add.outer(np.arange(15360, 16384) // file_tile * 100, np.arange(3072, 4096) // file_tile)
        assert np.array_equal(tile, expected.astype(np.uint16))

        # Two tiles labelled, then exported in the slide's layout: a tile of memory at a time, not the slide.
        masks = {}
        for stem in ("slide_y15360_x3072", "slide_y0_x0"):
            mask = np.zeros((1024, 1024), np.uint8)
            mask[100:300, 200:700], mask[600:900, 50:150] = 1, 2
            client.submit_label(infos[stem].sample_id, "exporter", mask)
            masks[stem] = mask
        out = tmp_path / "export"
        exported = subprocess.run([sys.executable, "-c", PEAK, "project", "export", "slides", "-o", str(out)],
                                  capture_output=True, text=True, env=env, timeout=600)
        assert exported.returncode == 0, exported.stderr
        label_bytes = height * side * 4  # the slide's label image as uint32
        export_growth = _peak_kib(exported) - _peak_kib(baseline)
        assert export_growth * 1024 < label_bytes / 8, f"the export grew by {export_growth} KiB"
        with tifffile.TiffFile(out / "slide_labels.ome.tif") as written:
            assert written.series[0].axes == "YX" and written.series[0].shape == (height, side)
            assert written.pages[0].is_tiled
            labels = written.asarray()
        corner, origin = labels[15360:, 3072:4096], labels[:1024, :1024]
        assert np.array_equal(corner > 0, masks["slide_y15360_x3072"] > 0)
        assert np.array_equal(origin > 0, masks["slide_y0_x0"] > 0)
        assert len(set(np.unique(corner)) | set(np.unique(origin))) == 5  # four objects, each its own id
        assert labels.sum(dtype=np.int64) == corner.sum(dtype=np.int64) + origin.sum(dtype=np.int64)


def test_labels_come_along_and_a_broken_file_is_reported_while_the_rest_are_added(cli_env, client, tmp_path, rng):
    images, labels = tmp_path / "images", tmp_path / "labels"
    images.mkdir()
    labels.mkdir()
    zyx = rng.integers(0, 255, (3, 40, 50)).astype(np.uint8)
    tifffile.imwrite(images / "series.tif", zyx, imagej=True, metadata={"axes": "ZYX"})
    truth = np.zeros((3, 40, 50), np.uint16)
    truth[:, 5:15, 5:15] = 1
    tifffile.imwrite(labels / "series.tif", truth, photometric="minisblack")  # no axes: it takes the image's
    tifffile.imwrite(images / "plain.tif", zyx[0])
    (images / "broken.tif").write_bytes(b"II*\x00 not a tiff at all")
    project = _name("folder")
    made = run(cli_env, "project", "create", project, "--images", str(images), "--labels", str(labels))
    assert made.returncode == 1
    assert "broken.tif" in made.stderr and "Traceback" not in made.stderr
    assert "2 of 3 files read; added 4 samples" in made.stdout
    infos = {i.stem: i for i in client.list_samples(project)}
    assert set(infos) == {"series_z0", "series_z1", "series_z2", "plain"}
    for z in range(3):
        info = infos[f"series_z{z}"]
        assert info.labeled and client.label_history(info.sample_id)[0].annotator == "import"
        assert np.array_equal(client.get_sample(info.sample_id, with_image=False).require("label"), truth[z])
    assert not infos["plain"].labeled


def _moving_nuclei(rng, frames: int = 3, side: int = 128):
    """A time-lapse of bright disks drifting a few pixels per frame."""
    centres = np.array([(row, col) for row in (24, 84) for col in (24, 64, 104)])  # 40 px apart
    steps = rng.integers(-4, 5, (6, 2))
    movie, labels = np.zeros((frames, side, side), np.uint16), np.zeros((frames, side, side), np.uint16)
    for t in range(frames):
        for index, (centre, step) in enumerate(zip(centres, steps), start=1):
            rows, cols = draw.disk(tuple(centre + t * step), 8, shape=(side, side))
            labels[t, rows, cols] = index
    movie = (np.where(labels > 0, 2500, 300) + rng.normal(0, 80, labels.shape)).clip(0).astype(np.uint16)
    return movie, labels


def test_propagate_follows_the_labelled_frame_to_the_next_and_keeps_its_ids(cli_env, client, tmp_path):
    rng = np.random.default_rng(12)
    movie, truth = _moving_nuclei(rng)
    path = tmp_path / "movie.ome.tif"
    tifffile.imwrite(path, movie, ome=True, metadata={"axes": "TYX"})
    project = _name("movie")
    assert run(cli_env, "project", "create", project, "--images", str(path)).returncode == 0
    by_frame = {info.origin.t: info for info in client.list_samples(project)}

    with pytest.raises(FailedPreconditionError, match="propagate needs a labelled neighbour"):
        client.prelabel(None, "propagate", sample_id=by_frame[1].sample_id)

    client.submit_label(by_frame[0].sample_id, "tracker", truth[0])
    for t in (1, 2):  # frame 2's nearest labelled frame is 0 until 1 is stored
        outcome = client.prelabel(None, "propagate", sample_id=by_frame[t].sample_id)
        assert dice(outcome.mask > 0, truth[t] > 0) > 0.95
        for object_id in range(1, 7):  # every nucleus keeps its id
            assert np.mean(outcome.mask[truth[t] == object_id] == object_id) > 0.9
        client.submit_label(by_frame[t].sample_id, "tracker", outcome.mask)

    # A sent neighbour works without the selector's stack, for any image.
    sent = client.prelabel(movie[1], "propagate", reference=(truth[0], movie[0]))
    assert dice(sent.mask > 0, truth[1] > 0) > 0.95


def test_an_ome_zarr_image_becomes_one_sample_per_plane_read_lazily(cli_env, client, tmp_path, rng):
    """A TCZYX OME-Zarr store (written by ome-zarr, as NGFF tools write
    them): every (t, z) plane a sample with both channels, or the picked one."""
    import zarr
    from ome_zarr.writer import write_image

    stack = rng.integers(0, 4000, (2, 2, 3, 48, 64)).astype(np.uint16)
    folder = tmp_path / "stores"
    folder.mkdir()
    write_image(stack, zarr.open_group(str(folder / "cells.ome.zarr"), mode="w"), axes="tczyx", scale_factors=[])
    project = _name("zarr")
    made = run(cli_env, "project", "create", project, "--images", str(folder))
    assert made.returncode == 0, made.stderr
    infos = client.list_samples(project)
    assert sorted(i.stem for i in infos) == sorted(f"cells_t{t}_z{z}" for t in range(2) for z in range(3))
    for info in infos:
        assert (info.origin.axes, tuple(info.origin.shape)) == ("TCZYX", stack.shape)
        image = client.get_sample(info.sample_id).require("image")
        assert np.array_equal(image, np.moveaxis(stack[info.origin.t, :, info.origin.z], 0, -1))

    picked = _name("zarr-channel")
    made = run(cli_env, "project", "create", picked, "--images", str(folder / "cells.ome.zarr"), "--channel", "1")
    assert made.returncode == 0, made.stderr
    info = next(i for i in client.list_samples(picked) if i.stem == "cells_t1_z2")
    assert np.array_equal(client.get_sample(info.sample_id).require("image"), stack[1, 1, 2])


def test_a_zeiss_czi_stack_becomes_one_sample_per_plane_through_bioio_and_exports_in_its_layout(
        cli_env, client, tmp_path, rng):
    """A ZCYX CZI (written by Zeiss's pylibCZIrw, read through bioio's CZI
    plugin): every z plane a sample, a picked channel, labels back in a
    ZYX OME-TIFF beside it, and labels in that layout read at create."""
    from pylibCZIrw import czi as pyczi

    stack = rng.integers(0, 4000, (3, 2, 40, 56)).astype(np.uint16)
    path = tmp_path / "slide.czi"
    with pyczi.create_czi(str(path), exist_ok=True) as czi:
        for z in range(3):
            for c in range(2):
                czi.write(data=stack[z, c], plane={"T": 0, "Z": z, "C": c})
    project = _name("czi")
    made = run(cli_env, "project", "create", project, "--images", str(path), "--channel", "1")
    assert made.returncode == 0, made.stderr
    infos = sorted(client.list_samples(project), key=lambda i: i.origin.z)
    assert [i.stem for i in infos] == ["slide_z0", "slide_z1", "slide_z2"]
    for info in infos:
        origin = info.origin
        assert (origin.file, origin.axes, tuple(origin.shape)) == ("slide.czi", "ZCYX", stack.shape)
        assert np.array_equal(client.get_sample(info.sample_id).require("image"), stack[info.origin.z, 1])

    mask = _disks((40, 56), 3, 5, rng)
    client.submit_label(infos[1].sample_id, "exporter", mask)
    out = tmp_path / "export"
    labels = _exported(cli_env, project, out, "slide_labels.ome.tif", "ZYX")
    assert labels.shape == (3, 40, 56) and np.array_equal(labels[1] > 0, mask > 0) and not labels[[0, 2]].any()

    again = _name("czi-labelled")
    made = run(cli_env, "project", "create", again, "--images", str(path), "--labels",
               str(out / "slide_labels.ome.tif"))
    assert made.returncode == 0, made.stderr
    back = {i.stem: client.get_sample(i.sample_id).require("label") for i in client.list_samples(again)}
    assert np.array_equal(back["slide_z1"] > 0, mask > 0) and not back["slide_z0"].any()


def test_a_vendor_file_that_does_not_read_is_reported_and_the_rest_are_added(cli_env, client, tmp_path, rng):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "broken.nd2").write_bytes(b"not an nd2 file" * 10)
    (folder / "broken.lif").write_bytes(b"\x00" * 64)
    tifffile.imwrite(folder / "plain.tif", rng.integers(0, 255, (32, 32)).astype(np.uint8))
    project = _name("vendor-broken")
    made = run(cli_env, "project", "create", project, "--images", str(folder))
    assert made.returncode == 1
    assert "broken.nd2" in made.stdout + made.stderr and "broken.lif" in made.stdout + made.stderr
    assert "Traceback" not in made.stderr
    assert [i.stem for i in client.list_samples(project)] == ["plain"]


def test_a_scene_of_a_multi_scene_file_exports_and_matches_labels_by_its_name(tmp_path):
    """A file of several scenes (a LIF's series): each scene's labels go to
    a file of their own, and such files label that scene again."""
    from labelassist.io.formats import LabelledImage, label_format
    from labelassist.io.project_files import source_files
    from labelassist.proto.v1 import selector_pb2

    label = np.zeros((16, 20), np.uint8)
    label[2:6, 3:9] = 1
    samples = [LabelledImage(f"run_{scene}", None, label, selector_pb2.SampleOrigin(
        file="run.lif", axes="YX", shape=[16, 20], height=16, width=20, scene=scene)) for scene in ("Pos 1", "Pos/2")]
    written = label_format("ome-tiff").write(samples, tmp_path / "labels")
    assert sorted(p.name for p in written) == ["run_Pos-1_labels.ome.tif", "run_Pos-2_labels.ome.tif"]
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "run.lif").write_bytes(b"")
    [(image, by_scene)] = source_files([tmp_path / "images"], [tmp_path / "labels"])
    assert image.name == "run.lif" and sorted(by_scene) == ["Pos-1", "Pos-2"]
