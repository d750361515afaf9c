"""The model scores the background scorer stores per sample and model
version, and their counts per project: part of the selector's store."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sqlalchemy as sa

from labelassist.selector.database import insert_rows
from labelassist.selector.records import Project, SampleRow
from labelassist.selector.schema import ranked, samples, scored_counts, scores


def _unscored(version: int):
    """Unlabelled samples without scores from ``version`` (a where clause)."""
    scored = sa.select(scores.c.sample_id).where(scores.c.model_version == version)
    return ~samples.c.labeled & samples.c.id.not_in(scored)


class ScoreRecords:
    """Model-score methods of :class:`~labelassist.selector.store.Store`
    (which provides ``engine`` and ``reader``)."""

    def unscored_samples(self, version: int, limit: int = 16) -> list[SampleRow]:
        """Unlabelled samples without scores from ``version``: those at the
        head of a ranked queue first (the next to be leased), then pool order."""
        unscored = _unscored(version)
        with self.reader.connect() as connection:
            queued = connection.execute(
                sa.select(samples).join(ranked, ranked.c.sample_id == samples.c.id).where(unscored)
                .order_by(ranked.c.rank).limit(limit)).all()
            seen = {row.id for row in queued}
            rest = [] if len(seen) >= limit else connection.execute(
                sa.select(samples).where(unscored).order_by(samples.c.id).limit(limit)).all()
        rows = list(queued) + [row for row in rest if row.id not in seen]
        unique = {row.id: row for row in rows}
        return [SampleRow(**r._mapping) for r in list(unique.values())[:limit]]

    def count_unscored(self, version: int) -> int:
        """How many unlabelled samples have no scores from ``version`` yet."""
        with self.reader.connect() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(samples)
                                          .where(_unscored(version))).scalar_one())

    def save_scores(self, rows: Sequence[SampleRow], version: int, values: Sequence[np.ndarray],
                    embeddings: Sequence[np.ndarray]) -> None:
        """Scores of several samples from one model version, in one transaction."""
        with self.engine.begin() as connection:
            ids = [row.id for row in rows]
            replaced = connection.execute(scores.delete().where((scores.c.sample_id.in_(ids))
                                                                & (scores.c.model_version == version))).rowcount
            insert_rows(connection, scores, [
                {"sample_id": row.id, "model_version": version, "values": np.asarray(v, np.float32).tobytes(),
                 "embedding": np.asarray(e, np.float32).tobytes()} for row, v, e in zip(rows, values, embeddings)])
            if replaced:
                return
            per_project: dict[int, int] = {}
            for row in rows:
                per_project[row.project_id] = per_project.get(row.project_id, 0) + 1
            for project_id, count in per_project.items():
                key = (scored_counts.c.project_id == project_id) & (scored_counts.c.model_version == version)
                if not connection.execute(scored_counts.update().where(key)
                                          .values(scored=scored_counts.c.scored + count)).rowcount:
                    connection.execute(scored_counts.insert().values(project_id=project_id, model_version=version,
                                                                     scored=count))

    def scored(self, project: Project) -> tuple[int, int]:
        """The newest model version that scored samples of the project (0 for
        none) and how many it scored, from the counts table."""
        with self.reader.connect() as connection:
            row = connection.execute(sa.select(scored_counts.c.model_version, scored_counts.c.scored)
                                     .where(scored_counts.c.project_id == project.id)
                                     .order_by(scored_counts.c.model_version.desc()).limit(1)).first()
        return (int(row.model_version), int(row.scored)) if row else (0, 0)

    def scored_count(self, project: Project, version: int) -> int:
        with self.reader.connect() as connection:
            return int(connection.execute(sa.select(scored_counts.c.scored).where(
                (scored_counts.c.project_id == project.id) & (scored_counts.c.model_version == version))).scalar()
                or 0)
