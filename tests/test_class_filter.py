"""The sample list filtered by class, through a real selector on SQLite and
on PostgreSQL: an object class, an image class or objects without a class
in each sample's newest label version, paged in pool order; the counts per
class in Progress; unknown names refused naming the project's classes."""

from __future__ import annotations

import subprocess
import sys
from itertools import count

import grpc
import numpy as np
import pytest
from conftest import address_env

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses

_PROJECT_NUMBERS = count()


def two_cells() -> tuple[np.ndarray, np.ndarray]:
    """A 32x32 image and its label with objects 1 and 2."""
    image = np.full((32, 32), 100, np.uint16)
    label = np.zeros((32, 32), np.uint16)
    label[4:12, 4:12], label[18:28, 18:28] = 1, 2
    image[label > 0] = 900
    return image, label


@pytest.fixture(params=["sqlite", "postgresql"])
def selector(request):
    """The module's selector on SQLite, or on a PostgreSQL database of the module's own (each test
    works in projects of its own)."""
    postgres_url = request.getfixturevalue("module_postgres_url")  # set up first: dropped after the selectors stop
    flags = () if request.param == "sqlite" else ("--database-url", postgres_url)
    return request.getfixturevalue("module_service")("selector", *flags)


@pytest.fixture
def project() -> str:
    """A project name no other test of the module uses."""
    return f"cells{next(_PROJECT_NUMBERS)}"


@pytest.fixture
def client(selector):
    with LabelAssistClient(ServiceAddresses(selector=selector.address), timeout=60) as sdk:
        yield sdk


@pytest.fixture
def classified(client, project) -> dict[str, int]:
    """Project ``project`` with six samples: m (mitotic + interphase, in-focus),
    i (interphase), u (one object without a class), n (no classes), b
    (blurred, unlabelled objects none), and e (not labelled)."""
    client.create_project(project)
    client.set_class_schema(project, ["mitotic", "interphase"], ["in-focus", "blurred"])
    image, label = two_cells()
    ids = {stem: client.add_sample(project, stem, image) for stem in "miunbe"}
    client.submit_label(ids["m"], "ann", label, object_classes={1: "mitotic", 2: "interphase"},
                        image_classes=["in-focus"])
    client.submit_label(ids["i"], "ann", label, object_classes={1: "interphase", 2: "interphase"})
    client.submit_label(ids["u"], "ann", label, object_classes={1: "mitotic"})
    client.submit_label(ids["n"], "ann", label)
    client.submit_label(ids["b"], "ann", np.zeros_like(label), image_classes=["blurred"])
    return ids


def stems(infos) -> list[str]:
    return [info.stem for info in infos]


def test_an_object_class_lists_the_samples_with_an_object_of_it_in_pool_order(client, classified, project):
    assert stems(client.list_samples(project, object_class="interphase")) == ["m", "i"]
    assert stems(client.list_samples(project, object_class="mitotic")) == ["m", "u"]


def test_an_image_class_lists_the_samples_that_carry_it(client, classified, project):
    assert stems(client.list_samples(project, image_class="in-focus")) == ["m"]
    assert stems(client.list_samples(project, image_class="blurred")) == ["b"]


def test_unclassified_objects_lists_labels_with_an_object_without_a_class(client, classified, project):
    assert stems(client.list_samples(project, unclassified_objects=True)) == ["u", "n"]


def test_the_filter_follows_the_newest_label_version(client, classified, project):
    _, label = two_cells()
    client.submit_label(classified["u"], "ann", label, object_classes={1: "mitotic", 2: "mitotic"})
    client.submit_label(classified["m"], "ann", label, object_classes={1: "interphase", 2: "interphase"})
    assert stems(client.list_samples(project, unclassified_objects=True)) == ["n"]
    assert stems(client.list_samples(project, object_class="mitotic")) == ["u"]
    assert stems(client.list_samples(project, image_class="in-focus")) == []
    counts = {(c.kind, c.name): c.samples for c in client.progress(project).class_counts}
    assert counts == {("object", "mitotic"): 1, ("object", "interphase"): 2, ("image", "blurred"): 1,
                      ("unclassified", ""): 1}


def test_filtered_pages_continue_in_pool_order(client):
    client.create_project("many")
    client.set_class_schema("many", ["a", "b"])
    image, label = two_cells()
    client.add_samples("many", [{"stem": f"s{i:02d}", "image": image} for i in range(12)])
    for index, info in enumerate(client.list_samples("many")):
        client.submit_label(info.sample_id, "ann", label, object_classes={1: "a" if index % 3 else "b", 2: "a"})
    first, token = client.samples_page("many", page_size=3, object_class="b")
    second, last = client.samples_page("many", token, page_size=3, object_class="b")
    assert (stems(first), stems(second), last) == (["s00", "s03", "s06"], ["s09"], "")
    assert len(client.list_samples("many", page_size=5, object_class="a")) == 12


def test_progress_counts_samples_per_class(client, classified, project):
    counts = {(c.kind, c.name): c.samples for c in client.progress(project).class_counts}
    assert counts == {("object", "mitotic"): 2, ("object", "interphase"): 2, ("image", "in-focus"): 1,
                      ("image", "blurred"): 1, ("unclassified", ""): 2}


def test_a_renamed_class_is_found_under_its_new_name(client, classified, project):
    client.set_class_schema(project, ["dividing", "interphase"], ["in-focus", "blurred"],
                            migrate={"mitotic": "dividing"})
    assert stems(client.list_samples(project, object_class="dividing")) == ["m", "u"]
    assert stems(client.list_samples(project, unclassified_objects=True)) == ["u", "n"]


def test_deleted_samples_leave_the_filtered_list(client, classified, project):
    client.delete_sample(classified["m"])
    assert stems(client.list_samples(project, object_class="mitotic")) == ["u"]
    assert ("image", "in-focus") not in {(c.kind, c.name) for c in client.progress(project).class_counts}


def test_imported_labels_with_classes_are_indexed(client):
    client.create_project("imported")
    client.set_class_schema("imported", ["mitotic", "interphase"])
    image, label = two_cells()
    client.add_samples("imported", [
        {"stem": "x", "image": image, "label": label, "object_classes": {1: "mitotic", 2: "interphase"}},
        {"stem": "y", "image": image, "label": label, "object_classes": {2: "interphase"}}])
    assert stems(client.list_samples("imported", object_class="interphase")) == ["x", "y"]
    assert stems(client.list_samples("imported", unclassified_objects=True)) == ["y"]


def test_the_cli_lists_the_samples_of_a_class(selector, classified, project):
    env = address_env(ServiceAddresses(selector=selector.address))

    def listed(*flags: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "labelassist.cli", "sample", "list", project, *flags], env=env,
                              capture_output=True, text=True, timeout=120)

    mitotic = listed("--class", "mitotic")
    assert mitotic.returncode == 0, mitotic.stderr
    assert [line.split("\t")[1:] for line in mitotic.stdout.splitlines()] == [["m", "v1"], ["u", "v1"]]
    assert [line.split("\t")[1] for line in listed("--image-class", "blurred").stdout.splitlines()] == ["b"]
    assert [line.split("\t")[1] for line in listed("--unclassified").stdout.splitlines()] == ["u", "n"]
    unknown = listed("--class", "prophase")
    assert unknown.returncode != 0 and "no object class 'prophase'" in unknown.stderr
    assert "mitotic, interphase" in unknown.stderr and "Traceback" not in unknown.stderr
    progress = subprocess.run([sys.executable, "-m", "labelassist.cli", "progress", project], env=env,
                              capture_output=True, text=True, timeout=120)
    assert progress.returncode == 0, progress.stderr
    assert "object class mitotic" in progress.stdout and "objects without a class        2 samples" in progress.stdout


def _refused(call) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value


def test_an_unknown_class_is_refused_naming_the_projects_classes(client, classified, project):
    error = _refused(lambda: client.list_samples(project, object_class="prophase"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "no object class 'prophase'" in error.details() and "mitotic, interphase" in error.details()
    error = _refused(lambda: client.list_samples(project, image_class="mitotic"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "in-focus, blurred" in error.details()


def test_two_filters_at_once_are_refused(client, classified, project):
    error = _refused(lambda: client.list_samples(project, object_class="mitotic", image_class="in-focus"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "one of 'object_class', 'image_class', 'unclassified_objects'" in error.details()


def test_unclassified_objects_in_a_project_without_object_classes_is_refused(client):
    client.create_project("plain")
    error = _refused(lambda: client.list_samples("plain", unclassified_objects=True))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "no object classes" in error.details()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_upgrade_indexes_the_classes_of_labels_stored_before_it(backend, tmp_path, request):
    import sqlalchemy as sa
    from alembic import command

    from labelassist.selector.migrate import _config, upgrade_schema

    url = f"sqlite:///{tmp_path / 'r0007.sqlite'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            command.upgrade(_config(connection), "r0007")
            connection.execute(sa.text("INSERT INTO projects (id, name, lease_seconds, strategy, created_at) "
                                       "VALUES (1, 'old', 60, 'random', 0)"))
            for sample_id, stem in ((1, "classified"), (2, "plain"), (3, "unlabelled")):
                connection.execute(sa.text(
                    "INSERT INTO samples (id, project_id, position, stem, image_blob, labeled, needed) "
                    "VALUES (:id, 1, :id, :stem, 'x', :labeled, 0)"), {"id": sample_id, "stem": stem,
                                                                      "labeled": sample_id < 3})
            for sample_id, version in ((1, 1), (1, 2), (2, 1)):
                connection.execute(sa.text("INSERT INTO labels (sample_id, version, annotator, origin, checksum, "
                                           "created_at) VALUES (:s, :v, 'ann', 'manual', 'y', 0)"),
                                   {"s": sample_id, "v": version})
            label_classes = sa.table("label_classes", sa.column("sample_id"), sa.column("version"),
                                     sa.column("classes", sa.JSON))
            connection.execute(label_classes.insert(), [
                {"sample_id": 1, "version": 1, "classes": {"objects": {"1": "interphase"}}},
                {"sample_id": 1, "version": 2, "classes": {"objects": {"1": "mitotic"}, "image": ["in-focus"]}}])
        upgrade_schema(engine)
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT sample_id, kind, name FROM sample_classes")).all()
            counts = connection.execute(sa.text("SELECT kind, name, samples FROM class_counts")).all()
    finally:
        engine.dispose()
    assert sorted(map(tuple, rows)) == [(1, "image", "in-focus"), (1, "object", "mitotic"), (2, "unclassified", "")]
    assert sorted(map(tuple, counts)) == [("image", "in-focus", 1), ("object", "mitotic", 1), ("unclassified", "", 1)]
