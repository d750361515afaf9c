"""U-Net pre-labels through a real tritonserver (the nvidia-pytriton bundle)."""

import socket
import threading
import time

import grpc
import numpy as np
import pytest
from skimage import measure

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from shapes import dice, disc

pytest.importorskip("pytriton", reason="the 'triton' extra (nvidia-pytriton) is not installed")
pytestmark = pytest.mark.slow

from labelassist.models import repository as model_store  # noqa: E402
from labelassist.models.tritonserver import LocalTriton  # noqa: E402
from labelassist.models.training import TrainingConfig, train_unet  # noqa: E402
from labelassist.models.unet import normalize_image, predict_probabilities  # noqa: E402


def blobs(rng, size=96, count=3):
    truth = np.zeros((size, size), bool)
    for _ in range(count):
        truth |= disc((size, size), rng.integers(15, size - 15, 2), rng.integers(7, 12))
    image = (np.where(truth, 2500, 600) + rng.normal(0, 80, truth.shape)).astype(np.uint16)
    return image, truth


def write_blob_dataset(folder, count: int, seed: int) -> None:
    import tifffile

    (folder / "images").mkdir(parents=True)
    (folder / "labels").mkdir()
    rng = np.random.default_rng(seed)
    for index in range(count):
        image, truth = blobs(rng, size=64)
        tifffile.imwrite(folder / "images" / f"s{index}.tif", image)
        tifffile.imwrite(folder / "labels" / f"s{index}.tif", truth.astype(np.uint8))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    rng = np.random.default_rng(0)
    samples = [blobs(rng) for _ in range(8)]
    result = train_unet([s[0] for s in samples], [s[1] for s in samples],
                        TrainingConfig(tile=64, epochs=3, steps_per_epoch=15, batch_size=8, depth=2, width=8))
    repository = tmp_path_factory.mktemp("models")
    version = model_store.publish(repository, result.model, {"tile": 64})
    return result.model, repository, version


@pytest.fixture(scope="module")
def triton(trained, tmp_path_factory):
    server = LocalTriton(trained[1], tmp_path_factory.mktemp("triton"))
    server.start(models=["unet"])
    yield server
    server.stop()


@pytest.fixture(scope="module")
def assist(triton, tmp_path_factory):
    from conftest import ServiceProcess

    service = ServiceProcess("assist", tmp_path_factory.mktemp("assist"), "--triton-url", triton.url)
    with LabelAssistClient(ServiceAddresses(assist=service.address), retries=0, timeout=120) as client:
        yield client
    service.stop()


def test_inspect_checks_agreement_against_the_served_unet(triton, tmp_path_factory):
    """Without a pre-label, inspect compares the label with what the served
    U-Net sees, and says so."""
    from conftest import ServiceProcess

    service = ServiceProcess("inspect", tmp_path_factory.mktemp("inspect"), "--triton-url", triton.url)
    try:
        image, truth = blobs(np.random.default_rng(42))
        blobs_found = measure.label(truth)
        only_first = (blobs_found == 1).astype(np.uint8)
        with LabelAssistClient(ServiceAddresses(inspect=service.address), retries=0, timeout=120) as client:
            response = client.inspect(only_first, image=image, criteria=[("prelabel_agreement", {})],
                                      only_listed=True)
    finally:
        service.stop()
    assert response.prelabel_source == "unet"
    [missed] = [f for f in response.findings if "missing from the label" in f.message]
    others = [(blobs_found == i) for i in range(2, blobs_found.max() + 1)]
    for box in missed.boxes:
        r0, c0 = box.start
        r1, c1 = box.stop
        assert any(other[r0:r1, c0:c1].any() for other in others)  # each box is on a blob left out
    assert len(missed.boxes) == len(others)


def test_unet_prelabel_through_assist_and_triton_finds_the_blobs(assist):
    image, truth = blobs(np.random.default_rng(42))
    outcome = assist.prelabel(image, method="unet")
    assert outcome.method == "unet" and outcome.mask.shape == truth.shape
    assert dice(outcome.mask, truth) > 0.8


def test_triton_probabilities_equal_in_process_torch(assist, trained):
    model = trained[0]
    image, _ = blobs(np.random.default_rng(7), size=128)
    served = assist.prelabel_probability(image, method="unet")
    expected, _, _ = predict_probabilities(model, normalize_image(image)[None, None])
    assert served.shape == (128, 128)
    assert np.abs(served - expected[0, 1]).max() < 1e-4


def test_concurrent_requests_are_batched_by_triton(assist, triton):
    import tritonclient.grpc as tc

    statistics = tc.InferenceServerClient(triton.url)

    def counts():
        stats = statistics.get_inference_statistics("unet", as_json=True)["model_stats"][0]
        return int(stats.get("inference_count", 0)), int(stats.get("execution_count", 0))

    before = counts()
    image, _ = blobs(np.random.default_rng(3), size=64)
    threads = [threading.Thread(target=assist.prelabel, args=(image,), kwargs={"method": "unet"}) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = counts()
    inferences, executions = after[0] - before[0], after[1] - before[1]
    assert inferences == 12
    assert executions < inferences


def test_monte_carlo_dropout_returns_nonzero_variance(trained):
    model = trained[0]
    image, _ = blobs(np.random.default_rng(9), size=64)
    _, variance, _ = predict_probabilities(model, normalize_image(image)[None, None], mc_samples=8)
    assert variance.max() > 0


def test_triton_down_is_a_clear_unavailable_and_classical_methods_still_work(assist, triton):
    image, truth = blobs(np.random.default_rng(11))
    triton.stop()
    try:
        with pytest.raises(grpc.RpcError) as caught:
            assist.prelabel(image, method="unet")
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "classical pre-labels still work" in caught.value.details()
        assert dice(assist.prelabel(image, method="otsu").mask, truth) > 0.9
    finally:
        triton.start(models=["unet"])
    deadline = time.monotonic() + 60
    while True:
        try:
            assert dice(assist.prelabel(image, method="unet").mask, truth) > 0.8
            break
        except grpc.RpcError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_unet_without_a_triton_is_a_failed_precondition(start_service):
    service = start_service("assist")
    with LabelAssistClient(ServiceAddresses(assist=service.address), retries=0) as client:
        with pytest.raises(grpc.RpcError) as caught:
            client.prelabel(np.ones((32, 32), np.uint16), method="unet")
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "--triton-url" in caught.value.details()


def test_up_train_and_unet_prelabel_from_the_command_line(tmp_path):
    """The whole loop a user runs: up (with a local Triton), train on a
    dataset folder, the new version is served at once, pre-label with it."""
    import subprocess
    import sys

    import tifffile

    from test_cli import start_up

    dataset = tmp_path / "dataset"
    write_blob_dataset(dataset, 6, seed=5)
    cli = [sys.executable, "-m", "labelassist.cli", "--data-dir", str(tmp_path / "data")]
    process, serving = start_up(tmp_path / "data")
    try:
        trained = subprocess.run([*cli, "train", str(dataset), "--epochs", "1", "--steps", "2", "--tile", "64",
                                  "--depth", "2", "--width", "8"], capture_output=True, text=True, timeout=300)
        assert trained.returncode == 0, trained.stderr
        # `up` published the bundled generalist as version 1: the trained one comes after it.
        assert "published unet version 2" in trained.stdout and "U-Net pre-labels use version 2 now" in trained.stdout
        listed = subprocess.run([*cli, "model", "list"], capture_output=True, text=True, timeout=60)
        assert "unet        1           generalist" in listed.stdout, listed.stdout + listed.stderr
        assert "unet        2  serving  trained" in listed.stdout, listed.stdout + listed.stderr
        image, truth = blobs(np.random.default_rng(99), size=64)
        tifffile.imwrite(tmp_path / "new.tif", image)
        labelled = subprocess.run([*cli, "prelabel", str(tmp_path / "new.tif"), "-o", str(tmp_path / "new_mask.tif"),
                                   "--method", "unet"], capture_output=True, text=True, timeout=120)
        assert labelled.returncode == 0, labelled.stderr
        assert tifffile.imread(tmp_path / "new_mask.tif").shape == truth.shape
        retrained = subprocess.run([*cli, "train", str(dataset), "--epochs", "1", "--steps", "1", "--tile", "64",
                                    "--depth", "2", "--width", "8", "--seed", "1"],
                                   capture_output=True, text=True, timeout=300)
        assert "U-Net pre-labels use version 3 now" in retrained.stdout, retrained.stderr
        rolled_back = subprocess.run([*cli, "model", "use", "2"], capture_output=True, text=True, timeout=60)
        assert "Triton serves unet version 2" in rolled_back.stdout, rolled_back.stderr
        listing = subprocess.run([*cli, "model", "list"], capture_output=True, text=True, timeout=60).stdout
        serving = {tuple(line.split()[:2]) for line in listing.splitlines() if "serving" in line}
        assert serving == {("unet", "2"), ("clicknet", "1")}, listing
    finally:
        process.send_signal(__import__("signal").SIGTERM)
        process.wait(timeout=60)


def test_train_rpc_returns_a_job_at_once_and_streams_its_progress(start_service, tmp_path):
    from labelassist.proto.v1 import assist_pb2

    service = start_service("assist")
    dataset = tmp_path / "data" / "datasets" / "blobs"
    write_blob_dataset(dataset, 5, seed=8)
    (dataset / "split.csv").write_text("stem,split\ns0,train\ns1,train\ns2,train\ns3,train\ns4,test\n")
    with LabelAssistClient(ServiceAddresses(assist=service.address), retries=0) as client:
        started = time.monotonic()
        job = client.train(dataset, epochs=2, steps_per_epoch=5, tile=64, depth=2, width=8)
        assert time.monotonic() - started < 5
        events = list(client.train_status(job))
        assert [e.epoch for e in events if e.epoch] == [1, 2]
        assert all(0 <= e.validation_dice <= 1 for e in events if e.epoch)
        assert events[-1].state == assist_pb2.TRAIN_STATE_SUCCEEDED and events[-1].model_version == 1
        assert (tmp_path / "data" / "models" / "unet" / "1" / "model.pt").exists()
        # A later watcher replays the whole history.
        assert [e.state for e in client.train_status(job)] == [e.state for e in events]
        for call, code in ((lambda: client.train("/etc"), grpc.StatusCode.PERMISSION_DENIED),
                           (lambda: list(client.train_status("nope")), grpc.StatusCode.NOT_FOUND)):
            with pytest.raises(grpc.RpcError) as caught:
                call()
            assert caught.value.code() == code


def test_onnx_export_matches_torch_in_onnxruntime(trained, tmp_path):
    ort = pytest.importorskip("onnxruntime", reason="the 'onnx' extra is not installed")
    import torch

    model = trained[0]
    version = model_store.publish(tmp_path, model, {"tile": 64}, onnx=True)
    session = ort.InferenceSession(str(tmp_path / "unet_onnx" / str(version) / "model.onnx"),
                                   providers=["CPUExecutionProvider"])
    for shape in ((1, 1, 64, 64), (3, 1, 96, 128)):
        batch = np.random.default_rng(sum(shape)).random(shape, dtype=np.float32)
        logits, embedding = session.run(None, {"IMAGE": batch})
        with torch.no_grad():
            expected_logits, expected_embedding = model(torch.from_numpy(batch))
        assert np.abs(logits - expected_logits.numpy()).max() < 1e-4
        assert np.abs(embedding - expected_embedding.numpy()).max() < 1e-4


def test_every_config_pbtxt_parses_as_a_triton_model_config():
    from google.protobuf import text_format
    from tritonclient.grpc import model_config_pb2

    from labelassist import triton_template
    from pathlib import Path

    root = Path(triton_template.__file__).parent
    configs = sorted(root.rglob("config.pbtxt"))
    first_input = {"clicknet": "INPUT", "unet": "IMAGE", "unet_onnx": "IMAGE"}
    assert sorted(str(c.parent.relative_to(root)) for c in configs) == sorted(
        list(first_input) + ["onnx/clicknet", "onnx/unet"])
    for path in configs:
        config = text_format.Parse(path.read_text(), model_config_pb2.ModelConfig())
        assert config.name == path.parent.name and config.max_batch_size == 32
        assert [i.name for i in config.input][0] == first_input[config.name]


def test_selector_scores_with_the_served_model_and_picks_the_uncertain_samples(start_service, triton):
    service = start_service("selector", "--triton-url", triton.url)
    rng = np.random.default_rng(21)
    with LabelAssistClient(ServiceAddresses(selector=service.address), retries=0) as client:
        client.create_project("scored")
        for index in range(4):
            client.add_sample("scored", f"clear-{index}", blobs(rng, size=64)[0])
        for index in range(2):
            # Faint, smeared blobs: the model cannot tell object from background.
            image, _ = blobs(rng, size=64)
            faint = (image.astype(np.float32) * 0.05 + rng.normal(1000, 60, image.shape)).astype(np.uint16)
            client.add_sample("scored", f"faint-{index}", faint)
        deadline = time.monotonic() + 90
        while (progress := client.progress("scored")).scored < 6:
            assert time.monotonic() < deadline, f"scored only {progress.scored} of 6"
            time.sleep(0.5)
        assert progress.model_version >= 1
        picks = [client.next_sample("scored", f"ann{i}", ("uncertainty", {"measure": "entropy"})).sample.stem
                 for i in range(2)]
        assert sorted(picks) == ["faint-0", "faint-1"]
        bald = client.next_sample("scored", "ann9", ("uncertainty", {"measure": "bald", "aggregation": "topk"}))
        assert not bald.exhausted


def test_train_rpc_trains_on_a_selector_projects_labels(start_service, tmp_path):
    from labelassist.proto.v1 import assist_pb2

    selector = start_service("selector")
    assist = start_service("assist", "--selector-address", selector.address)
    rng = np.random.default_rng(13)
    with LabelAssistClient(ServiceAddresses(selector=selector.address, assist=assist.address),
                           retries=0) as client:
        client.create_project("to-train")
        for index in range(12):
            image, truth = blobs(rng, size=64)
            client.add_sample("to-train", f"s{index}", image, label=truth.astype(np.uint8))
        job = client.train(project="to-train", epochs=1, steps_per_epoch=4, tile=64, depth=2, width=8)
        events = list(client.train_status(job))
        assert events[-1].state == assist_pb2.TRAIN_STATE_SUCCEEDED, events[-1].message
        meta = (tmp_path / "data" / "models" / "unet" / "1" / "meta.json").read_text()
        assert '"dataset": "project to-train"' in meta and '"train_samples": 11' in meta
        assert not client.progress("to-train").HasField("outlook")  # one point is no curve
        for index in range(12, 24):
            image, truth = blobs(rng, size=64)
            client.add_sample("to-train", f"s{index}", image, label=truth.astype(np.uint8))
        events = list(client.train_status(client.train(project="to-train", epochs=1, steps_per_epoch=4, tile=64,
                                                       depth=2, width=8)))
        assert events[-1].model_version == 2, events[-1].message
        outlook = client.progress("to-train").outlook
        assert outlook.points == 2 and outlook.labels == 22 and outlook.ahead == 22
        assert 0 <= outlook.low <= outlook.predicted <= outlook.high <= 1 and "next 22" in outlook.summary


def test_an_annotation_session_survives_triton_and_selector_restarts(tmp_path, triton):
    """The SDK's retries carry a session through a Triton restart and a
    kill -9 of the selector; no acknowledged label is lost."""
    import signal as signals

    from conftest import ServiceProcess
    from labelassist.proto.wire.addresses import free_port

    port = free_port()
    selector = ServiceProcess("selector", tmp_path, "--port", str(port))
    assist = ServiceProcess("assist", tmp_path, "--triton-url", triton.url, "--selector-address", selector.address)
    addresses = ServiceAddresses(selector=selector.address, assist=assist.address)
    acknowledged, failures, done = {}, [], threading.Event()
    rng = np.random.default_rng(17)
    try:
        with LabelAssistClient(addresses, retries=8, backoff=0.25, timeout=60) as setup:
            setup.create_project("session", strategy="sequential")
            for index in range(40):
                setup.add_sample("session", f"s{index:02d}", blobs(rng, size=64)[0])

        def annotate():
            with LabelAssistClient(addresses, retries=8, backoff=0.25, timeout=60) as client:
                while not done.is_set():
                    try:
                        lease = client.next_sample("session", "ann")
                        if lease.exhausted:
                            return
                        outcome = client.prelabel(None, method="unet", sample_id=lease.sample.sample_id)
                        version = client.submit_label(lease.sample.sample_id, "ann", outcome.mask,
                                                      origin="accepted_prelabel")
                        acknowledged[lease.sample.sample_id] = version.checksum
                    except grpc.RpcError as error:
                        failures.append(f"{error.code().name}: {error.details()}")
                        return

        worker = threading.Thread(target=annotate)
        worker.start()
        while len(acknowledged) < 5 and worker.is_alive():
            time.sleep(0.05)
        triton.stop()
        triton.start(models=["unet"])
        while len(acknowledged) < 12 and worker.is_alive():
            time.sleep(0.05)
        selector.process.send_signal(signals.SIGKILL)
        selector.process.wait()
        selector = ServiceProcess("selector", tmp_path, "--port", str(port))
        worker.join(timeout=240)
        assert not worker.is_alive() and failures == []
        with LabelAssistClient(addresses) as client:
            assert client.progress("session").labeled == 40
            for sample_id, checksum in acknowledged.items():
                assert client.label_history(sample_id)[-1].checksum == checksum
        assert len(acknowledged) == 40
    finally:
        done.set()
        assist.stop()
        selector.stop()


def test_a_training_job_that_fails_to_load_into_triton_leaves_no_version(start_service, tmp_path):
    from labelassist.proto.v1 import assist_pb2

    with socket.socket() as probe:  # a port where no Triton listens
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    service = start_service("assist", "--triton-url", f"127.0.0.1:{dead}")
    dataset = tmp_path / "data" / "datasets" / "blobs"
    write_blob_dataset(dataset, 4, seed=9)
    with LabelAssistClient(ServiceAddresses(assist=service.address), retries=0) as client:
        job = client.train(dataset, epochs=1, steps_per_epoch=2, tile=64, depth=2, width=8)
        events = list(client.train_status(job))
    assert events[-1].state == assist_pb2.TRAIN_STATE_FAILED
    assert model_store.versions(tmp_path / "data" / "models") == []


def test_a_killed_triton_leaves_no_stub_or_shared_memory_behind(trained, tmp_path):
    from pathlib import Path

    server = LocalTriton(trained[1], tmp_path / "triton")
    server.start(models=["unet"])
    try:
        time.sleep(1)
        server.process.kill()
        server.process.wait()
        orphans = server.stub_orphans()
        assert orphans, "a python-backend stub outlives its killed server"
        server.start(models=["unet"])  # what `labelassist up` does when Triton dies
        assert server.stub_orphans() == []
        for pid, region in orphans:
            assert not Path(f"/proc/{pid}").exists() or b"zombie" in Path(f"/proc/{pid}/status").read_bytes().lower()
            assert not (Path("/dev/shm") / region).exists()
    finally:
        server.stop()
    assert server.stub_orphans() == []
