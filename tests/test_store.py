"""The selector's store on SQLite and on the real PostgreSQL (127.0.0.1:5432)."""

import threading

import numpy as np
import pytest

from labelassist.runtime.errors import ConflictError, NotFoundError
from labelassist.selector.ranked_queue import RankedQueues


def lease(store, project, annotator, now=None):
    """One sequential lease through the ranked queue, as NextSample takes it."""
    leased = RankedQueues(store, background=False).lease(project, annotator, "sequential", now=now)
    return leased[0] if leased else None


def fill(store, name, count, **project):
    project = store.create_project(name, **project)
    store.add_samples(project, [{"stem": f"s{i:03d}", "image": np.full((4, 4), i, np.uint16),
                                 "sequence": f"seq{i % 3}"} for i in range(count)])
    return project


def test_the_store_runs_on_the_expected_backend(store, request):
    assert store.engine.dialect.name == request.node.callspec.params["store"]


def test_projects_are_unique_and_found_by_name(store):
    project = store.create_project("p")
    assert store.project("p") == project
    with pytest.raises(ConflictError):
        store.create_project("p")
    with pytest.raises(NotFoundError, match="no project 'q'"):
        store.project("q")


def test_samples_keep_pool_order_and_adding_twice_changes_nothing(store):
    project = fill(store, "p", 5)
    assert store.add_samples(project, [{"stem": "s000", "image": np.zeros((4, 4), np.uint16)}]) == 0
    assert [s.stem for s in store.samples(project)] == ["s000", "s001", "s002", "s003", "s004"]


def test_leases_are_exclusive_and_expire(store):
    project = fill(store, "p", 2, lease_seconds=10)
    first, _ = lease(store, project, "ann", now=100.0)
    second, _ = lease(store, project, "bob", now=100.0)
    assert first.stem == "s000" and second.stem == "s001"
    assert lease(store, project, "cid", now=105.0) is None
    expired, _ = lease(store, project, "cid", now=111.0)
    assert expired.stem == "s000"


def test_submitted_labels_are_versioned_with_checksums(store):
    project = fill(store, "p", 2)
    sample, _ = lease(store, project, "ann")
    mask = np.eye(4, dtype=np.uint8)
    first = store.submit_label(sample.id, "ann", mask, "accepted_prelabel")
    second = store.submit_label(sample.id, "bob", mask * 2)
    assert (first.version, second.version) == (1, 2)
    latest, stored = store.latest_label(sample.id)
    assert latest.checksum == second.checksum and np.array_equal(stored, mask * 2)
    assert store.progress(project) == (1, 2, {"ann": 1, "bob": 1})


def test_the_newest_labelled_samples_in_one_query(store):
    project = fill(store, "p", 4)
    rows = {row.stem: row for row in store.samples(project)}
    for stem in ("s003", "s000", "s002"):
        store.submit_label(rows[stem].id, "ann", np.eye(4, dtype=np.uint8))
    store.submit_label(rows["s003"].id, "ann", np.zeros((4, 4), np.uint8))
    assert [row.stem for row in store.newest_labeled(project, 2)] == ["s003", "s002"]
    assert [row.stem for row in store.newest_labeled(project, 10)] == ["s003", "s002", "s000"]
    assert store.newest_labeled(fill(store, "empty", 2), 10) == []


def test_a_foreign_lease_blocks_a_submit(store):
    project = fill(store, "p", 1)
    sample, _ = lease(store, project, "ann")
    with pytest.raises(ConflictError, match="leased to 'ann'"):
        store.submit_label(sample.id, "bob", np.zeros((4, 4), np.uint8))


def test_concurrent_leases_never_hand_out_one_sample_twice(store):
    project = fill(store, "p", 60)
    leased, lock = [], threading.Lock()

    def lease_all(annotator):
        while True:
            picked = lease(store, project, annotator)
            if picked is None:
                return
            store.submit_label(picked[0].id, annotator, np.ones((4, 4), np.uint8))
            with lock:
                leased.append(picked[0].id)

    threads = [threading.Thread(target=lease_all, args=(f"ann{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(leased) == sorted(s.id for s in store.samples(project))
    assert all(len(store.label_history(s)) == 1 for s in leased)
