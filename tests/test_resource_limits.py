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
