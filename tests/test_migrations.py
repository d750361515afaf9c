"""Upgrades keep an institute's data: a selector opens the data of release
0.1 (tests/fixtures/store-0.1, made by that release's own selector with
tests/fixtures/make_store_fixture.py), brings its schema to the newest
revision, and serves every image and label version byte for byte."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.proto.v1 import selector_pb2

RELEASE_0_1 = Path(__file__).parent / "fixtures" / "store-0.1"
MANIFEST = json.loads((RELEASE_0_1 / "manifest.json").read_text())


def digest(array: np.ndarray) -> dict:
    array = np.ascontiguousarray(array)
    return {"dtype": array.dtype.str, "shape": list(array.shape), "sha256": hashlib.sha256(array.tobytes()).hexdigest()}


def served_as_released(client: LabelAssistClient) -> dict:
    """What the selector serves, in the manifest's form."""
    projects = []
    for project in client.list_projects():
        entries = []
        for info in client.iter_samples(project.name):
            envelope = client.get_sample(info.sample_id)
            versions = []
            for version in client.label_history(info.sample_id):
                label = client.get_sample(info.sample_id, with_image=False, label_version=version.version)
                versions.append({"version": version.version, "annotator": version.annotator,
                                 "origin": selector_pb2.LabelOrigin.Name(version.origin),
                                 **digest(label.arrays["label"])})
            entries.append({"stem": info.stem, "sequence": info.sequence, "labeled": info.labeled,
                            "image": digest(envelope.arrays["image"]),
                            "prelabel": digest(envelope.arrays["prelabel"]) if "prelabel" in envelope.arrays
                            else None, "review": info.review, "labels": versions})
        progress = client.progress(project.name)
        projects.append({"name": project.name, "strategy": project.strategy, "lease_seconds": project.lease_seconds,
                         "total": project.total, "labeled": project.labeled, "skipped": progress.skipped,
                         "samples": entries})
    return {"release": MANIFEST["release"], "projects": projects}


def release_data(tmp_path: Path) -> Path:
    """A copy of release 0.1's data folder where start_service looks (tmp_path/data)."""
    data = tmp_path / "data"
    shutil.copytree(RELEASE_0_1, data, ignore=shutil.ignore_patterns("*.json", "*.sql"))
    return data


def release_postgres(url: str) -> None:
    """Release 0.1's database on PostgreSQL: the release's own DDL
    (schema-postgresql.sql, emitted by the release), then every row of the
    SQLite fixture, and the id sequences set past them."""
    source = sa.create_engine(f"sqlite:///{RELEASE_0_1 / 'selector.sqlite'}")
    target = sa.create_engine(url)
    try:
        with target.begin() as connection:
            connection.exec_driver_sql((RELEASE_0_1 / "schema-postgresql.sql").read_text())
        read, write = sa.MetaData(), sa.MetaData()
        read.reflect(source)
        write.reflect(target)
        with source.connect() as reading, target.begin() as writing:
            for table in write.sorted_tables:
                rows = [dict(row._mapping) for row in reading.execute(sa.select(read.tables[table.name]))]
                if rows:
                    writing.execute(table.insert(), rows)
                if "id" in table.c and rows:
                    writing.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                            f"(SELECT max(id) FROM {table.name}))"))
    finally:
        source.dispose()
        target.dispose()


def schema_revision(url: str) -> str | None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def dump(database: Path) -> list[str]:
    """The SQLite database's schema and rows as SQL statements."""
    connection = sqlite3.connect(database)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def head_revision() -> str:
    from labelassist.selector.migrate import head_revision

    return head_revision()


def test_the_fixture_is_a_release_0_1_database_without_a_revision():
    assert schema_revision(f"sqlite:///{RELEASE_0_1 / 'selector.sqlite'}") is None
    assert sum(len(p["samples"]) for p in MANIFEST["projects"]) == 6
    assert sum(len(s["labels"]) for p in MANIFEST["projects"] for s in p["samples"]) == 5


def test_a_selector_serves_release_0_1_sqlite_data_byte_for_byte(tmp_path, start_service):
    data = release_data(tmp_path)
    selector = start_service("selector")
    with LabelAssistClient(ServiceAddresses(selector=selector.address), timeout=60) as client:
        assert served_as_released(client) == MANIFEST
        cells = client.get_project("cells")
        assert [c.name for c in cells.inspection.criteria] == ["object_size"]
        assert cells.assist.method.name == "otsu"
    assert schema_revision(f"sqlite:///{data / 'selector.sqlite'}") == head_revision()


def test_upgraded_release_0_1_data_takes_new_labels(tmp_path, start_service):
    release_data(tmp_path)
    selector = start_service("selector")
    with LabelAssistClient(ServiceAddresses(selector=selector.address), timeout=60) as client:
        sample = next(s for s in client.iter_samples("cells") if s.stem == "cell-3")
        mask = np.ones((24, 20), np.uint16)
        assert client.submit_label(sample.sample_id, "erin", mask).version == 1
        assert client.get_project("cells").labeled == 4


def test_a_second_start_finds_the_schema_current_and_changes_nothing(tmp_path, start_service):
    data = release_data(tmp_path)
    start_service("selector").stop()
    before = dump(data / "selector.sqlite")
    selector = start_service("selector")
    selector.stop()
    assert "upgraded" not in selector.log_file.read_text()
    assert schema_revision(f"sqlite:///{data / 'selector.sqlite'}") == head_revision()
    assert dump(data / "selector.sqlite") == before


def test_a_database_of_a_newer_release_is_refused_untouched(tmp_path):
    data = release_data(tmp_path)
    url = f"sqlite:///{data / 'selector.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        connection.execute(sa.text("INSERT INTO alembic_version VALUES ('r9999')"))
    engine.dispose()
    done = subprocess.run([sys.executable, "-m", "labelassist.selector", "--host", "127.0.0.1", "--port", "0",
                           "--data-dir", str(data)], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "schema revision 'r9999', newer than this selector knows" in done.stderr
    assert "Traceback" not in done.stderr
    assert schema_revision(url) == "r9999"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migrations_build_the_schema_the_code_declares(backend, tmp_path, request):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from labelassist.selector.database import create_engine
    from labelassist.selector.schema import metadata

    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_a_selector_serves_release_0_1_postgresql_data_byte_for_byte(tmp_path, start_service, postgres_url):
    release_postgres(postgres_url)
    assert schema_revision(postgres_url) is None
    blobs = shutil.copytree(RELEASE_0_1 / "blobs", tmp_path / "blobs")
    selector = start_service("selector", "--database-url", postgres_url, "--blob-url", str(blobs))
    with LabelAssistClient(ServiceAddresses(selector=selector.address), timeout=60) as client:
        assert served_as_released(client) == MANIFEST
        sample = next(s for s in client.iter_samples("cells") if s.stem == "cell-3")
        assert client.submit_label(sample.sample_id, "erin", np.ones((24, 20), np.uint16)).version == 1
        assert client.create_project("after the upgrade").name == "after the upgrade"
    assert schema_revision(postgres_url) == head_revision()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_database_of_an_older_build_gets_the_columns_it_lacks_when_the_selector_starts(backend, tmp_path,
                                                                                        request):
    from labelassist.selector.database import create_engine

    if backend == "sqlite":
        url = f"sqlite:///{release_data(tmp_path) / 'selector.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
        release_postgres(url)
    older = sa.create_engine(url)
    with older.begin() as connection:  # as a build before release 0.1 left it
        connection.execute(sa.text("ALTER TABLE samples DROP COLUMN origin"))
    older.dispose()
    for _ in range(2):  # a second start (another replica) finds it there
        engine = create_engine(url)
        assert "origin" in {c["name"] for c in sa.inspect(engine).get_columns("samples")}
        engine.dispose()
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM samples WHERE origin IS NULL")).scalar() == 6
    engine.dispose()
    assert schema_revision(url) == head_revision()


def test_selectors_starting_together_on_release_0_1_postgresql_upgrade_it_once(tmp_path, postgres_url):
    release_postgres(postgres_url)
    blobs = shutil.copytree(RELEASE_0_1 / "blobs", tmp_path / "blobs")
    flags = ("--database-url", postgres_url, "--blob-url", str(blobs))
    processes = []
    try:
        starting = [subprocess.Popen([sys.executable, "-m", "labelassist.selector", "--host", "127.0.0.1",
                                      "--port", "0", "--data-dir", str(tmp_path / f"replica-{index}"),
                                      "--ready-file", str(tmp_path / f"ready-{index}.json"), *flags],
                                     stdout=subprocess.DEVNULL, stderr=open(tmp_path / f"replica-{index}.log", "wb"))
                    for index in range(3)]
        processes = starting
        for index, process in enumerate(starting):
            ready = tmp_path / f"ready-{index}.json"
            deadline = time.monotonic() + 90
            while not ready.exists():
                assert process.poll() is None, (tmp_path / f"replica-{index}.log").read_text()[-3000:]
                assert time.monotonic() < deadline
                time.sleep(0.1)
        logs = [(tmp_path / f"replica-{index}.log").read_text() for index in range(3)]
        assert sum("database schema upgraded" in log for log in logs) == 1
        address = json.loads((tmp_path / "ready-2.json").read_text())["address"]
        with LabelAssistClient(ServiceAddresses(selector=address), timeout=60) as client:
            assert served_as_released(client) == MANIFEST
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
    assert schema_revision(postgres_url) == head_revision()
