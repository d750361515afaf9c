"""Server-side paths: the dataset roots a server reads and writes in
(``labelassist.io.confinement.confine`` holds paths inside them)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from labelassist.runtime.config import ServiceConfig

from labelassist.proto.wire.addresses import env


def add_dataset_root_argument(parser) -> None:
    parser.add_argument("--dataset-root", action="append", type=Path, default=None,
                        help="server folders that datasets may be read from and written to; repeatable "
                             "(env LABELASSIST_DATASET_ROOTS, ':'-separated; default DATA_DIR/datasets)")


def dataset_roots(config: ServiceConfig) -> list[Path]:
    roots = config.options.get("dataset_root") or [Path(p) for p in (env("DATASET_ROOTS") or "").split(":") if p]
    return roots or [config.data_dir / "datasets"]


# Files a stack writes (its database, jobs, logs, tokens) are for its user
# alone: new ones are created 0600 in folders of 0700.
PRIVATE_UMASK = 0o077


# What a stack writes in its data directory (the user's own files there are left alone).
STACK_ENTRIES = ("selector.sqlite", "selector.sqlite-wal", "selector.sqlite-shm", "run", "logs", "jobs", "models",
                 "classes", "blobs", "cache")


def private_data_dir(data_dir: Path) -> Path:
    """``data_dir`` created 0700, and the data directory with what the
    stack keeps in it (:data:`STACK_ENTRIES` and what lies directly in
    those folders: the database and its journal, tokens, logs, jobs)
    stripped of group and other permissions; links and other users' files
    are left alone. Returns it."""
    data_dir = Path(data_dir)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    _make_private(data_dir)
    for entry in (data_dir / name for name in STACK_ENTRIES):
        _make_private(entry)
        if entry.is_dir() and not entry.is_symlink():
            for inner in _entries(entry):
                _make_private(inner)
    return data_dir


def private_file(path: Path):
    """``path`` opened for appending, created 0600 (an existing file is made
    0600 too): a log or token file of the stack."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(handle, 0o600)
    return os.fdopen(handle, "ab")


def _entries(folder: Path) -> list[Path]:
    try:
        return [Path(entry.path) for entry in os.scandir(folder)]
    except OSError:
        return []


def _make_private(path: Path) -> None:
    try:
        info = path.lstat()
        if not stat.S_ISLNK(info.st_mode) and info.st_mode & 0o077 and info.st_uid == os.getuid():
            os.chmod(path, stat.S_IMODE(info.st_mode) & ~0o077)
    except OSError:
        pass  # another user's file, or one that went away: not ours to change
