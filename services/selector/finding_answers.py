"""Answers to inspection findings: what became of a finding (an annotator
said it is not an error, corrected its objects before submit, or kept it
at submit), with who, when and which finding; a reviewer can take one back.
Inspect reads a project's standing answers: enough false alarms move that
criterion's bound (``labelassist.inspect.answers``), and all of them set
how likely its findings are real errors (``labelassist.inspect.precision``)."""

from __future__ import annotations

import math
import time

import sqlalchemy as sa

from labelassist.runtime.errors import ConflictError, NotFoundError
from labelassist.selector.schema import finding_answers, reviews

MAX_OBJECT_IDS = 100  # object ids recorded per answer
OUTCOMES = ("not_an_error", "corrected", "kept")


def check_answer(criterion: str, measured: float, bound: float, object_ids, outcome: str = "not_an_error"
                 ) -> list[int]:
    """The answer's object ids; ValueError naming what is missing or wrong."""
    if outcome not in OUTCOMES:
        raise ValueError(f"'outcome' must be one of {', '.join(OUTCOMES)} (empty: not_an_error); got {outcome!r}")
    if not criterion or len(criterion) > 100:
        raise ValueError("'criterion' must name the finding's criterion (at most 100 characters)")
    if not (math.isfinite(measured) and math.isfinite(bound)):
        raise ValueError("'measured' and 'bound' must be the finding's finite measured value and bound")
    object_ids = [int(i) for i in object_ids]
    if len(object_ids) > MAX_OBJECT_IDS:
        raise ValueError(f"{len(object_ids)} object ids; at most {MAX_OBJECT_IDS} per answer")
    return object_ids


def record_answer(engine, project_id: int, sample_id: int, criterion: str, measured: float, bound: float,
                  object_ids, annotator: str, outcome: str = "not_an_error", label_version: int = 0,
                  object_class: str = "") -> dict:
    """Store what became of one finding (see :data:`OUTCOMES`), judged by
    ``object_class``'s own bounds where set; the answer as stored."""
    outcome = outcome or "not_an_error"
    object_ids = check_answer(criterion, measured, bound, object_ids, outcome)
    if len(object_class) > 100:
        raise ValueError("'object_class' must name the finding's object class (at most 100 characters)")
    if outcome != "not_an_error" and not (sample_id and label_version):
        raise ValueError(f"a {outcome!r} answer names the submitted label: 'sample_id' and 'label_version'")
    row = {"project_id": project_id, "sample_id": int(sample_id), "criterion": criterion, "measured": float(measured),
           "bound": float(bound), "object_ids": ",".join(map(str, object_ids)), "annotator": annotator,
           "answered_at": time.time(), "undone_by": "", "undone_at": 0.0, "outcome": outcome,
           "label_version": int(label_version), "object_class": object_class}
    with engine.begin() as connection:
        answer_id = connection.execute(finding_answers.insert().values(**row)).inserted_primary_key[0]
    return {**row, "id": int(answer_id)}


def project_answers(engine, project_id: int) -> list[dict]:
    """The project's answers, newest first, those taken back included; each
    with ``review``, the newest verdict on the label version it names ("" for
    none), which decides what a "kept" finding was."""
    with engine.connect() as connection:
        rows = connection.execute(sa.select(finding_answers).where(finding_answers.c.project_id == project_id)
                                  .order_by(finding_answers.c.id.desc())).mappings().all()
        submitted = sorted({row["sample_id"] for row in rows if row["label_version"]})
        verdicts = {}
        for start in range(0, len(submitted), 500):  # bounded IN lists
            for review in connection.execute(sa.select(reviews.c.sample_id, reviews.c.version, reviews.c.verdict)
                                             .where(reviews.c.sample_id.in_(submitted[start:start + 500]))
                                             .order_by(reviews.c.id)):
                verdicts[(review.sample_id, review.version)] = review.verdict  # the newest wins
    return [{**row, "review": verdicts.get((row["sample_id"], row["label_version"]), "")} for row in rows]


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
