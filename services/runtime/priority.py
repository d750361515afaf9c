"""Interactive calls first: an annotator's click or pre-label goes ahead of
batch work (scoring, label-error ranking, training, measuring pre-label
sources) wherever the two meet.

- In Triton, every model's dynamic batcher has two priority levels: calls
  made inside :func:`batch_work` are sent at the lower one, so a click
  waits for at most the batch request Triton is running, never for the
  queue of them behind it. Priorities order the queue and nothing else,
  so batch work is delayed, never starved.
- On this machine's CPU, threads that do only batch work (the scorer, a
  training job, the pre-label measurements) lower their own scheduling
  priority with :func:`lower_this_thread`, so the operating system runs an
  annotator's call first when both want a core; they still get every core
  nobody else wants. A service thread that serves annotators too hands its
  batch steps to a :class:`BatchWorker` instead.
- Inside one process, a thread that computes (a ranking built in the
  background) holds the interpreter's lock until another asks for it for
  longer than the switch interval: :func:`favour_short_calls` shortens it,
  so a call's every database round trip waits less for its turn.
- A service that calls another on behalf of batch work says so in the
  call's metadata (:data:`BATCH_METADATA`); the called service runs that
  call as batch work too (:func:`batch_call`).
"""

from __future__ import annotations

import contextvars
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

log = logging.getLogger(__name__)

# Triton's priority levels (config.pbtxt: priority_levels 2, default 2): 1 goes first.
INTERACTIVE, BATCH = 1, 2
# The nice value batch threads run at (0 is normal, 19 the lowest).
BATCH_NICE = 10
BATCH_METADATA = ("x-labelassist-priority", "batch")

_priority: contextvars.ContextVar[int] = contextvars.ContextVar("labelassist_priority", default=INTERACTIVE)


def triton_priority() -> int:
    """The Triton priority level of calls made now: batch inside :func:`batch_work`, else interactive."""
    return _priority.get()


def is_batch() -> bool:
    return _priority.get() == BATCH


@contextmanager
def batch_work() -> Iterator[None]:
    """Calls made inside run as batch work (Triton's lower priority level,
    batch metadata on calls to other services)."""
    token = _priority.set(BATCH)
    try:
        yield
    finally:
        _priority.reset(token)


def batch_call(context) -> bool:
    """Whether a gRPC call was made on behalf of another service's batch work."""
    try:
        return any(key == BATCH_METADATA[0] and value == BATCH_METADATA[1]
                   for key, value in context.invocation_metadata() or ())
    except (AttributeError, ValueError):
        return False


def call_metadata() -> tuple[tuple[str, str], ...]:
    """Metadata for a call to another service: the batch mark inside :func:`batch_work`."""
    return (BATCH_METADATA,) if is_batch() else ()


# Python's default is 5 ms: a call that waits on the network ten times could wait 50 ms for the lock.
SWITCH_INTERVAL = 0.0005


def favour_short_calls(interval: float = SWITCH_INTERVAL) -> None:
    """Let threads that wait on the network take the interpreter's lock from
    a computing thread within ``interval`` seconds (for the whole process)."""
    sys.setswitchinterval(interval)


def lower_this_thread(nice: int = BATCH_NICE) -> None:
    """Lower the calling thread's CPU priority for the rest of its life
    (Linux: a thread's own nice value). Only for threads that do nothing but
    batch work: an unprivileged process cannot raise it back."""
    set_priority = getattr(os, "setpriority", None)
    if set_priority is None or not hasattr(threading, "get_native_id"):
        return
    try:
        set_priority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except OSError as error:  # a container that forbids it: batch work runs at normal priority
        log.debug("cannot lower the priority of thread %s: %s", threading.current_thread().name, error)


class BatchWorker:
    """One thread of lower CPU priority that runs batch steps handed to it.

    For servicer threads that also serve annotators: they cannot lower their
    own priority, as they could not raise it back for the next call. Steps
    run one at a time, inside :func:`batch_work`, in the caller's context.
    """

    def __init__(self, name: str = "batch"):
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=name, initializer=lower_this_thread)

    def run(self, step: Callable[[], object]) -> object:
        """Run ``step`` in the lowered thread and return what it returns (or raise what it raises)."""
        context = contextvars.copy_context()

        def in_batch():
            with batch_work():
                return step()

        return self._pool.submit(context.run, in_batch).result()

