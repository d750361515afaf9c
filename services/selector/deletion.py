"""Deleting samples and projects, renaming projects, and each project's
history of such changes: part of the selector's store.

A deletion removes the rows in one transaction, then, in a second, the
blobs (images, pre-labels, label versions) that no row refers to any more.
Blobs are shared by content, so one that another sample or project still
uses stays. The second transaction holds the blob lock (SQLite's single
writer; a PostgreSQL advisory lock) that every write reusing a blob takes
too (:meth:`Store._keep_blobs`), so a blob is never removed under a row
that has just come to refer to it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from labelassist.runtime.errors import AlreadyExistsError, NotFoundError
from labelassist.selector import class_index, class_stamps
from labelassist.selector.schema import (PROJECT_SETTINGS, annotator_counts, class_counts, class_scores,
                                         class_scoring, finding_answers, gold_labels, label_classes, label_sources,
                                         labels, leases, project_counts, project_events, projects, ranked, rankings,
                                         reviews, sample_classes, samples, scored_counts, scores, skips)
from labelassist.selector.store import BLOB_LOCK, Project, Store

CHUNK = 500  # ids or checksums per IN (...) list


@dataclass(frozen=True)
class Removed:
    """What a deletion removed."""
    samples: int
    labels: int
    blobs: int


def delete_samples(store: Store, project: Project, sample_ids: Sequence[int], actor: str) -> Removed:
    """Delete samples of ``project`` with their label versions, reviews,
    skips, leases and scores, and the blobs nothing else refers to.

    Raises
    ------
    NotFoundError
        A sample id is not one of the project's: nothing is deleted.
    """
    wanted = sorted(set(sample_ids))
    with store.engine.begin() as connection:
        store.lock_project(connection, project.id)
        rows = connection.execute(sa.select(samples.c.id, samples.c.stem, samples.c.image_blob,
                                            samples.c.prelabel_blob)
                                  .where((samples.c.project_id == project.id) & samples.c.id.in_(wanted))).all()
        missing = set(wanted) - {row.id for row in rows}
        if missing:
            raise NotFoundError(f"project {project.name!r} has no sample {', '.join(map(str, sorted(missing)))} "
                                "(deleted already, or of another project)")
        candidates = {row.image_blob for row in rows} | {row.prelabel_blob for row in rows if row.prelabel_blob}
        checksums = connection.execute(sa.select(labels.c.checksum).where(labels.c.sample_id.in_(wanted))).scalars()
        label_blobs = list(checksums)
        candidates |= set(label_blobs) | set(connection.execute(
            sa.select(gold_labels.c.checksum).where(gold_labels.c.sample_id.in_(wanted))).scalars())
        _delete_sample_rows(connection, wanted)
        _recount(store, connection, project.id)
        _record(connection, project, "delete_samples", actor,
                {"samples": [{"id": row.id, "stem": row.stem} for row in rows], "labels": len(label_blobs)})
    return Removed(len(rows), len(label_blobs), collect_blobs(store, candidates))


def delete_project(store: Store, project: Project, actor: str) -> Removed:
    """Delete the project, its samples, labels, settings and queues, and
    the blobs no other project refers to. Its history stays."""
    in_project = sa.select(samples.c.id).where(samples.c.project_id == project.id)
    with store.engine.begin() as connection:
        store.lock_project(connection, project.id)
        if connection.execute(sa.select(projects.c.id).where(projects.c.id == project.id)).first() is None:
            raise NotFoundError(f"no project {project.name!r}: deleted already")
        candidates = set(connection.execute(sa.select(samples.c.image_blob).where(
            samples.c.project_id == project.id)).scalars())
        candidates |= set(connection.execute(sa.select(samples.c.prelabel_blob).where(
            (samples.c.project_id == project.id) & samples.c.prelabel_blob.is_not(None))).scalars())
        label_blobs = connection.execute(sa.select(labels.c.checksum).where(labels.c.sample_id.in_(in_project))
                                         ).scalars().all()
        candidates |= set(label_blobs) | set(connection.execute(
            sa.select(gold_labels.c.checksum).where(gold_labels.c.project_id == project.id)).scalars())
        count = connection.execute(sa.select(sa.func.count()).where(samples.c.project_id == project.id)).scalar_one()
        for table in (ranked, leases, rankings, project_counts, annotator_counts, scored_counts, class_scoring,
                      class_counts, finding_answers, gold_labels, *PROJECT_SETTINGS.values()):
            connection.execute(table.delete().where(table.c.project_id == project.id))
        for table in (skips, reviews, label_sources, label_classes, sample_classes, labels, scores, class_scores):
            connection.execute(table.delete().where(table.c.sample_id.in_(in_project)))
        connection.execute(samples.delete().where(samples.c.project_id == project.id))
        connection.execute(projects.delete().where(projects.c.id == project.id))
        _record(connection, project, "delete_project", actor, {"samples": count, "labels": len(label_blobs)})
    return Removed(count, len(label_blobs), collect_blobs(store, candidates))


def rename_project(store: Store, project: Project, new_name: str, actor: str) -> Project:
    """The project under ``new_name``; its samples, labels and settings stay.

    Raises
    ------
    AlreadyExistsError
        Another project has that name.
    """
    if not new_name or len(new_name) > 200:
        raise ValueError("the new project name must be 1 to 200 characters")
    if new_name == project.name:
        raise ValueError(f"project {project.name!r} has that name already")
    try:
        with store.engine.begin() as connection:
            store.lock_project(connection, project.id)
            if not connection.execute(projects.update().where(projects.c.id == project.id)
                                      .values(name=new_name)).rowcount:
                raise NotFoundError(f"no project {project.name!r}: deleted or renamed meanwhile")
            _record(connection, project, "rename_project", actor, {"from": project.name, "to": new_name})
    except IntegrityError:
        raise AlreadyExistsError(f"a project named {new_name!r} exists already; choose another name") from None
    return replace(project, name=new_name)


def project_history(store: Store, project_id: int) -> list[dict]:
    """What was done to the project (renamed, samples deleted, deleted), oldest first."""
    with store.reader.connect() as connection:
        rows = connection.execute(sa.select(project_events).where(project_events.c.project_id == project_id)
                                  .order_by(project_events.c.id)).all()
    return [row._asdict() for row in rows]


def collect_blobs(store: Store, candidates: Iterable[str]) -> int:
    """Remove the blobs among ``candidates`` that no sample or label refers
    to; how many. Under the blob lock, so no write reusing one interleaves."""
    candidates = sorted(set(candidates))
    if not candidates:
        return 0
    with store.engine.begin() as connection:
        if store.is_postgres:
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": BLOB_LOCK})
        referenced: set[str] = set()
        for start in range(0, len(candidates), CHUNK):
            chunk = candidates[start:start + CHUNK]
            for column in (samples.c.image_blob, samples.c.prelabel_blob, labels.c.checksum, gold_labels.c.checksum):
                referenced |= set(connection.execute(sa.select(column).where(column.in_(chunk)).distinct()).scalars())
        unreferenced = [checksum for checksum in candidates if checksum not in referenced]
        store.blobs.delete(unreferenced)
    return len(unreferenced)


def _delete_sample_rows(connection, sample_ids: Sequence[int]) -> None:
    for start in range(0, len(sample_ids), CHUNK):
        chunk = sample_ids[start:start + CHUNK]
        for table in (leases, skips, reviews, label_sources, label_classes, sample_classes, gold_labels, labels,
                      scores, class_scores, ranked):
            connection.execute(table.delete().where(table.c.sample_id.in_(chunk)))
        connection.execute(samples.delete().where(samples.c.id.in_(chunk)))


def _recount(store: Store, connection, project_id: int) -> None:
    """The project's counts computed again from its remaining rows."""
    connection.execute(project_counts.delete().where(project_counts.c.project_id == project_id))
    store._count(connection, project_id, 0, 0)  # with no counts row, it counts from the rows
    class_stamps.moved(connection, project_id)
    class_index.recount(connection, project_id)
    connection.execute(scored_counts.delete().where(scored_counts.c.project_id == project_id))
    per_version = connection.execute(
        sa.select(scores.c.model_version, sa.func.count()).join(samples, samples.c.id == scores.c.sample_id)
        .where(samples.c.project_id == project_id).group_by(scores.c.model_version)).all()
    if per_version:
        connection.execute(scored_counts.insert(), [{"project_id": project_id, "model_version": int(version),
                                                     "scored": int(count)} for version, count in per_version])
    class_scored = sa.select(sa.func.count()).select_from(class_scores).join(
        samples, samples.c.id == class_scores.c.sample_id).where(
        (samples.c.project_id == project_id) & (class_scores.c.model_version == class_scoring.c.model_version)
    ).scalar_subquery()
    connection.execute(class_scoring.update().where(class_scoring.c.project_id == project_id)
                       .values(scored=class_scored))


def _record(connection, project: Project, action: str, actor: str, detail: dict) -> None:
    connection.execute(project_events.insert().values(project_id=project.id, project=project.name, action=action,
                                                      actor=actor, detail=detail, created_at=time.time()))
