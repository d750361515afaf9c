"""Training in a process of its own: assist replicas started with
``--training-runner queue`` queue Train calls in the shared journal, and
``labelassist trainer`` (a Kubernetes Job in the recipes) runs them; any
replica follows a job from queued to done."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.models import repository as model_store
from labelassist.proto.v1 import assist_pb2
from test_triton import write_blob_dataset

SMALL = {"tile": 64, "depth": 2, "width": 8}


def _trainer(data_dir, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labelassist.cli", "--data-dir", str(data_dir), "trainer", *flags],
                          capture_output=True, text=True, timeout=600, env={**os.environ, "LABELASSIST_TOKEN": ""})


def test_queued_jobs_wait_for_the_trainer_and_any_replica_follows_them(start_service, stack, client, tmp_path):
    data_dir = tmp_path / "data"
    dataset = data_dir / "datasets" / "blobs"
    write_blob_dataset(dataset, 5, seed=3)
    (dataset / "split.csv").write_text("stem,split\ns0,train\ns1,train\ns2,train\ns3,train\ns4,test\n")
    first = start_service("assist", "--training-runner", "queue", "--selector-address", stack.addresses.selector)
    second = start_service("assist", "--training-runner", "queue")
    with LabelAssistClient(ServiceAddresses(assist=first.address), retries=0) as one, \
            LabelAssistClient(ServiceAddresses(assist=second.address), retries=0) as other:
        folder_job = one.train(dataset, epochs=2, steps_per_epoch=3, **SMALL)
        watched = other.train_status(folder_job)
        queued = next(watched)
        assert queued.state == assist_pb2.TRAIN_STATE_QUEUED and "labelassist trainer" in queued.message

        # A project's labels: assist reads them at Train time, the trainer needs no selector access to them.
        rng = np.random.default_rng(4)
        project = f"trainer-{rng.integers(1 << 30)}"
        client.create_project(project)
        client.add_samples(project, [{"stem": f"p{i}", "image": (rng.random((64, 64)) * 1000).astype(np.uint16),
                                      "label": (rng.random((64, 64)) > 0.7).astype(np.uint8)} for i in range(4)])
        project_job = one.train(project=project, epochs=1, steps_per_epoch=2, **SMALL)

        ran = _trainer(data_dir, "--once", "--selector-address", stack.addresses.selector)
        assert ran.returncode == 0, ran.stderr
        assert "2 training job(s) run" in ran.stdout

        events = [queued, *watched]
        assert [e.state for e in events][-1] == assist_pb2.TRAIN_STATE_SUCCEEDED
        assert assist_pb2.TRAIN_STATE_RUNNING in [e.state for e in events]
        assert [e.epoch for e in events if e.epoch] == [1, 2] and events[-1].model_version == 1
        last = list(one.train_status(project_job))[-1]
        assert last.state == assist_pb2.TRAIN_STATE_SUCCEEDED and last.model_version == 2
    assert model_store.versions(data_dir / "models") == [1, 2]
    assert not list((data_dir / "jobs").glob("*.npz"))  # the project's pairs go once trained
    assert _trainer(data_dir, "--once").stdout.strip().endswith("0 training job(s) run")


_HOLDER = """
import fcntl, json, sys, time
folder, job, state, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
lock = open(f"{folder}/training.lock", "a+")
fcntl.flock(lock, fcntl.LOCK_EX)
lock.write(job); lock.flush()
with open(f"{folder}/{job}.jsonl", "w") as journal:
    journal.write(json.dumps({"job": job, "project": ""}) + "\\n")
    journal.write(json.dumps({"state": state, "model_version": 1 if state == "succeeded" else 0}) + "\\n")
print("holding", flush=True)
time.sleep(seconds)
"""


def _hold_training_lock(jobs_folder, state: str, seconds: float) -> subprocess.Popen:
    """Another process holding the training lock for a job whose journal says ``state``."""
    jobs_folder.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(jobs_folder), "f00dfeedf00dfeed", state,
                               str(seconds)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_a_job_that_recorded_its_end_but_still_frees_the_lock_does_not_refuse_the_next(start_service, tmp_path):
    import time

    dataset = tmp_path / "data" / "datasets" / "blobs"
    write_blob_dataset(dataset, 3, seed=5)
    assist = start_service("assist")
    holder = _hold_training_lock(tmp_path / "data" / "jobs", "succeeded", seconds=1.5)
    try:
        with LabelAssistClient(ServiceAddresses(assist=assist.address), retries=0) as client:
            started = time.monotonic()
            job = client.train(dataset, epochs=1, steps_per_epoch=1, **SMALL)
            assert time.monotonic() - started >= 1.0  # it waited for the lock, then started
            assert list(client.train_status(job))[-1].state == assist_pb2.TRAIN_STATE_SUCCEEDED
    finally:
        holder.kill()


def test_a_running_job_holding_the_lock_refuses_the_next_at_once_and_names_it(start_service, tmp_path):
    import pytest

    from labelassist.client.errors import LabelAssistError

    dataset = tmp_path / "data" / "datasets" / "blobs"
    write_blob_dataset(dataset, 3, seed=5)
    assist = start_service("assist")
    holder = _hold_training_lock(tmp_path / "data" / "jobs", "running", seconds=60)
    try:
        with LabelAssistClient(ServiceAddresses(assist=assist.address), retries=0) as client, \
                pytest.raises(LabelAssistError) as refused:
            client.train(dataset, epochs=1, steps_per_epoch=1, **SMALL)
        assert refused.value.status.name == "FAILED_PRECONDITION"
        assert "f00dfeedf00dfeed is running" in str(refused.value)
    finally:
        holder.kill()
