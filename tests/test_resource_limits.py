"""Limits that keep one caller from taking a service's memory, CPU or
workers, through real services: streams checked before their arrays are
read, morphology and click windows bounded, long steps that stop at their
deadline, and slow streams that cannot hold every worker."""

from __future__ import annotations

import time

import grpc
import numpy as np
import pytest
from conftest import write_roles

from labelassist.proto.v1 import common_pb2, selector_pb2, selector_pb2_grpc
from labelassist.proto.wire.channel import open_channel

GIB = 1 << 30
CHUNK = 3 << 20


def _code(call) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value.code(), caught.value.details()


def _peak_rss_mib(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _one_gib_sample(project: str):
    """AddSamples messages: one sample's params, then 1 GiB of image in chunks, made as they are sent."""
    params = selector_pb2.AddSampleParams(project=project, stem="huge")
    header = common_pb2.ArrayHeader(dtype=common_pb2.DTYPE_UINT8, shape=[1 << 15, 1 << 15])
    data = bytes(CHUNK)
    yield selector_pb2.AddSamplesRequest(parts=[selector_pb2.AddSampleRequest(params=params)])
    for offset in range(0, GIB, CHUNK):
        chunk = common_pb2.ArrayChunk(name="image", data=data[:min(CHUNK, GIB - offset)])
        if offset == 0:
            chunk.header.CopyFrom(header)
        yield selector_pb2.AddSamplesRequest(parts=[selector_pb2.AddSampleRequest(array=chunk)])


@pytest.mark.parametrize("projects", [{}, {"other": "annotator"}, {"p": "annotator"}])
def test_add_samples_refuses_a_caller_without_the_role_before_reading_any_array(start_service, tmp_path, projects):
    roles = write_roles(tmp_path / "roles.toml", {"admin": ("admin-token", {"*": "admin"}),
                                                  "eve": ("eve-token", projects)})
    selector = start_service("selector", "--roles-file", str(roles))
    with open_channel(selector.address, token="admin-token") as channel:
        selector_pb2_grpc.SelectorServiceStub(channel).CreateProject(selector_pb2.CreateProjectRequest(name="p"))
    with open_channel(selector.address, token="eve-token") as channel:
        stub = selector_pb2_grpc.SelectorServiceStub(channel)
        started = time.monotonic()
        code, message = _code(lambda: stub.AddSamples(_one_gib_sample("p"), timeout=60))
        elapsed = time.monotonic() - started
    assert code in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND), message
    assert "'eve' may not register" in message
    assert elapsed < 1.0
    assert _peak_rss_mib(selector.process.pid) < 400


def _sdk(address: str, **kwargs):
    from labelassist.client.sdk import LabelAssistClient, ServiceAddresses

    return LabelAssistClient(ServiceAddresses(selector=address, assist=address, inspect=address), retries=0,
                             **kwargs)


def _cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


@pytest.fixture
def assist(start_service):
    return start_service("assist")


def test_opening_and_closing_with_the_widest_disk_cost_memory_by_the_mask_not_the_disk(assist):
    mask = np.zeros((128, 128), np.uint8)
    mask[20:100, 30:90] = 1
    before = _peak_rss_mib(assist.process.pid)
    with _sdk(assist.address) as client:
        opened, applied = client.postprocess(mask, [("opening", {"radius": 50}), ("closing", {"radius": 50})])
    assert applied == ["opening", "closing"] and opened.shape == mask.shape
    assert _peak_rss_mib(assist.process.pid) - before < 100


def test_opening_with_the_widest_disk_on_a_large_mask_takes_seconds_not_minutes(assist):
    mask = np.zeros((2048, 2048), np.uint8)
    mask[100:1900, 100:1900] = 1
    with _sdk(assist.address, timeout=60) as client:
        started = _cpu_seconds(assist.process.pid)
        opened, _ = client.postprocess(mask, [("opening", {"radius": 50})])
    assert opened[1000, 1000] == 1 and opened[100, 100] == 0  # the square's corner is rounded off
    assert _cpu_seconds(assist.process.pid) - started < 15


@pytest.mark.parametrize("call, fragment", [
    (lambda c, image: c.preprocess(image, [("median", {"radius": 15})] * 4), "for one call"),
    (lambda c, image: c.prelabel(image, method=("local", {"block_size": 4095})), "lower 'block_size'"),
    (lambda c, image: c.prelabel(image, method=("otsu", {"split": True, "min_distance": 500})),
     "lower 'min_distance'"),
    (lambda c, image: c.postprocess(image > 100, [("split_touching", {"min_distance": 500})]), "lower 'min_distance'"),
])
def test_steps_over_the_work_budget_are_refused_up_front_naming_the_limit(assist, call, fragment):
    image = (np.arange(4096 * 4096, dtype=np.uint32).reshape(4096, 4096) % 251).astype(np.uint8)
    with _sdk(assist.address, timeout=10) as client:
        started = time.monotonic()
        code, message = _code(lambda: call(client, image))
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and fragment in message and "budget" in message
    assert time.monotonic() - started < 5


def _grid_of_objects(side: int = 512, cell: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """(side / cell)^2 small square objects and an image showing them."""
    label = np.zeros((side, side), np.int32)
    count = side // cell
    for index in range(count * count):
        row, col = divmod(index, count)
        label[row * cell + 2:row * cell + 6, col * cell + 2:col * cell + 6] = index + 1
    image = (np.random.default_rng(0).integers(0, 100, label.shape) + 500 * (label > 0)).astype(np.uint16)
    return label, image


def test_propagate_of_many_objects_with_a_wide_search_is_refused_up_front(assist):
    label, image = _grid_of_objects()
    with _sdk(assist.address, timeout=10) as client:
        started = time.monotonic()
        code, message = _code(lambda: client.prelabel(image, method=("propagate", {"search": 500}),
                                                      reference=(label, image)))
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and "lower 'search'" in message
    assert time.monotonic() - started < 5


def test_propagate_stops_at_its_deadline_inside_its_loop_over_objects(assist):
    label, image = _grid_of_objects()
    with _sdk(assist.address, timeout=2.0) as client:
        code, _ = _code(lambda: client.prelabel(image, method=("propagate", {"search": 30}),
                                                reference=(label, image)))
    assert code == grpc.StatusCode.DEADLINE_EXCEEDED
    deadline = time.monotonic() + 10
    while '"code": "CANCELLED"' not in assist.log_file.read_text():
        assert time.monotonic() < deadline, "propagate went on after the client left"
        time.sleep(0.2)
    cpu_after = _cpu_seconds(assist.process.pid)
    time.sleep(2)
    assert _cpu_seconds(assist.process.pid) - cpu_after < 0.5


def test_segment_refuses_clicks_or_a_box_wider_than_the_largest_window(assist):
    image = np.zeros((2048, 2048), np.uint8)
    with _sdk(assist.address, timeout=30) as client:
        for request in ({"clicks": [(10, 10, True), (2040, 2040, True)]},
                        {"clicks": [(100, 100, True)], "box": (0, 0, 2048, 2048)}):
            started = time.monotonic()
            code, message = _code(lambda: client.segment(image, **request))
            assert code == grpc.StatusCode.INVALID_ARGUMENT and "at most 1024" in message
            assert time.monotonic() - started < 3


def _health(address: str) -> str:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(address) as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


class _SlowUploads:
    """``count`` Preprocess streams, each on its own connection, sending 1 KiB a second."""

    def __init__(self, address: str, count: int, pause: float = 1.0):
        from labelassist.proto.v1 import assist_pb2, assist_pb2_grpc

        self.pause, self.done = pause, __import__("threading").Event()
        self.channels = [grpc.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)])
                         for _ in range(count)]
        self.calls = [assist_pb2_grpc.AssistServiceStub(channel).Preprocess(self._parts(assist_pb2), timeout=60)
                      for channel in self.channels]

    def _parts(self, assist_pb2):
        yield assist_pb2.PreprocessRequest(params=assist_pb2.PreprocessParams())
        header = common_pb2.ArrayHeader(dtype=common_pb2.DTYPE_UINT8, shape=[1024, 1024])
        chunk = common_pb2.ArrayChunk(name="image", header=header, data=bytes(1024))
        while not self.done.wait(self.pause):
            yield assist_pb2.PreprocessRequest(array=chunk)
            chunk = common_pb2.ArrayChunk(name="image", data=bytes(1024))

    def outcomes(self) -> list[tuple[grpc.StatusCode, str, float]]:
        found = []
        started = time.monotonic()
        for call in self.calls:
            try:
                list(call)
                found.append((grpc.StatusCode.OK, "", time.monotonic() - started))
            except grpc.RpcError as error:
                found.append((error.code(), error.details(), time.monotonic() - started))
        return found

    def close(self):
        self.done.set()
        for channel in self.channels:
            channel.close()


def test_slow_uploads_leave_workers_for_other_calls_and_end_below_the_minimum_rate(start_service):
    assist = start_service("assist", "--workers", "12", "--stream-idle-seconds", "3", "--min-upload-rate", "4096")
    slow = _SlowUploads(assist.address, 12)
    try:
        time.sleep(1.5)
        with _sdk(assist.address) as client:
            assert client.list_operations("postprocess")
        assert _health(assist.address) == "SERVING"
        outcomes = slow.outcomes()
    finally:
        slow.close()
    codes = [code for code, _, _ in outcomes]
    # Three quarters of the ten data workers take uploads; the others are turned
    # away, or end a stream already below the minimum rate to take its place.
    assert set(codes) <= {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}, codes
    ended = [(message, seconds) for code, message, seconds in outcomes if code == grpc.StatusCode.DEADLINE_EXCEEDED]
    assert len(ended) >= 7 and all("below the minimum rate" in message for message, _ in ended)
    assert max(seconds for _, seconds in ended) < 15


def test_health_is_not_serving_while_every_worker_is_busy_and_serving_after(start_service):
    assist = start_service("assist", "--workers", "3", "--stream-idle-seconds", "30", "--min-upload-rate", "0")
    assert _health(assist.address) == "SERVING"
    slow = _SlowUploads(assist.address, 1)
    try:
        deadline = time.monotonic() + 10
        while _health(assist.address) != "NOT_SERVING":
            assert time.monotonic() < deadline, "health said SERVING while no call could be taken"
            time.sleep(0.2)
    finally:
        slow.close()
    deadline = time.monotonic() + 10
    while _health(assist.address) != "SERVING":
        assert time.monotonic() < deadline, "health did not say SERVING once a worker was free"
        time.sleep(0.2)


def test_trickling_loopback_uploads_make_room_for_another_clients_small_call_within_a_second(start_service):
    # Thirty connections from the one loopback host, each sending 1 KiB every
    # two seconds: never idle long enough to be ended, far below the minimum rate.
    assist = start_service("assist", "--workers", "32", "--stream-idle-seconds", "30")
    slow = _SlowUploads(assist.address, 30, pause=2.0)
    image = np.arange(32 * 32, dtype=np.uint8).reshape(32, 32)
    try:
        time.sleep(2.5)
        timings = []
        with _sdk(assist.address, timeout=10) as client:
            for _ in range(3):
                started = time.monotonic()
                processed, _ = client.preprocess(image, ["invert"])
                timings.append(time.monotonic() - started)
                assert np.array_equal(processed, 255 - image)
        assert _health(assist.address) == "SERVING"
    finally:
        slow.close()
        outcomes = slow.outcomes()
    assert max(timings) < 1.0, timings
    ended = [message for code, message, _ in outcomes if code == grpc.StatusCode.DEADLINE_EXCEEDED]
    assert ended and all("below the minimum rate" in message for message in ended)
