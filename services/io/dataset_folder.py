"""The dataset folder format every dataset command takes:
``DIR/images/<stem>.tif|png|jpg``, ``DIR/labels/<stem>.tif|png`` (0 background,
> 0 object or instance id), optional ``DIR/sequences.csv`` (stem,sequence)
and ``DIR/split.csv`` (stem,train|test)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from labelassist.io.images import IMAGE_SUFFIXES

# Labels must be lossless: no JPEG.
LABEL_SUFFIXES = (".tif", ".tiff", ".png")


@dataclass(frozen=True)
class Sample:
    stem: str
    image: Path
    label: Path | None
    sequence: str | None = None
    split: str | None = None


def _by_stem(folder: Path, suffixes: tuple[str, ...] = IMAGE_SUFFIXES) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    # Hidden files (".x.tif", macOS "._x.tif") are no samples.
    return {p.stem: p for p in sorted(folder.iterdir())
            if p.suffix.lower() in suffixes and not p.name.startswith(".")}


def _read_pairs(path: Path, column: str) -> dict[str, str]:
    if not path.exists():
        return {}
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    if rows and rows[0][:2] == ["stem", column]:
        rows = rows[1:]
    for number, row in enumerate(rows, start=1):
        if len(row) < 2:
            raise ValueError(f"{path.name} line {number}: expected 'stem,{column}', got {row!r}")
    return {row[0].strip(): row[1].strip() for row in rows}


def read_dataset(root: str | Path) -> list[Sample]:
    root = Path(root)
    images = _by_stem(root / "images")
    if not images:
        raise ValueError(f"no images in {root / 'images'} (expected DIR/images/<stem>.tif|png|jpg)")
    labels = _by_stem(root / "labels", LABEL_SUFFIXES)
    sequences = _read_pairs(root / "sequences.csv", "sequence")
    splits = _read_pairs(root / "split.csv", "split")
    return [Sample(stem, path, labels.get(stem), sequences.get(stem), splits.get(stem))
            for stem, path in images.items()]


def read_samples(root: str | Path) -> list[Sample]:
    """A dataset folder (``DIR/images``, with its labels and sequences), or
    else a plain folder of images: what a "New project" from a local folder
    takes."""
    root = Path(root)
    if (root / "images").is_dir():
        return read_dataset(root)
    images = _by_stem(root)
    if not images:
        raise ValueError(f"no images in {root} (TIFF or PNG, or a dataset folder with DIR/images/)")
    return [Sample(stem, path, None) for stem, path in images.items()]
