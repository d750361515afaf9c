"""Content-addressed storage for image and mask arrays: one object per
distinct array, named by the SHA-256 of its bytes, written durably before
any row that points at it is committed. In a folder (a ReadWriteMany volume
for several replicas) or in an S3-compatible object store (MinIO, Ceph,
AWS), chosen by URL (:func:`open_blob_store`)."""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import io
import logging
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from labelassist.proto.wire.addresses import env
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


def _syncfs_function():
    """Linux's ``syncfs``, or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    return function


SYNCFS = _syncfs_function()
# File systems whose syncfs flushes every file and folder written to them to
# their disk. Elsewhere (NFS, FUSE volumes such as s3fs or gcsfuse, CIFS) a
# syncfs may return before the data is on the server, so each file is flushed.
LOCAL_FILE_SYSTEMS = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "zfs", "tmpfs", "overlay"})


def file_system_type(path: Path) -> str | None:
    """The type of the file system ``path`` lies on (Linux: the longest
    mount point above it in /proc/self/mounts), or None when unknown."""
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return None
    resolved, best, kind = str(Path(path).resolve()), -1, None
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = resolved == point or resolved.startswith(point.rstrip("/") + "/")
        if inside and len(point) > best:
            best, kind = len(point), fields[2]
    return kind


# How a batch of new blob files becomes durable before rows point at them:
# one syncfs of the file system that holds them ("filesystem", on the local
# file systems above; elsewhere as "files") or an fsync of each file and
# folder ("files": for a volume shared with much other writing, which a
# syncfs would wait for as well). benchmarks/bench_blob_sync.py times both.
BLOB_SYNC_MODES = ("filesystem", "files")
DEFAULT_BLOB_SYNC = "filesystem"


def _blob_sync(mode: str) -> str:
    """A --blob-sync mode; argparse applies this to LABELASSIST_BLOB_SYNC's value too, unlike ``choices``."""
    if mode not in BLOB_SYNC_MODES:
        raise argparse.ArgumentTypeError(f"{mode!r} (--blob-sync or LABELASSIST_BLOB_SYNC) is not one of "
                                         f"{', '.join(BLOB_SYNC_MODES)}")
    return mode


def add_blob_arguments(parser: argparse.ArgumentParser) -> None:
    """The selector's settings of where blobs live and how they are flushed."""
    parser.add_argument("--blob-url", default=env("BLOB_URL"),
                        help="where images and labels are stored: a folder (a ReadWriteMany volume for several "
                             "replicas) or s3://BUCKET/PREFIX in an S3-compatible object store, endpoint and keys "
                             "from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (env "
                             "LABELASSIST_BLOB_URL; default DATA_DIR/blobs)")
    parser.add_argument("--blob-sync", default=env("BLOB_SYNC", DEFAULT_BLOB_SYNC), type=_blob_sync,
                        help="new blob files made durable by 'filesystem', one syncfs of a local file system "
                             "(elsewhere as 'files'), or 'files', an fsync of each file and folder (env "
                             "LABELASSIST_BLOB_SYNC; default filesystem)")


class BlobStore:
    """Blobs as ``.npy`` files in a folder."""

    def __init__(self, root: Path, sync: str = DEFAULT_BLOB_SYNC):
        if sync not in BLOB_SYNC_MODES:
            raise ValueError(f"'sync' is {sync!r}; it must be one of {', '.join(BLOB_SYNC_MODES)}")
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        whole = sync == "filesystem" and file_system_type(self.root) in LOCAL_FILE_SYSTEMS
        self._syncfs = SYNCFS if whole else None
        self._folders: set[Path] = set()  # folders known to exist: one mkdir each, not one per blob

    def _path(self, checksum: str) -> Path:
        return self.root / _blob_key("", checksum)

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
        if path.parent not in self._folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(path.parent)
        # A name of this process and thread: no other writer uses it, and no random name to draw.
        staging = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_native_id()}.tmp")
        try:
            handle = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except FileNotFoundError:  # its folder was removed since: make it again
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(_npy_bytes(array))
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
        """Make blobs durable that were written with ``durable=False``, or
        found already there (another writer's may not be flushed yet): one
        flush of their file system where it is local and the platform has
        one (``syncfs``), else each file and each folder once, in parallel
        (the file system groups the flushes)."""
        checksums = list(checksums)
        if not checksums:
            return
        if self._syncfs is not None:
            handle = os.open(self.root, os.O_RDONLY)
            try:
                if self._syncfs(handle) == 0:
                    return
                logging.getLogger(__name__).warning("syncfs on %s failed (%s); flushing each blob file",
                                                    self.root, os.strerror(ctypes.get_errno()))
            finally:
                os.close(handle)
        paths = [self._path(checksum) for checksum in checksums]
        folders = {path.parent for path in paths}
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(_fsync_path, paths))
            list(pool.map(_fsync_path, folders))

    def exists(self, checksum: str) -> bool:
        return self._path(checksum).exists()

    def delete(self, checksums) -> None:
        """Remove blobs that nothing refers to any more (missing ones are fine)."""
        for checksum in checksums:
            self._path(checksum).unlink(missing_ok=True)

    def get(self, checksum: str) -> np.ndarray:
        path = self._path(checksum)
        if not path.exists():
            raise NotFoundError(f"blob {checksum[:12]}… is missing from {self.root}")
        return np.load(path, allow_pickle=False)

    def problem(self) -> str | None:
        """Why blobs cannot be stored now, or None."""
        return None if os.access(self.root, os.W_OK) else f"blob folder {self.root} is not writable"


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def _missing(error) -> bool:
    """Whether an S3 error says the object is not there."""
    return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


def _blob_key(prefix: str, checksum: str) -> str:
    if len(checksum) != 64 or not all(c in "0123456789abcdef" for c in checksum):
        raise ValueError(f"not a blob checksum: {checksum!r}")
    return f"{prefix}{checksum[:2]}/{checksum[2:]}.npy"


class S3BlobStore:
    """Blobs as objects in an S3-compatible bucket: ``s3://bucket/prefix``.
    The endpoint and credentials come from the standard AWS settings
    (``AWS_ENDPOINT_URL`` for MinIO or Ceph, ``AWS_ACCESS_KEY_ID``,
    ``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``). A PUT that succeeds
    is durable, so nothing waits for a sync."""

    def __init__(self, url: str):
        import boto3
        from botocore.config import Config

        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise ValueError(f"blob URL {url!r} names no bucket: use s3://BUCKET[/PREFIX]")
        self.url, self.bucket = url, bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = boto3.client("s3", config=Config(retries={"max_attempts": 3, "mode": "standard"},
                                                        connect_timeout=5, read_timeout=60))
        self._errors = _object_store_errors()

    def _exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
            return True
        except self._errors[1] as error:
            if _missing(error):
                return False
            raise

    def put(self, array: np.ndarray) -> str:
        return self.put_new(array)[0]

    def put_new(self, array: np.ndarray, durable: bool = False) -> tuple[str, bool]:
        checksum = array_checksum(array)
        key = _blob_key(self.prefix, checksum)
        if self._exists(key):
            return checksum, False
        self.client.put_object(Bucket=self.bucket, Key=key, Body=_npy_bytes(array))
        return checksum, True

    def sync(self, checksums) -> None:
        """Nothing to do: each PUT was durable when it returned."""

    def exists(self, checksum: str) -> bool:
        return self._exists(_blob_key(self.prefix, checksum))

    def delete(self, checksums) -> None:
        """Remove blobs that nothing refers to any more, up to 1000 a request (S3's limit)."""
        keys = [{"Key": _blob_key(self.prefix, checksum)} for checksum in checksums]
        for start in range(0, len(keys), 1000):
            answer = self.client.delete_objects(Bucket=self.bucket,
                                                Delete={"Objects": keys[start:start + 1000], "Quiet": True})
            for error in answer.get("Errors", []):  # left behind: unreferenced, so no data is at stake
                logging.getLogger(__name__).warning("the object store kept blob %s: %s", error.get("Key"),
                                                    error.get("Message"))

    def get(self, checksum: str) -> np.ndarray:
        key = _blob_key(self.prefix, checksum)
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self._errors[1] as error:
            if _missing(error):
                raise NotFoundError(f"blob {checksum[:12]}… is missing from {self.url}") from None
            raise
        return np.load(io.BytesIO(body), allow_pickle=False)

    def problem(self) -> str | None:
        """Why the bucket cannot be used now (unreachable, missing, no access), or None."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except self._errors as error:
            return f"object store unreachable: {self.url}: {error}"
        return None


def _object_store_errors() -> tuple:
    """botocore's errors, registered once as UNAVAILABLE: an object store
    that is down or refuses the bucket is the machine's state, not a bug."""
    import grpc
    from botocore.exceptions import BotoCoreError, ClientError

    from labelassist.runtime.errors import BACKEND_ERRORS, register_backend_error

    if not any(entry[0] is BotoCoreError for entry in BACKEND_ERRORS):
        for error_type in (BotoCoreError, ClientError):
            register_backend_error(error_type, grpc.StatusCode.UNAVAILABLE,
                                   lambda error: f"the object store holding images and labels did not answer: "
                                                 f"{error}; try again when it is back")
    return BotoCoreError, ClientError


# URL scheme -> blob store; a plain path is a folder.
BLOB_STORES = {"s3": S3BlobStore}


def open_blob_store(location: str | Path, sync: str = DEFAULT_BLOB_SYNC):
    """The blob store at ``location``: ``s3://bucket/prefix``, or a folder
    whose new files are made durable as ``sync`` says (:data:`BLOB_SYNC_MODES`)."""
    scheme, separator, _ = str(location).partition("://")
    if separator:
        if scheme not in BLOB_STORES:
            raise ValueError(f"blob store {str(location)!r}: unknown scheme {scheme!r}; use a folder or "
                             f"{', '.join(f'{name}://' for name in BLOB_STORES)}")
        return BLOB_STORES[scheme](str(location))
    return BlobStore(Path(location), sync)
