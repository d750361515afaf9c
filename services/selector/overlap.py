"""Several annotators per sample: a project labels a share of its samples
(or all) by ``annotators`` different people, and its gold samples (those
with a reference label) too. Each sample keeps how many more annotators it
wants (``samples.needed``); a lease offers it to anyone who has not labelled
it while fewer than that many hold it (:mod:`leasing`), and the queue mixes
samples someone labelled already among fresh ones (:func:`interleave`).

Which samples are shared is decided per sample from its name alone, so it
is the same on every replica and stays the same as samples are added."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import sqlalchemy as sa

from labelassist.selector.records import DERIVED_ORIGINS
from labelassist.selector.schema import gold_labels, labels, samples

MAX_ANNOTATORS = 10


def check_overlap(annotators: int, share: float) -> dict:
    """The overlap settings as stored: ``annotators`` per shared sample (1:
    each sample once) and the ``share`` of samples shared (0 < share <= 1;
    0 stands for all)."""
    annotators, share = int(annotators), float(share)
    if not 1 <= annotators <= MAX_ANNOTATORS:
        raise ValueError(f"'annotators' must be 1 to {MAX_ANNOTATORS}, got {annotators}")
    if not 0 <= share <= 1:
        raise ValueError(f"'share' must lie between 0 and 1 (a fraction of the samples; 0 for all), got {share}")
    return {"annotators": annotators, "share": share or 1.0}


def is_shared(stem: str, share: float) -> bool:
    """Whether the sample named ``stem`` belongs to the shared ``share``: a
    hash of its name, so the choice is even, fixed and needs no state."""
    if share >= 1:
        return True
    fraction = int.from_bytes(hashlib.sha256(stem.encode()).digest()[:8], "big") / 2 ** 64
    return fraction < share


def wanted(settings: Mapping, stem: str, gold: bool = False) -> int:
    """How many different annotators should label the sample in all: the
    project's ``annotators`` for a shared or gold sample, else one."""
    annotators = int(settings.get("annotators", 1))
    if annotators > 1 and (gold or is_shared(stem, float(settings.get("share", 1.0)))):
        return annotators
    return 1


def own_label(origin) -> sa.ColumnElement[bool]:
    """A condition on label rows: an annotator's own label, not one derived from others."""
    return origin.not_in(DERIVED_ORIGINS)


def labelled_by(connection, sample_ids: Sequence[int]) -> dict[int, int]:
    """How many different annotators labelled each of the samples (their own labels)."""
    if not sample_ids:
        return {}
    rows = connection.execute(sa.select(labels.c.sample_id, sa.func.count(sa.distinct(labels.c.annotator)))
                              .where(labels.c.sample_id.in_(list(sample_ids)) & own_label(labels.c.origin))
                              .group_by(labels.c.sample_id)).all()
    return {int(sample_id): int(count) for sample_id, count in rows}


def apply_overlap(connection, project_id: int, settings: Mapping, page: int = 5000) -> int:
    """Set every sample's ``needed`` from the settings and the labels it has
    (inside the caller's transaction); how many samples changed."""
    changed, after = 0, -1
    while True:
        rows = connection.execute(sa.select(samples.c.id, samples.c.stem, samples.c.needed, samples.c.position,
                                            gold_labels.c.sample_id.is_not(None).label("gold"))
                                  .outerjoin(gold_labels, gold_labels.c.sample_id == samples.c.id)
                                  .where((samples.c.project_id == project_id) & (samples.c.position > after))
                                  .order_by(samples.c.position).limit(page)).all()
        if not rows:
            return changed
        done = labelled_by(connection, [row.id for row in rows])
        by_value: dict[int, list[int]] = {}
        for row in rows:
            needed = max(wanted(settings, row.stem, bool(row.gold)) - done.get(row.id, 0), 0)
            if needed != row.needed:
                by_value.setdefault(needed, []).append(row.id)
        for needed, ids in by_value.items():
            connection.execute(samples.update().where(samples.c.id.in_(ids)).values(needed=needed))
            changed += len(ids)
        after = rows[-1].position


def interleave(fresh: Sequence, repeats: Sequence, count: int, last_was_repeat: bool) -> list:
    """Up to ``count`` samples, fresh ones (nobody labelled them) and
    repeats (someone else did) alternating, each kind in its own order, so
    no annotator meets a run of samples others labelled before while fresh
    ones remain; a repeat never follows a repeat (``last_was_repeat``: the
    annotator's previous sample was one) unless no fresh one is left."""
    chosen: list = []
    fresh, repeats = list(fresh), list(repeats)
    previous_repeat = last_was_repeat
    while len(chosen) < count and (fresh or repeats):
        take_repeat = bool(repeats) and (not previous_repeat or not fresh)
        chosen.append(repeats.pop(0) if take_repeat else fresh.pop(0))
        previous_repeat = take_repeat
    return chosen


def last_was_repeat(connection, project_id: int, annotator: str) -> bool:
    """Whether the annotator's newest label in the project was of a sample
    another annotator had labelled before."""
    newest = connection.execute(sa.select(labels.c.sample_id, labels.c.version)
                                .join(samples, samples.c.id == labels.c.sample_id)
                                .where((samples.c.project_id == project_id) & (labels.c.annotator == annotator))
                                .order_by(labels.c.created_at.desc()).limit(1)).first()
    if newest is None:
        return False
    return connection.execute(sa.select(labels.c.id).where(
        (labels.c.sample_id == newest.sample_id) & (labels.c.version < newest.version)
        & (labels.c.annotator != annotator) & own_label(labels.c.origin)).limit(1)).first() is not None


__all__ = ["MAX_ANNOTATORS", "apply_overlap", "check_overlap", "interleave", "is_shared", "labelled_by",
           "last_was_repeat", "own_label", "wanted"]
