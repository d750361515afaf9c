"""The class scores the class scorer keeps per unlabelled sample and class
model version (assist's ``classes@N``), the version each project's samples
are scored with, and the :class:`ClassSummary` the classification
strategies rank a pool by."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa

from labelassist.imaging.class_uncertainty import SCORE_NAMES, ClassSummary
from labelassist.selector.database import insert_rows
from labelassist.selector.records import Project, SampleRow
from labelassist.selector.schema import class_scores, class_scoring, label_classes, labels, ranked, samples

PAGE = 50_000


@dataclass(frozen=True)
class ClassScoring:
    """What a project's class scores are: the class model version (0: none
    yet, ``note`` says why), the kind and names of the classes its summaries
    are over, the labels it was found for, and how many samples it scored."""

    model_version: int
    kind: str
    classes: tuple[str, ...]
    labels_key: str
    scored: int
    note: str


def has_classes(schema: dict) -> bool:
    """Whether a project's class schema gives the class scorer anything to score."""
    return bool(schema.get("object")) or (bool(schema.get("image")) and not schema.get("multi_label"))


class ClassScoreRecords:
    """The class scores in ``store``'s database."""

    def __init__(self, store):
        self.store = store

    def state(self, project: Project) -> ClassScoring | None:
        with self.store.reader.connect() as connection:
            row = connection.execute(sa.select(class_scoring).where(class_scoring.c.project_id == project.id)).first()
        if row is None:
            return None
        return ClassScoring(int(row.model_version), row.classes["kind"], tuple(row.classes["names"]),
                            row.labels_key, int(row.scored), row.note)

    @staticmethod
    def labels_key(project: Project) -> str:
        """Changes whenever what assist trains the project's class model on
        may have: its class stamp (selector.class_stamps), as read with it."""
        return str(project.class_stamp)

    def set_model(self, project: Project, version: int, kind: str, classes: Sequence[str], labels_key: str,
                  note: str = "") -> None:
        """The class model version the project's samples are scored with
        from now on; its count of scored samples is read from the scores."""
        with self.store.engine.begin() as connection:
            scored = connection.execute(sa.select(sa.func.count()).select_from(class_scores).join(
                samples, samples.c.id == class_scores.c.sample_id).where(
                (samples.c.project_id == project.id) & (class_scores.c.model_version == version))).scalar_one()
            connection.execute(class_scoring.delete().where(class_scoring.c.project_id == project.id))
            connection.execute(class_scoring.insert().values(
                project_id=project.id, model_version=version, classes={"kind": kind, "names": list(classes)},
                labels_key=labels_key, scored=int(scored), note=note))

    def unscored(self, project: Project, version: int, limit: int) -> list[SampleRow]:
        """Unlabelled samples of the project without class scores from
        ``version``: those at the head of a ranked queue first, then pool order."""
        scored = sa.select(class_scores.c.sample_id).where(class_scores.c.model_version == version)
        pending = (samples.c.project_id == project.id) & ~samples.c.labeled & samples.c.id.not_in(scored)
        with self.store.reader.connect() as connection:
            queued = connection.execute(
                sa.select(samples).join(ranked, ranked.c.sample_id == samples.c.id)
                .where(pending & (ranked.c.project_id == project.id)).order_by(ranked.c.rank).limit(limit)).all()
            rest = connection.execute(sa.select(samples).where(pending).order_by(samples.c.position)
                                      .limit(limit)).all()
        unique = {row.id: row for row in list(queued) + list(rest)}
        return [SampleRow(**row._mapping) for row in list(unique.values())[:limit]]

    def save(self, project: Project, version: int, rows: Sequence[SampleRow], values: Sequence[np.ndarray],
             expected: Sequence[np.ndarray]) -> None:
        """Class scores of several samples from one class model version, in one transaction."""
        if not rows:
            return
        ids = [row.id for row in rows]
        with self.store.engine.begin() as connection:
            replaced = connection.execute(class_scores.delete().where(
                class_scores.c.sample_id.in_(ids) & (class_scores.c.model_version == version))).rowcount
            insert_rows(connection, class_scores, [
                {"sample_id": row.id, "model_version": version, "values": np.asarray(v, np.float32).tobytes(),
                 "expected": np.asarray(e, np.float32).tobytes()} for row, v, e in zip(rows, values, expected)])
            connection.execute(class_scoring.update().where(
                (class_scoring.c.project_id == project.id) & (class_scoring.c.model_version == version))
                .values(scored=class_scoring.c.scored + len(rows) - replaced))

    def labelled_counts(self, project: Project, kind: str, classes: Sequence[str]) -> np.ndarray:
        """Objects (``kind`` "object") or images ("image") of each class in
        the newest label version of each labelled sample."""
        newest = sa.select(labels.c.sample_id, sa.func.max(labels.c.version).label("version")).join(
            samples, samples.c.id == labels.c.sample_id).where(
            (samples.c.project_id == project.id) & samples.c.labeled).group_by(labels.c.sample_id).subquery()
        counts: Counter = Counter()
        with self.store.reader.connect() as connection:
            for (carried,) in connection.execute(sa.select(label_classes.c.classes).join(newest, (
                    newest.c.sample_id == label_classes.c.sample_id) & (newest.c.version == label_classes.c.version))):
                counts.update(carried.get("objects", {}).values() if kind == "object" else carried.get("image", []))
        return np.array([counts.get(name, 0) for name in classes], np.float64)

    def summary(self, project: Project, ids: np.ndarray) -> tuple[np.ndarray, ClassSummary | None]:
        """The indices of ``ids`` the project's current class model scored,
        and their :class:`ClassSummary` (None when none is)."""
        state = self.state(project)
        if state is None or not state.model_version:
            return np.zeros(0, np.int64), None
        found: dict[int, tuple[bytes, bytes]] = {}
        after = -1
        with self.store.reader.connect() as connection:
            while True:
                rows = connection.execute(
                    sa.select(class_scores.c.sample_id, class_scores.c["values"], class_scores.c.expected)
                    .join(samples, samples.c.id == class_scores.c.sample_id).where(
                        (samples.c.project_id == project.id) & (class_scores.c.model_version == state.model_version)
                        & (class_scores.c.sample_id > after)).order_by(class_scores.c.sample_id).limit(PAGE)).all()
                if not rows:
                    break
                found.update((r.sample_id, (r.values, r.expected)) for r in rows)
                after = rows[-1].sample_id
        keep = np.flatnonzero([int(i) in found for i in ids])
        if not len(keep):
            return keep, None
        table = np.stack([np.frombuffer(found[int(ids[i])][0], np.float32) for i in keep])
        expected = np.stack([np.frombuffer(found[int(ids[i])][1], np.float32) for i in keep]).astype(np.float64)
        return keep, ClassSummary(state.classes, {name: table[:, i] for i, name in enumerate(SCORE_NAMES)},
                                  expected, self.labelled_counts(project, state.kind, state.classes))


__all__ = ["ClassScoreRecords", "ClassScoring", "has_classes"]
