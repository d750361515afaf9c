"""The selector's store: projects, samples, leases and label versions in
SQLite (embedded, WAL) or PostgreSQL, chosen by a database URL; arrays live in
a content-addressed blob folder (:mod:`blobs`), not in rows.

An acknowledged label is durable: its blob is fsynced before the row that
points at it is committed, and SQLite runs with ``synchronous=FULL``.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from labelassist.imaging.checks import check_mask
from labelassist.runtime.errors import AlreadyExistsError, NotFoundError
from labelassist.selector import class_index, class_records, class_stamps, leasing, overlap
from labelassist.selector.blobs import DEFAULT_BLOB_SYNC, array_checksum, open_blob_store
from labelassist.selector.database import create_engine, database_cause, insert_rows
from labelassist.selector.schema import (annotator_counts, gold_labels, labels, project_counts, PROJECT_SETTINGS,
                                         projects, ranked, samples, skips)
from labelassist.selector.records import (  # noqa: F401 - the store's records, imported from here too
    DERIVED_ORIGINS, ORIGINS, LabelVersion, Project, SampleRow, check_sample_entry, import_annotator, origin_text)
from labelassist.selector.label_records import LabelRecords
from labelassist.selector.review_records import ReviewRecords
from labelassist.selector.score_records import ScoreRecords
from labelassist.selector.scoring import image_features

# PostgreSQL advisory lock over the blob store: a deletion's collection of
# unreferenced blobs holds it alone, a write that reuses a blob shares it.
BLOB_LOCK = 0x1A5E_0002
# A sample's columns but the image features, which listings never need.
LISTED_COLUMNS = [column for column in samples.c if column.name != "features"]
MAX_ROW_ID = (1 << 63) - 1  # the largest id a SQLite INTEGER or PostgreSQL BIGINT holds


def row_id(value: int, name: str = "sample_id") -> int:
    """An id from a request, refused with a ``ValueError`` naming it when no row can have it."""
    value = int(value)
    if not 0 <= value <= MAX_ROW_ID:
        raise ValueError(f"'{name}' {value} is out of range: ids lie between 1 and {MAX_ROW_ID}")
    return value

class Store(ScoreRecords, ReviewRecords, LabelRecords):
    """All selector state behind plain methods; safe to share across threads."""

    def __init__(self, url: str, blob_root: Path | str, blob_sync: str = DEFAULT_BLOB_SYNC):
        """``blob_root``: a folder or an ``s3://`` URL, ``blob_sync`` how a
        folder's new files are flushed (see :func:`~labelassist.selector.blobs.open_blob_store`)."""
        self.engine = create_engine(url)
        self.reader = create_engine(url, for_writes=False) if url.startswith("sqlite") else self.engine
        self.blobs = open_blob_store(blob_root, blob_sync)
        self.is_postgres = self.engine.dialect.name == "postgresql"
        # Lease transactions: on PostgreSQL, sessions that do not wait for the log flush.
        self.lease_engine = create_engine(url, for_writes=False, durable=False) if self.is_postgres else self.engine
        self._settings_read: dict[tuple[int, str], tuple[dict, float]] = {}
        # Registration writes a batch's blobs several at a time.
        self._prepare_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="blob-write")

    def problem(self) -> str | None:
        """Why the database or the blob store cannot be used right now, or
        None when both answer."""
        try:
            with self.reader.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError as error:
            return f"database unreachable: {database_cause(error)}"
        return self.blobs.problem()

    def close(self) -> None:
        self._prepare_pool.shutdown(wait=False)
        self.engine.dispose()
        self.reader.dispose()
        self.lease_engine.dispose()

    def lock_project(self, connection, project_id: int) -> None:
        """Serialise lease decisions and other writes that read before they
        write, per project, within ``connection``'s transaction (SQLite's
        BEGIN IMMEDIATE already serialises all writers)."""
        if self.is_postgres:
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": project_id})

    # -- projects -----------------------------------------------------------

    def create_project(self, name: str, lease_seconds: float = 1800.0, strategy: str = "sequence_aware",
                       settings: dict[str, dict] | None = None) -> Project:
        """A new project; ``settings`` by kind ("inspection", "assist")."""
        if not name or len(name) > 200:
            raise ValueError("project 'name' must be 1 to 200 characters")
        if not math.isfinite(lease_seconds) or lease_seconds <= 0:
            raise ValueError(f"'lease_seconds' must be positive (a finite number of seconds), got {lease_seconds}")
        try:
            with self.engine.begin() as connection:
                stamp = class_stamps.initial()
                project_id = connection.execute(projects.insert().values(
                    name=name, lease_seconds=lease_seconds, strategy=strategy, created_at=time.time(),
                    class_stamp=stamp, schema_stamp=stamp)).inserted_primary_key[0]
                for kind, values in (settings or {}).items():
                    if values:
                        connection.execute(PROJECT_SETTINGS[kind].insert().values(project_id=project_id,
                                                                                   settings=values))
        except IntegrityError:
            raise AlreadyExistsError(f"project {name!r} already exists; choose another name, or delete it "
                                     f"first (labelassist project delete)") from None
        return Project(project_id, name, lease_seconds, strategy, stamp, stamp)

    def settings(self, project: Project, kind: str, max_age: float = 0.0) -> dict:
        """The project's settings of ``kind`` ("inspection", "assist"); {} when it has none. With ``max_age``,
        as read within that many seconds (another selector's change shows within it; this one's at once)."""
        remembered = self._settings_read.get((project.id, kind))
        if remembered is not None and time.monotonic() - remembered[1] < max_age:
            return remembered[0]
        table = PROJECT_SETTINGS[kind]
        with self.reader.connect() as connection:
            values = connection.execute(sa.select(table.c.settings).where(table.c.project_id == project.id)).scalar()
        self._settings_read[(project.id, kind)] = (values or {}, time.monotonic())
        return values or {}

    def all_settings(self, kind: str) -> dict[int, dict]:
        """Every project's settings of ``kind`` by project id, in one query."""
        with self.reader.connect() as connection:
            return {row.project_id: row.settings for row in connection.execute(sa.select(PROJECT_SETTINGS[kind]))}

    def set_settings(self, project: Project, kind: str, values: dict) -> None:
        table = PROJECT_SETTINGS[kind]
        self._settings_read.pop((project.id, kind), None)
        with self.engine.begin() as connection:
            connection.execute(table.delete().where(table.c.project_id == project.id))
            if values:
                connection.execute(table.insert().values(project_id=project.id, settings=values))

    def project(self, name: str) -> Project:
        """The project by name, read on every call: another selector may
        have renamed or deleted it."""
        with self.reader.connect() as connection:
            row = connection.execute(sa.select(projects).where(projects.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"no project {name!r} (labelassist project list shows those there are)")
        return Project.from_row(row)

    def project_name(self, project_id: int) -> str:
        with self.reader.connect() as connection:
            name = connection.execute(sa.select(projects.c.name).where(projects.c.id == project_id)).scalar()
        if name is None:
            raise NotFoundError(f"no project with id {project_id}")
        return name

    def list_projects(self) -> list[Project]:
        with self.reader.connect() as connection:
            rows = connection.execute(sa.select(projects).order_by(projects.c.id)).all()
        return [Project.from_row(r) for r in rows]

    # -- samples ------------------------------------------------------------

    def add_samples(self, project: Project, entries: Sequence[dict], batch: int = 2000) -> int:
        """Add samples: each entry has stem, image, optional sequence,
        prelabel and label (imported as version 1). Returns how many were new.

        Every entry is checked before anything is written, so a bad one
        leaves neither rows nor blobs behind. Blobs and features (on a
        thumbnail) are made outside the transaction and the blobs flushed
        once per batch; rows go in ``batch`` at a time.
        """
        for entry in entries:
            check_sample_entry(entry)
        added = 0
        for start in range(0, len(entries), batch):
            added += self._add_batch(project, *self._prepare(entries[start:start + batch]))
        return added

    def refresh_statistics(self) -> None:
        """Let the query planner see the tables as they are after a bulk
        load (PostgreSQL's autovacuum would, later): index range scans for
        pages of the pool, not scans of the whole table."""
        with self.engine.connect() as connection:
            connection.execute(sa.text("ANALYZE samples, scores, ranked, leases" if self.is_postgres
                                       else "ANALYZE"))
            connection.commit()

    def _prepare(self, entries: Sequence[dict]) -> tuple[list[dict], dict[str, np.ndarray]]:
        """Blobs written (not yet flushed) and features computed, outside any
        transaction and several entries at a time (hashing, compression and
        file creation leave the interpreter's lock); also the blobs that
        were there already, by checksum."""
        written: list[str] = []
        reused: dict[str, np.ndarray] = {}

        def put(array) -> str | None:
            if array is None:
                return None
            checksum, new = self.blobs.put_new(array)
            if new:
                written.append(checksum)
            else:
                reused[checksum] = array
            return checksum

        def prepare(entry: dict) -> dict:
            return {"stem": entry["stem"], "sequence": entry.get("sequence"), "origin": origin_text(entry.get("origin")),
                    "image_blob": put(entry["image"]), "features": image_features(entry["image"]).tobytes(),
                    "prelabel_blob": put(entry.get("prelabel")), "label_checksum": put(entry.get("label")),
                    "annotator": import_annotator(entry), "gold": bool(entry.get("gold")),
                    "classes": entry.get("classes") or {},
                    "unclassified": class_index.has_unclassified(entry.get("label"), entry.get("classes"))}

        prepared = list(self._prepare_pool.map(prepare, entries)) if len(entries) > 1 else [prepare(entries[0])]
        # One flush for the whole batch: durable before any row points at a blob (one found already there
        # too: another writer's, not flushed yet, may be what this batch's rows point at).
        self.blobs.sync([*written, *reused])
        return prepared, reused

    def _keep_blobs(self, connection, reused: Mapping[str, np.ndarray]) -> None:
        """Blobs that rows of this transaction will refer to and that were
        there already: a deletion collecting unreferenced blobs at the same
        time waits for this transaction (or this one for it), and any it
        removed in between is put back."""
        if not reused:
            return
        if self.is_postgres:
            connection.execute(sa.text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": BLOB_LOCK})
        for checksum, array in reused.items():
            if not self.blobs.exists(checksum):
                self.blobs.put(array)

    def _add_batch(self, project: Project, prepared: list[dict], reused: Mapping[str, np.ndarray]) -> int:
        shared = self.settings(project, "overlap")
        with self.engine.begin() as connection:
            self.lock_project(connection, project.id)
            if connection.execute(sa.select(projects.c.id).where(projects.c.id == project.id)).first() is None:
                raise NotFoundError(f"project {project.name!r} was deleted while samples were being added")
            self._keep_blobs(connection, reused)
            position = connection.execute(sa.select(sa.func.coalesce(sa.func.max(samples.c.position), -1))
                                          .where(samples.c.project_id == project.id)).scalar_one()
            stems = [entry["stem"] for entry in prepared]
            existing = set(connection.execute(sa.select(samples.c.stem).where(
                (samples.c.project_id == project.id) & samples.c.stem.in_(stems))).scalars())
            rows, imported, gold = [], {}, {}
            for entry in prepared:
                if entry["stem"] in existing:
                    continue
                position += 1
                existing.add(entry["stem"])
                labelled = entry["label_checksum"] is not None and not entry["gold"]
                rows.append({"project_id": project.id, "position": position, "stem": entry["stem"],
                             "sequence": entry["sequence"], "image_blob": entry["image_blob"],
                             "prelabel_blob": entry["prelabel_blob"], "features": entry["features"],
                             "origin": entry["origin"], "labeled": labelled,
                             "needed": overlap.wanted(shared, entry["stem"], entry["gold"]) - labelled})
                if labelled:
                    imported[entry["stem"]] = (entry["label_checksum"], entry["annotator"], entry["classes"],
                                              entry["unclassified"])
                elif entry["gold"] and entry["label_checksum"] is not None:
                    gold[entry["stem"]] = entry["label_checksum"]
            insert_rows(connection, samples, rows)
            if gold:
                ids = connection.execute(sa.select(samples.c.stem, samples.c.id).where(
                    (samples.c.project_id == project.id) & samples.c.stem.in_(list(gold)))).all()
                connection.execute(gold_labels.insert(), [
                    {"sample_id": sample_id, "project_id": project.id, "checksum": gold[stem],
                     "created_at": time.time()} for stem, sample_id in ids])
            if imported:
                ids = connection.execute(sa.select(samples.c.stem, samples.c.id).where(
                    (samples.c.project_id == project.id) & samples.c.stem.in_(list(imported)))).all()
                connection.execute(labels.insert(), [
                    {"sample_id": sample_id, "version": 1, "annotator": imported[stem][1], "origin": "imported",
                     "checksum": imported[stem][0], "created_at": time.time()} for stem, sample_id in ids])
                for stem, sample_id in ids:
                    class_records.write(connection, sample_id, 1, *imported[stem][2:])
                class_stamps.moved(connection, project.id)
            self._count(connection, project.id, len(rows), len(imported))
        return len(rows)

    def _count(self, connection, project_id: int, added: int, labeled: int, annotator: str | None = None) -> None:
        """Keep the project's counts in step with its rows (inside the
        caller's transaction): samples, labelled samples, and samples per
        annotator (``annotator`` labelled one for the first time)."""
        if not connection.execute(sa.select(project_counts.c.project_id)
                                  .where(project_counts.c.project_id == project_id)).first():
            total, done = connection.execute(
                sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((samples.c.labeled, 1), else_=0)), 0))
                .where(samples.c.project_id == project_id)).one()
            connection.execute(project_counts.insert().values(project_id=project_id, total=int(total),
                                                              labeled=int(done)))
            per_annotator = connection.execute(
                sa.select(labels.c.annotator, sa.func.count(sa.distinct(labels.c.sample_id)))
                .join(samples, samples.c.id == labels.c.sample_id)
                .where((samples.c.project_id == project_id) & (labels.c.origin != "imported"))
                .group_by(labels.c.annotator)).all()
            connection.execute(annotator_counts.delete().where(annotator_counts.c.project_id == project_id))
            if per_annotator:
                connection.execute(annotator_counts.insert(), [
                    {"project_id": project_id, "annotator": name, "labeled": int(count)}
                    for name, count in per_annotator])
            return
        if added or labeled:
            connection.execute(project_counts.update().where(project_counts.c.project_id == project_id).values(
                total=project_counts.c.total + added, labeled=project_counts.c.labeled + labeled))
        if annotator is not None:
            key = (annotator_counts.c.project_id == project_id) & (annotator_counts.c.annotator == annotator)
            if not connection.execute(annotator_counts.update().where(key)
                                      .values(labeled=annotator_counts.c.labeled + 1)).rowcount:
                connection.execute(annotator_counts.insert().values(project_id=project_id, annotator=annotator,
                                                                    labeled=1))

    def counts(self, project: Project) -> tuple[int, int]:
        """Total and labelled samples of the project, from its counts row."""
        with self.reader.connect() as connection:
            row = connection.execute(sa.select(project_counts.c.total, project_counts.c.labeled)
                                     .where(project_counts.c.project_id == project.id)).first()
        if row is None:
            with self.engine.begin() as connection:
                self._count(connection, project.id, 0, 0)
            return self.counts(project)
        return int(row.total), int(row.labeled)

    def sample(self, sample_id: int) -> SampleRow:
        sample_id = row_id(sample_id)
        with self.reader.connect() as connection:
            row = connection.execute(sa.select(samples).where(samples.c.id == sample_id)).first()
        if row is None:
            raise NotFoundError(_no_sample(sample_id))
        return SampleRow(**row._mapping)

    def _require_sample(self, connection, sample_id: int) -> None:
        """NOT_FOUND when the sample was deleted after this call began."""
        if connection.execute(sa.select(samples.c.id).where(samples.c.id == sample_id)).first() is None:
            raise NotFoundError(_no_sample(sample_id))

    def sample_by_stem(self, project: Project, stem: str) -> SampleRow:
        with self.reader.connect() as connection:
            row = connection.execute(sa.select(samples).where((samples.c.project_id == project.id)
                                                              & (samples.c.stem == stem))).first()
        if row is None:
            raise NotFoundError(f"no sample {stem!r} in project {project.name!r}")
        return SampleRow(**row._mapping)

    def samples(self, project: Project, labeled_only: bool = False, page: int = 10_000) -> Iterator[SampleRow]:
        """The project's samples in pool order, read a page at a time."""
        after = -1
        while True:
            rows, after = self.samples_page(project, after, page, labeled_only)
            yield from rows
            if after is None:
                return

    def samples_page(self, project: Project, after: int, limit: int, labeled_only: bool = False
                     ) -> tuple[list[SampleRow], int | None]:
        """Up to ``limit`` samples after pool position ``after``, and the
        position to continue from (None at the end): one index range scan."""
        query = sa.select(*LISTED_COLUMNS).where((samples.c.project_id == project.id) & (samples.c.position > after))
        if labeled_only:
            query = query.where(samples.c.labeled)
        with self.reader.connect() as connection:
            rows = connection.execute(query.order_by(samples.c.position).limit(limit + 1)).all()
        more = len(rows) > limit
        rows = [SampleRow(**r._mapping, features=None) for r in rows[:limit]]
        return rows, rows[-1].position if more else None

    def newest_labeled(self, project: Project, limit: int) -> list[SampleRow]:
        """The ``limit`` samples whose newest label version is newest, newest first."""
        newest = sa.func.max(labels.c.created_at).label("newest")
        query = (sa.select(*LISTED_COLUMNS).join(labels, labels.c.sample_id == samples.c.id)
                 .where(samples.c.project_id == project.id).group_by(*LISTED_COLUMNS)
                 .order_by(newest.desc(), samples.c.id.desc()).limit(limit))
        with self.reader.connect() as connection:
            return [SampleRow(**r._mapping, features=None) for r in connection.execute(query).all()]

    def latest_versions(self, sample_ids: Sequence[int]) -> dict[int, int]:
        """Each sample's newest label version, for one page of samples."""
        if not sample_ids:
            return {}
        with self.reader.connect() as connection:
            rows = connection.execute(sa.select(labels.c.sample_id, sa.func.max(labels.c.version))
                                      .where(labels.c.sample_id.in_(list(sample_ids)))
                                      .group_by(labels.c.sample_id)).all()
        return {int(sample_id): int(version) for sample_id, version in rows}

    # -- leases -------------------------------------------------------------

    def renew_lease(self, sample_id: int, annotator: str, seconds: float, now: float | None = None
                    ) -> float | None:
        """Extend ``annotator``'s live lease on the sample to ``seconds`` from
        now; the new expiry, or None when they hold no live lease."""
        now = time.time() if now is None else now
        with self.engine.begin() as connection:
            renewed = leasing.renew(connection, sample_id, annotator, now + seconds, now)
        return now + seconds if renewed else None

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
            self.lock_project(connection, row.project_id)
            self._require_sample(connection, sample_id)
            leasing.require_not_held_by_another(connection, sample_id, annotator, now)
            released = leasing.end(connection, sample_id, annotator)
            if skip:
                connection.execute(skips.insert().values(sample_id=sample_id, annotator=annotator,
                                                         reason=reason or "skipped", created_at=now))
        return released

    def skipped_count(self, project: Project) -> int:
        """Unlabelled samples of the project that someone skipped."""
        with self.reader.connect() as connection:
            # Driven by the (few) skips, each checked by primary key: never a scan of the pool.
            in_project = sa.exists().where((samples.c.id == skips.c.sample_id) & (samples.c.project_id == project.id)
                                           & ~samples.c.labeled)
            return int(connection.execute(sa.select(sa.func.count(sa.distinct(skips.c.sample_id)))
                                          .where(in_project)).scalar_one())

    # -- labels -------------------------------------------------------------

    def submit_label(self, sample_id: int, annotator: str, mask: np.ndarray, origin: str = "manual",
                     now: float | None = None, classes: dict | None = None) -> LabelVersion:
        """Store a new label version and mark the sample labelled.

        The sample must not be leased to someone else; the submitter's own
        lease ends with the submit. Submitting the newest version again
        (same annotator, mask and origin) returns it and stores nothing, so
        a retried submit is safe. ``classes`` (checked by
        :func:`class_schema.check_label_classes`) are stored with the version.
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
        checksum, new = self.blobs.put_new(mask, durable=True)  # durable before the row that points at it
        now = time.time() if now is None else now
        with self.engine.begin() as connection:
            self.lock_project(connection, row.project_id)
            self._require_sample(connection, sample_id)
            self._keep_blobs(connection, {} if new else {checksum: mask})
            leasing.require_not_held_by_another(connection, sample_id, annotator, now)
            newest = connection.execute(sa.select(labels).where(labels.c.sample_id == sample_id)
                                        .order_by(labels.c.version.desc()).limit(1)).first()
            if newest is not None and (newest.annotator, newest.checksum, newest.origin) == (annotator, checksum,
                    origin) and class_records.read(connection, sample_id, newest.version) == (classes or {}):
                # The same label sent again (a retry whose answer was lost): one version, not two.
                return LabelVersion(sample_id, newest.version, annotator, origin, checksum, newest.created_at, (),
                                    classes or {})
            version = (newest.version if newest is not None else 0) + 1
            first_by_annotator = connection.execute(sa.select(labels.c.id).where(
                (labels.c.sample_id == sample_id) & (labels.c.annotator == annotator)
                & overlap.own_label(labels.c.origin)).limit(1)).first() is None
            connection.execute(labels.insert().values(sample_id=sample_id, version=version, annotator=annotator,
                                                      origin=origin, checksum=checksum, created_at=now))
            class_records.write(connection, sample_id, version, classes, class_index.has_unclassified(mask, classes))
            self._labelled(connection, row.project_id, sample_id,
                           annotator if first_by_annotator and origin not in DERIVED_ORIGINS else None)
        return LabelVersion(sample_id, version, annotator, origin, checksum, now, (), classes or {})

    def _labelled(self, connection, project_id: int, sample_id: int, new_annotator: str | None) -> None:
        """A label version was stored: the sample is labelled, wants one
        annotator fewer when ``new_annotator`` labelled it for the first
        time, and leaves the queues once it wants none (only the new
        annotator's lease ends before that)."""
        class_stamps.moved(connection, project_id)
        newly = connection.execute(samples.update().where((samples.c.id == sample_id) & ~samples.c.labeled)
                                   .values(labeled=True)).rowcount
        self._count(connection, project_id, 0, newly, new_annotator)
        if new_annotator is not None:
            connection.execute(samples.update().where((samples.c.id == sample_id) & (samples.c.needed > 0))
                               .values(needed=samples.c.needed - 1))
        needed = connection.execute(sa.select(samples.c.needed).where(samples.c.id == sample_id)).scalar_one()
        if needed > 0 and new_annotator is not None:
            leasing.end(connection, sample_id, new_annotator)
        elif needed <= 0:
            leasing.end(connection, sample_id)
            connection.execute(ranked.delete().where(ranked.c.sample_id == sample_id))


def _no_sample(sample_id: int) -> str:
    return f"no sample {sample_id}: it was deleted, or never added"


__all__ = ["Store", "Project", "SampleRow", "LabelVersion", "ORIGINS", "array_checksum"]
