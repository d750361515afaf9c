"""Inspection settings per project, kept by the selector and applied by the
inspect service when a call names the project: real selector and inspect
processes (and roles)."""

from __future__ import annotations

import grpc
import numpy as np
import pytest
from conftest import write_roles

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.proto.wire.values import value_from_proto
from shapes import disc

SHAPE = (100, 100)


def small_and_border_objects() -> np.ndarray:
    """A 113 px disc inside the image and a disc cut by the left border."""
    mask = disc(SHAPE, (50, 60), 6).astype(np.uint16)
    mask[disc(SHAPE, (50, 2), 8)] = 2
    return mask


def criteria_raised(response) -> set[str]:
    return {f.criterion for f in response.findings}


def _status(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value


@pytest.fixture
def project(client):
    name = f"settings-{np.random.default_rng().integers(1 << 30)}"
    client.create_project(name, criteria=[("object_size", {"min_area": "200"})], disabled=["touching_border"])
    return name


def test_a_project_keeps_its_settings_with_typed_values(client, project):
    settings = client.get_project(project).inspection
    [call] = settings.criteria
    assert call.name == "object_size" and value_from_proto(call.parameters["min_area"]) == 200.0
    assert list(settings.disabled) == ["touching_border"]
    listed = {p.name: p for p in client.list_projects()}
    assert list(listed[project].inspection.disabled) == ["touching_border"]


def test_inspect_applies_the_named_projects_settings(client, project):
    mask = small_and_border_objects()
    plain = client.inspect(mask)
    assert "touching_border" in criteria_raised(plain) and "object_size" not in criteria_raised(plain)

    configured = client.inspect(mask, project=project)
    assert "touching_border" not in configured.checked  # disabled for this project
    [small] = [f for f in configured.findings if f.criterion == "object_size"]
    assert small.bound == 200 and list(small.object_ids) == [1]

    # The call's own parameters override the project's; a listed criterion runs even when disabled.
    assert "object_size" not in criteria_raised(client.inspect(mask, project=project,
                                                               criteria=[("object_size", {"min_area": 50})]))
    listed = client.inspect(mask, project=project, criteria=["touching_border"], only_listed=True)
    assert list(listed.checked) == ["touching_border"] and criteria_raised(listed) == {"touching_border"}

    reports = dict(client.inspect_batch(iter([("a", mask, None, None), ("b", mask, None, None)]), project=project))
    assert all(f.criterion == "object_size" for f in reports["a"].findings if f.severity > 1)
    assert "touching_border" not in reports["b"].checked


def test_setting_replaces_and_bad_settings_are_refused_by_name(client, project):
    updated = client.set_inspection(project, criteria=[("holes", {"min_hole_area": 5})])
    assert [c.name for c in updated.inspection.criteria] == ["holes"] and not updated.inspection.disabled
    mask = small_and_border_objects()
    assert "object_size" not in criteria_raised(client.inspect(mask, project=project))

    bad = _status(lambda: client.set_inspection(project, criteria=[("object_size", {"min_aera": 3})]))
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT and "min_aera" in bad.details()
    unknown = _status(lambda: client.set_inspection(project, disabled=["no_such_criterion"]))
    assert unknown.code() == grpc.StatusCode.INVALID_ARGUMENT and "no_such_criterion" in unknown.details()
    twice = _status(lambda: client.set_inspection(project, criteria=["holes", "holes"]))
    assert twice.code() == grpc.StatusCode.INVALID_ARGUMENT and "more than once" in twice.details()
    assert [c.name for c in client.get_project(project).inspection.criteria] == ["holes"]  # unchanged

    missing = _status(lambda: client.set_inspection("no-such-project", disabled=["holes"]))
    assert missing.code() == grpc.StatusCode.NOT_FOUND and "no-such-project" in missing.details()
    through_inspect = _status(lambda: client.inspect(mask, project="no-such-project"))
    assert through_inspect.code() == grpc.StatusCode.NOT_FOUND
    assert "selector: no project 'no-such-project'" in through_inspect.details()

    client.set_inspection(project)  # reset
    assert not client.get_project(project).inspection.criteria


def test_only_admins_set_and_inspect_reads_with_the_callers_roles(start_service, tmp_path):
    roles = write_roles(tmp_path / "roles.toml", {"admin": ("admin-secret", {"*": "admin"}),
                                                  "alice": ("alice-secret", {"nuclei": "annotator"})})
    selector = start_service("selector", "--roles-file", str(roles))
    inspect = start_service("inspect", "--roles-file", str(roles), "--selector-address", selector.address)
    addresses = ServiceAddresses(selector=selector.address, inspect=inspect.address)
    with LabelAssistClient(addresses, token="admin-secret", retries=0) as admin, \
            LabelAssistClient(addresses, token="alice-secret", retries=0) as alice:
        admin.create_project("nuclei", criteria=[("object_size", {"min_area": 200})])
        admin.create_project("secret")
        denied = _status(lambda: alice.set_inspection("nuclei", disabled=["holes"]))
        assert denied.code() == grpc.StatusCode.PERMISSION_DENIED and "'alice' may not configure" in denied.details()
        mask = small_and_border_objects()
        assert "object_size" in criteria_raised(alice.inspect(mask, project="nuclei"))
        other = _status(lambda: alice.inspect(mask, project="secret"))
        assert other.code() == grpc.StatusCode.PERMISSION_DENIED and "selector:" in other.details()


def test_naming_a_project_without_a_selector_is_a_clear_error(start_service):
    inspect = start_service("inspect")  # no --selector-address
    with LabelAssistClient(ServiceAddresses(inspect=inspect.address), retries=0) as client:
        error = _status(lambda: client.inspect(small_and_border_objects(), project="nuclei"))
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "inspect has no selector to ask" in error.details() and "--selector-address" in error.details()
        assert client.inspect(small_and_border_objects()).findings  # without a project it works as before
