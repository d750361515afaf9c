"""Ranked queues (the selector's lease path at scale) on SQLite and on the
real PostgreSQL: the same picks as ranking the whole pool, no double lease
under 16 concurrent annotators, heads that refill, and a new model version
re-ranked without holding leases up."""

import threading
import time

import numpy as np
import pytest

from labelassist.imaging.class_uncertainty import SCORE_NAMES as CLASS_SCORE_NAMES
from labelassist.selector import ranked_queue
from labelassist.selector.class_score_records import ClassScoreRecords
from labelassist.selector.ranked_queue import RankedQueues, ranking_key
from labelassist.selector.scoring import SCORE_NAMES
from labelassist.selector.selection import rank_samples
from labelassist.selector.strategies import STRATEGIES

CALLS = [("sequential", {}), ("random", {"seed": 3}), ("sequence_aware", {"seed": 1}),
         ("uncertainty", {}), ("uncertainty", {"measure": "bald", "aggregation": "topk"}),
         ("uncertainty", {"min_distance": 1.0}), ("coreset", {}), ("hybrid", {"prefilter": 2.0})]


def scored_pool(store, name, count, version=1, seed=0):
    """A project of distinct images in four sequences, every sample scored by ``version``."""
    rng = np.random.default_rng(seed)
    project = store.create_project(name)
    store.add_samples(project, [{"stem": f"s{i:03d}", "image": rng.integers(0, 4000, (16, 16), dtype=np.uint16),
                                 "sequence": f"seq{i % 4}"} for i in range(count)])
    score(store, project, version, rng)
    return project


def score(store, project, version, rng):
    rows = list(store.samples(project))
    values = rng.random((len(rows), len(SCORE_NAMES)), dtype=np.float32)
    embeddings = rng.normal(size=(len(rows), 8)).astype(np.float32)
    store.save_scores(rows, version, list(values), list(embeddings))
    return {row.id: (values[i], embeddings[i]) for i, row in enumerate(rows)}


@pytest.mark.parametrize("strategy, parameters", CALLS, ids=[f"{s}-{'-'.join(map(str, p.values()))}"
                                                             for s, p in CALLS])
def test_leases_follow_the_full_ranking_of_the_pool_for_every_strategy(store, strategy, parameters):
    project = scored_pool(store, "p", 40)
    rows = [store.sample(row.id) for row in store.samples(project)]  # whole rows, image features included
    version, model_scores = 1, {}
    with store.reader.connect() as connection:
        from labelassist.selector.schema import scores

        for r in connection.execute(scores.select().where(scores.c.model_version == version)):
            model_scores[r.sample_id] = (np.frombuffer(r.values, np.float32), np.frombuffer(r.embedding, np.float32))
    expected = [row.id for row in rank_samples(strategy, parameters, rows, [], model_scores)]
    queues = RankedQueues(store, background=False)
    picks = [queues.lease(project, f"ann{i}", strategy, parameters)[0][0].id for i in range(len(rows))]
    assert picks == expected
    assert queues.lease(project, "late", strategy, parameters) == []


# Served once the class scorer has stored class scores (tests/test_class_selection.py);
# until then refused, as tested below, and ranked by stored class scores after.
UNSERVED = {"class_uncertainty", "class_balance"}


def test_every_strategy_is_covered():
    assert {name for name, _ in CALLS} | UNSERVED == {entry.name for entry in STRATEGIES.entries()}


@pytest.mark.parametrize("strategy", sorted(UNSERVED))
def test_class_strategies_without_class_scores_lease_in_pool_order_and_say_so(store, strategy):
    project = scored_pool(store, "p", 10)
    queues = RankedQueues(store, background=False)
    leased = queues.lease(project, "ann", strategy, count=2)
    assert leased.order == ranked_queue.INTERIM_ORDER
    assert [row.position for row, _ in leased] == [row.position for row in list(store.samples(project))[:2]]


def test_class_strategies_lease_by_the_stored_class_scores_and_a_new_class_model_re_ranks(store, monkeypatch):
    monkeypatch.setattr(ranked_queue, "RECHECK", 0.0)  # the new version seen at once, not within half a second
    rng = np.random.default_rng(0)
    project = scored_pool(store, "p", 12)
    rows, records = list(store.samples(project)), ClassScoreRecords(store)
    queues = RankedQueues(store, background=False)
    for version in (1, 2):
        values = rng.random((len(rows), len(CLASS_SCORE_NAMES)), dtype=np.float32)
        records.set_model(project, version, "object", ("a", "b"), f"labels-{version}")
        records.save(project, version, rows, list(values), list(rng.random((len(rows), 2), dtype=np.float32)))
        assert records.state(project).scored == len(rows)
        (leased, _), = queues.lease(project, "ann", "class_uncertainty", {"measure": "bald", "aggregation": "max"})
        assert leased.id == rows[int(np.argmax(values[:, CLASS_SCORE_NAMES.index("bald_max")]))].id
        store.release_lease(leased.id, "ann", False, "")


def test_deleting_class_scored_samples_and_projects_keeps_the_class_counts_right(store):
    from labelassist.selector.deletion import delete_project, delete_samples

    project = scored_pool(store, "p", 6)
    rows, records = list(store.samples(project)), ClassScoreRecords(store)
    records.set_model(project, 1, "object", ("a", "b"), "labels")
    records.save(project, 1, rows, [np.zeros(len(CLASS_SCORE_NAMES))] * 6, [np.ones(2)] * 6)
    delete_samples(store, project, [rows[0].id, rows[1].id], "admin")
    assert records.state(project).scored == 4
    delete_project(store, project, "admin")
    assert records.state(project) is None


def test_a_head_smaller_than_the_pool_refills_and_every_sample_is_leased_once(store, monkeypatch):
    monkeypatch.setattr(ranked_queue, "HEAD", 8)
    project = scored_pool(store, "p", 30)
    queues = RankedQueues(store, background=False)
    picks = []
    for i in range(30):
        row, _ = queues.lease(project, f"ann{i}", "sequential")[0]
        store.submit_label(row.id, f"ann{i}", np.zeros((16, 16), np.uint8))
        picks.append(row.position)
    assert picks == list(range(30))
    assert queues.builds > 3
    assert queues.lease(project, "late", "sequential") == []


@pytest.mark.parametrize("strategy, parameters", CALLS, ids=[f"{s}-{'-'.join(map(str, p.values()))}"
                                                             for s, p in CALLS])
def test_leases_past_a_head_of_leased_samples_reach_every_free_sample_for_every_strategy(
        store, monkeypatch, strategy, parameters):
    monkeypatch.setattr(ranked_queue, "HEAD", 8)
    monkeypatch.setattr(ranked_queue, "DIVERSE_HEAD", 8)
    project = scored_pool(store, "p", 40)
    queues = RankedQueues(store, background=False)
    # Leased, not labelled: every lease stays live, so each head is used up by leases alone.
    leased = [row.id for row, _ in queues.lease(project, "batch", strategy, parameters, count=12)]
    for i in range(28):
        taken = queues.lease(project, f"ann{i}", strategy, parameters)
        assert taken, f"exhausted after {len(leased)} leases with {40 - len(leased)} samples free"
        leased.append(taken[0][0].id)
    assert sorted(leased) == sorted(row.id for row in store.samples(project))
    assert queues.lease(project, "late", strategy, parameters) == []


def test_batch_leases_return_held_samples_first_then_the_next_best(store):
    project = scored_pool(store, "p", 20)
    queues = RankedQueues(store, background=False)
    first = [row.position for row, _ in queues.lease(project, "ann", "sequential", count=3)]
    again = [row.position for row, _ in queues.lease(project, "ann", "sequential", count=5)]
    other = [row.position for row, _ in queues.lease(project, "bob", "sequential", count=4)]
    assert (first, again, other) == ([0, 1, 2], [0, 1, 2, 3, 4], [5, 6, 7, 8])
    with pytest.raises(ValueError, match="'count' must be 1 to 1000"):
        queues.lease(project, "ann", "sequential", count=0)


def test_sixteen_concurrent_annotators_never_share_a_sample(store):
    project = scored_pool(store, "p", 160)
    queues = RankedQueues(store)
    leased, errors, lock = [], [], threading.Lock()

    def work(index):
        annotator = f"ann{index}"
        try:
            while picked := queues.lease(project, annotator, "coreset" if index % 2 else "sequence_aware",
                                         count=1 + index % 3):
                for row, _ in picked:
                    store.submit_label(row.id, annotator, np.ones((16, 16), np.uint8))
                with lock:
                    leased.extend(row.id for row, _ in picked)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queues.stop()
    assert errors == []
    assert sorted(leased) == sorted(row.id for row in store.samples(project))
    assert all(len(store.label_history(sample)) == 1 for sample in leased)


def test_a_new_model_version_is_ranked_in_the_background_while_leases_go_on(store):
    project = scored_pool(store, "p", 60, version=1)
    queues = RankedQueues(store, min_interval=0.0)
    first = queues.lease(project, "ann0", "uncertainty")[0][0]
    new_scores = score(store, project, 2, np.random.default_rng(7))
    time.sleep(ranked_queue.RECHECK)  # the pool's counts are re-read at most this often
    key = ranking_key("uncertainty", STRATEGIES.get("uncertainty").bind())
    with queues._lock(project, key):  # a long re-ranking in progress
        started = time.perf_counter()
        during = queues.lease(project, "ann1", "uncertainty")
        assert time.perf_counter() - started < 5 and len(during) == 1  # served from the old head
    deadline = time.time() + 30
    while queues._state(project, key)["model_version"] != 2:
        assert time.time() < deadline, "the queue was not re-ranked for version 2"
        time.sleep(0.05)
    taken = {first.id, during[0][0].id}
    best = sorted((sid for sid in new_scores if sid not in taken), key=lambda sid: -new_scores[sid][0][0])
    assert queues.lease(project, "ann2", "uncertainty")[0][0].id == best[0]
    queues.stop()


def _wait_for_builds(queues, builds: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while queues.builds < builds or queues.waiting():
        assert time.monotonic() < deadline, "the background builder did not build the queue"
        time.sleep(0.02)


def test_the_first_lease_of_a_large_pool_is_served_in_pool_order_while_the_ranking_is_built(store, monkeypatch):
    monkeypatch.setattr(ranked_queue, "WAIT_FOR_BUILD_UP_TO", 10)
    project = scored_pool(store, "p", 30)
    queues = RankedQueues(store, min_interval=0.0)
    try:
        first = queues.lease(project, "ann0", "random", {"seed": 3}, count=2)
        assert first.order == ranked_queue.INTERIM_ORDER
        assert [row.position for row, _ in first] == [0, 1]
        _wait_for_builds(queues, 1)
        later = queues.lease(project, "ann1", "random", {"seed": 3}, count=5)
        assert later.order == "random"
        taken = {row.id for row, _ in first}
        ranked_ids = [row.id for row in rank_samples("random", {"seed": 3}, list(store.samples(project)), [], {})]
        assert [row.id for row, _ in later] == [i for i in ranked_ids if i not in taken][:5]
    finally:
        queues.stop()


def test_a_queue_prepared_at_registration_serves_the_first_lease_ranked(store, monkeypatch):
    monkeypatch.setattr(ranked_queue, "WAIT_FOR_BUILD_UP_TO", 10)
    project = scored_pool(store, "p", 30)
    queues = RankedQueues(store, min_interval=0.0)
    try:
        queues.prepare(project, "random", {"seed": 3})
        _wait_for_builds(queues, 1)
        started = time.perf_counter()
        leased = queues.lease(project, "ann", "random", {"seed": 3})
        assert leased.order == "random" and time.perf_counter() - started < 1.0
    finally:
        queues.stop()


def test_uncertainty_before_any_model_is_refused_on_a_large_pool_too(store, monkeypatch):
    monkeypatch.setattr(ranked_queue, "WAIT_FOR_BUILD_UP_TO", 10)
    project = store.create_project("unscored")
    store.add_samples(project, [{"stem": f"s{i}", "image": np.full((8, 8), i, np.uint16)} for i in range(20)])
    queues = RankedQueues(store)
    try:
        with pytest.raises(Exception, match="needs uncertainty scores"):
            queues.lease(project, "ann", "uncertainty")
    finally:
        queues.stop()
