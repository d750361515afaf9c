"""The selector's store: projects, samples, leases and label versions in
SQLite (embedded, WAL) or PostgreSQL, chosen by a database URL; arrays live in
a content-addressed blob folder (:mod:`blobs`), not in rows.

An acknowledged label is durable: its blob is fsynced before the row that
points at it is committed, and SQLite runs with ``synchronous=FULL``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from labelassist.imaging.checks import check_image, check_mask
from labelassist.runtime.errors import ConflictError, NotFoundError
from labelassist.runtime.names import check_sample_name
from labelassist.selector.blobs import BlobStore, array_checksum
from labelassist.selector.schema import (labels, leases, metadata, project_inspection, projects, samples, scores,
                                         skips)
from labelassist.selector.scoring import image_features

ORIGINS = ("manual", "accepted_prelabel", "edited_prelabel", "imported")

@dataclass(frozen=True)
class Project:
    id: int
    name: str
    lease_seconds: float
    strategy: str


@dataclass(frozen=True)
class SampleRow:
    id: int
    project_id: int
    position: int
    stem: str
    sequence: str | None
    image_blob: str
    prelabel_blob: str | None
    features: bytes | None
    labeled: bool


@dataclass(frozen=True)
class LabelVersion:
    sample_id: int
    version: int
    annotator: str
    origin: str
    checksum: str
    created_at: float


def database_cause(error: BaseException) -> str:
    """The driver's first line on why a database call failed, without the SQL."""
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    return lines[0][:200] if lines else type(error).__name__


def check_sample_entry(entry: dict) -> None:
    """A sample to add: a safe stem, an image the services can work on, and
    a label or pre-label of the image's size."""
    check_sample_name(entry.get("stem") or "")
    image = check_image(entry["image"])
    for name in ("label", "prelabel"):
        if entry.get(name) is not None:
            check_mask(entry[name], image.shape, name)
    sequence = entry.get("sequence")
    if sequence is not None and len(sequence) > 200:
        raise ValueError(f"'sequence' has {len(sequence)} characters; at most 200")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # Let SQLAlchemy, not pysqlite, decide when transactions begin (the
    # documented recipe), so BEGIN IMMEDIATE below takes the write lock.
    dbapi_connection.isolation_level = None


def _sqlite_begin_immediate(connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_begin_deferred(connection) -> None:
    connection.exec_driver_sql("BEGIN")


def create_engine(url: str, for_writes: bool = True) -> sa.Engine:
    """An engine; on SQLite, writers take the write lock when they begin
    (BEGIN IMMEDIATE) so two lease decisions never interleave, while readers
    begin deferred and, in WAL mode, never wait for a writer."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate if for_writes else _sqlite_begin_deferred)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                                  connect_args={"connect_timeout": 5} if "psycopg" in url else {})
    if for_writes:
        metadata.create_all(engine)
    return engine


class Store:
    """All selector state behind plain methods; safe to share across threads."""

    def __init__(self, url: str, blob_root: Path):
        self.engine = create_engine(url)
        self.reader = create_engine(url, for_writes=False) if url.startswith("sqlite") else self.engine
        self.blobs = BlobStore(blob_root)
        self.is_postgres = self.engine.dialect.name == "postgresql"

    def problem(self) -> str | None:
        """Why the database cannot be used right now, or None when it answers."""
        try:
            with self.reader.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError as error:
            return f"database unreachable: {database_cause(error)}"
        return None

    def close(self) -> None:
        self.engine.dispose()
        self.reader.dispose()

    def _lock_project(self, connection, project_id: int) -> None:
        """Serialise lease decisions per project (SQLite's BEGIN IMMEDIATE
        already serialises all writers)."""
        if self.is_postgres:
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": project_id})

    # -- projects -----------------------------------------------------------

    def create_project(self, name: str, lease_seconds: float = 1800.0, strategy: str = "sequence_aware",
                       inspection: dict | None = None) -> Project:
        if not name or len(name) > 200:
            raise ValueError("project 'name' must be 1 to 200 characters")
        if not math.isfinite(lease_seconds) or lease_seconds <= 0:
            raise ValueError(f"'lease_seconds' must be positive (a finite number of seconds), got {lease_seconds}")
        try:
            with self.engine.begin() as connection:
                project_id = connection.execute(projects.insert().values(
                    name=name, lease_seconds=lease_seconds, strategy=strategy, created_at=time.time())
                ).inserted_primary_key[0]
                if inspection:
                    connection.execute(project_inspection.insert().values(project_id=project_id,
                                                                          settings=inspection))
        except IntegrityError:
            raise ConflictError(f"project {name!r} already exists") from None
        return Project(project_id, name, lease_seconds, strategy)

    def inspection(self, project: Project) -> dict:
        """The project's inspection settings ({} when it has none)."""
        with self.reader.connect() as connection:
            settings = connection.execute(sa.select(project_inspection.c.settings)
                                          .where(project_inspection.c.project_id == project.id)).scalar()
        return settings or {}

    def set_inspection(self, project: Project, settings: dict) -> None:
        with self.engine.begin() as connection:
            connection.execute(project_inspection.delete().where(project_inspection.c.project_id == project.id))
            if settings:
                connection.execute(project_inspection.insert().values(project_id=project.id, settings=settings))

    def project(self, name: str) -> Project:
        with self.reader.connect() as connection:
            row = connection.execute(sa.select(projects).where(projects.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"no project {name!r}")
        return Project(row.id, row.name, row.lease_seconds, row.strategy)

    def project_name(self, project_id: int) -> str:
        with self.reader.connect() as connection:
            name = connection.execute(sa.select(projects.c.name).where(projects.c.id == project_id)).scalar()
        if name is None:
            raise NotFoundError(f"no project with id {project_id}")
        return name

    def list_projects(self) -> list[Project]:
        with self.reader.connect() as connection:
            rows = connection.execute(sa.select(projects).order_by(projects.c.id)).all()
        return [Project(r.id, r.name, r.lease_seconds, r.strategy) for r in rows]

    # -- samples ------------------------------------------------------------

    def add_samples(self, project: Project, entries: Sequence[dict]) -> int:
        """Add samples: each entry has stem, image, optional sequence,
        prelabel and label (imported as version 1). Returns how many were new.

        Every entry is checked before anything is written, so a bad one
        leaves neither rows nor blobs behind.
        """
        for entry in entries:
            check_sample_entry(entry)
        prepared = []
        for entry in entries:
            prepared.append({**entry, "image_blob": self.blobs.put(entry["image"]),
                             "features": image_features(entry["image"]).tobytes(),
                             "prelabel_blob": self.blobs.put(entry["prelabel"]) if entry.get("prelabel") is not None
                             else None,
                             "label_checksum": self.blobs.put(entry["label"]) if entry.get("label") is not None
                             else None})
        added = 0
        with self.engine.begin() as connection:
            self._lock_project(connection, project.id)
            position = connection.execute(sa.select(sa.func.coalesce(sa.func.max(samples.c.position), -1))
                                          .where(samples.c.project_id == project.id)).scalar_one()
            existing = set(connection.execute(sa.select(samples.c.stem)
                                              .where(samples.c.project_id == project.id)).scalars())
            for entry in prepared:
                if entry["stem"] in existing:
                    continue
                position += 1
                sample_id = connection.execute(samples.insert().values(
                    project_id=project.id, position=position, stem=entry["stem"], sequence=entry.get("sequence"),
                    image_blob=entry["image_blob"], prelabel_blob=entry["prelabel_blob"], features=entry["features"],
                    labeled=entry["label_checksum"] is not None)).inserted_primary_key[0]
                if entry["label_checksum"] is not None:
                    connection.execute(labels.insert().values(
                        sample_id=sample_id, version=1, annotator="import", origin="imported",
                        checksum=entry["label_checksum"], created_at=time.time()))
                existing.add(entry["stem"])
                added += 1
        return added

    def sample(self, sample_id: int) -> SampleRow:
        with self.reader.connect() as connection:
            row = connection.execute(sa.select(samples).where(samples.c.id == sample_id)).first()
        if row is None:
            raise NotFoundError(f"no sample {sample_id}")
        return SampleRow(**row._mapping)

    def sample_by_stem(self, project: Project, stem: str) -> SampleRow:
        with self.reader.connect() as connection:
            row = connection.execute(sa.select(samples).where((samples.c.project_id == project.id)
                                                              & (samples.c.stem == stem))).first()
        if row is None:
            raise NotFoundError(f"no sample {stem!r} in project {project.name!r}")
        return SampleRow(**row._mapping)

    def samples(self, project: Project) -> list[SampleRow]:
        with self.reader.connect() as connection:
            rows = connection.execute(sa.select(samples).where(samples.c.project_id == project.id)
                                      .order_by(samples.c.position)).all()
        return [SampleRow(**r._mapping) for r in rows]

    # -- leases -------------------------------------------------------------

    def lease_next_sample(self, project: Project, annotator: str, ranking, now: float | None = None
                          ) -> tuple[SampleRow, float] | None:
        """Lease the best available sample to ``annotator``.

        ``ranking(candidates, taken)`` orders the unlabelled, unleased samples
        best first; ``taken`` are the labelled or leased ones.
        An annotator who already holds a live lease gets that sample again;
        expired leases return their samples to the pool first.
        """
        if not annotator:
            raise ValueError("'annotator' must be set")
        now = time.time() if now is None else now
        with self.engine.begin() as connection:
            self._lock_project(connection, project.id)
            connection.execute(leases.delete().where((leases.c.project_id == project.id)
                                                     & (leases.c.expires_at <= now)))
            held = connection.execute(
                sa.select(samples, leases.c.expires_at).join(leases, leases.c.sample_id == samples.c.id)
                .where((leases.c.project_id == project.id) & (leases.c.annotator == annotator))).first()
            if held is not None:
                expires_at = now + project.lease_seconds
                connection.execute(leases.update().where(leases.c.sample_id == held.id)
                                   .values(expires_at=expires_at))
                return SampleRow(**{k: v for k, v in held._mapping.items() if k != "expires_at"}), expires_at
            leased = set(connection.execute(sa.select(leases.c.sample_id)
                                            .where(leases.c.project_id == project.id)).scalars())
            rows = [SampleRow(**r._mapping) for r in connection.execute(
                sa.select(samples).where(samples.c.project_id == project.id).order_by(samples.c.position))]
            candidates = [r for r in rows if not r.labeled and r.id not in leased]
            if not candidates:
                return None
            skipped = set(connection.execute(sa.select(skips.c.sample_id).join(samples, samples.c.id == skips.c.sample_id)
                                             .where((samples.c.project_id == project.id)
                                                    & (skips.c.annotator == annotator))).scalars())
            # What the annotator skipped comes back only when nothing else is left.
            candidates = [r for r in candidates if r.id not in skipped] or candidates
            chosen = ranking(candidates, [r for r in rows if r.labeled or r.id in leased])[0]
            expires_at = now + project.lease_seconds
            connection.execute(leases.insert().values(sample_id=chosen.id, project_id=project.id,
                                                      annotator=annotator, expires_at=expires_at))
        return chosen, expires_at

    def release_lease(self, sample_id: int, annotator: str, skip: bool = False, reason: str = "",
                      now: float | None = None) -> bool:
        """Give ``annotator``'s lease on the sample back; with ``skip``,
        record why, so the strategy offers it to them again only last.
        Whether they held a lease on it."""
        if not annotator:
            raise ValueError("'annotator' must be set")
        if len(reason) > 500:
            raise ValueError(f"'reason' has {len(reason)} characters; at most 500")
        row = self.sample(sample_id)
        now = time.time() if now is None else now
        with self.engine.begin() as connection:
            self._lock_project(connection, row.project_id)
            holder = connection.execute(sa.select(leases.c.annotator).where(
                (leases.c.sample_id == sample_id) & (leases.c.expires_at > now))).scalar()
            if holder is not None and holder != annotator:
                raise ConflictError(f"sample {sample_id} is leased to {holder!r}, not {annotator!r}")
            released = connection.execute(leases.delete().where((leases.c.sample_id == sample_id)
                                                                & (leases.c.annotator == annotator))).rowcount > 0
            if skip:
                connection.execute(skips.insert().values(sample_id=sample_id, annotator=annotator,
                                                         reason=reason or "skipped", created_at=now))
        return released

    def skipped_count(self, project: Project) -> int:
        """Unlabelled samples of the project that someone skipped."""
        with self.reader.connect() as connection:
            return int(connection.execute(
                sa.select(sa.func.count(sa.distinct(skips.c.sample_id)))
                .select_from(skips.join(samples, samples.c.id == skips.c.sample_id))
                .where((samples.c.project_id == project.id) & ~samples.c.labeled)).scalar_one())

    # -- labels -------------------------------------------------------------

    def submit_label(self, sample_id: int, annotator: str, mask: np.ndarray, origin: str = "manual",
                     now: float | None = None) -> LabelVersion:
        """Store a new label version and mark the sample labelled.

        The sample must not be leased to someone else; the submitter's own
        lease ends with the submit.
        """
        if origin not in ORIGINS:
            raise ValueError(f"'origin' must be one of {', '.join(ORIGINS)}; got {origin!r}")
        if not annotator:
            raise ValueError("'annotator' must be set")
        row = self.sample(sample_id)
        image = self.blobs.get(row.image_blob)
        if np.asarray(mask).shape != image.shape[:2]:
            raise ValueError(f"shape mismatch: mask is {np.asarray(mask).shape}, sample {row.stem!r} "
                             f"is {image.shape[:2]}")
        check_mask(mask, image.shape)
        checksum = self.blobs.put(mask)  # durable before the row that points at it
        now = time.time() if now is None else now
        with self.engine.begin() as connection:
            self._lock_project(connection, row.project_id)
            holder = connection.execute(sa.select(leases.c.annotator).where(
                (leases.c.sample_id == sample_id) & (leases.c.expires_at > now))).scalar()
            if holder is not None and holder != annotator:
                raise ConflictError(f"sample {sample_id} is leased to {holder!r}, not {annotator!r}")
            version = connection.execute(sa.select(sa.func.coalesce(sa.func.max(labels.c.version), 0))
                                         .where(labels.c.sample_id == sample_id)).scalar_one() + 1
            connection.execute(labels.insert().values(sample_id=sample_id, version=version, annotator=annotator,
                                                      origin=origin, checksum=checksum, created_at=now))
            connection.execute(samples.update().where(samples.c.id == sample_id).values(labeled=True))
            connection.execute(leases.delete().where(leases.c.sample_id == sample_id))
        return LabelVersion(sample_id, version, annotator, origin, checksum, now)

    def label_history(self, sample_id: int) -> list[LabelVersion]:
        with self.reader.connect() as connection:
            rows = connection.execute(sa.select(labels).where(labels.c.sample_id == sample_id)
                                      .order_by(labels.c.version)).all()
        return [LabelVersion(r.sample_id, r.version, r.annotator, r.origin, r.checksum, r.created_at) for r in rows]

    def latest_label(self, sample_id: int) -> tuple[LabelVersion, np.ndarray] | None:
        history = self.label_history(sample_id)
        if not history:
            return None
        latest = history[-1]
        return latest, self.blobs.get(latest.checksum)

    # -- model scores ---------------------------------------------------------

    def unscored_samples(self, version: int, limit: int = 16) -> list[SampleRow]:
        """Unlabelled samples of any project without scores from ``version``."""
        scored = sa.select(scores.c.sample_id).where(scores.c.model_version == version)
        with self.reader.connect() as connection:
            rows = connection.execute(sa.select(samples).where(~samples.c.labeled & samples.c.id.not_in(scored))
                                      .order_by(samples.c.id).limit(limit)).all()
        return [SampleRow(**r._mapping) for r in rows]

    def save_scores(self, sample_id: int, version: int, values: np.ndarray, embedding: np.ndarray) -> None:
        with self.engine.begin() as connection:
            connection.execute(scores.delete().where((scores.c.sample_id == sample_id)
                                                     & (scores.c.model_version == version)))
            connection.execute(scores.insert().values(
                sample_id=sample_id, model_version=version, values=np.asarray(values, np.float32).tobytes(),
                embedding=np.asarray(embedding, np.float32).tobytes()))

    def latest_scores(self, sample_ids: Sequence[int]) -> tuple[int | None, dict[int, tuple[np.ndarray, np.ndarray]]]:
        """The newest model version that scored any of ``sample_ids``, and
        those samples' (values, embedding) from it."""
        if not sample_ids:
            return None, {}
        with self.reader.connect() as connection:
            version = connection.execute(sa.select(sa.func.max(scores.c.model_version))
                                         .where(scores.c.sample_id.in_(list(sample_ids)))).scalar()
            if version is None:
                return None, {}
            rows = connection.execute(sa.select(scores).where((scores.c.model_version == version)
                                                              & scores.c.sample_id.in_(list(sample_ids)))).all()
        return version, {r.sample_id: (np.frombuffer(r.values, np.float32), np.frombuffer(r.embedding, np.float32))
                         for r in rows}

    def scored_count(self, project: Project, version: int) -> int:
        with self.reader.connect() as connection:
            return int(connection.execute(
                sa.select(sa.func.count()).select_from(scores.join(samples, samples.c.id == scores.c.sample_id))
                .where((samples.c.project_id == project.id) & (scores.c.model_version == version))).scalar_one())

    def progress(self, project: Project) -> tuple[int, int, dict[str, int]]:
        """Labelled and total samples, and labels submitted per annotator."""
        with self.reader.connect() as connection:
            total, labeled = connection.execute(
                sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((samples.c.labeled, 1), else_=0)), 0))
                .where(samples.c.project_id == project.id)).one()
            per_annotator = connection.execute(
                sa.select(labels.c.annotator, sa.func.count(sa.distinct(labels.c.sample_id)))
                .join(samples, samples.c.id == labels.c.sample_id)
                .where((samples.c.project_id == project.id) & (labels.c.origin != "imported"))
                .group_by(labels.c.annotator)).all()
        return int(labeled), int(total), {name: int(count) for name, count in per_annotator}


__all__ = ["Store", "Project", "SampleRow", "LabelVersion", "ORIGINS", "array_checksum"]
