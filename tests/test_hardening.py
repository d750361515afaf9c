"""Attacks and accidents through real services: names that would lead out
of the dataset roots, symlinks, compression bombs, idle streams, cancelled
and over-budget calls, sparse label ids, bad samples, a database that goes
away, and an empty roles file. Each answers with a clear status and leaves
the service healthy."""

from __future__ import annotations

import socket
import threading
import time
from itertools import count
from types import SimpleNamespace

import grpc
import numpy as np
import pytest
import tifffile
import zstandard
from grpc_health.v1 import health_pb2, health_pb2_grpc

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.proto.v1 import (assist_pb2, assist_pb2_grpc, common_pb2, inspect_pb2, inspect_pb2_grpc,
                                  selector_pb2, selector_pb2_grpc)
from labelassist.proto.wire.channel import open_channel

_TEST_NUMBERS = count()
IMAGE = (np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) % 251).astype(np.uint16)


def _code(call) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value.code(), caught.value.details()


def _healthy(address: str) -> str:
    with grpc.insecure_channel(address) as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


@pytest.fixture(scope="module")
def shared_selector(module_service, tmp_path_factory):
    root = tmp_path_factory.mktemp("roots")
    return module_service("selector", "--dataset-root", str(root)), root


@pytest.fixture
def selector(shared_selector):
    """The module's selector as one test sees it: a project name (``project``)
    and a folder under the dataset root (``root``) of its own."""
    service, roots = shared_selector
    test_number = next(_TEST_NUMBERS)
    root = roots / f"test{test_number}"
    root.mkdir()
    return SimpleNamespace(address=service.address, root=root, project=f"p{test_number}",
                           blobs=service.data_dir / "blobs")


@pytest.fixture
def assist(module_service):
    """An assist service with the default limits, shared by the module's tests that only read its answers."""
    return module_service("assist")


def _sdk(*addresses: str, **kwargs) -> LabelAssistClient:
    selector = addresses[0]
    assist = addresses[1] if len(addresses) > 1 else selector
    inspect = addresses[2] if len(addresses) > 2 else selector
    return LabelAssistClient(ServiceAddresses(selector=selector, assist=assist, inspect=inspect),
                             retries=0, **kwargs)


@pytest.mark.parametrize("stem", ["../../../x", "/abs/x", "sub/dir/x", "nul\x00x", ".", "..", "back\\slash",
                                  ".hidden", "x" * 201, ""])
def test_add_sample_refuses_a_stem_that_is_no_safe_file_name(selector, stem):
    with _sdk(selector.address) as client:
        client.create_project(selector.project)
        code, message = _code(lambda: client.add_sample(selector.project, stem, IMAGE))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert ("not a safe sample name" in message or "must be set" in message) and "no '/'" in message


def test_export_writes_only_inside_its_folder_and_replaces_a_planted_symlink(selector, tmp_path):
    outside = tmp_path / "outside.tif"
    outside.write_bytes(b"keep me")
    with _sdk(selector.address) as client:
        client.create_project(selector.project)
        sample_id = client.add_sample(selector.project, "cell", IMAGE)
        client.submit_label(sample_id, "ann", (IMAGE > 100).astype(np.uint8))
        export = selector.root / "export"
        export.mkdir()
        (export / "cell.tif").symlink_to(outside)
        assert client.export_labels(selector.project, export) == 1
    assert outside.read_bytes() == b"keep me"
    written = export / "cell.tif"
    assert not written.is_symlink()
    np.testing.assert_array_equal(tifffile.imread(written), (IMAGE > 100).astype(np.uint8))
    assert sorted(p.name for p in export.iterdir()) == ["cell.tif"]


def test_registering_a_dataset_whose_images_folder_links_outside_the_roots_is_denied(selector, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    tifffile.imwrite(outside / "a.tif", IMAGE)
    dataset = selector.root / "ds"
    dataset.mkdir()
    (dataset / "images").symlink_to(outside, target_is_directory=True)
    with _sdk(selector.address) as client:
        client.create_project(selector.project)
        code, message = _code(lambda: client.register_dataset(selector.project, dataset))
        assert client.progress(selector.project).total == 0
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert "outside the dataset roots" in message


def test_a_file_symlink_to_a_system_file_is_denied_and_its_contents_never_quoted(selector):
    dataset = selector.root / "ds"
    (dataset / "images").mkdir(parents=True)
    (dataset / "images" / "a.tif").symlink_to("/etc/passwd")
    (dataset / "images" / "b.tif").write_text("root:x:0:0:secret\n")
    with _sdk(selector.address) as client:
        client.create_project(selector.project)
        code, message = _code(lambda: client.register_dataset(selector.project, dataset))
        assert code == grpc.StatusCode.PERMISSION_DENIED and "root:" not in message
        (dataset / "images" / "a.tif").unlink()
        tifffile.imwrite(dataset / "images" / "c.tif", IMAGE)
        response = client.register_dataset(selector.project, dataset)
    # The unreadable file is reported by name, without its contents; the rest is registered.
    assert (response.added, [r.stem for r in response.rejected]) == (1, ["b"])
    message = response.rejected[0].error
    assert "b.tif: not a readable image" in message and "root:" not in message and "secret" not in message


def _bomb_chunks(name: str) -> list:
    bomb = zstandard.ZstdCompressor(level=19).compress(bytes(512 << 20))
    header = common_pb2.ArrayHeader(dtype=common_pb2.DTYPE_UINT8, shape=[512 << 20],
                                    compression=common_pb2.COMPRESSION_ZSTD)
    return [common_pb2.ArrayChunk(name=name, header=header, data=bomb)]


def test_a_compression_bomb_is_refused_at_the_chunk_size(start_service):
    assist = start_service("assist")
    parts = [assist_pb2.PreprocessRequest(params=assist_pb2.PreprocessParams())]
    parts += [assist_pb2.PreprocessRequest(array=c) for c in _bomb_chunks("image")]
    with open_channel(assist.address) as channel:
        started = time.monotonic()
        code, message = _code(lambda: list(assist_pb2_grpc.AssistServiceStub(channel).Preprocess(iter(parts),
                                                                                                 timeout=30)))
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and "expands beyond" in message
    assert time.monotonic() - started < 5
    assert _rss_mib(assist.process.pid) < 600


def _rss_mib(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_a_caller_without_the_role_is_refused_before_any_array_is_read(start_service, tmp_path):
    from labelassist.runtime.auth import token_hash

    roles = tmp_path / "roles.toml"
    roles.write_text(f'[[identity]]\nname = "eve"\ntoken_sha256 = "{token_hash("eve")}"\n'
                     'projects = { other = "annotator" }\n')
    selector = start_service("selector", "--roles-file", str(roles))
    params = selector_pb2.AddSampleParams(project="p", stem="x")
    parts = [selector_pb2.AddSampleRequest(params=params)]
    parts += [selector_pb2.AddSampleRequest(array=c) for c in _bomb_chunks("image")]
    with open_channel(selector.address, token="eve") as channel:
        code, message = _code(lambda: selector_pb2_grpc.SelectorServiceStub(channel).AddSample(iter(parts),
                                                                                               timeout=30))
    assert code == grpc.StatusCode.PERMISSION_DENIED and "'eve' may not register" in message


def test_arrays_of_one_call_together_obey_the_array_limit(start_service):
    assist = start_service("assist", "--max-array-bytes", str(48 << 10))
    with _sdk(assist.address, assist.address) as client:
        image = np.zeros((128, 128), np.uint16)  # 32 KiB: under the limit alone
        code, message = _code(lambda: client.refine(image, np.ones((128, 128), np.uint8), np.zeros((128, 128),
                                                                                                   np.uint8)))
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and "for one call" in message


class _IdleStreams:
    """``count`` upload streams that send their params, then nothing."""

    def __init__(self, address: str, count: int):
        self.channel = grpc.insecure_channel(address)
        stub = assist_pb2_grpc.AssistServiceStub(self.channel)
        self.release = threading.Event()
        self.calls = []
        for _ in range(count):
            self.calls.append(stub.Preprocess(self._parts(), timeout=60))

    def _parts(self):
        yield assist_pb2.PreprocessRequest(params=assist_pb2.PreprocessParams())
        self.release.wait(60)

    def codes(self) -> list[grpc.StatusCode]:
        found = []
        for call in self.calls:
            try:
                next(call)
                found.append(grpc.StatusCode.OK)
            except grpc.RpcError as error:
                found.append(error.code())
        return found

    def close(self):
        self.release.set()
        for call in self.calls:
            call.cancel()
        self.channel.close()


def test_idle_streams_cannot_lock_out_health_or_another_client(start_service):
    assist = start_service("assist", "--stream-idle-seconds", "3")
    idle = _IdleStreams(assist.address, 32)
    try:
        time.sleep(1.0)
        started = time.monotonic()
        assert _healthy(assist.address) == "SERVING"
        with _sdk(assist.address, assist.address) as client:
            image, applied = client.preprocess(IMAGE, ["invert"])
        assert applied == ["invert"] and time.monotonic() - started < 1.5
        codes = idle.codes()
    finally:
        idle.close()
    # Over the per-caller quota at once; the rest ended by the idle timeout.
    assert codes.count(grpc.StatusCode.RESOURCE_EXHAUSTED) == 16
    assert codes.count(grpc.StatusCode.DEADLINE_EXCEEDED) == 16


def test_an_idle_stream_is_ended_with_a_message_naming_the_timeout(start_service):
    assist = start_service("assist", "--stream-idle-seconds", "1")
    idle = _IdleStreams(assist.address, 1)
    try:
        with pytest.raises(grpc.RpcError) as caught:
            next(idle.calls[0])
    finally:
        idle.close()
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert "no message for 1 s" in caught.value.details()


def test_a_call_whose_deadline_passed_stops_its_work_and_is_logged_as_cancelled(start_service):
    assist = start_service("assist")
    image = np.random.default_rng(0).integers(0, 4000, (4096, 4096)).astype(np.uint16)
    with _sdk(assist.address, assist.address, timeout=1.0) as client:
        code, _ = _code(lambda: client.preprocess(image, [("median", {"radius": 10})] * 7))
    assert code == grpc.StatusCode.DEADLINE_EXCEEDED
    deadline = time.monotonic() + 20
    while '"code": "CANCELLED"' not in assist.log_file.read_text():
        assert time.monotonic() < deadline, "the work went on after the client left"
        time.sleep(0.2)
    cpu_after = _cpu_seconds(assist.process.pid)
    time.sleep(2)
    assert _cpu_seconds(assist.process.pid) - cpu_after < 0.5


def _cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


@pytest.mark.parametrize("steps, fragment", [
    ([("invert", {})] * 17, "at most 16"),
    ([("nl_means", {"patch_distance": 25})], "lower 'patch_distance'"),
    ([("background", {"method": "rolling_ball", "radius": 512})], "lower 'radius'"),
])
def test_an_over_budget_pipeline_is_refused_up_front(assist, steps, fragment):
    image = np.zeros((4096, 4096), np.uint8)
    with _sdk(assist.address, assist.address) as client:
        started = time.monotonic()
        code, message = _code(lambda: client.preprocess(image, steps))
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and fragment in message
    assert time.monotonic() - started < 2


def test_refinement_works_on_a_bounded_window_whatever_the_margin(assist):
    image = np.zeros((2048, 2048), np.uint8)
    scribbles = np.zeros(image.shape, np.uint8)
    scribbles[1000:1010, 1000:1010] = 1
    with _sdk(assist.address, assist.address) as client:
        code, message = _code(lambda: client.refine(image, scribbles, method=("random_walker", {"margin": 100000})))
        fine = client.refine(image, scribbles, method=("random_walker", {"margin": 32}))
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and "lower 'margin'" in message
    assert fine.shape == image.shape


def test_a_sparse_label_id_costs_no_memory_by_its_size(start_service):
    inspect = start_service("inspect")
    mask = np.zeros((64, 64), np.uint32)
    mask[10:20, 10:20] = 2**26
    mask[30:40, 30:40] = 5
    with _sdk(inspect.address, inspect.address, inspect.address) as client:
        report = client.inspect(mask)
    assert sorted(o.object_id for o in report.objects) == [5, 2**26]
    assert _rss_mib(inspect.process.pid) < 400


def test_inspect_batch_refuses_chunks_before_any_params_without_buffering(start_service):
    inspect = start_service("inspect")
    chunk = common_pb2.ArrayChunk(name="mask", header=common_pb2.ArrayHeader(
        dtype=common_pb2.DTYPE_UINT8, shape=[1 << 20]), data=bytes(1 << 20))
    parts = iter([inspect_pb2.InspectBatchRequest(array=chunk)] * 64)
    with open_channel(inspect.address) as channel:
        code, message = _code(lambda: list(inspect_pb2_grpc.InspectServiceStub(channel).InspectBatch(parts,
                                                                                                   timeout=30)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "must start with 'params'" in message


@pytest.mark.parametrize("image, fragment", [
    (np.array(3, np.uint8), "must be 2D"),
    (np.arange(5, dtype=np.uint8), "must be 2D"),
    (np.zeros((0, 4), np.uint8), "is empty"),
    (np.zeros((2, 2, 2, 2), np.uint8), "must be 2D"),
    (np.zeros((4, 4), bool), "dtype bool"),
    (np.full((4, 4), np.nan, np.float32), "NaN"),
    (np.zeros((4, 4, 200), np.uint8), "200 channels"),
])
def test_add_sample_refuses_an_image_no_service_can_work_on_and_writes_nothing(selector, image, fragment):
    blobs_before = set(selector.blobs.rglob("*.npy"))
    with _sdk(selector.address) as client:
        client.create_project(selector.project)
        code, message = _code(lambda: client.add_sample(selector.project, "bad", image))
        assert client.progress(selector.project).total == 0
    assert code == grpc.StatusCode.INVALID_ARGUMENT and fragment in message
    assert set(selector.blobs.rglob("*.npy")) == blobs_before


def test_labels_with_negative_ids_are_refused(selector):
    with _sdk(selector.address) as client:
        client.create_project(selector.project)
        sample_id = client.add_sample(selector.project, "a", IMAGE)
        code, message = _code(lambda: client.submit_label(sample_id, "ann", -np.ones((64, 64), np.int16)))
        code_label, _ = _code(lambda: client.add_sample(selector.project, "b", IMAGE, label=-np.ones((64, 64), np.int32)))
    assert code == code_label == grpc.StatusCode.INVALID_ARGUMENT and "negative labels" in message


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), -5.0])
def test_lease_seconds_must_be_a_positive_finite_number(selector, seconds):
    with _sdk(selector.address) as client:
        code, message = _code(lambda: client.create_project(selector.project, lease_seconds=seconds))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "lease_seconds" in message


def test_a_path_too_long_for_the_file_system_is_invalid_argument(selector):
    with _sdk(selector.address) as client:
        client.create_project(selector.project)
        code, message = _code(lambda: client.register_dataset(selector.project, selector.root / ("x" * 6000)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "too long" in message


def test_an_empty_roles_file_refuses_everyone_until_identities_are_added(start_service, tmp_path):
    from labelassist.runtime.auth import token_hash

    roles = tmp_path / "roles.toml"
    roles.write_text("# nobody yet\n")
    selector = start_service("selector", "--roles-file", str(roles))
    assert "lists no identities" in selector.log_file.read_text()
    with _sdk(selector.address) as anonymous:
        code, _ = _code(anonymous.list_projects)
    assert code == grpc.StatusCode.UNAUTHENTICATED
    time.sleep(1.1)  # a new modification time for the file
    roles.write_text(f'[[identity]]\nname = "ann"\ntoken_sha256 = "{token_hash("t")}"\nprojects = {{ "*" = "admin" }}\n')
    deadline = time.monotonic() + 10
    with _sdk(selector.address, token="t") as client:
        while True:
            try:
                client.create_project("p")
                break
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.UNAUTHENTICATED and time.monotonic() < deadline
                time.sleep(0.5)
    with _sdk(selector.address) as anonymous:
        assert _code(anonymous.list_projects)[0] == grpc.StatusCode.UNAUTHENTICATED


class _Relay:
    """A TCP relay on loopback to PostgreSQL that can be cut and restored."""

    def __init__(self, target=("127.0.0.1", 5432)):
        self.target = target
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.open = threading.Event()
        self.open.set()
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.close()
                except OSError:
                    pass

    def cut(self):
        self.open.clear()
        for connection in self.connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.connections = []

    def restore(self):
        self.open.set()

    def close(self):
        self.cut()
        self.listener.close()


def test_an_unreachable_database_is_unavailable_and_not_serving_until_it_is_back(start_service, postgres_url):
    relay = _Relay()
    url = postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{relay.port}")
    selector = start_service("selector", "--database-url", url)
    try:
        with _sdk(selector.address) as client:
            client.create_project("p")
            relay.cut()
            code, message = _code(lambda: client.progress("p"))
            assert code == grpc.StatusCode.UNAVAILABLE and "database" in message
            deadline = time.monotonic() + 15
            while _healthy(selector.address) != "NOT_SERVING":
                assert time.monotonic() < deadline
                time.sleep(0.3)
            relay.restore()
            while _healthy(selector.address) != "SERVING":
                assert time.monotonic() < deadline + 15
                time.sleep(0.3)
            assert client.progress("p").total == 0
    finally:
        relay.close()


def test_prelabel_over_budget_is_refused_for_the_default_pipeline_too(assist):
    with _sdk(assist.address, assist.address) as client:
        code, message = _code(lambda: client.prelabel(np.zeros((64, 64), np.uint8),
                                                      preprocess=[("invert", {})] * 16))
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and "at most 16" in message


def test_export_writes_nothing_when_one_label_cannot_be_written(selector):
    with _sdk(selector.address) as client:
        client.create_project(selector.project)
        for stem, top_id in (("small", 3), ("huge", 70000)):
            sample_id = client.add_sample(selector.project, stem, IMAGE)
            mask = np.zeros(IMAGE.shape, np.uint32)
            mask[5:9, 5:9] = top_id
            client.submit_label(sample_id, "ann", mask)
        export = selector.root / "export"
        code, message = _code(lambda: client.export_labels(selector.project, export, format="png"))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "16-bit PNG" in message
    assert list(export.iterdir()) == []


def test_serving_beyond_loopback_without_a_token_or_tls_is_warned_about(start_service):
    service = start_service("selector", "--host", "0.0.0.0")
    log = service.log_file.read_text()
    assert "bound to 0.0.0.0 without authentication" in log and "without TLS" in log
