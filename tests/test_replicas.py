"""Two selector replicas on one PostgreSQL behind one balanced SDK channel:
leases and labels stay correct when one replica is killed mid-run, and
exactly one replica runs the background scorer."""

import threading

import numpy as np

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.proto.wire.channel import replica_target
from labelassist.selector.scorer import Scorer
from labelassist.selector.store import Store

IMAGE = np.arange(64, dtype=np.uint16).reshape(8, 8)


def test_a_list_of_replicas_becomes_one_balanced_target():
    assert replica_target("127.0.0.1:1,127.0.0.1:2") == "ipv4:127.0.0.1:1,127.0.0.1:2"
    assert replica_target("[::1]:1,[::1]:2") == "ipv6:[::1]:1,[::1]:2"
    assert replica_target("dns:///selector.lab:50051") == "dns:///selector.lab:50051"
    assert replica_target("127.0.0.1:50051") == "127.0.0.1:50051"


def test_exactly_one_replica_scores_and_another_takes_over_when_it_dies(postgres_url, tmp_path):
    first, second = Store(postgres_url, tmp_path / "blobs"), Store(postgres_url, tmp_path / "blobs")
    try:
        leader, follower = Scorer(first, None), Scorer(second, None)
        assert leader.is_leader() and not follower.is_leader()
        assert leader.is_leader()  # holding the lock, it stays the leader
        leader.leadership.connection.invalidate()  # the leader's database session ends, as when its process dies
        assert follower.is_leader()
    finally:
        first.close()
        second.close()


def test_annotators_on_two_selectors_lose_nothing_when_one_is_killed(start_service, postgres_url):
    replicas = [start_service("selector", "--database-url", postgres_url) for _ in range(2)]
    both = ",".join(replica.address for replica in replicas)
    with LabelAssistClient(ServiceAddresses(selector=both), timeout=60, retries=8) as client:
        client.create_project("shared", strategy="sequential")
        client.add_samples("shared", [{"stem": f"s{i:03d}", "image": IMAGE + i} for i in range(120)])
    acknowledged: dict[int, str] = {}
    errors, lock, halfway = [], threading.Lock(), threading.Event()

    def annotate(name: str) -> None:
        try:
            with LabelAssistClient(ServiceAddresses(selector=both), timeout=60, retries=8) as own:
                while not (lease := own.next_sample("shared", name)).exhausted:
                    own.submit_label(lease.sample.sample_id, name, np.ones((8, 8), np.uint8))
                    with lock:
                        assert lease.sample.sample_id not in acknowledged, "leased twice"
                        acknowledged[lease.sample.sample_id] = name
                        if len(acknowledged) >= 40:
                            halfway.set()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=annotate, args=(f"ann{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    assert halfway.wait(120)
    replicas[0].process.kill()  # kill -9 one replica mid-run
    for thread in threads:
        thread.join(300)
    assert errors == []
    assert len(acknowledged) == 120
    with LabelAssistClient(ServiceAddresses(selector=replicas[1].address), timeout=60) as client:
        stored = client.list_samples("shared", labeled_only=True)
        assert len(stored) == 120
        for info in stored:
            history = client.label_history(info.sample_id)
            assert {version.annotator for version in history} == {acknowledged[info.sample_id]}


def _calls(replica, method: str) -> int:
    """Calls of ``method`` that the replica answered OK, from its access log."""
    import json

    count = 0
    for line in replica.log_file.read_text().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            count += entry.get("message") == "rpc" and entry.get("method", "").endswith(method) \
                and entry.get("code") == "OK"
    return count


def test_two_assist_and_two_inspect_replicas_share_the_calls_and_survive_losing_one(start_service):
    from shapes import noisy_bimodal

    assists = [start_service("assist") for _ in range(2)]
    inspects = [start_service("inspect") for _ in range(2)]
    addresses = ServiceAddresses(assist=",".join(r.address for r in assists),
                                 inspect=",".join(r.address for r in inspects))
    image, _ = noisy_bimodal(np.random.default_rng(0))
    errors, done, halfway = [], [], threading.Event()

    def annotate() -> None:
        try:
            with LabelAssistClient(addresses, timeout=60, retries=8) as client:
                for _ in range(12):
                    outcome = client.prelabel(image, ("otsu", {"polarity": "bright"}))
                    client.inspect(outcome.mask, image=image, criteria=["holes"], only_listed=True)
                    done.append(1)
                    if len(done) >= 40:
                        halfway.set()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=annotate) for _ in range(8)]
    for thread in threads:
        thread.start()
    assert halfway.wait(120)
    counts_before = [_calls(r, "/Prelabel") for r in assists]
    assert min(counts_before) >= 10, counts_before  # both replicas take calls from the same clients
    assists[0].process.kill()  # kill -9 one replica of each service mid-run
    inspects[0].process.kill()
    for thread in threads:
        thread.join(300)
    assert errors == [] and len(done) == 96
    # Every call answered by someone: the killed replica's log keeps what it answered up to its death
    # (calls it answered after the count above and before the kill included).
    assert _calls(assists[0], "/Prelabel") + _calls(assists[1], "/Prelabel") >= 96
    assert min(_calls(r, "/Inspect") for r in inspects) >= 10


def test_a_training_job_is_followed_from_any_replica_and_ends_when_its_replica_dies(start_service, tmp_path):
    """Two assist replicas share one data directory: a job started through one
    streams to the end through the other, a second job waits its turn, and a
    job whose replica is killed ends as failed for its watchers."""
    import grpc
    import pytest

    from labelassist.client.errors import FailedPreconditionError
    from labelassist.proto.v1 import assist_pb2
    from test_triton import write_blob_dataset

    first, second = start_service("assist"), start_service("assist")
    dataset = tmp_path / "data" / "datasets" / "blobs"
    write_blob_dataset(dataset, 5, seed=8)
    (dataset / "split.csv").write_text("stem,split\ns0,train\ns1,train\ns2,train\ns3,train\ns4,test\n")
    small = {"tile": 64, "depth": 2, "width": 8}
    with LabelAssistClient(ServiceAddresses(assist=first.address), retries=0) as one, \
            LabelAssistClient(ServiceAddresses(assist=second.address), retries=0) as other:
        job = one.train(dataset, epochs=3, steps_per_epoch=5, **small)
        with pytest.raises(FailedPreconditionError, match=f"training job {job} is running; one training runs"):
            other.train(dataset, epochs=1, steps_per_epoch=1, **small)
        events = list(other.train_status(job))  # through the replica that did not start it
        assert [e.epoch for e in events if e.epoch] == [1, 2, 3]
        assert events[-1].state == assist_pb2.TRAIN_STATE_SUCCEEDED and events[-1].model_version == 1

        # After a restart the journal still answers.
        third = start_service("assist")
        with LabelAssistClient(ServiceAddresses(assist=third.address), retries=0) as fresh:
            assert [e.state for e in fresh.train_status(job)] == [e.state for e in events]
            with pytest.raises(grpc.RpcError) as unknown:
                list(fresh.train_status("0123456789abcdef"))
            assert unknown.value.code() == grpc.StatusCode.NOT_FOUND

        long_job = other.train(dataset, epochs=200, steps_per_epoch=20, **small)
        watched = one.train_status(long_job)
        assert next(watched).state == assist_pb2.TRAIN_STATE_RUNNING
        second.process.kill()  # kill -9 the replica that runs it
        last = list(watched)[-1]
        assert last.state == assist_pb2.TRAIN_STATE_FAILED and "stopped before it ended" in last.message
        assert one.train(dataset, epochs=1, steps_per_epoch=1, **small)  # the lock went with the replica


def test_leasers_of_two_strategies_never_hold_one_sample_together(start_service, postgres_url):
    """Annotators leasing by a ranking and in pool order at once on
    PostgreSQL: each lease locks the sample itself, so two leasers that
    reach one sample through different rankings cannot both take it (the
    lease table's key allows one lease per sample and annotator)."""
    selector = start_service("selector", "--database-url", postgres_url)
    with LabelAssistClient(ServiceAddresses(selector=selector.address), timeout=60) as client:
        client.create_project("mixed", strategy="sequential")
        client.add_samples("mixed", [{"stem": f"m{i:03d}", "image": IMAGE + i} for i in range(160)])
    held: dict[str, set[int]] = {}
    errors, start = [], threading.Barrier(8)

    def lease(name: str, strategy: str) -> None:
        try:
            with LabelAssistClient(ServiceAddresses(selector=selector.address), timeout=60) as own:
                start.wait()
                for count in range(2, 40, 2):
                    held[name] = {lease.sample.sample_id for lease in own.next_samples("mixed", name, count,
                                                                                        strategy).leased}
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=lease, args=(f"ann{i}", ("sequential", "random")[i % 2])) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert errors == []
    everyone = [sample for samples in held.values() for sample in samples]
    assert len(everyone) == len(set(everyone)) == 160
