"""How the selector makes a batch of new image files durable (--blob-sync):
both modes store and serve every array exactly, and a bad setting stops the
selector with a message that names it."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import numpy as np
import pytest

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.selector import blobs
from labelassist.selector.blobs import BlobStore


@pytest.mark.parametrize("mode", ["filesystem", "files"])
def test_each_sync_mode_stores_every_image_exactly(start_service, tmp_path, mode):
    selector = start_service("selector", "--blob-sync", mode)
    rng = np.random.default_rng(7)
    images = [rng.integers(0, 4000, (24, 24), dtype=np.uint16) for _ in range(40)]
    with LabelAssistClient(ServiceAddresses(selector=selector.address), timeout=60) as client:
        client.create_project("sync")
        response = client.add_samples("sync", [{"stem": f"s{i:02d}", "image": image}
                                               for i, image in enumerate(images)])
        assert (response.added, len(response.rejected)) == (40, 0)
        stored = {info.stem: info.sample_id for info in client.list_samples("sync")}
        for i, image in enumerate(images):
            served = client.get_sample(stored[f"s{i:02d}"]).arrays["image"]
            np.testing.assert_array_equal(served, image)
    blobs = tmp_path / "data" / "blobs"
    assert len(list(blobs.rglob("*.npy"))) == 40
    assert not list(blobs.rglob("*.tmp"))  # every staging file renamed into place


def _written(store: BlobStore, count: int) -> list[str]:
    return [store.put_new(np.full((4, 4), i, np.uint8))[0] for i in range(count)]


def _count_fsyncs(monkeypatch) -> list:
    flushed = []
    monkeypatch.setattr(blobs, "_fsync_path", flushed.append)
    return flushed


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="syncfs is Linux's")
def test_a_local_folder_is_flushed_in_one_syncfs(tmp_path, monkeypatch):
    assert blobs.file_system_type(tmp_path) in blobs.LOCAL_FILE_SYSTEMS
    store = BlobStore(tmp_path, "filesystem")
    written = _written(store, 20)
    flushed = _count_fsyncs(monkeypatch)
    store.sync(written)
    assert flushed == []  # no file flushed one by one
    assert all(store.exists(checksum) for checksum in written)


def test_a_failed_syncfs_falls_back_to_flushing_each_file_and_says_so(tmp_path, monkeypatch, caplog):
    store = BlobStore(tmp_path, "filesystem")
    store._syncfs = lambda handle: -1
    written = _written(store, 5)
    flushed = _count_fsyncs(monkeypatch)
    with caplog.at_level(logging.WARNING):
        store.sync(written)
    assert any("syncfs" in record.getMessage() for record in caplog.records)
    files = [store._path(checksum) for checksum in written]
    assert sorted(map(str, flushed)) == sorted(map(str, [*files, *{path.parent for path in files}]))  # files, folders


def test_files_mode_and_a_file_system_that_is_not_local_flush_each_file(tmp_path, monkeypatch):
    for store in (BlobStore(tmp_path / "a", "files"),
                  _on_file_system(monkeypatch, tmp_path / "b", "fuse.s3fs")):
        written = _written(store, 3)
        flushed = _count_fsyncs(monkeypatch)
        store.sync(written)
        assert sorted(map(str, flushed[:3])) == sorted(str(store._path(checksum)) for checksum in written)


def _on_file_system(monkeypatch, root, kind: str) -> BlobStore:
    monkeypatch.setattr(blobs, "file_system_type", lambda path: kind)
    store = BlobStore(root, "filesystem")
    monkeypatch.undo()
    return store


def test_a_bad_sync_setting_stops_the_selector_and_names_it(tmp_path):
    command = [sys.executable, "-m", "labelassist.selector", "--host", "127.0.0.1", "--port", "0",
               "--data-dir", str(tmp_path)]
    from_env = subprocess.run(command, env={**os.environ, "LABELASSIST_BLOB_SYNC": "sometimes"},
                              capture_output=True, text=True, timeout=60)
    assert from_env.returncode != 0
    assert "LABELASSIST_BLOB_SYNC" in from_env.stderr and "Traceback" not in from_env.stderr
    from_flag = subprocess.run([*command, "--blob-sync", "sometimes"], capture_output=True, text=True, timeout=60)
    assert from_flag.returncode != 0 and "--blob-sync" in from_flag.stderr
