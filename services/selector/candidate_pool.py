"""The candidates a ranking is computed from: the project's unlabelled
samples read from the store a page or a chunk of ids at a time, with the
sequences, scores and vectors the strategy needs, and the ranking of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import sqlalchemy as sa

from labelassist.imaging.class_uncertainty import ClassSummary
from labelassist.selector import leasing
from labelassist.selector.class_score_records import ClassScoreRecords
from labelassist.selector.schema import samples, scores
from labelassist.selector.scoring import SCORE_NAMES
from labelassist.selector.store import Project, Store
from labelassist.selector.strategies import STRATEGIES

PAGE = 50_000
ID_CHUNK = 1000


def needs(strategy: str, values: Mapping[str, Any]) -> frozenset[str]:
    """What ranking with these values reads: the strategy's declared needs,
    plus embeddings when a minimum distance between picks is asked for."""
    declared = STRATEGIES.get(strategy).needs
    return declared | {"embeddings"} if values.get("min_distance") else declared


@dataclass(frozen=True)
class Freshness:
    """What a head depends on: the pool's size, the newest U-Net's scores
    and the class model's class scores."""

    total: int
    model_version: int
    scored: int
    class_version: int = 0
    class_scored: int = 0

    def model(self, wanted: frozenset[str]) -> tuple[int, int]:
        """(version, samples scored) of the model whose scores a ranking
        that reads ``wanted`` uses: the class model for class posteriors."""
        if "class_posteriors" in wanted:
            return self.class_version, self.class_scored
        return self.model_version, self.scored


@dataclass
class Pool:
    """The candidates a head is ranked from, as arrays in pool order."""

    ids: np.ndarray
    positions: np.ndarray
    sequences: np.ndarray | None = None
    taken_sequences: np.ndarray | None = None
    score_table: dict[str, np.ndarray] | None = None
    embeddings: np.ndarray | None = None
    taken_embeddings: np.ndarray | None = None
    taken_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    class_summary: ClassSummary | None = None  # the class model's view of each candidate
    unlabelled: int = 0  # candidates before any restriction to scored samples

    def subset(self, keep: np.ndarray) -> Pool:
        """The candidates at sorted indices ``keep``, in pool order."""
        return replace(self, ids=self.ids[keep], positions=self.positions[keep],
                       sequences=None if self.sequences is None else self.sequences[keep],
                       score_table=None if self.score_table is None else {k: v[keep] for k, v in
                                                                          self.score_table.items()},
                       embeddings=None if self.embeddings is None else self.embeddings[keep],
                       class_summary=None if self.class_summary is None else self.class_summary.subset(keep))


def rank_pool(strategy: str, values: Mapping[str, Any], pool: Pool, count: int) -> np.ndarray:
    """The ids of the strategy's first ``count`` picks from ``pool``."""
    order = STRATEGIES.get(strategy).function(
        pool.positions, count, sequences=pool.sequences, taken_sequences=pool.taken_sequences,
        embeddings=pool.embeddings, taken_embeddings=pool.taken_embeddings, score_table=pool.score_table,
        class_summary=pool.class_summary, **values)
    index = np.searchsorted(pool.positions, np.asarray(order, dtype=np.int64))
    return pool.ids[index]


class PoolReader:
    """Reads what a ranking needs from the store, a page or a chunk of ids at a time."""

    def __init__(self, store: Store):
        self.store = store
        self.class_scores = ClassScoreRecords(store)

    def freshness(self, project: Project) -> Freshness:
        total, _ = self.store.counts(project)
        version, scored = self.store.scored(project)
        classes = self.class_scores.state(project)
        return Freshness(total, version, scored, *((classes.model_version, classes.scored) if classes else (0, 0)))

    def pool(self, project: Project, wanted: frozenset[str], version: int) -> Pool:
        sequence = sa.func.coalesce(samples.c.sequence, samples.c.stem)
        columns = [samples.c.id, samples.c.position, samples.c.needed]
        if "sequences" in wanted:
            columns.append(sequence.label("sequence_key"))
        ids, positions, labeled, keys = [], [], [], []
        after = -1
        with self.store.reader.connect() as connection:
            while True:
                rows = connection.execute(sa.select(*columns).where(
                    (samples.c.project_id == project.id) & (samples.c.position > after))
                    .order_by(samples.c.position).limit(PAGE)).all()
                if not rows:
                    break
                page_columns = list(zip(*rows))
                ids.append(np.array(page_columns[0], np.int64))
                positions.append(np.array(page_columns[1], np.int64))
                labeled.append(np.array(page_columns[2], np.int64) <= 0)  # done: no more annotators wanted
                if "sequences" in wanted:
                    keys.extend(page_columns[3])
                after = rows[-1].position
        labeled_mask = np.concatenate(labeled) if labeled else np.zeros(0, bool)
        all_ids = np.concatenate(ids) if ids else np.zeros(0, np.int64)
        all_positions = np.concatenate(positions) if positions else np.zeros(0, np.int64)
        pool = Pool(all_ids[~labeled_mask], all_positions[~labeled_mask],
                    taken_ids=all_ids[labeled_mask], unlabelled=int((~labeled_mask).sum()))
        if "sequences" in wanted:
            keys_array = np.array(keys, dtype=object)
            pool.sequences, pool.taken_sequences = keys_array[~labeled_mask], keys_array[labeled_mask]
        if "scores" in wanted and version:
            pool = self._with_scores(pool, project, version)
        if "class_posteriors" in wanted:
            pool = self._with_class_scores(pool, project)
        return pool

    def _with_class_scores(self, pool: Pool, project: Project) -> Pool:
        """Keep only the candidates the project's class model scored, with their class summary."""
        keep, summary = self.class_scores.summary(project, pool.ids)
        if summary is None:
            return pool
        scored = pool.subset(keep)
        scored.class_summary = summary
        return scored

    def live_leases(self, project: Project, now: float) -> int:
        """Samples of the project under a lease that has not expired."""
        with self.store.reader.connect() as connection:
            return leasing.live_count(connection, project.id, now)

    def _with_scores(self, pool: Pool, project: Project, version: int) -> Pool:
        """Keep only the candidates the newest model scored, with their scores."""
        ids, values = [], []
        after = -1
        with self.store.reader.connect() as connection:
            while True:
                rows = connection.execute(
                    sa.select(scores.c.sample_id, scores.c["values"])
                    .join(samples, samples.c.id == scores.c.sample_id).where(
                        (samples.c.project_id == project.id) & (scores.c.model_version == version)
                        & (scores.c.sample_id > after))
                    .order_by(scores.c.sample_id).limit(PAGE)).all()
                if not rows:
                    break
                # Arrays, not a row at a time: a large pool's build computes as little as it can in
                # the interpreter, whose lock the selector's calls share.
                page_ids, page_values = zip(*rows)
                ids.append(np.array(page_ids, np.int64))
                values.append(np.frombuffer(b"".join(page_values), np.float32).reshape(len(rows), -1))
                after = rows[-1].sample_id
        if not ids:
            return pool
        scored_ids, table = np.concatenate(ids), np.concatenate(values)
        keep = np.flatnonzero(np.isin(pool.ids, scored_ids))
        if not len(keep):
            return pool
        scored = pool.subset(keep)
        table = table[np.searchsorted(scored_ids, scored.ids)]
        scored.score_table = {name: table[:, i] for i, name in enumerate(SCORE_NAMES)}
        return scored

    def vectors(self, ids: np.ndarray, version: int | None) -> np.ndarray | None:
        """Image features (``version`` None) or the model's embeddings of
        ``ids``, in that order; None when any is missing."""
        found: dict[int, bytes] = {}
        with self.store.reader.connect() as connection:
            for start in range(0, len(ids), ID_CHUNK):
                chunk = [int(i) for i in ids[start:start + ID_CHUNK]]
                if version is None:
                    query = sa.select(samples.c.id, samples.c.features).where(samples.c.id.in_(chunk))
                else:
                    query = sa.select(scores.c.sample_id, scores.c.embedding).where(
                        (scores.c.model_version == version) & scores.c.sample_id.in_(chunk))
                found.update((row[0], row[1]) for row in connection.execute(query))
        if any(found.get(int(i)) is None for i in ids):
            return None
        if not len(ids):
            return np.zeros((0, 0), np.float32)
        return np.stack([np.frombuffer(found[int(i)], np.float32) for i in ids])
__all__ = ["Freshness", "Pool", "PoolReader", "needs", "rank_pool"]
