"""Ranked queues: each strategy's best samples of a project, computed off the
request path and kept in the store, so a lease costs O(batch) whatever the
size of the pool.

A queue is keyed by project and ranking (strategy name and parameters). Its
head holds the strategy's first ``HEAD`` picks (``DIVERSE_HEAD`` for
strategies that need embeddings, which run k-center greedy on at most
``CANDIDATES`` samples) beyond the samples under a live lease, which stay in
it: a head of leased samples is never mistaken for an exhausted pool. A
lease takes the first entries that are not labelled, not leased and not
skipped by the annotator, under a short lock.
A head is built in the background when samples arrive (:meth:`RankedQueues.prepare`),
and rebuilt when what it was built from changes (new samples, another model
version or more scored samples: the U-Net's, or for a classification
strategy the class model's) or when leases have used most of it. In a
large pool leases go on meanwhile: from the old head, or in the pool's
order until the ranking's first head exists (the result names the order).
A small pool is ranked again on the spot, as is a head found used up.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from labelassist.selector.candidate_pool import Freshness, Pool, PoolReader, needs, rank_pool
from labelassist.selector import leasing, overlap
from labelassist.selector.database import insert_rows
from labelassist.selector.schema import ranked, rankings, samples
from labelassist.selector.store import Project, SampleRow, Store
from labelassist.selector.strategies import STRATEGIES

logger = logging.getLogger("labelassist.ranked_queue")

HEAD = 4096
DIVERSE_HEAD = 1024
CANDIDATES = 8192
REFILL_AT = 0.5  # rebuild once a lease reaches this far into a head that does not hold the whole pool
TAKE_ATTEMPTS = 8
RECHECK = 0.5  # seconds a head's state and the pool's counts are trusted without reading them again


def ranking_key(strategy: str, values: Mapping[str, Any]) -> str:
    """One queue per strategy and parameter values."""
    return strategy + json.dumps(dict(values), sort_keys=True, separators=(",", ":"))


# The order a lease is served from while its ranking's first head is built,
# for pools whose first build would keep the annotator waiting (about 1 s
# per 20,000 samples on two cores; smaller pools are ranked on the spot),
# and while a classification ranking waits for its first class scores.
INTERIM_ORDER = "sequential"
WAIT_FOR_BUILD_UP_TO = 10_000


class Leased(list):
    """The leases of one call, and the order they were taken in: the
    ranking asked for, or :data:`INTERIM_ORDER` while its queue is built."""

    def __init__(self, leases=(), order: str = ""):
        super().__init__(leases)
        self.order = order


class RankedQueues:
    """Leases from ranked queue heads kept fresh by a background builder."""

    def __init__(self, store: Store, background: bool = True, min_interval: float = 1.0):
        self.store = store
        self.reader = PoolReader(store)
        self.min_interval = min_interval
        self._locks: dict[tuple[int, str], threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._wanted: queue.Queue = queue.Queue()
        self._scheduled: set[tuple[int, str]] = set()
        self._stop = threading.Event()
        self._states: dict[tuple[int, str], tuple[dict, float]] = {}
        self._fresh: dict[int, tuple[Freshness, float]] = {}
        self.builds = 0
        self.background = background
        if background:
            threading.Thread(target=self._build_in_background, name="ranked-queues", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self._wanted.put(None)

    def waiting(self) -> int:
        """Ranked queues scheduled for a rebuild and not yet rebuilt."""
        with self._locks_guard:
            return len(self._scheduled)

    # -- leasing --------------------------------------------------------------

    def prepare(self, project: Project, strategy: str, parameters: Mapping[str, Any] | None = None) -> None:
        """Build the ranking's queue in the background unless it exists and
        is fresh: called when samples arrive or a strategy is chosen, so the
        first lease finds it ready."""
        values = STRATEGIES.get(strategy).bind(parameters)
        key = ranking_key(strategy, values)
        state = self._state(project, key, cached=True)
        if state is None or self._stale(state, project, strategy, values, cached=False):
            self._schedule(project, strategy, values, key)

    def lease(self, project: Project, annotator: str, strategy: str, parameters: Mapping[str, Any] | None = None,
              count: int = 1, now: float | None = None) -> Leased:
        """Lease up to ``count`` samples to ``annotator``, best first: the
        live leases they already hold (renewed), then the queue's next
        available entries. What they skipped comes back only when nothing
        else is left. Empty when the pool is done. Until the ranking's first
        queue is built (in the background), leases follow the pool's order
        and the result's ``order`` says so."""
        if not annotator:
            raise ValueError("'annotator' must be set")
        if not 1 <= count <= 1000:
            raise ValueError(f"'count' must be 1 to 1000, got {count}")
        values = STRATEGIES.get(strategy).bind(parameters)
        key = ranking_key(strategy, values)
        now = time.time() if now is None else now
        if self._waits_for_class_scores(project, strategy, values):
            return Leased(self._take_in_pool_order(project, annotator, count, now), INTERIM_ORDER)
        state = self._state(project, key, cached=True)
        stale = False
        if state is None and self._builds_too_long_to_wait(project, strategy, values):
            self._schedule(project, strategy, values, key)
            return Leased(self._take_in_pool_order(project, annotator, count, now), INTERIM_ORDER)
        if state is None:
            state = self._build(project, strategy, values, key)
        elif stale := self._stale(state, project, strategy, values):
            # A small pool is ranked again on the spot, unless a build of it runs already.
            rebuilt = None if self._builds_too_long_to_wait(project, strategy, values) else \
                self._build(project, strategy, values, key, unless_newer_than=state["built_at"], wait=False)
            if rebuilt is None:
                self._schedule(project, strategy, values, key)
            else:
                state, stale = rebuilt, False
        leased, deepest = self._take(project, key, annotator, count, now, with_skipped=False)
        if len(leased) < count and not stale and state["complete"]:
            # "Used up" must mean the pool is done: counts read now, not as cached.
            stale = self._stale(state, project, strategy, values, cached=False)
        if len(leased) < count and (stale or not state["complete"]):
            # The head is used up but the pool may not be: rebuild now.
            state = self._build(project, strategy, values, key, unless_newer_than=state["built_at"])
            leased, deepest = self._take(project, key, annotator, count, now, with_skipped=False)
        if len(leased) < count:
            leased, deepest = self._take(project, key, annotator, count, now, with_skipped=True)
        if not state["complete"] and deepest >= REFILL_AT * state["size"]:
            self._schedule(project, strategy, values, key)
        return Leased(leased, strategy)

    def _builds_too_long_to_wait(self, project: Project, strategy: str, values: Mapping[str, Any]) -> bool:
        """Whether a lease goes on without waiting for a build (the first
        one in the pool's order, later ones from the old head) while the
        builder ranks: a pool over :data:`WAIT_FOR_BUILD_UP_TO` samples, with
        a background builder, and a strategy that can rank it (one that
        needs scores before any exist is refused by the build itself)."""
        if not self.background:
            return False
        fresh = self._freshness(project)
        wanted = needs(strategy, values)
        return fresh.total > WAIT_FOR_BUILD_UP_TO and not (wanted & {"scores", "class_posteriors"}
                                                           and not fresh.model(wanted)[0])

    def _waits_for_class_scores(self, project: Project, strategy: str, values: Mapping[str, Any]) -> bool:
        """Whether a classification ranking has nothing to rank yet (the
        class scorer, started by the request, has scored none of the
        project's samples with its class model now): its leases follow the
        pool's order meanwhile, and Progress says how many are scored."""
        if "class_posteriors" not in needs(strategy, values):
            return False
        fresh = self._freshness(project)
        return not (fresh.class_version and fresh.class_scored)

    def _take_in_pool_order(self, project: Project, annotator: str, count: int, now: float
                            ) -> list[tuple[SampleRow, float]]:
        """Leases in the pool's order (an index scan), skipped samples last."""
        for with_skipped in (False, True):
            leased, _ = self._take(project, None, annotator, count, now, with_skipped)
            if len(leased) == count:
                break
        return leased

    def _take(self, project: Project, key: str | None, annotator: str, count: int, now: float, with_skipped: bool
              ) -> tuple[list[tuple[SampleRow, float]], int]:
        """:meth:`_try_take`, again when a concurrent leaser won the same
        sample (the lease table's key refused the second lease)."""
        for attempt in range(TAKE_ATTEMPTS):
            try:
                return self._try_take(project, key, annotator, count, now, with_skipped)
            except IntegrityError:
                if attempt == TAKE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _try_take(self, project: Project, key: str | None, annotator: str, count: int, now: float,
                  with_skipped: bool) -> tuple[list[tuple[SampleRow, float]], int]:
        """One short transaction: expire old leases, renew the annotator's,
        lease the head's first available entries (``key`` None: the pool's,
        by position). Also the deepest rank taken."""
        store = self.store
        expires_at = now + project.lease_seconds
        with store.lease_engine.begin() as connection:
            # SQLite serialises writers; PostgreSQL leasers skip each other's
            # rows (FOR UPDATE SKIP LOCKED) instead of queueing on one lock,
            # and do not wait for the log flush (the lease engine's sessions):
            # a lease lost in a crash just returns its sample to the pool.
            held = leasing.expire_and_renew_held(connection, project.id, annotator, count, now, expires_at)
            deepest = 0
            chosen: list[SampleRow] = []
            for _ in range(TAKE_ATTEMPTS):
                if len(held) + len(chosen) >= count:
                    break
                rows = self._offer(connection, project, key, annotator, count - len(held) - len(chosen),
                                   with_skipped)
                deepest = max([deepest] + [r.rank for r in rows])
                kept = set(leasing.grant_within_places(connection, project.id, annotator, [r.id for r in rows],
                                                       expires_at))
                chosen += [SampleRow(**{k: v for k, v in r._mapping.items() if k != "rank"})
                           for r in rows if r.id in kept]
                if len(kept) == len(rows):
                    break
                # Samples a concurrent leaser took first: the next statement's snapshot sees their leases.
        return [(row, expires_at) for row in held + chosen], deepest

    def _offer(self, connection, project: Project, key: str | None, annotator: str, count: int,
               with_skipped: bool) -> list:
        """The next ``count`` samples open to ``annotator`` (rows with their rank)."""
        query = leasing.offer_query(key is not None, with_skipped, self.store.is_postgres)
        values = {"project_id": project.id, "annotator": annotator, "ranking": key, "count": count}
        if self.store.settings(project, "overlap", max_age=RECHECK).get("annotators", 1) > 1:
            # Samples others labelled already, mixed among fresh ones.
            return overlap.interleave(connection.execute(query.where(~samples.c.labeled), values).all(),
                                      connection.execute(query.where(samples.c.labeled), values).all(),
                                      count, overlap.last_was_repeat(connection, project.id, annotator))
        return connection.execute(query, values).all()

    # -- building -------------------------------------------------------------

    def _state(self, project: Project, key: str, cached: bool = False) -> dict | None:
        """What the head was built from; with ``cached``, as read within the
        last ``RECHECK`` seconds (another selector process may build too)."""
        now = time.monotonic()
        remembered = self._states.get((project.id, key))
        if cached and remembered is not None and now - remembered[1] < RECHECK:
            return remembered[0]
        with self.store.reader.connect() as connection:
            row = connection.execute(sa.select(rankings).where(
                (rankings.c.project_id == project.id) & (rankings.c.ranking == key))).first()
        state = dict(row._mapping) if row else None
        if state is not None:
            self._states[(project.id, key)] = (state, now)
        return state

    def _freshness(self, project: Project, cached: bool = True) -> Freshness:
        """The project's counts, read at most every ``RECHECK`` seconds
        (every time without ``cached``)."""
        now = time.monotonic()
        remembered = self._fresh.get(project.id)
        if remembered is None or not cached or now - remembered[1] >= RECHECK:
            remembered = self._fresh[project.id] = (self.reader.freshness(project), now)
        return remembered[0]

    def _stale(self, state: dict, project: Project, strategy: str, values: Mapping[str, Any],
               cached: bool = True) -> bool:
        fresh = self._freshness(project, cached)
        if fresh.total != state["total"]:
            return True
        wanted = needs(strategy, values)
        uses_model = bool(wanted & {"scores", "embeddings", "class_posteriors"})
        return uses_model and fresh.model(wanted) != (state["model_version"], state["scored"])

    def _lock(self, project: Project, key: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault((project.id, key), threading.Lock())

    def _schedule(self, project: Project, strategy: str, values: Mapping[str, Any], key: str) -> None:
        with self._locks_guard:
            if (project.id, key) in self._scheduled:
                return
            self._scheduled.add((project.id, key))
        self._wanted.put((project, strategy, dict(values), key))

    def _build_in_background(self) -> None:
        while not self._stop.is_set():
            item = self._wanted.get()
            if item is None:
                return
            project, strategy, values, key = item
            state = self._state(project, key)
            if state is not None:
                # A slow build runs at most a tenth of the time: the pool changes, the queue follows.
                wait = state["built_at"] + max(self.min_interval, 10 * state["seconds"]) - time.time()
                if wait > 0 and self._stop.wait(wait):
                    return
            with self._locks_guard:
                self._scheduled.discard((project.id, key))
            try:
                self._build(project, strategy, values, key)
            except Exception:  # noqa: BLE001 - the old head keeps serving; the next lease asks again
                logger.warning("rebuilding the %s queue of project %s failed", strategy, project.name,
                               exc_info=True)

    def _build(self, project: Project, strategy: str, values: Mapping[str, Any], key: str,
               unless_newer_than: float | None = None, wait: bool = True) -> dict | None:
        """Rank and store a new head (one build per queue at a time); with
        ``unless_newer_than``, only if no build came after that one; without
        ``wait``, None at once while another build of it runs."""
        lock = self._lock(project, key)
        if not lock.acquire(blocking=wait):
            return None
        try:
            state = self._state(project, key)
            if state is not None and unless_newer_than is not None and state["built_at"] > unless_newer_than:
                return state
            started = time.perf_counter()
            fresh = self.reader.freshness(project)
            wanted = needs(strategy, values)
            pool = self.reader.pool(project, wanted, fresh.model_version)
            # Leased samples stay in the head (their lease may expire), so the head
            # holds its full size in samples that are free beside them.
            head = (DIVERSE_HEAD if wanted & {"embeddings", "features"} else HEAD) \
                + self.reader.live_leases(project, time.time())
            count = min(head, len(pool.ids))
            complete = count == pool.unlabelled
            pool = self._bounded(pool, wanted, values, fresh.model_version)
            picks = rank_pool(strategy, values, pool, count) if count else np.zeros(0, np.int64)
            self._fresh[project.id] = (fresh, time.monotonic())
            model_version, scored = fresh.model(wanted)
            state = {"project_id": project.id, "ranking": key, "total": fresh.total,
                     "model_version": model_version, "scored": scored, "size": len(picks),
                     "complete": bool(complete), "built_at": time.time(),
                     "seconds": time.perf_counter() - started}
            with self.store.engine.begin() as connection:
                # Serialised with leases and with builders in other selector processes.
                self.store.lock_project(connection, project.id)
                connection.execute(ranked.delete().where((ranked.c.project_id == project.id)
                                                         & (ranked.c.ranking == key)))
                insert_rows(connection, ranked, [
                    {"project_id": project.id, "ranking": key, "rank": rank, "sample_id": int(sample_id)}
                    for rank, sample_id in enumerate(picks)])
                connection.execute(rankings.delete().where((rankings.c.project_id == project.id)
                                                           & (rankings.c.ranking == key)))
                connection.execute(rankings.insert().values(**state))
            if self.store.is_postgres:
                # Fresh statistics for the lease query's plan (index probes, not scans).
                with self.store.engine.connect() as connection:
                    connection.execute(sa.text("ANALYZE ranked, leases, skips"))
                    connection.commit()
            self._states[(project.id, key)] = (state, time.monotonic())
            self.builds += 1
            logger.info("ranked %d of %d candidates of %s by %s in %.2f s", len(picks), len(pool.ids),
                        project.name, strategy, state["seconds"])
            return state
        finally:
            lock.release()

    def _bounded(self, pool: Pool, wanted: frozenset[str], values: Mapping[str, Any], version: int) -> Pool:
        """Load the vectors the strategy needs, for at most ``CANDIDATES``
        candidates: the most uncertain when it ranks by scores too (its
        shortlist lies among them), else a seeded random sample."""
        if not wanted & {"embeddings", "features"}:
            return pool
        if len(pool.ids) > CANDIDATES:
            if pool.score_table is not None:
                column = pool.score_table[f"{values.get('measure', 'entropy')}_{values.get('aggregation', 'mean')}"]
                keep = np.sort(np.argpartition(-column, CANDIDATES - 1)[:CANDIDATES])
            else:
                keep = np.sort(np.random.default_rng(0).choice(len(pool.ids), CANDIDATES, replace=False))
            pool = pool.subset(keep)
        use_model = "embeddings" in wanted and pool.score_table is not None
        pool.embeddings = self.reader.vectors(pool.ids, version if use_model else None)
        if not use_model:
            taken = pool.taken_ids
            if len(taken) > CANDIDATES:
                taken = np.sort(np.random.default_rng(0).choice(taken, CANDIDATES, replace=False))
            pool.taken_embeddings = self.reader.vectors(taken, None) if len(taken) else None
        return pool


__all__ = ["RankedQueues", "Leased", "INTERIM_ORDER", "ranking_key", "HEAD", "DIVERSE_HEAD", "CANDIDATES"]
