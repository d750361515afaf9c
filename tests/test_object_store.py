"""Images and labels in an S3-compatible object store (``--blob-url
s3://...``): two selector replicas on one PostgreSQL and one bucket share
every sample and label, and a selector whose object store goes away turns
NOT_SERVING and answers UNAVAILABLE, naming it. The store is a real S3
server on loopback (moto's)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import grpc
import numpy as np
import pytest

from labelassist.client.errors import LabelAssistError
from labelassist.client.sdk import LabelAssistClient, ServiceAddresses

boto3 = pytest.importorskip("boto3")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def object_store(monkeypatch, tmp_path):
    """A moto S3 server with one bucket; the AWS settings in the environment the services inherit."""
    port = _free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=open(tmp_path / "moto.log", "wb"), stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(endpoint, timeout=1)
            break
        except OSError:
            assert time.monotonic() < deadline and server.poll() is None, (tmp_path / "moto.log").read_text()
            time.sleep(0.2)
    for name, value in (("AWS_ENDPOINT_URL", endpoint), ("AWS_ACCESS_KEY_ID", "test"),
                        ("AWS_SECRET_ACCESS_KEY", "test"), ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    boto3.client("s3").create_bucket(Bucket="labels")
    yield server
    server.terminate()
    server.wait(timeout=10)


def test_two_selectors_share_samples_and_labels_in_one_bucket(object_store, start_service, postgres_url, rng):
    replicas = [start_service("selector", "--database-url", postgres_url, "--blob-url", "s3://labels/lab")
                for _ in range(2)]
    image = (rng.random((48, 48)) * 4000).astype(np.uint16)
    mask = (rng.random((48, 48)) > 0.6).astype(np.uint8)
    project = f"s3-{rng.integers(1 << 30)}"
    with LabelAssistClient(ServiceAddresses(selector=replicas[0].address), retries=0) as first, \
            LabelAssistClient(ServiceAddresses(selector=replicas[1].address), retries=0) as second:
        first.create_project(project)
        sample_id = first.add_sample(project, "a", image)
        first.submit_label(sample_id, "ann", mask)
        stored = second.get_sample(sample_id)  # through the other replica
        assert np.array_equal(stored.require("image"), image) and np.array_equal(stored.require("label"), mask)
    keys = [item["Key"] for item in boto3.client("s3").list_objects_v2(Bucket="labels")["Contents"]]
    assert len(keys) == 2 and all(key.startswith("lab/") and key.endswith(".npy") for key in keys)


def test_deleting_a_project_removes_the_objects_no_other_project_uses(object_store, start_service, postgres_url,
                                                                     rng):
    replicas = [start_service("selector", "--database-url", postgres_url, "--blob-url", "s3://labels/lab")
                for _ in range(2)]
    shared = (rng.random((32, 32)) * 4000).astype(np.uint16)
    own = shared + 1
    with LabelAssistClient(ServiceAddresses(selector=replicas[0].address), retries=0) as first, \
            LabelAssistClient(ServiceAddresses(selector=replicas[1].address), retries=0) as second:
        first.create_project("keep")
        first.create_project("drop")
        kept = first.add_sample("keep", "a", shared)
        first.add_sample("drop", "a", shared)
        first.submit_label(first.add_sample("drop", "b", own), "ann", (own > 4000).astype(np.uint8))
        assert second.delete_project("drop").blobs_removed == 2  # the other replica deletes
        keys = [item["Key"] for item in boto3.client("s3").list_objects_v2(Bucket="labels")["Contents"]]
        assert len(keys) == 1
        assert np.array_equal(first.get_sample(kept).require("image"), shared)
        with pytest.raises(LabelAssistError) as caught:
            first.get_project("drop")
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_selector_without_its_object_store_is_not_serving_and_says_why(object_store, start_service, rng):
    selector = start_service("selector", "--blob-url", "s3://labels/lab")
    with LabelAssistClient(ServiceAddresses(selector=selector.address), retries=0, timeout=30) as client:
        project = f"s3-down-{rng.integers(1 << 30)}"
        client.create_project(project)
        sample_id = client.add_sample(project, "a", np.ones((16, 16), np.uint16))
        assert client.health()["selector"] == "SERVING"
        object_store.terminate()
        object_store.wait(timeout=10)
        deadline = time.monotonic() + 30
        while client.health()["selector"] != "NOT_SERVING":
            assert time.monotonic() < deadline, "the selector kept reporting SERVING"
            time.sleep(0.5)
        with pytest.raises(LabelAssistError) as raised:
            client.get_sample(sample_id)
        assert raised.value.status == grpc.StatusCode.UNAVAILABLE and "object store" in raised.value.message


def test_an_unknown_blob_url_scheme_is_named():
    from labelassist.selector.blobs import open_blob_store

    with pytest.raises(ValueError, match="unknown scheme 'ftp'"):
        open_blob_store("ftp://host/blobs")
    with pytest.raises(ValueError, match="names no bucket"):
        open_blob_store("s3://")
