"""Requests out of bounds, through real services: ids no row can have are
INVALID_ARGUMENT naming the field; ranking label errors (every label read
and scored) is for reviewers and admins; every training parameter is
bounded before a job is queued, and training reads nothing outside the
dataset roots."""

from __future__ import annotations

import time

import grpc
import pytest
from conftest import status_of, write_roles

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.proto.v1 import assist_pb2, common_pb2, selector_pb2, selector_pb2_grpc


@pytest.mark.parametrize("call", ("GetSample", "LabelHistory"))
def test_a_sample_id_no_row_can_have_is_invalid_argument(call, stack):
    with grpc.insecure_channel(stack.addresses.selector) as channel:
        stub = selector_pb2_grpc.SelectorServiceStub(channel)
        request = {"GetSample": selector_pb2.GetSampleRequest, "LabelHistory": selector_pb2.LabelHistoryRequest}[call]
        error = status_of(lambda: list(getattr(stub, call)(request(sample_id=2**64 - 1), timeout=10))
                          if call == "GetSample" else getattr(stub, call)(request(sample_id=2**64 - 1), timeout=10))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"'sample_id' {2**64 - 1} is out of range" in error.details()


def test_a_page_token_past_any_id_is_invalid_argument(client):
    client.create_project("bounds-pages")
    error = status_of(lambda: client.selector.stub.ListSamples(selector_pb2.ListSamplesRequest(
        project="bounds-pages", page_token="after:99999999999999999999999"), timeout=10))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "'page_token' 99999999999999999999999 is out of range" in error.details()


def test_ranking_label_errors_is_for_reviewers_and_admins(start_service, tmp_path):
    roles = write_roles(tmp_path / "roles.toml", {"admin": ("admin-secret", {"*": "admin"}),
                                                  "alice": ("alice-secret", {"cells": "annotator"}),
                                                  "rita": ("rita-secret", {"cells": "reviewer"})})
    selector = start_service("selector", "--roles-file", str(roles))
    inspect = start_service("inspect", "--roles-file", str(roles), "--selector-address", selector.address)
    addresses = ServiceAddresses(selector=selector.address, assist=inspect.address, inspect=inspect.address)
    with LabelAssistClient(addresses, token="admin-secret", retries=0) as admin:
        admin.create_project("cells")
    with LabelAssistClient(addresses, token="alice-secret", retries=0) as alice:
        error = status_of(lambda: alice.rank_label_errors("cells"))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "'alice' may not review in project 'cells'" in error.details()
    with LabelAssistClient(addresses, token="rita-secret", retries=0) as rita:
        assert list(rita.rank_label_errors("cells").suspects) == []


@pytest.mark.parametrize(("field", "value", "message"), [
    ("epochs", 2**32 - 1, "'epochs' is 4294967295; at most 1000"),
    ("steps_per_epoch", 2**32 - 1, "'steps_per_epoch' is 4294967295; at most 1000"),
    ("batch_size", 2**32 - 1, "'batch_size' is 4294967295; at most 64"),
    ("tile", 2**32 - 1, "'tile' is 4294967295; at most 1024"),
    ("width", 2**32 - 1, "'width' is 4294967295; at most 64"),
    ("depth", 64, "'depth' is 64; at most 6"),
])
def test_every_training_parameter_is_bounded_before_the_job_is_queued(field, value, message, module_service):
    assist = module_service("assist", "--training-runner", "queue")
    dataset = assist.data_dir / "datasets" / "any"
    dataset.mkdir(parents=True, exist_ok=True)
    jobs_before = set((assist.data_dir / "jobs").glob("*.json"))
    with LabelAssistClient(ServiceAddresses(assist=assist.address), retries=0) as client:
        error = status_of(lambda: client.train(dataset, **{field: value}))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in error.details()
    assert set((assist.data_dir / "jobs").glob("*.json")) == jobs_before


def test_training_does_not_read_a_link_out_of_the_dataset_roots(start_service, tmp_path):
    from test_triton import write_blob_dataset

    dataset = tmp_path / "data" / "datasets" / "blobs"
    write_blob_dataset(dataset, 3, seed=1)
    outside = tmp_path / "outside.tif"
    (dataset / "images" / "s0.tif").rename(outside)
    (dataset / "images" / "s0.tif").symlink_to(outside)
    assist = start_service("assist")
    with LabelAssistClient(ServiceAddresses(assist=assist.address), retries=0) as client:
        job = client.train(dataset, epochs=1, steps_per_epoch=1, tile=64, depth=2, width=8)
        last = list(client.train_status(job))[-1]
    assert last.state == assist_pb2.TRAIN_STATE_FAILED
    assert "outside the dataset roots" in last.message


def test_stored_assist_settings_are_bounded_so_every_project_still_lists(start_service):
    selector = start_service("selector")  # no assist address: settings are kept as sent, bounded all the same
    with LabelAssistClient(ServiceAddresses(selector=selector.address), retries=0) as client:
        client.create_project("bounded")
        error = status_of(lambda: client.set_assist("bounded", preprocess=["invert"] * 17))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "17 preprocess steps; at most 16" in error.details()
        error = status_of(lambda: client.set_assist("bounded", preprocess=[("invert", {"note": "x" * 20000})]))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "the assist settings take 200" in error.details() and "at most 16384" in error.details()
        client.set_assist("bounded", preprocess=["invert"] * 16)
        assert [p.name for p in client.list_projects()] == ["bounded"]


def _assist_settings_of(steps: int, parameters: int = 0) -> selector_pb2.AssistSettings:
    """``steps`` pre-processing steps, one of them with ``parameters`` parameters, made from their wire form."""
    step = common_pb2.NamedCall(name="invert", parameters={f"p{i}": common_pb2.ParameterValue(number=0.0)
                                                           for i in range(parameters)})
    first = selector_pb2.AssistSettings(preprocess=[step]).SerializeToString()
    rest = selector_pb2.AssistSettings(preprocess=[common_pb2.NamedCall(name="invert")]).SerializeToString()
    return selector_pb2.AssistSettings.FromString(first + rest * (steps - 1))


@pytest.mark.parametrize("steps, parameters, limit", [(400_000, 0, "400000 preprocess steps; at most 16"),
                                                      (1, 100_000, "bytes as sent; at most 65536")])
def test_huge_assist_settings_are_refused_before_any_step_is_read(start_service, steps, parameters, limit):
    selector = start_service("selector")
    request = selector_pb2.SetAssistRequest(project="huge", assist=_assist_settings_of(steps, parameters))
    with grpc.insecure_channel(selector.address, options=[("grpc.max_send_message_length", 64 << 20)]) as channel:
        stub = selector_pb2_grpc.SelectorServiceStub(channel)
        stub.CreateProject(selector_pb2.CreateProjectRequest(name="huge"), timeout=10)
        started = time.monotonic()
        error = status_of(lambda: stub.SetAssist(request, timeout=10))
        elapsed = time.monotonic() - started
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and limit in error.details(), error.details()
    assert elapsed < 0.2, elapsed
