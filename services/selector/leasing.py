"""Leases, the one place they are written: who holds a sample until when.
Each function works inside the caller's transaction (``connection``), so a
lease decision and the reads it rests on commit together; the caller takes
the project's lock first (:meth:`~labelassist.selector.store.Store.lock_project`)
where two writers could decide on the same sample."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from labelassist.runtime.errors import ConflictError
from labelassist.selector.overlap import own_label
from labelassist.selector.records import SampleRow
from labelassist.selector.schema import labels, leases, samples


def not_leased(sample_id) -> sa.ColumnElement[bool]:
    """A condition: no lease, live or not yet expired away, holds ``sample_id`` (a column)."""
    return ~sa.exists().where(leases.c.sample_id == sample_id)


def open_to(annotator: str, sample_id) -> sa.ColumnElement[bool]:
    """A condition: the sample (``sample_id``, a column, beside the samples
    table) wants more annotators than hold it now, and ``annotator`` neither
    holds nor labelled it, so no one labels a sample twice. For a sample one
    annotator labels, the same as "not labelled and not leased"."""
    holders = sa.select(sa.func.count()).where(leases.c.sample_id == sample_id).scalar_subquery()
    return ((samples.c.needed > holders)
            & ~sa.exists().where((leases.c.sample_id == sample_id) & (leases.c.annotator == annotator))
            & ~sa.exists().where((labels.c.sample_id == sample_id) & (labels.c.annotator == annotator)
                                 & own_label(labels.c.origin)))


def expire(connection, project_id: int, now: float) -> None:
    """Drop the project's leases that ran out by ``now``."""
    connection.execute(leases.delete().where((leases.c.project_id == project_id) & (leases.c.expires_at <= now)))


def renew_held(connection, project_id: int, annotator: str, count: int, expires_at: float) -> list[SampleRow]:
    """Up to ``count`` samples ``annotator`` holds in the project, oldest
    lease first, each renewed to ``expires_at``."""
    held = [SampleRow(**r._mapping) for r in connection.execute(
        sa.select(samples).join(leases, leases.c.sample_id == samples.c.id)
        .where((leases.c.project_id == project_id) & (leases.c.annotator == annotator))
        .order_by(leases.c.expires_at, samples.c.position).limit(count))]
    if held:
        connection.execute(leases.update().where(leases.c.sample_id.in_([r.id for r in held]))
                           .values(expires_at=expires_at))
    return held


def grant(connection, project_id: int, annotator: str, sample_ids: Sequence[int], expires_at: float) -> None:
    """Lease the samples to ``annotator`` until ``expires_at`` (the lease
    table's key refuses a sample another leaser took meanwhile)."""
    if sample_ids:
        connection.execute(leases.insert(), [{"sample_id": sample_id, "project_id": project_id,
                                              "annotator": annotator, "expires_at": expires_at}
                                             for sample_id in sample_ids])


def keep_within_places(connection, annotator: str, sample_ids: Sequence[int]) -> list[int]:
    """Of the samples just leased to ``annotator``, those the sample has a
    place for; the leases on the others end again.

    On PostgreSQL a leaser reads in its statement's snapshot: a sample
    another leaser took and committed since then looks free, and its row
    lock, released at that commit, no longer holds the second leaser back
    (the lease table's key allows one lease per sample and annotator). A
    new statement sees every committed lease, so counting holders after
    granting finds the samples two annotators now hold."""
    if not sample_ids:
        return []
    holders = sa.func.count(leases.c.annotator)
    over = set(connection.execute(
        sa.select(leases.c.sample_id).join(samples, samples.c.id == leases.c.sample_id)
        .where(leases.c.sample_id.in_(list(sample_ids)))
        .group_by(leases.c.sample_id, samples.c.needed)
        .having(holders > sa.func.greatest(samples.c.needed, 1))).scalars())
    for sample_id in over:
        end(connection, sample_id, annotator)
    return [sample_id for sample_id in sample_ids if sample_id not in over]


def renew(connection, sample_id: int, annotator: str, expires_at: float, now: float) -> bool:
    """Extend ``annotator``'s live lease on the sample; whether they held one."""
    return connection.execute(leases.update().where(
        (leases.c.sample_id == sample_id) & (leases.c.annotator == annotator) & (leases.c.expires_at > now))
        .values(expires_at=expires_at)).rowcount > 0


def require_not_held_by_another(connection, sample_id: int, annotator: str, now: float) -> None:
    """ConflictError when others hold every place the sample has for
    annotators (one, unless it is labelled by several) and ``annotator`` none."""
    holders = list(connection.execute(sa.select(leases.c.annotator).where(
        (leases.c.sample_id == sample_id) & (leases.c.expires_at > now))).scalars())
    if not holders or annotator in holders:
        return
    needed = connection.execute(sa.select(samples.c.needed).where(samples.c.id == sample_id)).scalar() or 0
    if len(holders) >= max(needed, 1):
        raise ConflictError(f"sample {sample_id} is leased to {', '.join(map(repr, holders))}, not {annotator!r}")


def end(connection, sample_id: int, annotator: str | None = None) -> bool:
    """End the lease on the sample (``annotator``'s only, when given); whether there was one."""
    condition = leases.c.sample_id == sample_id
    if annotator is not None:
        condition &= leases.c.annotator == annotator
    return connection.execute(leases.delete().where(condition)).rowcount > 0


def live_count(connection, project_id: int, now: float) -> int:
    """Samples of the project under a lease that has not expired."""
    return connection.execute(sa.select(sa.func.count()).select_from(leases).where(
        (leases.c.project_id == project_id) & (leases.c.expires_at > now))).scalar_one()


__all__ = ["end", "expire", "grant", "keep_within_places", "live_count", "not_leased", "open_to", "renew",
           "renew_held", "require_not_held_by_another"]
