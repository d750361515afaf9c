"""Leases, the one place they are written: who holds a sample until when.
Each function works inside the caller's transaction (``connection``), so a
lease decision and the reads it rests on commit together; the caller takes
the project's lock first (:meth:`~labelassist.selector.store.Store.lock_project`)
where two writers could decide on the same sample."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from labelassist.runtime.errors import ConflictError
from labelassist.selector.overlap import own_label
from labelassist.selector.records import SampleRow
from labelassist.selector.schema import labels, leases, ranked, samples, skips


def not_leased(sample_id) -> sa.ColumnElement[bool]:
    """A condition: no lease, live or not yet expired away, holds ``sample_id`` (a column)."""
    return ~sa.exists().where(leases.c.sample_id == sample_id)


def open_to(annotator, sample_id) -> sa.ColumnElement[bool]:
    """A condition: the sample (``sample_id``, a column, beside the samples
    table) wants more annotators than hold it now, and ``annotator`` neither
    holds nor labelled it, so no one labels a sample twice. For a sample one
    annotator labels, the same as "not labelled and not leased"."""
    holders = sa.select(sa.func.count()).where(leases.c.sample_id == sample_id).scalar_subquery()
    return ((samples.c.needed > holders)
            & ~sa.exists().where((leases.c.sample_id == sample_id) & (leases.c.annotator == annotator))
            & ~sa.exists().where((labels.c.sample_id == sample_id) & (labels.c.annotator == annotator)
                                 & own_label(labels.c.origin)))


@functools.cache
def offer_query(by_rank: bool, with_skipped: bool, lock: bool) -> sa.Select:
    """The next samples open to an annotator, best first: by the rank in a
    ranked queue's head (``by_rank``) or in the pool's order, those the
    annotator skipped only ``with_skipped``, and with ``lock`` (PostgreSQL)
    each sample's own row locked, rows other leasers lock skipped.

    Built once per variant, its values bound at execution (``project_id``,
    ``annotator``, ``ranking``, ``count``): a lease spends no time building
    and compiling SQL."""
    sample_id = ranked.c.sample_id if by_rank else samples.c.id
    annotator = sa.bindparam("annotator", type_=leases.c.annotator.type)
    available = open_to(annotator, sample_id)
    if not with_skipped:
        available &= ~sa.exists().where((skips.c.sample_id == sample_id) & (skips.c.annotator == annotator))
    if by_rank:
        query = (sa.select(samples, ranked.c.rank).join(ranked, ranked.c.sample_id == samples.c.id)
                 .where((ranked.c.project_id == sa.bindparam("project_id"))
                        & (ranked.c.ranking == sa.bindparam("ranking")) & available).order_by(ranked.c.rank))
    else:
        query = (sa.select(samples, samples.c.position.label("rank"))
                 .where((samples.c.project_id == sa.bindparam("project_id")) & available).order_by(samples.c.position))
    query = query.limit(sa.bindparam("count", type_=sa.Integer))
    # The sample's own row, whichever ranking reached it: leasers by two rankings (or one
    # in pool order while a head is built) lock the same row, so the second skips it.
    return query.with_for_update(skip_locked=True, of=samples) if lock else query


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


def expire_and_renew_held(connection, project_id: int, annotator: str, count: int, now: float,
                          expires_at: float) -> list[SampleRow]:
    """:func:`expire`, then :func:`renew_held`: on PostgreSQL in one
    statement (one round trip per lease fewer). Its parts share one
    snapshot, so the annotator's leases it renews are those still live
    at ``now``, which the expiry leaves alone."""
    if connection.dialect.name != "postgresql":
        expire(connection, project_id, now)
        return renew_held(connection, project_id, annotator, count, expires_at)
    # Values named unlike the lease table's columns, which an UPDATE would take them for.
    values = {"project": project_id, "holder": annotator, "count": count, "now": now, "until": expires_at}
    return [SampleRow(**r._mapping) for r in connection.execute(_expire_and_renew_held_statement(), values)]


@functools.cache
def _expire_and_renew_held_statement() -> sa.Select:
    project_id, annotator, now = (sa.bindparam("project", type_=sa.Integer), sa.bindparam("holder", type_=sa.String),
                                  sa.bindparam("now", type_=sa.Float))
    expired = leases.delete().where((leases.c.project_id == project_id) & (leases.c.expires_at <= now)).cte("expired")
    held = (sa.select(leases.c.sample_id, leases.c.expires_at.label("held_until"), samples.c.position)
            .join(samples, samples.c.id == leases.c.sample_id)
            .where((leases.c.project_id == project_id) & (leases.c.annotator == annotator)
                   & (leases.c.expires_at > now))
            .order_by(leases.c.expires_at, samples.c.position).limit(sa.bindparam("count", type_=sa.Integer))
            .cte("held"))
    renewed = (leases.update().where((leases.c.annotator == annotator)
                                     & leases.c.sample_id.in_(sa.select(held.c.sample_id)))
               .values(expires_at=sa.bindparam("until", type_=sa.Float)).cte("renewed"))
    return (sa.select(samples).join(held, held.c.sample_id == samples.c.id)
            .order_by(held.c.held_until, held.c.position).add_cte(expired, renewed))


def grant(connection, project_id: int, annotator: str, sample_ids: Sequence[int], expires_at: float) -> None:
    """Lease the samples to ``annotator`` until ``expires_at`` (the lease
    table's key refuses a sample another leaser took meanwhile)."""
    if sample_ids:
        connection.execute(leases.insert(), [{"sample_id": sample_id, "project_id": project_id,
                                              "annotator": annotator, "expires_at": expires_at}
                                             for sample_id in sample_ids])


def grant_within_places(connection, project_id: int, annotator: str, sample_ids: Sequence[int],
                        expires_at: float) -> list[int]:
    """:func:`grant`, and of ``sample_ids`` those the sample has a place for;
    the leases on the others end again.

    On PostgreSQL a leaser reads in its statement's snapshot: a sample
    another leaser took and committed since then looks free, and its row
    lock, released at that commit, no longer holds the second leaser back
    (the lease table's key allows one lease per sample and annotator). The
    statement that grants starts after the leaser locked the rows, so its
    snapshot sees every lease committed before; it does not see its own
    inserts, so a sample is over when others fill its places already."""
    if connection.dialect.name != "postgresql":
        grant(connection, project_id, annotator, sample_ids, expires_at)
        return list(sample_ids)
    if not sample_ids:
        return []
    over = set(connection.execute(_grant_within_places_statement(), {
        "sample_ids": list(sample_ids), "project": project_id, "holder": annotator, "until": expires_at}).scalars())
    for sample_id in over:
        end(connection, sample_id, annotator)
    return [sample_id for sample_id in sample_ids if sample_id not in over]


@functools.cache
def _grant_within_places_statement() -> sa.Select:
    granted = leases.insert().from_select(
        ["sample_id", "project_id", "annotator", "expires_at"],
        sa.select(sa.func.unnest(sa.bindparam("sample_ids", type_=postgresql.ARRAY(sa.Integer))),
                  sa.bindparam("project", type_=sa.Integer), sa.bindparam("holder", type_=sa.String),
                  sa.bindparam("until", type_=sa.Float)),
    ).returning(leases.c.sample_id).cte("granted")
    others = sa.select(sa.func.count()).where(leases.c.sample_id == granted.c.sample_id).scalar_subquery()
    return (sa.select(granted.c.sample_id).join(samples, samples.c.id == granted.c.sample_id)
            .where(others >= sa.func.greatest(samples.c.needed, 1)))


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


__all__ = ["end", "expire", "expire_and_renew_held", "grant", "grant_within_places", "live_count",
           "not_leased", "offer_query", "open_to", "renew", "renew_held", "require_not_held_by_another"]
