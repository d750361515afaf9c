"""Server-side dataset folders, confined to the configured roots: every file
read lies inside a root (symlinks resolved), and every file written lands in
its export folder, named by the safe-name rule."""

from __future__ import annotations

import os
from dataclasses import replace
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from labelassist.io.dataset_folder import read_dataset
from labelassist.io.images import write_labels
from labelassist.io.project_files import dataset_samples
from labelassist.runtime.errors import NotFoundError, PermissionDeniedError
from labelassist.runtime.names import check_sample_name
from labelassist.io.confinement import confine

EXPORT_FORMATS = ("tif", "png")


def dataset_entries(folder: Path, roots: Sequence[Path]) -> Iterator[dict]:
    """Entries for Store.add_samples from a dataset folder inside ``roots``,
    read one at a time. Every path is confined before the first is read
    (PermissionDeniedError); an entry that cannot be read comes as
    ``{"stem": ..., "error": why}`` and the rest follow."""
    if not folder.is_dir():
        raise NotFoundError(f"no dataset folder {folder}")
    samples = [(sample, confine(str(sample.image), roots),
                confine(str(sample.label), roots) if sample.label is not None else None)
               for sample in read_dataset(folder)]
    for sample, image_path, label_path in samples:
        try:
            check_sample_name(sample.stem)
        except ValueError as error:
            yield {"stem": sample.stem, "error": str(error)}
            continue
        yield from dataset_samples([replace(sample, image=image_path, label=label_path)])


def export_labels(folder: Path, latest: Sequence[tuple[str, np.ndarray]], suffix: str) -> int:
    """Write each (stem, mask) as ``folder/<stem>.<suffix>``, all or nothing.

    Every file is first written under a fresh name of our own in the folder,
    then moved over its target in one step: a symlink already standing at a
    target is replaced, never followed, and an error leaves no new file.
    """
    if suffix not in EXPORT_FORMATS:
        raise ValueError(f"'format' must be one of {', '.join(EXPORT_FORMATS)}, got {suffix!r}")
    folder.mkdir(parents=True, exist_ok=True)
    real = folder.resolve()
    staged: list[tuple[str, Path]] = []
    try:
        for stem, mask in latest:
            target = real / f"{check_sample_name(stem)}.{suffix}"
            if target.parent != real:
                raise PermissionDeniedError(f"sample {stem!r} would be written outside {real}")
            handle, staging = tempfile.mkstemp(dir=real, prefix=".export-", suffix=f".{suffix}")
            os.close(handle)
            staged.append((staging, target))
            write_labels(staging, mask)
        for staging, target in staged:
            os.replace(staging, target)
    except BaseException:
        for staging, _ in staged:
            Path(staging).unlink(missing_ok=True)
        raise
    return len(staged)
