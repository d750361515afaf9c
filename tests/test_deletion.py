"""Deleting projects and samples, renaming projects: through a real
selector (and the real CLI), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from itertools import count
from pathlib import Path

import grpc
import numpy as np
import pytest
import sqlalchemy as sa

from conftest import write_roles
from labelassist.client.sdk import LabelAssistClient, ServiceAddresses

_TESTS = count()


def blob_count(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.npy"))


def image(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (16, 16), dtype=np.uint8)


def mask(value: int) -> np.ndarray:
    return np.full((16, 16), value, np.uint16)


def sdk(selector, token: str | None = None) -> LabelAssistClient:
    return LabelAssistClient(ServiceAddresses(selector=selector.address), token=token, timeout=30)


def code_of(call) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value.code(), caught.value.details()


@pytest.fixture(params=["sqlite", "postgresql"])
def selector(request, start_service):
    """A fresh selector on SQLite, or on a fresh PostgreSQL database: for the tests that count
    blobs, which projects of other tests could share."""
    if request.param == "sqlite":
        return start_service("selector")
    return start_service("selector", "--database-url", request.getfixturevalue("postgres_url"))


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_selector(request):
    """The module's selector on SQLite, or on a PostgreSQL database of the module's own; the
    test's projects are named for it alone (``name``)."""
    postgres_url = request.getfixturevalue("module_postgres_url")  # set up first: dropped after the selectors stop
    flags = () if request.param == "sqlite" else ("--database-url", postgres_url)
    selector = request.getfixturevalue("module_service")("selector", *flags)
    selector.test_number = next(_TESTS)
    return selector


def name(selector, stem: str) -> str:
    return f"{stem}{selector.test_number}"


def projects(selector) -> list[str]:
    with sdk(selector) as client:
        return sorted(p.name for p in client.list_projects())


def two_projects(client: LabelAssistClient) -> dict[str, int]:
    """'keep' and 'drop' share one image; 'drop' has two of its own, labelled twice."""
    client.create_project("keep")
    client.create_project("drop")
    ids = {"keep/shared": client.add_sample("keep", "shared", image(0))}
    ids["drop/shared"] = client.add_sample("drop", "shared", image(0))
    ids["drop/a"] = client.add_sample("drop", "a", image(1))
    ids["drop/b"] = client.add_sample("drop", "b", image(2))
    client.submit_label(ids["drop/a"], "ann", mask(1))
    client.submit_label(ids["drop/a"], "ann", mask(2))
    client.submit_label(ids["keep/shared"], "ann", mask(1))  # the same label blob as drop/a's first version
    return ids


def test_deleting_a_project_removes_it_and_the_blobs_no_other_project_uses(selector, tmp_path):
    blobs = tmp_path / "data" / "blobs"
    with sdk(selector) as client:
        ids = two_projects(client)
        before = blob_count(blobs)
        removed = client.delete_project("drop")
        assert (removed.samples, removed.labels, removed.blobs_removed) == (3, 2, 3)  # images a, b; mask 2
        assert [p.name for p in client.list_projects()] == ["keep"]
        assert blob_count(blobs) == before - 3
        kept = client.get_sample(ids["keep/shared"])
        assert np.array_equal(kept.arrays["image"], image(0)) and np.array_equal(kept.arrays["label"], mask(1))
        assert code_of(lambda: client.get_project("drop"))[0] == grpc.StatusCode.NOT_FOUND
        assert code_of(lambda: client.delete_project("drop"))[0] == grpc.StatusCode.NOT_FOUND
        client.create_project("drop")  # the name is free again, the project empty
        assert client.get_project("drop").total == 0


def test_deleting_a_sample_keeps_the_rest_of_the_project_and_its_counts(selector):
    with sdk(selector) as client:
        ids = two_projects(client)
        removed = client.delete_sample(ids["drop/a"])
        assert (removed.labels, removed.blobs_removed) == (2, 2)  # image 1 and mask 2; mask 1 is keep's too
        progress = client.progress("drop")
        assert (progress.total, progress.labeled) == (2, 0)
        assert [s.stem for s in client.iter_samples("drop")] == ["shared", "b"]
        by_stem = client.delete_sample(project="drop", stem="b")
        assert by_stem.blobs_removed == 1
        assert client.get_project("drop").total == 1
        assert code_of(lambda: client.get_sample(ids["drop/a"]))[0] == grpc.StatusCode.NOT_FOUND


def test_a_lease_on_a_deleted_sample_answers_not_found_and_other_annotators_go_on(shared_selector):
    selector, p = shared_selector, name(shared_selector, "p")
    with sdk(selector) as client:
        client.create_project(p, strategy="random")
        for index in range(3):
            client.add_sample(p, f"s{index}", image(index))
        held = client.next_sample(p, "ann1").sample.sample_id
        client.delete_sample(held)
        for call in (lambda: client.submit_label(held, "ann1", mask(1)), lambda: client.renew_lease(held, "ann1"),
                     lambda: client.release_sample(held, "ann1", skip=True),
                     lambda: client.get_sample(held)):
            code, message = code_of(call)
            assert code == grpc.StatusCode.NOT_FOUND and "deleted" in message
        other = client.next_sample(p, "ann2").sample.sample_id
        assert other != held
        assert client.submit_label(other, "ann2", mask(1)).version == 1
        assert client.next_sample(p, "ann1").sample.sample_id not in (held, other)


def test_a_deleted_project_answers_not_found_to_its_annotators(shared_selector):
    selector, p = shared_selector, name(shared_selector, "p")
    with sdk(selector) as client:
        client.create_project(p)
        sample = client.add_sample(p, "s", image(0))
        client.next_sample(p, "ann1")
        client.delete_project(p)
        assert code_of(lambda: client.next_sample(p, "ann2"))[0] == grpc.StatusCode.NOT_FOUND
        assert code_of(lambda: client.submit_label(sample, "ann1", mask(1)))[0] == grpc.StatusCode.NOT_FOUND


def test_renaming_keeps_samples_labels_and_settings_under_the_new_name(shared_selector):
    selector, old, new = shared_selector, name(shared_selector, "old"), name(shared_selector, "new")
    with sdk(selector) as client:
        client.create_project(old, criteria=[("object_size", {"min_area": 40})])
        sample = client.add_sample(old, "s", image(0))
        client.submit_label(sample, "ann", mask(3))
        renamed = client.rename_project(old, new)
        assert (renamed.name, renamed.total, renamed.labeled) == (new, 1, 1)
        assert [c.name for c in renamed.inspection.criteria] == ["object_size"]
        assert np.array_equal(client.get_sample(sample).arrays["label"], mask(3))
        assert client.get_sample(sample).message.project == new
        assert code_of(lambda: client.get_project(old))[0] == grpc.StatusCode.NOT_FOUND


def test_renaming_to_a_name_in_use_is_already_exists(shared_selector):
    selector, a, b = shared_selector, name(shared_selector, "a"), name(shared_selector, "b")
    before = projects(selector)
    with sdk(selector) as client:
        client.create_project(a)
        client.create_project(b)
        code, message = code_of(lambda: client.rename_project(a, b))
        assert code == grpc.StatusCode.ALREADY_EXISTS and f"'{b}'" in message
        assert code_of(lambda: client.create_project(a))[0] == grpc.StatusCode.ALREADY_EXISTS
        assert projects(selector) == sorted(before + [a, b])


def test_only_a_projects_admin_may_delete_or_rename_it(start_service, tmp_path):
    roles = write_roles(tmp_path / "roles.toml", {
        "root": ("root-token", {"*": "admin"}),
        "ann": ("ann-token", {"p": "annotator"}),
        "lead": ("lead-token", {"p": "admin"}),
    })
    selector = start_service("selector", "--roles-file", str(roles))
    with sdk(selector, "root-token") as root:
        root.create_project("p")
        sample = root.add_sample("p", "s", image(0))
    with sdk(selector, "ann-token") as annotator:
        for call in (lambda: annotator.delete_project("p"), lambda: annotator.delete_sample(sample),
                     lambda: annotator.rename_project("p", "q")):
            code, message = code_of(call)
            assert code == grpc.StatusCode.PERMISSION_DENIED and "'ann' may not" in message
    with sdk(selector, "lead-token") as lead:
        code, message = code_of(lambda: lead.rename_project("p", "q"))  # no role under the new name
        assert code == grpc.StatusCode.PERMISSION_DENIED and "'q'" in message
        assert lead.delete_sample(sample).labels == 0
        lead.delete_project("p")
    with sdk(selector, "root-token") as root:
        assert root.list_projects() == []


def test_each_deletion_and_rename_is_in_the_service_log_and_the_projects_history(start_service, tmp_path):
    selector = start_service("selector")
    with sdk(selector) as client:
        client.create_project("p")
        sample = client.add_sample("p", "s", image(0))
        client.add_sample("p", "t", image(1))
        client.delete_sample(sample)
        client.rename_project("p", "q")
        client.delete_project("q")
    selector.stop()
    logged = [json.loads(line) for line in selector.log_file.read_text().splitlines() if line.startswith("{")]
    events = [(e["message"], e.get("project")) for e in logged if e.get("logger") == "labelassist.selector.admin"]
    assert events == [("sample deleted", "p"), ("project renamed", "p"), ("project deleted", "q")]
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'data' / 'selector.sqlite'}")
    with engine.connect() as connection:
        history = connection.execute(sa.text("SELECT project, action, actor, detail FROM project_events "
                                             "ORDER BY id")).all()
    engine.dispose()
    assert [(row.project, row.action, row.actor) for row in history] == [
        ("p", "delete_samples", "local"), ("p", "rename_project", "local"), ("q", "delete_project", "local")]
    assert json.loads(history[0].detail)["samples"] == [{"id": sample, "stem": "s"}]


# -- the CLI ------------------------------------------------------------------

def cli(selector, *args: str, stdin: int | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "LABELASSIST_SELECTOR_ADDRESS": selector.address}
    return subprocess.run([sys.executable, "-m", "labelassist.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120, stdin=stdin, input=input)


def typed_at_a_terminal(selector, text: str, *args: str) -> subprocess.CompletedProcess:
    """The CLI run with a terminal as its standard input, ``text`` typed into it."""
    controller, terminal = pty.openpty()
    try:
        os.write(controller, text.encode())
        return cli(selector, *args, stdin=terminal)
    finally:
        os.close(controller)
        os.close(terminal)


@pytest.fixture
def cli_selector(module_service):
    """The module's selector for the CLI's tests, each in projects named for it alone (``name``)."""
    selector = module_service("selector")
    selector.test_number = next(_TESTS)
    return selector


def test_project_delete_asks_for_the_projects_name_and_keeps_it_on_a_mismatch(cli_selector):
    selector, cells = cli_selector, name(cli_selector, "cells")
    before = projects(selector)
    with sdk(selector) as client:
        client.create_project(cells)
        done = typed_at_a_terminal(selector, f"{cells[:-1]}\n", "project", "delete", cells)
        assert done.returncode == 1 and "not deleted" in done.stderr
        assert projects(selector) == sorted(before + [cells])
        done = typed_at_a_terminal(selector, f"{cells}\n", "project", "delete", cells)
        assert done.returncode == 0, done.stderr
        assert projects(selector) == before


def test_project_delete_without_a_terminal_needs_yes(cli_selector):
    selector, cells = cli_selector, name(cli_selector, "cells")
    before = projects(selector)
    with sdk(selector) as client:
        client.create_project(cells)
        refused = cli(selector, "project", "delete", cells, input=f"{cells}\n")
        assert refused.returncode == 2 and "--yes" in refused.stderr
        assert projects(selector) == sorted(before + [cells])
        done = cli(selector, "project", "delete", cells, "--yes")
        assert done.returncode == 0 and f"{cells}: deleted 0 samples" in done.stdout
        assert projects(selector) == before


def test_project_rename_and_sample_delete_from_the_cli(cli_selector):
    selector = cli_selector
    a, b, c = (name(selector, stem) for stem in "abc")
    before = projects(selector)
    with sdk(selector) as client:
        client.create_project(a)
        client.create_project(b)
        client.add_sample(a, "s1", image(0))
        client.add_sample(a, "s2", image(1))
        taken = cli(selector, "project", "rename", a, b)
        assert taken.returncode == 2 and "ALREADY_EXISTS" in taken.stderr
        assert cli(selector, "project", "rename", a, c).returncode == 0
        listed = cli(selector, "project", "list").stdout.splitlines()
        assert [line.split()[0] for line in listed] == sorted(before + [b, c])
        done = cli(selector, "sample", "delete", c, "s1", "nope")
        assert done.returncode == 1
        assert f"{c}/s1: deleted" in done.stdout and "failed nope: NOT_FOUND" in done.stderr
        assert [s.stem for s in client.iter_samples(c)] == ["s2"]


# -- a failed `project create` leaves no project ---------------------------------

def test_project_create_from_files_none_of_which_reads_leaves_no_project(cli_selector, tmp_path):
    selector, cells = cli_selector, name(cli_selector, "cells")
    before = projects(selector)
    folder = tmp_path / "broken"
    folder.mkdir()
    for file_name in ("a.tif", "b.png"):
        (folder / file_name).write_bytes(b"not an image at all")
    done = cli(selector, "project", "create", cells, "--images", str(folder))
    assert done.returncode == 1
    assert "failed" in done.stderr and f"{cells}: none of 2 files could be read; no project was created" in done.stderr
    assert projects(selector) == before


def test_project_create_the_server_refuses_leaves_no_project(start_service, tmp_path):
    import tifffile

    selector = start_service("selector", "--max-array-bytes", "4096")
    tifffile.imwrite(tmp_path / "big.tif", np.zeros((128, 128), np.uint16))  # 32 KiB: over the server's limit
    done = cli(selector, "project", "create", "cells", "--images", str(tmp_path / "big.tif"))
    assert done.returncode != 0
    with sdk(selector) as client:
        assert client.list_projects() == []


def test_add_with_create_from_a_folder_of_unreadable_images_leaves_no_project(cli_selector, tmp_path):
    selector, cells = cli_selector, name(cli_selector, "cells")
    before = projects(selector)
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "a.png").write_bytes(b"not an image")
    done = cli(selector, "add", str(folder), "--project", cells, "--create")
    assert done.returncode == 1 and f"{cells}: not created" in done.stderr
    assert projects(selector) == before


def test_project_add_to_an_existing_project_keeps_it_when_no_file_reads(cli_selector, tmp_path):
    selector, cells = cli_selector, name(cli_selector, "cells")
    before = projects(selector)
    (tmp_path / "a.tif").write_bytes(b"not an image")
    with sdk(selector) as client:
        client.create_project(cells)
        done = cli(selector, "project", "add", cells, str(tmp_path / "a.tif"))
        assert done.returncode == 1 and "failed" in done.stderr
        assert projects(selector) == sorted(before + [cells])


def test_project_import_with_create_that_imports_nothing_leaves_no_project(cli_selector, tmp_path):
    selector, cells = cli_selector, name(cli_selector, "cells")
    before = projects(selector)
    coco = tmp_path / "annotations.json"
    coco.write_text(json.dumps({"images": [{"id": 1, "file_name": "missing.png", "width": 8, "height": 8}],
                                "annotations": [], "categories": [{"id": 1, "name": "cell"}]}))
    done = cli(selector, "project", "import", cells, str(coco), "--format", "coco", "--create")
    assert done.returncode == 1 and f"{cells}: not created" in done.stderr
    assert projects(selector) == before
