"""Dataset folders with object classes, for `labelassist bench classes`: the
HeLa time-lapse with each nucleus "mitotic" when it divides within the next
frame(s) (:func:`labelassist.imaging.divisions.dividing_within`), else
"interphase" — a class decided by what happens later, which a classifier
must learn from appearance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from labelassist.imaging.divisions import dividing_within
from labelassist.io.bundled import dataset_tiles, read_hela, write_tiled_dataset
from labelassist.io.formats import class_table

MITOTIC, INTERPHASE = "mitotic", "interphase"
# An object cut by a tile border is classified in the tile that holds at
# least this share of it; a sliver is left unclassified.
MIN_INSIDE = 0.5


def tile_classes(masks: np.ndarray, classes: list[dict[int, str | None]], tile: int,
                 min_inside: float = MIN_INSIDE) -> list[tuple[str, dict]]:
    """Each tile's classified objects as (stem, {"objects": {id: class}}),
    tiles as :func:`labelassist.io.bundled.dataset_tiles` cuts them. Objects
    with no class (None) or mostly outside the tile are left out."""
    areas = []
    for frame in masks:
        ids, counts = np.unique(frame[frame > 0], return_counts=True)
        areas.append(dict(zip(ids.tolist(), counts.tolist())))
    rows = []
    for stem, window in dataset_tiles(masks.shape, tile):
        frame = window[0]
        ids, inside = np.unique(masks[window][masks[window] > 0], return_counts=True)
        objects = {str(i): classes[frame][i] for i, n in zip(ids.tolist(), inside.tolist())
                   if classes[frame].get(i) is not None and n >= min_inside * areas[frame][i]}
        rows.append((stem, {"objects": objects}))
    return rows


def write_hela_classes_dataset(folder: Path, wheel: Path, tile: int = 128, test_from_frame: int = 12,
                               within: int = 1, min_inside: float = MIN_INSIDE) -> dict[str, int]:
    """The HeLa time-lapse as a dataset folder (tiles, labels, split) with
    ``classes.csv``: "mitotic" for a nucleus that divides within ``within``
    frames, "interphase" for one that does not; nuclei whose future is not
    in the time-lapse (its last frames, lost tracks) are left unclassified."""
    images, masks = read_hela(wheel)
    counts = write_tiled_dataset(folder, images, masks, tile, test_from_frame)
    answers = dividing_within(masks, within)
    named = [{i: None if a is None else (MITOTIC if a else INTERPHASE) for i, a in frame.items()}
             for frame in answers]
    rows = tile_classes(masks, named, tile, min_inside)
    class_table.write(rows, folder / "classes.csv")
    found = [name for _, entry in rows for name in entry["objects"].values()]
    return {**counts, MITOTIC: found.count(MITOTIC), INTERPHASE: found.count(INTERPHASE)}
