"""Answers to inspection findings: an annotator says a finding is not an
error (who, when, which finding), a reviewer can take it back. Inspect reads
a project's standing answers and moves that criterion's bound once enough
of them agree (see ``labelassist.inspect.answers``)."""

from __future__ import annotations

import math
import time

import sqlalchemy as sa

from labelassist.runtime.errors import ConflictError, NotFoundError
from labelassist.selector.schema import finding_answers

MAX_OBJECT_IDS = 100  # object ids recorded per answer


def check_answer(criterion: str, measured: float, bound: float, object_ids) -> list[int]:
    """The answer's object ids; ValueError naming what is missing or wrong."""
    if not criterion or len(criterion) > 100:
        raise ValueError("'criterion' must name the finding's criterion (at most 100 characters)")
    if not (math.isfinite(measured) and math.isfinite(bound)):
        raise ValueError("'measured' and 'bound' must be the finding's finite measured value and bound")
    object_ids = [int(i) for i in object_ids]
    if len(object_ids) > MAX_OBJECT_IDS:
        raise ValueError(f"{len(object_ids)} object ids; at most {MAX_OBJECT_IDS} per answer")
    return object_ids


def record_answer(engine, project_id: int, sample_id: int, criterion: str, measured: float, bound: float,
                  object_ids, annotator: str) -> dict:
    """Store one "not an error" answer; the answer as stored."""
    object_ids = check_answer(criterion, measured, bound, object_ids)
    row = {"project_id": project_id, "sample_id": int(sample_id), "criterion": criterion, "measured": float(measured),
           "bound": float(bound), "object_ids": ",".join(map(str, object_ids)), "annotator": annotator,
           "answered_at": time.time(), "undone_by": "", "undone_at": 0.0}
    with engine.begin() as connection:
        answer_id = connection.execute(finding_answers.insert().values(**row)).inserted_primary_key[0]
    return {**row, "id": int(answer_id)}


def project_answers(engine, project_id: int) -> list[dict]:
    """The project's answers, newest first, those taken back included."""
    with engine.connect() as connection:
        rows = connection.execute(sa.select(finding_answers).where(finding_answers.c.project_id == project_id)
                                  .order_by(finding_answers.c.id.desc())).mappings().all()
    return [dict(row) for row in rows]


def answer(engine, answer_id: int) -> dict:
    with engine.connect() as connection:
        row = connection.execute(sa.select(finding_answers).where(finding_answers.c.id == answer_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no finding answer {answer_id}")
    return dict(row)


def undo_answer(engine, answer_id: int, reviewer: str) -> dict:
    """Take an answer back; ConflictError when it already was."""
    row = answer(engine, answer_id)
    if row["undone_by"]:
        raise ConflictError(f"finding answer {answer_id} was already taken back by {row['undone_by']}")
    undone = {"undone_by": reviewer or "reviewer", "undone_at": time.time()}
    with engine.begin() as connection:
        connection.execute(finding_answers.update().where(finding_answers.c.id == answer_id).values(**undone))
    return {**row, **undone}
