"""Label versions made from other versions (a consensus, an adjudicated
pick) with the sources they name, and gold samples' reference labels: part
of the selector's store."""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np
import sqlalchemy as sa

from labelassist.imaging.checks import check_mask
from labelassist.runtime.errors import NotFoundError
from labelassist.selector import class_index, class_records
from labelassist.selector.records import DERIVED_ORIGINS, LabelVersion
from labelassist.selector.schema import annotator_counts, gold_labels, label_sources, labels, samples


class LabelRecords:
    """Label history methods of :class:`~labelassist.selector.store.Store`
    (which provides ``engine``, ``reader``, ``blobs``, ``sample``, ``counts``, the
    project lock, ``_require_sample``, ``_keep_blobs`` and ``_labelled``)."""

    def label_history(self, sample_id: int) -> list[LabelVersion]:
        """Every version of the sample's label, oldest first; a derived one names its sources."""
        with self.reader.connect() as connection:
            rows = connection.execute(sa.select(labels).where(labels.c.sample_id == sample_id)
                                      .order_by(labels.c.version)).all()
            classes = class_records.by_version(connection, sample_id)
            links = connection.execute(sa.select(label_sources).where(label_sources.c.sample_id == sample_id)
                                       .order_by(label_sources.c.source_version)).all()
        annotators = {r.version: r.annotator for r in rows}
        sources: dict[int, list] = {}
        for link in links:
            sources.setdefault(link.version, []).append((link.source_version, annotators.get(link.source_version, ""),
                                                         link.weight))
        return [LabelVersion(r.sample_id, r.version, r.annotator, r.origin, r.checksum, r.created_at,
                             tuple(sources.get(r.version, ())), classes.get(r.version, {})) for r in rows]

    def latest_label(self, sample_id: int, version: int = 0) -> tuple[LabelVersion, np.ndarray] | None:
        """The newest label version (or ``version``) and its mask; None without a label."""
        history = self.label_history(sample_id)
        if not history:
            return None
        if version and not 1 <= version <= len(history):
            raise NotFoundError(f"sample {sample_id} has label versions 1 to {len(history)}, not {version}")
        chosen = history[version - 1] if version else history[-1]
        return chosen, self.blobs.get(chosen.checksum)

    def progress(self, project) -> tuple[int, int, dict[str, int]]:
        """Labelled and total samples, and labels submitted per annotator."""
        total, labeled = self.counts(project)
        with self.reader.connect() as connection:
            per_annotator = connection.execute(sa.select(annotator_counts.c.annotator, annotator_counts.c.labeled)
                                               .where(annotator_counts.c.project_id == project.id)).all()
        return int(labeled), int(total), {name: int(count) for name, count in per_annotator}

    def add_derived_label(self, sample_id: int, annotator: str, mask: np.ndarray, origin: str,
                          sources: Mapping[int, float], now: float | None = None, classes: dict | None = None
                          ) -> tuple[LabelVersion, bool]:
        """Store a version made from the sample's versions ``sources``
        (version -> weight), with its ``classes``, and record them; the
        version, and whether it is new (the newest version made the same way
        from the same sources, with the same classes, is returned as it is)."""
        if origin not in DERIVED_ORIGINS:
            raise ValueError(f"'origin' of a derived label must be one of {', '.join(DERIVED_ORIGINS)}")
        row = self.sample(sample_id)
        check_mask(mask, self.blobs.get(row.image_blob).shape)
        checksum, new_blob = self.blobs.put_new(mask, durable=True)
        now = time.time() if now is None else now
        with self.engine.begin() as connection:
            self.lock_project(connection, row.project_id)
            self._require_sample(connection, sample_id)
            self._keep_blobs(connection, {} if new_blob else {checksum: mask})
            newest = connection.execute(sa.select(labels).where(labels.c.sample_id == sample_id)
                                        .order_by(labels.c.version.desc()).limit(1)).first()
            if newest is not None and (newest.origin, newest.checksum) == (origin, checksum):
                linked = set(connection.execute(sa.select(label_sources.c.source_version).where(
                    (label_sources.c.sample_id == sample_id) & (label_sources.c.version == newest.version))).scalars())
                if linked == set(sources) and class_records.read(connection, sample_id, newest.version) == (
                        classes or {}):
                    return self.label_history(sample_id)[newest.version - 1], False
            version = (newest.version if newest is not None else 0) + 1
            connection.execute(labels.insert().values(sample_id=sample_id, version=version, annotator=annotator,
                                                      origin=origin, checksum=checksum, created_at=now))
            connection.execute(label_sources.insert(), [
                {"sample_id": sample_id, "version": version, "source_version": int(source), "weight": float(weight)}
                for source, weight in sources.items()])
            class_records.write(connection, sample_id, version, classes,
                                class_index.has_unclassified(mask, classes))
            self._labelled(connection, row.project_id, sample_id, None)
        return self.label_history(sample_id)[version - 1], True

    def gold_checksums(self, project_id: int) -> dict[int, str]:
        """The project's gold samples: sample id -> checksum of its reference label."""
        with self.reader.connect() as connection:
            return {int(sample_id): checksum for sample_id, checksum in connection.execute(
                sa.select(gold_labels.c.sample_id, gold_labels.c.checksum)
                .where(gold_labels.c.project_id == project_id))}

    def is_gold(self, sample_id: int) -> bool:
        with self.reader.connect() as connection:
            return connection.execute(sa.select(gold_labels.c.sample_id)
                                      .where(gold_labels.c.sample_id == sample_id)).first() is not None

    def shared_sample(self, sample_id: int) -> bool:
        """Whether the sample is labelled by several annotators (a gold
        sample, one that still wants more, or one more than one labelled):
        annotators see only their own labels of it."""
        with self.reader.connect() as connection:
            needed, labelled = connection.execute(
                sa.select(samples.c.needed, sa.select(sa.func.count(sa.distinct(labels.c.annotator))).where(
                    (labels.c.sample_id == sample_id) & labels.c.origin.not_in(DERIVED_ORIGINS)).scalar_subquery())
                .where(samples.c.id == sample_id)).one()
        return needed + labelled > 1 or self.is_gold(sample_id)
