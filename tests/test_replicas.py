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
        leader._lock_connection.invalidate()  # the leader's database session ends, as when its process dies
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
    assert _calls(assists[1], "/Prelabel") + counts_before[0] >= 96  # every call answered by someone
    assert min(_calls(r, "/Inspect") for r in inspects) >= 10
