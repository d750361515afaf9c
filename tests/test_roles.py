"""Roles per project through real selector and assist processes: tokens map
to identities; annotators lease, fetch and submit only in their projects;
reviewers read labels; only admins create projects, register data and train."""

from __future__ import annotations

import time

import grpc
import numpy as np
import pytest
from conftest import ServiceProcess

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.runtime.auth import RolesError, load_identities, token_hash

TOKENS = {"admin": "admin-secret", "alice": "alice-secret", "rita": "rita-secret", "bob": "bob-secret"}


@pytest.fixture(scope="module")
def roles_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("roles") / "roles.toml"
    path.write_text(f"""
[[identity]]
name = "admin"
token_sha256 = "{token_hash(TOKENS['admin'])}"
projects = {{ "*" = "admin" }}

[[identity]]
name = "alice"
token_sha256 = "{token_hash(TOKENS['alice'])}"
projects = {{ nuclei = "annotator" }}

[[identity]]
name = "rita"
token_sha256 = "{token_hash(TOKENS['rita'])}"
projects = {{ nuclei = "reviewer", spheroids = "reviewer" }}

[[identity]]
name = "bob"
token = "{TOKENS['bob']}"
projects = {{ spheroids = "annotator" }}
""")
    return path


@pytest.fixture
def services(start_service, roles_file):
    selector = start_service("selector", "--roles-file", str(roles_file))
    assist = start_service("assist", "--roles-file", str(roles_file), "--selector-address", selector.address)
    addresses = ServiceAddresses(selector=selector.address, assist=assist.address, inspect=assist.address)
    clients = {name: LabelAssistClient(addresses, token=token, retries=0) for name, token in TOKENS.items()}
    yield clients
    for client in clients.values():
        client.close()


def _denied(call, *fragments: str) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED, caught.value.details()
    for fragment in fragments:
        assert fragment in caught.value.details()


def test_roles_decide_who_does_what(services):
    admin, alice, rita, bob = (services[n] for n in ("admin", "alice", "rita", "bob"))
    image = np.random.default_rng(0).integers(0, 4000, (64, 64), dtype=np.uint16)

    _denied(lambda: alice.create_project("alices-own"), "'alice' may not create project")
    admin.create_project("nuclei")
    admin.create_project("spheroids")
    nuclei_id = admin.add_sample("nuclei", "n0", image)
    admin.add_sample("spheroids", "s0", image)
    _denied(lambda: alice.add_sample("nuclei", "n1", image), "may not register in project 'nuclei'",
            "role: annotator")

    # Each sees only the projects they have a role in.
    assert [p.name for p in alice.list_projects()] == ["nuclei"]
    assert sorted(p.name for p in rita.list_projects()) == ["nuclei", "spheroids"]
    assert sorted(p.name for p in admin.list_projects()) == ["nuclei", "spheroids"]

    # Annotators lease, fetch and submit in their own project only, under their own name.
    _denied(lambda: bob.next_sample("nuclei", "bob"), "project 'nuclei'", "role: none")
    _denied(lambda: alice.next_sample("nuclei", "bob"), "belongs to 'alice'", "cannot act as 'bob'")
    lease = alice.next_sample("nuclei", "alice")
    assert lease.sample.sample_id == nuclei_id
    assert np.array_equal(alice.get_sample(nuclei_id).require("image"), image)
    _denied(lambda: bob.get_sample(nuclei_id), "'bob' may not fetch in project 'nuclei'")
    mask = (image > 2000).astype(np.uint32)
    _denied(lambda: bob.submit_label(nuclei_id, "bob", mask), "may not submit")
    assert alice.submit_label(nuclei_id, "alice", mask).annotator == "alice"

    # Reviewers read labels and history but cannot lease or submit.
    assert np.array_equal(rita.get_sample(nuclei_id, with_image=False).require("label"), mask)
    assert [v.annotator for v in rita.label_history(nuclei_id)] == ["alice"]
    assert rita.progress("nuclei").labeled == 1
    _denied(lambda: rita.next_sample("nuclei", "rita"), "'rita' may not lease", "role: reviewer")
    _denied(lambda: rita.submit_label(nuclei_id, "rita", mask), "may not submit")
    _denied(lambda: alice.label_history(nuclei_id), "may not read labels")

    # Assist works for everyone on uploaded images; a sample reference is
    # fetched with the caller's own token, so roles hold there too.
    assert bob.prelabel(image, "otsu").mask.shape == image.shape
    assert alice.prelabel(None, "otsu", sample_id=nuclei_id).mask.shape == image.shape
    _denied(lambda: bob.prelabel(None, "otsu", sample_id=nuclei_id), "'bob' may not fetch")

    # Only admins start training.
    _denied(lambda: alice.train(project="nuclei"), "'alice' may not train the U-Net")
    _denied(lambda: rita.train(dataset_path="anything"), "'rita' may not train")


def test_an_unknown_token_is_unauthenticated(services, roles_file, start_service):
    selector_address = services["admin"].addresses.selector
    with LabelAssistClient(ServiceAddresses(selector=selector_address), token="guess", retries=0) as stranger:
        with pytest.raises(grpc.RpcError) as caught:
            stranger.list_projects()
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_a_bad_roles_file_stops_the_service_with_a_clear_message(tmp_path):
    path = tmp_path / "roles.toml"
    path.write_text('[[identity]]\nname = "x"\ntoken = "t"\nprojects = { p = "owner" }\n')
    with pytest.raises(RolesError, match="unknown role.*owner.*annotator, reviewer, admin"):
        load_identities(path)
    path.write_text('[[identity]]\nname = "x"\n')
    with pytest.raises(RolesError, match="needs 'name' and 'token_sha256'"):
        load_identities(path)
    with pytest.raises(RuntimeError, match="selector did not start(.|\n)*needs 'name' and 'token_sha256'"):
        ServiceProcess("selector", tmp_path, "--roles-file", str(path))


def test_a_changed_roles_file_takes_effect_without_a_restart(start_service, tmp_path):
    path = tmp_path / "roles.toml"
    admin = '[[identity]]\nname = "admin"\ntoken = "admin-secret"\nprojects = { "*" = "admin" }\n'
    path.write_text(admin)
    selector = start_service("selector", "--roles-file", str(path))
    addresses = ServiceAddresses(selector=selector.address)
    with LabelAssistClient(addresses, token="admin-secret", retries=0) as boss, \
            LabelAssistClient(addresses, token="carol-secret", retries=0) as carol:
        boss.create_project("late")
        with pytest.raises(grpc.RpcError) as caught:
            carol.list_projects()
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED

        path.write_text(admin + '[[identity]]\nname = "carol"\ntoken = "carol-secret"\n'
                                'projects = { late = "annotator" }\n')
        deadline = time.monotonic() + 15
        while True:  # the file is looked at again within about 2 s
            try:
                assert [p.name for p in carol.list_projects()] == ["late"]
                break
            except grpc.RpcError:
                assert time.monotonic() < deadline, "the new identity never took effect"
                time.sleep(0.2)

        path.write_text("this is not TOML [")  # a broken edit keeps the last good identities
        time.sleep(2.5)
        assert [p.name for p in carol.list_projects()] == ["late"]
    assert "kept the previous identities" in selector.log_file.read_text()


def test_a_project_admin_may_not_train_the_model_every_project_is_served(start_service, tmp_path):
    roles = tmp_path / "roles.toml"
    roles.write_text(f"""
[[identity]]
name = "pa"
token_sha256 = "{token_hash('pa')}"
projects = {{ nuclei = "admin" }}
""")
    selector = start_service("selector", "--roles-file", str(roles))
    assist = start_service("assist", "--roles-file", str(roles), "--selector-address", selector.address)
    addresses = ServiceAddresses(selector=selector.address, assist=assist.address, inspect=assist.address)
    with LabelAssistClient(addresses, token="pa", retries=0) as project_admin:
        _denied(lambda: project_admin.train(project="nuclei"), "'pa' may not train the U-Net",
                '"*" = "admin"')
