"""Training jobs that outlive the RPC that started them: run in a thread,
record their progress, and let any number of watchers stream it."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from labelassist.runtime.errors import NotFoundError

logger = logging.getLogger("labelassist.jobs")

RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"


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

    def record(self, event: Event) -> None:
        with self.changed:
            self.events.append(event)
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


class JobRegistry:
    def __init__(self):
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, work: Callable[[Job], int], project: str = "") -> Job:
        """Run ``work(job)`` in a thread; it returns the published version."""
        job = Job(uuid.uuid4().hex[:16], project)
        with self._lock:
            self._jobs[job.id] = job
        job.record(Event(RUNNING, message="started"))

        def run():
            try:
                version = work(job)
                job.record(Event(SUCCEEDED, model_version=version, message=f"published version {version}"))
            except Exception as error:  # noqa: BLE001 - reported to the watchers, logged in full
                logger.exception("training job %s failed", job.id)
                job.record(Event(FAILED, message=f"{type(error).__name__}: {error}"))

        threading.Thread(target=run, name=f"train-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no training job {job_id!r}")
        return job
