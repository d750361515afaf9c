"""The selector through real servers: strategies, leases, labels, durability."""

import os
import signal
import threading
import time
from itertools import count

import grpc
import numpy as np
import pytest
import tifffile

from labelassist.client.errors import InvalidArgumentError
from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.proto.v1 import selector_pb2
from labelassist.selector.blobs import array_checksum

IMAGE = np.arange(64, dtype=np.uint16).reshape(8, 8)
_ERROR_PROJECTS = count()


@pytest.fixture
def selector(module_service):
    """A client of the module's selector; each test works in projects named for it alone."""
    service = module_service("selector")
    with LabelAssistClient(ServiceAddresses(selector=service.address), timeout=60) as client:
        yield client


def make_project(client, name, count, strategy="", sequences=None, lease_seconds=0.0):
    client.create_project(name, lease_seconds=lease_seconds, strategy=strategy)
    for index in range(count):
        client.add_sample(name, f"s{index:03d}", IMAGE + index,
                          sequence=sequences[index] if sequences else "")
    return name


def lease_order(client, project, count, strategy=None):
    """Stems as leased by ``count`` different annotators (each lease held)."""
    return [client.next_sample(project, f"annotator-{i}", strategy).sample.stem for i in range(count)]


def test_sequential_leases_in_pool_order(selector):
    make_project(selector, "seq", 5, strategy="sequential")
    assert lease_order(selector, "seq", 5) == ["s000", "s001", "s002", "s003", "s004"]
    assert selector.next_sample("seq", "annotator-9").exhausted


def test_random_is_reproducible_by_seed(selector):
    for name in ("r1", "r2", "r3"):
        make_project(selector, name, 12)
    first = lease_order(selector, "r1", 12, ("random", {"seed": 3}))
    again = lease_order(selector, "r2", 12, ("random", {"seed": 3}))
    other = lease_order(selector, "r3", 12, ("random", {"seed": 4}))
    assert first == again and first != other
    assert sorted(first) == [f"s{i:03d}" for i in range(12)]


def test_sequence_aware_covers_every_sequence_before_repeating_one(selector):
    sequences = [f"video-{i % 4}" for i in range(12)]
    make_project(selector, "videos", 12, strategy="sequence_aware", sequences=sequences)
    picked = lease_order(selector, "videos", 12)
    sequence_of = {f"s{i:03d}": sequences[i] for i in range(12)}
    rounds = [sorted(sequence_of[s] for s in picked[r * 4:(r + 1) * 4]) for r in range(3)]
    assert all(r == ["video-0", "video-1", "video-2", "video-3"] for r in rounds)


def test_a_batch_of_leases_holds_no_duplicates(selector):
    make_project(selector, "batch", 10, strategy="random")
    picked = lease_order(selector, "batch", 10)
    assert len(set(picked)) == 10


def test_an_annotator_holding_a_lease_gets_the_same_sample_again(selector):
    make_project(selector, "again", 3, strategy="sequential")
    first = selector.next_sample("again", "ann")
    assert selector.next_sample("again", "ann").sample.sample_id == first.sample.sample_id
    assert selector.next_sample("again", "bob").sample.sample_id != first.sample.sample_id


def test_an_expired_lease_returns_the_sample_to_the_pool(selector):
    make_project(selector, "expiring", 1, strategy="sequential", lease_seconds=0.5)
    first = selector.next_sample("expiring", "ann")
    assert selector.next_sample("expiring", "bob").exhausted
    time.sleep(0.7)
    assert selector.next_sample("expiring", "bob").sample.sample_id == first.sample.sample_id


def test_submit_stores_versions_with_history_and_marks_labeled(selector):
    make_project(selector, "labels", 2, strategy="sequential")
    lease = selector.next_sample("labels", "ann")
    first_mask = (IMAGE > 30).astype(np.uint8)
    v1 = selector.submit_label(lease.sample.sample_id, "ann", first_mask, origin="edited_prelabel")
    second_mask = (IMAGE > 40).astype(np.uint16) * 3
    v2 = selector.submit_label(lease.sample.sample_id, "ann", second_mask)
    assert (v1.version, v2.version) == (1, 2) and v1.checksum == array_checksum(first_mask)
    history = selector.label_history(lease.sample.sample_id)
    assert [(h.version, h.annotator) for h in history] == [(1, "ann"), (2, "ann")]
    fetched = selector.get_sample(lease.sample.sample_id)
    assert fetched.message.labeled and fetched.message.label_version == 2
    assert np.array_equal(fetched.arrays["image"], IMAGE)
    assert np.array_equal(fetched.arrays["label"], second_mask) and fetched.arrays["label"].dtype == np.uint16
    progress = selector.progress("labels")
    assert (progress.labeled, progress.total) == (1, 2)
    assert [(a.annotator, a.labeled) for a in progress.annotators] == [("ann", 1)]


def test_get_sample_returns_the_prelabel_before_any_label(selector):
    selector.create_project("pre")
    prelabel = (IMAGE > 20).astype(np.uint8)
    sample_id = selector.add_sample("pre", "only", IMAGE, prelabel=prelabel)
    fetched = selector.get_sample(sample_id)
    assert set(fetched.arrays) == {"image", "prelabel"} and np.array_equal(fetched.arrays["prelabel"], prelabel)


def test_submitting_a_sample_leased_to_someone_else_is_refused(selector):
    make_project(selector, "mine", 1, strategy="sequential")
    lease = selector.next_sample("mine", "ann")
    with pytest.raises(grpc.RpcError) as caught:
        selector.submit_label(lease.sample.sample_id, "bob", np.zeros((8, 8), np.uint8))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "leased to 'ann'" in caught.value.details()


@pytest.mark.parametrize("call, code, message", [
    (lambda c, p, s: c.next_sample("nope", "ann"), grpc.StatusCode.NOT_FOUND, "no project 'nope'"),
    (lambda c, p, s: c.get_sample(99999), grpc.StatusCode.NOT_FOUND, "no sample 99999"),
    (lambda c, p, s: c.submit_label(s, "ann", np.zeros((3, 3), np.uint8)), grpc.StatusCode.INVALID_ARGUMENT,
     "shape mismatch: mask is (3, 3)"),
    (lambda c, p, s: c.next_sample(p, "ann", "clairvoyant"), grpc.StatusCode.INVALID_ARGUMENT,
     "unknown strategy 'clairvoyant'"),
    (lambda c, p, s: c.next_sample(p, ""), grpc.StatusCode.INVALID_ARGUMENT, "'annotator' must be set"),
    (lambda c, p, s: c.create_project(p), grpc.StatusCode.ALREADY_EXISTS, "already exists"),
    (lambda c, p, s: c.register_dataset(p, "/etc"), grpc.StatusCode.PERMISSION_DENIED,
     "outside the dataset roots"),
    (lambda c, p, s: c.export_labels(p, "../../../tmp/x"), grpc.StatusCode.PERMISSION_DENIED,
     "outside the dataset roots"),
])
def test_bad_requests_get_clear_status_codes(selector, call, code, message):
    project = make_project(selector, f"errors{next(_ERROR_PROJECTS)}", 1, strategy="sequential")
    sample_id = selector.list_samples(project)[0].sample_id
    with pytest.raises(grpc.RpcError) as caught:
        call(selector, project, sample_id)
    assert caught.value.code() == code and message in caught.value.details()


def test_register_a_dataset_folder_and_export_the_labels(stack, client, rng):
    root = stack.data_dir / "datasets" / "toy"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for index in range(4):
        tifffile.imwrite(root / "images" / f"img{index}.tif", IMAGE + index)
    tifffile.imwrite(root / "labels" / "img0.tif", (IMAGE > 10).astype(np.uint8))
    (root / "sequences.csv").write_text("stem,sequence\nimg0,a\nimg1,a\nimg2,b\nimg3,b\n")
    client.create_project("toy", strategy="sequential")
    registered = client.register_dataset("toy", root)
    assert (registered.added, registered.total, registered.labeled) == (4, 4, 1)
    assert client.register_dataset("toy", root).added == 0  # idempotent
    lease = client.next_sample("toy", "ann")
    assert lease.sample.stem == "img1" and lease.sample.sequence == "a"
    client.submit_label(lease.sample.sample_id, "ann", (IMAGE > 20).astype(np.uint8))
    out = stack.data_dir / "datasets" / "toy-export"
    assert client.export_labels("toy", out) == 2
    assert np.array_equal(tifffile.imread(out / "img1.tif"), (IMAGE > 20).astype(np.uint8))
    assert np.array_equal(tifffile.imread(out / "img0.tif"), (IMAGE > 10).astype(np.uint8))


@pytest.mark.slow
def test_eight_concurrent_annotators_label_200_samples_without_double_leases(start_service):
    service = start_service("selector")
    addresses = ServiceAddresses(selector=service.address)
    with LabelAssistClient(addresses) as setup:
        make_project(setup, "crowd", 200, strategy="random")
    submitted, errors = [], []

    def annotate(name):
        with LabelAssistClient(addresses) as client:
            while True:
                lease = client.next_sample("crowd", name)
                if lease.exhausted:
                    return
                try:
                    version = client.submit_label(lease.sample.sample_id, name, np.full((8, 8), 1, np.uint8))
                    submitted.append((lease.sample.sample_id, name, version.version))
                except grpc.RpcError as error:
                    errors.append(error.details())

    threads = [threading.Thread(target=annotate, args=(f"ann{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert errors == []
    assert len(submitted) == 200 and len({s for s, _, _ in submitted}) == 200
    assert all(version == 1 for _, _, version in submitted)  # nobody labelled a sample twice
    with LabelAssistClient(addresses) as client:
        progress = client.progress("crowd")
        assert (progress.labeled, progress.total) == (200, 200)
        # Per annotator as submitted (on a busy machine one thread may start after the pool ran out).
        by_annotator = {a.annotator: a.labeled for a in progress.annotators}
        assert by_annotator == {name: sum(1 for _, who, _ in submitted if who == name)
                                for name in {who for _, who, _ in submitted}}


@pytest.mark.slow
def test_acknowledged_labels_survive_kill_9(tmp_path, start_service):
    service = start_service("selector")
    addresses = ServiceAddresses(selector=service.address)
    acknowledged = {}
    with LabelAssistClient(addresses, retries=0, timeout=10) as client:
        make_project(client, "crash", 300, strategy="sequential")
        stop = threading.Event()

        def submit_until_killed():
            while not stop.is_set():
                try:
                    lease = client.next_sample("crash", "ann")
                    mask = np.random.default_rng(lease.sample.sample_id).integers(0, 5, (8, 8), dtype=np.uint8)
                    version = client.submit_label(lease.sample.sample_id, "ann", mask)
                    acknowledged[lease.sample.sample_id] = version.checksum
                except grpc.RpcError:
                    return

        worker = threading.Thread(target=submit_until_killed)
        worker.start()
        while len(acknowledged) < 40:
            time.sleep(0.01)
        service.process.send_signal(signal.SIGKILL)
        worker.join(timeout=30)
        stop.set()
    service.process.wait()
    restarted = start_service("selector")  # same data dir: tmp_path / "data"
    with LabelAssistClient(ServiceAddresses(selector=restarted.address)) as client:
        for sample_id, checksum in acknowledged.items():
            history = client.label_history(sample_id)
            assert history and history[-1].checksum == checksum
            mask = client.get_sample(sample_id, with_image=False).arrays["label"]
            assert array_checksum(mask) == checksum
        assert client.progress("crash").labeled >= len(acknowledged)


def test_the_selector_serves_from_postgresql(start_service, postgres_url):
    service = start_service("selector", "--database-url", postgres_url)
    with LabelAssistClient(ServiceAddresses(selector=service.address)) as client:
        make_project(client, "pg", 3, strategy="sequential")
        lease = client.next_sample("pg", "ann")
        mask = (IMAGE > 5).astype(np.uint8)
        version = client.submit_label(lease.sample.sample_id, "ann", mask)
        assert version.checksum == array_checksum(mask)
        assert np.array_equal(client.get_sample(lease.sample.sample_id).arrays["label"], mask)
        assert (client.progress("pg").labeled, client.progress("pg").total) == (1, 3)


def test_coreset_cold_start_spreads_picks_over_different_looking_images(selector, rng):
    selector.create_project("looks", strategy="coreset")
    kinds = {"dense": lambda: rng.integers(1000, 3000, (32, 32)),
             "sparse": lambda: 1000 + (rng.random((32, 32)) > 0.97) * 2000,
             "left": lambda: np.where(np.arange(32)[None, :] < 8, 3000, 1000) + rng.integers(0, 50, (32, 32)),
             "bottom": lambda: np.where(np.arange(32)[:, None] > 24, 3000, 1000) + rng.integers(0, 50, (32, 32))}
    for index in range(6):
        for kind, make in kinds.items():
            selector.add_sample("looks", f"{kind}-{index}", make().astype(np.uint16))
    picked = lease_order(selector, "looks", 4)
    assert sorted(stem.split("-")[0] for stem in picked) == sorted(kinds)


def test_uncertainty_before_any_model_is_a_failed_precondition(selector):
    make_project(selector, "nomodel", 2)
    with pytest.raises(grpc.RpcError) as caught:
        selector.next_sample("nomodel", "ann", "uncertainty")
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "needs uncertainty scores" in caught.value.details()


def test_a_skipped_sample_comes_back_to_its_annotator_only_when_nothing_else_is_left(selector):
    client = selector
    make_project(client, "skips", 3, strategy="sequential")
    first = client.next_sample("skips", "ann").sample
    assert client.release_sample(first.sample_id, "ann", skip=True, reason="out of focus")
    assert client.progress("skips").skipped == 1
    second = client.next_sample("skips", "ann").sample
    assert second.sample_id != first.sample_id
    # Another annotator is offered the skipped one first, by the strategy's order.
    assert client.next_sample("skips", "bob").sample.sample_id == first.sample_id
    assert client.release_sample(first.sample_id, "bob")  # released, not skipped: back to the pool
    client.submit_label(second.sample_id, "ann", np.ones((8, 8), np.uint8))
    third = client.next_sample("skips", "ann").sample
    assert third.sample_id not in (first.sample_id, second.sample_id)
    client.submit_label(third.sample_id, "ann", np.ones((8, 8), np.uint8))
    assert client.next_sample("skips", "ann").sample.sample_id == first.sample_id  # nothing else left
    with pytest.raises(grpc.RpcError) as caught:
        client.release_sample(first.sample_id, "bob")
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "leased to 'ann'" in caught.value.details()


def test_batch_registration_reports_bad_samples_and_adds_the_rest(selector):
    selector.create_project("bulk", strategy="sequential")
    samples = [{"stem": f"b{i:03d}", "image": IMAGE + i, "sequence": f"v{i % 2}"} for i in range(25)]
    samples[3] = {"stem": "../escape", "image": IMAGE}
    samples[7] = {"stem": "b007", "image": IMAGE, "label": np.zeros((3, 3), np.uint8)}
    response = selector.add_samples("bulk", samples)
    assert (response.added, response.existing, response.total) == (23, 0, 23)
    assert [r.stem for r in response.rejected] == ["../escape", "b007"]
    assert "/" in response.rejected[0].error
    assert "label" in response.rejected[1].error
    again = selector.add_samples("bulk", samples[:5])
    assert (again.added, again.existing, len(again.rejected)) == (0, 4, 1)


def test_batch_leases_and_paged_listing_through_the_selector(selector):
    make_project(selector, "pages", 12, strategy="sequential")
    leased = selector.next_samples("pages", "tablet", 5)
    assert [item.sample.stem for item in leased.leased] == [f"s{i:03d}" for i in range(5)]
    assert selector.next_sample("pages", "tablet").sample.stem == "s000"  # held leases come first
    assert [i.sample.stem for i in selector.next_samples("pages", "other", 20).leased] == [
        f"s{i:03d}" for i in range(5, 12)]
    assert selector.next_samples("pages", "third", 3).leased == []
    selector.submit_label(leased.leased[1].sample.sample_id, "tablet", np.ones((8, 8), np.uint8))
    pages = []
    request_token = ""
    while True:
        response = selector.selector.stub.ListSamples(selector_pb2.ListSamplesRequest(
            project="pages", page_size=5, page_token=request_token))
        pages.append([s.stem for s in response.samples])
        request_token = response.next_page_token
        if not request_token:
            break
    assert [len(page) for page in pages] == [5, 5, 2]
    assert [s.stem for s in selector.list_samples("pages", page_size=4)] == [f"s{i:03d}" for i in range(12)]
    labelled = selector.list_samples("pages", labeled_only=True)
    assert [(s.stem, s.label_version) for s in labelled] == [("s001", 1)]
    with pytest.raises(grpc.RpcError) as caught:
        selector.list_samples("pages", page_size=20000)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "at most 10000" in caught.value.details()


def test_the_newest_labelled_samples_come_in_one_bounded_page(selector):
    make_project(selector, "newest", 6, strategy="sequential")
    ids = {s.stem: s.sample_id for s in selector.list_samples("newest")}
    for stem in ("s002", "s000", "s004", "s001"):
        selector.submit_label(ids[stem], "ann", np.ones((8, 8), np.uint8))
    selector.submit_label(ids["s002"], "ann", np.zeros((8, 8), np.uint8))  # a new version: newest again

    def newest(count: int) -> list[tuple[str, int]]:
        response = selector.selector.stub.ListSamples(selector_pb2.ListSamplesRequest(
            project="newest", newest_labeled=True, page_size=count))
        assert response.next_page_token == ""
        return [(s.stem, s.label_version) for s in response.samples]

    assert newest(3) == [("s002", 2), ("s001", 1), ("s004", 1)]
    assert [stem for stem, _ in newest(100)] == ["s002", "s001", "s004", "s000"]
    with pytest.raises(grpc.RpcError) as caught:
        selector.selector.stub.ListSamples(selector_pb2.ListSamplesRequest(project="newest", newest_labeled=True,
                                                                      page_token="after:3"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "one page" in caught.value.details()


def test_an_earlier_label_version_is_fetched_by_number(selector):
    make_project(selector, "versions", 2, strategy="sequential")
    sample_id = selector.list_samples("versions")[0].sample_id
    selector.submit_label(sample_id, "ann", np.ones((8, 8), np.uint8))
    selector.submit_label(sample_id, "ann", np.eye(8, dtype=np.uint8) * 2)
    assert np.array_equal(selector.get_sample(sample_id, label_version=1).require("label"), np.ones((8, 8)))
    assert np.array_equal(selector.get_sample(sample_id).require("label"), np.eye(8) * 2)
    for missing, where in ((3, sample_id), (1, selector.list_samples("versions")[1].sample_id)):
        with pytest.raises(grpc.RpcError) as caught:
            selector.get_sample(where, label_version=missing)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND and "version" in caught.value.details()


def test_a_forged_page_token_is_refused_with_what_to_do(selector):
    make_project(selector, "tokens", 2)
    with pytest.raises(grpc.RpcError) as caught:
        selector.selector.stub.ListSamples(selector_pb2.ListSamplesRequest(project="tokens", page_token="after:x; DROP"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "pass next_page_token" in caught.value.details()


def test_recorded_trainings_give_a_learning_curve_that_says_when_to_stop(start_service):
    import os
    import subprocess
    import sys

    selector = start_service("selector")
    with LabelAssistClient(ServiceAddresses(selector=selector.address), retries=0) as client:
        for project in ("curve", "flat"):  # the labels a curve's points learned from
            client.create_project(project)
            client.add_samples(project, [{"stem": f"s{i}", "image": np.full((8, 8), i % 200, np.uint8),
                                          "label": np.eye(8, dtype=np.uint8)} for i in range(160)])
        assert client.record_training("curve", "unet", 1, 8, 0.80) == 1
        assert not client.progress("curve").HasField("outlook")
        for version, labels, dice in ((2, 16, 0.86), (3, 32, 0.90), (4, 64, 0.92)):
            client.record_training("curve", "unet", version, labels, dice)
        climbing = client.progress("curve").outlook
        assert climbing.points == 4 and climbing.labels == 64 and climbing.worth_it
        assert climbing.current < climbing.predicted <= climbing.ceiling <= 1
        for version, labels, dice in ((1, 20, 0.930), (2, 40, 0.931), (3, 80, 0.930), (4, 160, 0.931)):
            client.record_training("flat", "unet", version, labels, dice)
        flat = client.progress("flat").outlook
        assert not flat.worth_it and "unlikely to pay" in flat.summary
        with pytest.raises(Exception, match="'model' must be"):
            client.record_training("flat", "resnet", 5, 10, 0.5)
        with pytest.raises(InvalidArgumentError, match="'labels' is 1000000000000000, but the project has 160"):
            client.record_training("flat", "unet", 6, 10**15, 0.5)
        with pytest.raises(InvalidArgumentError, match="'validation_dice' is nan; a Dice lies between 0 and 1"):
            client.record_training("flat", "unet", 6, 10, float("nan"))
        assert client.progress("flat").outlook.points == 4
    env = {**os.environ, "LABELASSIST_SELECTOR_ADDRESS": selector.address}
    run = subprocess.run([sys.executable, "-m", "labelassist.cli", "progress", "flat"], capture_output=True,
                         text=True, timeout=60, env=env)
    assert run.returncode == 0, run.stderr
    assert "when to stop (4 trainings)" in run.stdout and "unlikely to pay" in run.stdout


def test_submitted_labels_measure_each_prelabel_source_and_the_best_becomes_the_default(tmp_path):
    import subprocess
    import sys

    from conftest import ServiceProcess
    from labelassist.proto.wire.addresses import free_port
    from shapes import disc

    port = free_port()
    assist = ServiceProcess("assist", tmp_path, "--selector-address", f"127.0.0.1:{port}")
    selector = ServiceProcess("selector", tmp_path, "--port", str(port), "--assist-address", assist.address)
    try:
        rng = np.random.default_rng(21)
        with LabelAssistClient(ServiceAddresses(selector=selector.address, assist=assist.address),
                               retries=0) as client:
            client.create_project("evidence")
            for index in range(3):
                truth = disc((96, 96), (30 + 10 * index, 40), 14) | disc((96, 96), (70, 70), 10)
                image = (300 + 900 * truth + rng.normal(0, 40, truth.shape)).astype(np.uint16)
                sample_id = client.add_sample("evidence", f"s{index}", image)
                client.submit_label(sample_id, "ann", truth.astype(np.uint8))
            deadline = time.monotonic() + 60
            while not (progress := client.progress("evidence")).best_prelabel:
                assert time.monotonic() < deadline, list(progress.prelabel_evidence)
                time.sleep(0.3)
            [classical] = progress.prelabel_evidence  # no Triton: the U-Net is not measured
            assert classical.source == "classical" and classical.labels == 3
            assert classical.dice > 0.9 and classical.matched_objects == 1.0
            assert progress.best_prelabel == "classical" and "against the last 3 submitted labels" in \
                progress.best_prelabel_reason
            assert client.get_project("evidence").best_prelabel == "classical"
        env = {**os.environ, "LABELASSIST_SELECTOR_ADDRESS": selector.address}
        run = subprocess.run([sys.executable, "-m", "labelassist.cli", "progress", "evidence"],
                             capture_output=True, text=True, timeout=60, env=env)
        assert "best pre-label: classical: mean Dice" in run.stdout, run.stdout + run.stderr
    finally:
        selector.stop()
        assist.stop()
