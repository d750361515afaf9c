"""A project's class change stamps, moved inside the transaction that makes
the change (under the project's lock), so that a reader compares one number
instead of listing labels: ``class_stamp`` moves with what a class model is
trained on (label versions, reviews, the class schema, labelled samples
deleted), ``schema_stamp`` with the class schema alone.

A stamp is the time of the change in microseconds, or one more than the
last stamp when the clock says less: it only grows within a project, and a
project deleted and created again under its name starts past the old one's
stamps, so a model kept under the name is never taken for current."""

from __future__ import annotations

import time

import sqlalchemy as sa

from labelassist.selector.schema import projects


def _next(column, now: int):
    return sa.case((column >= now, column + 1), else_=now)


def initial() -> int:
    """The stamps of a new project."""
    return int(time.time() * 1e6)


def moved(connection, project_id: int, schema: bool = False) -> None:
    """What the project's class model learns from changed (``schema``: its class schema too)."""
    now = initial()
    values = {"class_stamp": _next(projects.c.class_stamp, now)}
    if schema:
        values["schema_stamp"] = _next(projects.c.schema_stamp, now)
    connection.execute(projects.update().where(projects.c.id == project_id).values(**values))


def schema_stamps(connection, project_ids) -> dict[int, int]:
    """Project id -> its schema stamp, for the projects of a page of samples."""
    return {int(i): int(s) for i, s in connection.execute(
        sa.select(projects.c.id, projects.c.schema_stamp).where(projects.c.id.in_(list(project_ids))))}


__all__ = ["initial", "moved", "schema_stamps"]
