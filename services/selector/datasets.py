"""Server-side dataset folders, confined to the configured roots."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from labelassist.client.dataset import read_dataset
from labelassist.client.imageio import read_image, write_labels
from labelassist.runtime.errors import NotFoundError


def load_dataset(folder: Path) -> list[dict]:
    """Entries for Store.add_samples from a dataset folder."""
    if not folder.is_dir():
        raise NotFoundError(f"no dataset folder {folder}")
    entries = []
    for sample in read_dataset(folder):
        entry = {"stem": sample.stem, "image": read_image(sample.image), "sequence": sample.sequence}
        if sample.label is not None:
            label = read_image(sample.label)
            if label.shape != entry["image"].shape[:2]:
                raise ValueError(f"label {sample.label.name} is {label.shape}, its image {entry['image'].shape}")
            entry["label"] = label
        entries.append(entry)
    return entries


def export_labels(folder: Path, latest: Sequence[tuple[str, np.ndarray]], suffix: str) -> int:
    if suffix not in ("tif", "png"):
        raise ValueError(f"'format' must be tif or png, got {suffix!r}")
    folder.mkdir(parents=True, exist_ok=True)
    for stem, mask in latest:
        write_labels(folder / f"{stem}.{suffix}", mask)
    return len(latest)
