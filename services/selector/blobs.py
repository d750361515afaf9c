"""Content-addressed storage for image and mask arrays: one file per distinct
array, named by the SHA-256 of its bytes, written durably before any row that
points at it is committed."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from labelassist.runtime.errors import NotFoundError


def array_checksum(array: np.ndarray) -> str:
    """SHA-256 over dtype, shape and the little-endian bytes: equal arrays, equal sums."""
    array = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    digest = hashlib.sha256(f"{array.dtype.str}|{array.shape}|".encode())
    digest.update(memoryview(array.reshape(-1).view(np.uint8)))
    return digest.hexdigest()


def _fsync_path(path: Path) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


class BlobStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, checksum: str) -> Path:
        if len(checksum) != 64 or not all(c in "0123456789abcdef" for c in checksum):
            raise ValueError(f"not a blob checksum: {checksum!r}")
        return self.root / checksum[:2] / f"{checksum[2:]}.npy"

    def put(self, array: np.ndarray) -> str:
        """Store ``array`` (fsynced file and folder) and return its checksum."""
        checksum, new = self.put_new(array, durable=True)
        return checksum

    def put_new(self, array: np.ndarray, durable: bool = False) -> tuple[str, bool]:
        """Store ``array``; its checksum and whether the file is new. Unless
        ``durable``, a new file must pass through :meth:`sync` before
        anything points at it."""
        checksum = array_checksum(array)
        path = self._path(checksum)
        if path.exists():
            return checksum, False
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
        handle, staging = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(buffer.getbuffer())
                if durable:
                    file.flush()
                    os.fsync(file.fileno())
            os.replace(staging, path)
        except BaseException:
            Path(staging).unlink(missing_ok=True)
            raise
        if durable:
            _fsync_path(path.parent)
        return checksum, True

    def sync(self, checksums) -> None:
        """Make blobs written with ``durable=False`` durable: each file and
        each folder once, in parallel (the file system groups the flushes)."""
        paths = [self._path(checksum) for checksum in checksums]
        folders = {path.parent for path in paths}
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(_fsync_path, paths))
            list(pool.map(_fsync_path, folders))

    def get(self, checksum: str) -> np.ndarray:
        path = self._path(checksum)
        if not path.exists():
            raise NotFoundError(f"blob {checksum[:12]}… is missing from {self.root}")
        return np.load(path, allow_pickle=False)
