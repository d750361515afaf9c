"""Training jobs that outlive the RPC that started them, and the replica:
each runs in a thread of one assist replica, or is queued for a trainer
process of its own (:mod:`labelassist.assist.trainer`), and writes its
progress to a journal in the data directory (``DATA_DIR/jobs/<id>.jsonl``,
one event per line). Every replica that shares the directory (a
ReadWriteMany volume in Kubernetes) streams any job from it, and after a
restart too. One job runs at a time: whoever runs it holds an exclusive
lock on ``DATA_DIR/jobs/training.lock``, which the operating system frees
when that process dies, so a job whose journal says "running" while nobody
holds the lock ended with its runner."""

from __future__ import annotations

import dataclasses
import fcntl
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from labelassist.runtime.errors import ConflictError, NotFoundError
from labelassist.runtime.priority import lower_this_thread

logger = logging.getLogger("labelassist.jobs")

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
POLL_SECONDS = 0.5
LOCK_NAME = "training.lock"
# A job's runner records its end before it frees the lock; on a busy machine
# the gap can last seconds, and a next job started in it waits this long.
ENDED_HOLDER_GRACE_SECONDS = 30.0


@dataclass
class Event:
    state: str
    epoch: int = 0
    epochs: int = 0
    loss: float = float("nan")
    validation_dice: float = float("nan")
    model_version: int = 0
    message: str = ""


@dataclass
class Job:
    id: str
    # The project whose labels it trains on ("" for a dataset folder): who may follow it.
    project: str = ""
    events: list[Event] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    journal: Path | None = None

    def record(self, event: Event) -> None:
        with self.changed:
            self.events.append(event)
            if self.journal is not None:
                with open(self.journal, "a") as handle:
                    handle.write(json.dumps(dataclasses.asdict(event)) + "\n")
                    handle.flush()
                    os.fsync(handle.fileno())
            self.changed.notify_all()

    @property
    def finished(self) -> bool:
        return bool(self.events) and self.events[-1].state in (SUCCEEDED, FAILED)

    def follow(self, still_wanted: Callable[[], bool] = lambda: True) -> Iterator[Event]:
        """Every event from the first, then new ones as they come, until the job ends."""
        seen = 0
        while True:
            with self.changed:
                while seen == len(self.events) and not self.finished and still_wanted():
                    self.changed.wait(timeout=1.0)
                fresh, seen = self.events[seen:], len(self.events)
            yield from fresh
            if self.finished or not still_wanted():
                if seen == len(self.events):
                    return


class JournalJob:
    """A job another replica (or an earlier process) runs or ran, followed
    through its journal."""

    def __init__(self, journal: Path, lock: Path):
        self.id, self.journal, self.lock = journal.stem, journal, lock
        header = json.loads(journal.read_text().splitlines()[0])
        self.project = header.get("project", "")

    def _events(self) -> list[Event]:
        return journal_events(self.journal)

    def follow(self, still_wanted: Callable[[], bool] = lambda: True) -> Iterator[Event]:
        seen = 0
        while still_wanted():
            events = self._events()
            yield from events[seen:]
            seen = len(events)
            if events and events[-1].state in (SUCCEEDED, FAILED):
                return
            if events and events[-1].state == QUEUED:
                time.sleep(POLL_SECONDS)  # waiting for a trainer
                continue
            if not _locked(self.lock):
                # Nobody runs it: its replica stopped before the job ended (re-read once: it may just have ended).
                events = self._events()
                yield from events[seen:]
                if not events or events[-1].state not in (SUCCEEDED, FAILED):
                    yield Event(FAILED, message="the process running this job (an assist replica or a trainer) stopped "
                                                "before it ended; "
                                                "start the training again")
                return
            time.sleep(POLL_SECONDS)


def journal_events(journal: Path) -> list[Event]:
    """The events a job's journal records, after its header line."""
    lines = journal.read_text().splitlines()[1:]
    # A line being written may be cut short: only complete lines count.
    return [Event(**json.loads(line)) for line in lines if line.endswith("}")]


def _journal_ended(journal: Path) -> bool:
    """Whether a job's journal records its end (succeeded or failed)."""
    try:
        events = journal_events(journal)
    except OSError:
        return False
    return bool(events) and events[-1].state in (SUCCEEDED, FAILED)


def _locked(lock: Path) -> bool:
    """Whether some process holds the training lock."""
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def run_to_end(job: Job, work: Callable[[Job], int], lock=None) -> None:
    """Run ``work(job)`` (it returns the published version), record how the
    job ended, and free the training lock for the next job. Training is
    batch work: its thread (and the threads it starts) run below annotators' calls."""
    lower_this_thread()
    try:
        version = work(job)
        job.record(Event(SUCCEEDED, model_version=version, message=f"published version {version}"))
    except Exception as error:  # noqa: BLE001 - reported to the watchers, logged in full
        logger.exception("training job %s failed", job.id)
        job.record(Event(FAILED, message=f"{type(error).__name__}: {error}"))
    finally:
        if lock is not None:
            lock.close()


class JobRegistry:
    """The training jobs of this replica, journalled in ``folder`` (shared
    by the replicas; None keeps them in memory only)."""

    def __init__(self, folder: Path | None = None):
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self.folder = folder
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def _hold_training_lock(self):
        """The exclusive training lock, or ConflictError naming the job that
        holds it. A holder whose journal already records its end is freeing
        the lock: that is waited for, not refused."""
        handle = open(self.folder / LOCK_NAME, "a+")
        deadline = time.monotonic() + ENDED_HOLDER_GRACE_SECONDS
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                handle.seek(0)
                running = handle.read().strip()
                if running and _journal_ended(self.folder / f"{running}.jsonl") and time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                handle.close()
                raise ConflictError(f"training job {running or 'another job'} is running; one training runs at a "
                                    "time: follow it with TrainStatus and start the next when it has ended") from None
        handle.seek(0)
        handle.truncate()
        return handle

    def start(self, work: Callable[[Job], int], project: str = "") -> Job:
        """Run ``work(job)`` in a thread; it returns the published version."""
        job = Job(uuid.uuid4().hex[:16], project)
        lock = None
        if self.folder is not None:
            lock = self._hold_training_lock()
            lock.write(job.id)
            lock.flush()
            self._open_journal(job, pid=os.getpid())
        with self._lock:
            self._jobs[job.id] = job
        job.record(Event(RUNNING, message="started"))
        threading.Thread(target=run_to_end, args=(job, work, lock), name=f"train-{job.id}", daemon=True).start()
        return job

    def _open_journal(self, job: Job, **header) -> None:
        """The job's journal, its first line saying whose job it is."""
        job.journal = self.folder / f"{job.id}.jsonl"
        job.journal.write_text(json.dumps({"job": job.id, "project": job.project, **header}) + "\n")

    def enqueue(self, request) -> str:
        """Queue a :class:`~labelassist.assist.training.TrainingRequest` for
        a trainer; its job id. The project's label pairs go beside the
        journal (``<id>.npz``)."""
        if self.folder is None:
            raise ConflictError("queued training needs a data directory that the trainer shares")
        job = Job(uuid.uuid4().hex[:16], request.project)
        if request.pairs is not None:
            request.save_pairs(self.folder / f"{job.id}.npz")
        self._open_journal(job, request=request.describe())
        job.record(Event(QUEUED, message="queued: a trainer (labelassist trainer) runs it when the one before "
                                         "it has ended"))
        return job.id

    def claim(self) -> tuple[Job, dict, object] | None:
        """For a trainer: the oldest queued job, with its request and the
        training lock held (close it when the job has ended); None when
        nothing is queued or another runner holds the lock."""
        try:
            lock = self._hold_training_lock()
        except ConflictError:
            return None
        queued = []
        for journal in self.folder.glob("*.jsonl"):
            lines = journal.read_text().splitlines()
            header = json.loads(lines[0])
            if "request" in header and len(lines) == 2 and json.loads(lines[1])["state"] == QUEUED:
                queued.append((journal.stat().st_mtime, journal, header))
        if not queued:
            lock.close()
            return None
        _, journal, header = min(queued, key=lambda entry: entry[0])
        lock.write(header["job"])
        lock.flush()
        job = Job(header["job"], header["project"], journal=journal)
        job.events = [Event(QUEUED)]
        job.record(Event(RUNNING, message=f"started by trainer {os.getpid()}"))
        return job, header["request"], lock

    def get(self, job_id: str) -> Job | JournalJob:
        """This replica's job, or one journalled by any replica."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is not None:
            return job
        if self.folder is not None and job_id.isalnum():
            journal = self.folder / f"{job_id}.jsonl"
            if journal.exists():
                return JournalJob(journal, self.folder / LOCK_NAME)
        raise NotFoundError(f"no training job {job_id!r}")
