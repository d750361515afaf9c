"""Interactive calls first: in Triton, an annotator's call goes ahead of
queued batch work; on the CPU, batch threads run below annotators' calls."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from labelassist.models import MODEL_NAME
from labelassist.models import repository as model_store
from labelassist.runtime.priority import (BATCH_NICE, BatchWorker, batch_work, is_batch, lower_this_thread,
                                          triton_priority)


def test_batch_work_is_marked_only_inside_its_block_and_only_on_its_thread():
    seen = {}

    def other_thread():
        seen["other"] = is_batch()

    with batch_work():
        assert is_batch() and triton_priority() == 2
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    assert not is_batch() and triton_priority() == 1
    assert seen["other"] is False  # a thread started for other work is interactive unless it says otherwise


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="thread priorities are a Linux feature")
def test_a_batch_thread_lowers_its_own_priority_and_no_other():
    seen = {}

    def batch():
        lower_this_thread()
        seen["batch"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=batch)
    thread.start()
    thread.join()
    assert seen["batch"] == max(before, BATCH_NICE)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="thread priorities are a Linux feature")
def test_a_servicer_thread_hands_batch_steps_to_a_lowered_worker_and_keeps_its_own_priority():
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    worker = BatchWorker("test")

    def step():
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id()), triton_priority()

    assert worker.run(step) == (max(before, BATCH_NICE), 2)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before and triton_priority() == 1
    with pytest.raises(ValueError, match="unreadable label"):
        worker.run(lambda: (_ for _ in ()).throw(ValueError("unreadable label")))
    assert worker.run(lambda: "still serving") == "still serving"


def test_a_repository_of_an_earlier_release_gets_the_priority_levels(tmp_path):
    model_dir = tmp_path / MODEL_NAME
    model_dir.mkdir()
    earlier = ('name: "unet"\nbackend: "python"\nmax_batch_size: 32\n'
               'dynamic_batching {\n  max_queue_delay_microseconds: 20000\n}\n')
    (model_dir / "config.pbtxt").write_text(earlier)
    model_store.ensure_repository(tmp_path)
    config = (model_dir / "config.pbtxt").read_text()
    assert "priority_levels: 2" in config and "default_priority_level: 2" in config
    assert "max_queue_delay_microseconds: 20000" in config
    model_store.ensure_repository(tmp_path)
    assert (model_dir / "config.pbtxt").read_text() == config  # once only


tritonclient = pytest.importorskip("tritonclient.grpc")


@pytest.fixture(scope="module")
def unet_triton(tmp_path_factory):
    from labelassist.models.tritonserver import LocalTriton
    from labelassist.stack import local_triton_available

    if not local_triton_available():
        pytest.skip("needs the bundled tritonserver")
    root = tmp_path_factory.mktemp("priority")
    repository = root / "models"
    model_store.ensure_repository(repository, MODEL_NAME)
    model_store.install_generalist(repository)
    server = LocalTriton(repository, root / "run")
    server.start(models=[MODEL_NAME])
    try:
        yield server
    finally:
        server.stop()


def test_an_annotators_call_overtakes_queued_batch_work_in_triton(unet_triton):
    from labelassist.models.triton import TritonClient

    client = TritonClient(unet_triton.url)
    rng = np.random.default_rng(0)
    # Full batches, so that Triton cannot merge them: each runs on its own. The tile grows
    # until one batch takes long enough that the later ones are surely still queued.
    client.infer(rng.random((1, 1, 64, 64), dtype=np.float32))  # the model is warm
    for side in (64, 128, 256, 512):
        batch = rng.random((32, 1, side, side), dtype=np.float32)
        seconds = []
        for _ in range(2):  # the faster of two: a moment of other load does not pick too small a tile
            started = time.perf_counter()
            client.infer(batch)
            seconds.append(time.perf_counter() - started)
        if min(seconds) > 0.4:
            break
    finished: list[str] = []
    lock = threading.Lock()

    def call(name: str, data: np.ndarray, as_batch: bool) -> None:
        with batch_work() if as_batch else _interactive():
            client.infer(data)
        with lock:
            finished.append(name)

    batch_threads = [threading.Thread(target=call, args=(f"batch-{i}", batch, True)) for i in range(5)]
    for thread in batch_threads:
        thread.start()
        time.sleep(0.02)
    time.sleep(0.1)  # the first batch request runs, the others wait in Triton's queue
    with lock:
        done_before_click = len(finished)
    interactive = threading.Thread(target=call, args=("click", batch[:1, :, :64, :64], False))
    interactive.start()
    for thread in [*batch_threads, interactive]:
        thread.join(timeout=300)
    assert len(finished) == 6
    assert done_before_click <= 1, finished
    # Without priorities the click would wait for every batch request sent before it; with
    # them it waits only for the one that is running.
    assert finished.index("click") <= done_before_click + 1, finished


class _interactive:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
