"""A dataset folder loaded for evaluation: labelled samples in pool order
with their sequences and a train/test split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class EvaluationSet:
    folder: str
    stems: list[str]
    images: list[np.ndarray]
    labels: list[np.ndarray]
    sequences: np.ndarray  # one name per sample; the stem when the folder has no sequences.csv
    train: np.ndarray  # sample indices of the training pool, in pool order
    test: np.ndarray
    split_source: str  # "split.csv" or "seeded by sequence"


def load_evaluation_set(folder: str | Path, seed: int = 0, test_fraction: float = 0.25,
                        need_split: bool = True) -> EvaluationSet:
    """Read a dataset folder's labelled samples.

    Pool order is sequence by sequence, each in stem order: the order in
    which an annotator without a selector works through time-lapses, which is
    what "sequential" means in the paper. Without split.csv, whole sequences
    go to the test split (seeded), so near-identical neighbours never
    straddle it. Without ``need_split`` (scoring every sample, nothing
    trained), one labelled sample is enough.
    """
    from labelassist.io.dataset_folder import read_dataset
    from labelassist.io.images import read_image

    samples = [s for s in read_dataset(folder) if s.label is not None]
    if len(samples) < (2 if need_split else 1):
        raise ValueError(f"{folder}: need at least {2 if need_split else 1} labelled samples "
                         f"(DIR/labels/<stem>.tif|png) for a train/test split, found {len(samples)}")
    samples.sort(key=lambda s: (s.sequence or s.stem, s.stem))
    sequences = np.array([s.sequence or s.stem for s in samples])
    bad = sorted({s.split for s in samples if s.split not in (None, "train", "test")})
    if bad:
        raise ValueError(f"{folder}/split.csv: split must be train or test, got {', '.join(map(repr, bad))}")
    if not need_split and len(samples) == 1:
        is_test, source = np.array([False]), "none (every sample scored)"
    elif any(s.split for s in samples):
        is_test = np.array([s.split == "test" for s in samples])
        source = "split.csv"
    else:
        names = np.unique(sequences)
        rng = np.random.default_rng(seed)
        count = min(max(1, round(len(names) * test_fraction)), len(names) - 1)
        is_test = np.isin(sequences, rng.choice(names, count, replace=False))
        source = "seeded by sequence"
    if need_split and (is_test.all() or not is_test.any()):
        raise ValueError(f"{folder}: the split leaves no {'training' if is_test.all() else 'test'} samples")
    images = [read_image(s.image) for s in samples]
    labels = [read_image(s.label) for s in samples]
    for stem, image, label in zip((s.stem for s in samples), images, labels):
        if image.shape[:2] != label.shape[:2]:
            raise ValueError(f"{folder}: label {stem} has shape {label.shape}, its image {image.shape}")
    return EvaluationSet(str(folder), [s.stem for s in samples], images, labels, sequences,
                         np.flatnonzero(~is_test), np.flatnonzero(is_test), source)
