"""Classes through real processes: a project's class schema, labels that
carry a class per object and image classes, kept through a COCO export and
import, and who may change the schema; the COCO conversion and the store
(SQLite and PostgreSQL) in-process."""

from __future__ import annotations

import csv
import subprocess
import sys

import grpc
import numpy as np
import pytest

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.runtime.auth import token_hash

LABELASSIST = [sys.executable, "-m", "labelassist.cli"]
TOKENS = {"admin": "admin-secret", "ann": "ann-secret", "rita": "rita-secret"}


def cell_image() -> tuple[np.ndarray, np.ndarray]:
    """A 64x64 image with three bright nuclei and its label (ids 1, 2, 3)."""
    image = np.full((64, 64), 100, np.uint16)
    label = np.zeros((64, 64), np.uint16)
    for object_id, (row, column) in enumerate([(12, 12), (40, 20), (30, 48)], start=1):
        yy, xx = np.ogrid[:64, :64]
        disc = (yy - row) ** 2 + (xx - column) ** 2 <= 36
        image[disc] = 900 + 100 * object_id
        label[disc] = object_id
    return image, label


def _rpc_error(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value


def test_a_schema_is_stored_with_default_colours_and_keys(client):
    client.create_project("classes-schema")
    schema = client.set_class_schema("classes-schema", [{"name": "mitotic", "key": "1"}, "interphase"],
                                     ["in-focus", "blurred"], multi_label=True)
    assert schema.names("object") == ["mitotic", "interphase"]
    assert schema.names("image") == ["in-focus", "blurred"]
    assert schema.object_classes[0].key == "1" and schema.object_classes[1].key == ""
    assert all(c.colour.startswith("#") and len(c.colour) == 7 for c in schema.object_classes + schema.image_classes)
    assert schema.multi_label
    assert client.class_schema("classes-schema") == schema


def test_labels_with_classes_round_trip_through_coco_into_a_new_project(client, tmp_path):
    client.create_project("classes-source")
    client.set_class_schema("classes-source", ["mitotic", "interphase"], ["in-focus"])
    image, label = cell_image()
    sample_id = client.add_sample("classes-source", "cells", image)
    version = client.submit_label(sample_id, "ann", label, object_classes={1: "mitotic", 2: "interphase",
                                                                          3: "interphase"},
                                  image_classes=["in-focus"])
    assert version.object_classes == {1: "mitotic", 2: "interphase", 3: "interphase"}
    assert version.image_classes == ("in-focus",)
    assert client.label_history(sample_id)[-1].object_classes == version.object_classes
    fetched = client.get_sample(sample_id, with_image=False)
    assert (fetched.info.object_classes, fetched.info.image_classes) == (version.object_classes, ("in-focus",))

    report = client.download_labels("classes-source", tmp_path / "coco", format="coco")
    assert report.samples == 1
    with open(tmp_path / "coco" / "classes.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["sample", "object_id", "class"], ["cells", "1", "mitotic"], ["cells", "2", "interphase"],
                    ["cells", "3", "interphase"], ["cells", "", "in-focus"]]

    imported = client.import_labels("classes-copy", tmp_path / "coco", format="coco", create=True)
    assert (imported.added, imported.failed) == (1, [])
    assert client.class_schema("classes-copy") == client.class_schema("classes-source")
    copy = next(iter(client.iter_samples("classes-copy")))
    copied_label = client.get_sample(copy.sample_id, with_image=False).require("label")
    np.testing.assert_array_equal(copied_label, label)  # ids 1..n in annotation order, as labelled
    copied = client.label_history(copy.sample_id)[-1]
    assert copied.object_classes == {1: "mitotic", 2: "interphase", 3: "interphase"}
    assert copied.image_classes == ("in-focus",)


def test_unknown_classes_and_objects_not_in_the_mask_are_refused_by_name(client):
    client.create_project("classes-bad")
    client.set_class_schema("classes-bad", ["mitotic", "interphase"], ["in-focus"])
    image, label = cell_image()
    sample_id = client.add_sample("classes-bad", "cells", image)
    error = _rpc_error(lambda: client.submit_label(sample_id, "ann", label, object_classes={1: "mitosis", 7: "mitotic"},
                                                   image_classes=["sharp"]))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "unknown object class(es) 'mitosis'" in error.details()
    assert "unknown image class(es) 'sharp'" in error.details()
    assert "object id(s) 7 are not in the mask" in error.details()
    assert client.label_history(sample_id) == []
    error = _rpc_error(lambda: client.set_class_schema("classes-bad", ["a", "a"]))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "named more than once: a" in error.details()


def test_a_class_in_use_changes_only_through_a_migration(client):
    client.create_project("classes-migrate")
    client.set_class_schema("classes-migrate", ["mitotic", "interphase"])
    image, label = cell_image()
    sample_id = client.add_sample("classes-migrate", "cells", image)
    client.submit_label(sample_id, "ann", label, object_classes={1: "mitotic", 2: "interphase"})
    error = _rpc_error(lambda: client.set_class_schema("classes-migrate", ["dividing", "interphase"]))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "'mitotic'" in error.details() and "--migrate OLD=NEW" in error.details()
    client.set_class_schema("classes-migrate", ["dividing", "interphase"], migrate={"mitotic": "dividing"})
    assert client.label_history(sample_id)[-1].object_classes == {1: "dividing", 2: "interphase"}
    client.set_class_schema("classes-migrate", ["dividing", "interphase", "apoptotic"])  # adding needs no mapping


def test_the_cli_sets_and_shows_classes(cli_env, client):
    client.create_project("classes-cli")
    set_run = subprocess.run([*LABELASSIST, "classes", "classes-cli", "--object", "mitotic,interphase",
                              "--image", "in-focus", "--multi", "--key", "mitotic=m"],
                             env=cli_env, capture_output=True, text=True, timeout=120)
    assert set_run.returncode == 0, set_run.stderr
    shown = subprocess.run([*LABELASSIST, "classes", "classes-cli"], env=cli_env, capture_output=True, text=True,
                           timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "object classes:" in shown.stdout and "image classes (multi-label):" in shown.stdout
    assert "mitotic" in shown.stdout and "key m" in shown.stdout and "in-focus" in shown.stdout
    assert client.class_schema("classes-cli").names("object") == ["mitotic", "interphase"]


@pytest.fixture
def role_clients(start_service, tmp_path):
    roles = tmp_path / "roles.toml"
    roles.write_text("".join(f'[[identity]]\nname = "{name}"\ntoken_sha256 = "{token_hash(token)}"\n'
                             f'projects = {{ "*" = "{role}" }}\n\n'
                             for (name, token), role in zip(TOKENS.items(), ("admin", "annotator", "reviewer"))))
    selector = start_service("selector", "--roles-file", str(roles))
    addresses = ServiceAddresses(selector=selector.address, assist=selector.address, inspect=selector.address)
    clients = {name: LabelAssistClient(addresses, token=token, retries=0) for name, token in TOKENS.items()}
    yield clients
    for opened in clients.values():
        opened.close()


def test_only_admins_change_classes_and_a_reviewer_cannot_submit(role_clients):
    admin, annotator, reviewer = role_clients["admin"], role_clients["ann"], role_clients["rita"]
    admin.create_project("roles-classes")
    admin.set_class_schema("roles-classes", ["mitotic", "interphase"])
    image, label = cell_image()
    sample_id = admin.add_sample("roles-classes", "cells", image)
    for someone in (annotator, reviewer):
        error = _rpc_error(lambda: someone.set_class_schema("roles-classes", ["other"]))
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    error = _rpc_error(lambda: reviewer.submit_label(sample_id, "rita", label, object_classes={1: "mitotic"}))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    annotator.submit_label(sample_id, "ann", label, object_classes={1: "mitotic"})
    error = _rpc_error(lambda: annotator.set_class_schema("roles-classes", ["interphase"],
                                                          migrate={"mitotic": "interphase"}))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    schema = admin.set_class_schema("roles-classes", ["interphase"], migrate={"mitotic": "interphase"})
    assert schema.names("object") == ["interphase"]
    assert admin.label_history(sample_id)[-1].object_classes == {1: "interphase"}


def test_the_cli_refuses_renaming_a_class_in_use_until_migrated(cli_env, client):
    client.create_project("classes-cli-migrate")
    client.set_class_schema("classes-cli-migrate", ["mitotic", "interphase"])
    image, label = cell_image()
    sample_id = client.add_sample("classes-cli-migrate", "cells", image)
    client.submit_label(sample_id, "ann", label, object_classes={1: "mitotic"})
    command = [*LABELASSIST, "classes", "classes-cli-migrate", "--object", "dividing,interphase"]
    refused = subprocess.run(command, env=cli_env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2
    assert "FAILED_PRECONDITION" in refused.stderr and "'mitotic'" in refused.stderr
    migrated = subprocess.run([*command, "--migrate", "mitotic=dividing"], env=cli_env, capture_output=True,
                              text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    assert client.label_history(sample_id)[-1].object_classes == {1: "dividing"}


def test_classes_follow_their_objects_when_coco_renumbers_the_ids():
    from labelassist.io.formats.coco import coco_label, from_coco, to_coco

    label = np.zeros((32, 32), np.uint16)
    label[2:8, 2:8], label[20:30, 20:30] = 5, 9
    schema = {"object": [{"name": "mitotic", "colour": "#e69f00", "key": ""},
                         {"name": "interphase", "colour": "#56b4e9", "key": ""}]}
    dataset = to_coco([("a.png", label, {"objects": {"5": "interphase", "9": "mitotic"}})], schema)
    assert [c["name"] for c in dataset["categories"]] == ["mitotic", "interphase", "object"]
    (_, shape, segmentations, classes), = from_coco(dataset)
    renumbered = coco_label(segmentations, shape)
    assert classes == {"objects": {"1": "interphase", "2": "mitotic"}}
    assert (renumbered[label == 5] == 1).all() and (renumbered[label == 9] == 2).all()


def test_the_store_keeps_classes_per_version_and_a_class_edit_is_a_new_version(store):
    project = store.create_project("store-classes")
    image, label = cell_image()
    store.add_samples(project, [{"stem": "cells", "image": image}])
    sample_id = store.sample_by_stem(project, "cells").id
    first = store.submit_label(sample_id, "ann", label, classes={"objects": {"1": "mitotic"}})
    again = store.submit_label(sample_id, "ann", label, classes={"objects": {"1": "mitotic"}})
    edited = store.submit_label(sample_id, "ann", label, classes={"objects": {"1": "interphase"}})
    assert (first.version, again.version, edited.version) == (1, 1, 2)
    assert [v.classes for v in store.label_history(sample_id)] == [{"objects": {"1": "mitotic"}},
                                                                   {"objects": {"1": "interphase"}}]


def test_deleting_samples_and_projects_removes_their_classes(client):
    client.create_project("classes-delete")
    client.set_class_schema("classes-delete", ["mitotic"])
    image, label = cell_image()
    for stem in ("kept", "gone"):
        sample_id = client.add_sample("classes-delete", stem, image)
        client.submit_label(sample_id, "ann", label, object_classes={1: "mitotic"})
    assert client.delete_sample(project="classes-delete", stem="gone").labels == 1
    assert client.delete_project("classes-delete").labels == 1
    client.create_project("classes-delete")
    assert client.class_schema("classes-delete").object_classes == ()


def test_the_store_deletes_classified_samples_and_projects(store):
    from labelassist.selector.deletion import delete_project, delete_samples

    project = store.create_project("store-delete", settings={"classes": {"object": [{"name": "mitotic"}]}})
    image, label = cell_image()
    store.add_samples(project, [{"stem": stem, "image": image} for stem in ("kept", "gone")])
    for stem in ("kept", "gone"):
        store.submit_label(store.sample_by_stem(project, stem).id, "ann", label, classes={"objects": {"1": "mitotic"}})
    assert delete_samples(store, project, [store.sample_by_stem(project, "gone").id], "test").labels == 1
    assert delete_project(store, project, "test").labels == 1
