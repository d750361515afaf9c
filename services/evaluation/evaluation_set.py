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
    from labelassist.io.project_files import dataset_samples

    planes = []  # every plane of every labelled file; a stack's planes share its sequence and split
    for sample in sorted((s for s in read_dataset(folder) if s.label is not None),
                         key=lambda s: (s.sequence or s.stem, s.stem)):
        for entry in dataset_samples([sample]):
            if "error" in entry:
                raise ValueError(f"{folder}: {entry['error']}")
            if entry["label"] is None or entry["label"].shape != entry["image"].shape[:2]:
                shape = None if entry["label"] is None else entry["label"].shape
                raise ValueError(f"{folder}: label {entry['stem']} has shape {shape}, its image "
                                 f"{entry['image'].shape}")
            planes.append((entry, sample.sequence or sample.stem, sample.split))
    if len(planes) < (2 if need_split else 1):
        raise ValueError(f"{folder}: need at least {2 if need_split else 1} labelled samples "
                         f"(DIR/labels/<stem>.tif|png) for a train/test split, found {len(planes)}")
    sequences = np.array([sequence for _, sequence, _ in planes])
    splits = [split for _, _, split in planes]
    bad = sorted({split for split in splits if split not in (None, "train", "test")})
    if bad:
        raise ValueError(f"{folder}/split.csv: split must be train or test, got {', '.join(map(repr, bad))}")
    if not need_split and len(planes) == 1:
        is_test, source = np.array([False]), "none (every sample scored)"
    elif any(splits):
        is_test = np.array([split == "test" for split in splits])
        source = "split.csv"
    else:
        names = np.unique(sequences)
        rng = np.random.default_rng(seed)
        count = min(max(1, round(len(names) * test_fraction)), len(names) - 1)
        is_test = np.isin(sequences, rng.choice(names, count, replace=False))
        source = "seeded by sequence"
    if need_split and (is_test.all() or not is_test.any()):
        raise ValueError(f"{folder}: the split leaves no {'training' if is_test.all() else 'test'} samples")
    return EvaluationSet(str(folder), [e["stem"] for e, _, _ in planes], [e["image"] for e, _, _ in planes],
                         [e["label"] for e, _, _ in planes], sequences,
                         np.flatnonzero(~is_test), np.flatnonzero(is_test), source)
