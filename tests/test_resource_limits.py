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
