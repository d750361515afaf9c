"""Network calls off the UI thread: each runs in Qt's thread pool and reports
back through signals, which Qt delivers on the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


def describe_error(error: BaseException) -> str:
    """What the annotator reads: the status code and the server's message, no traceback."""
    if isinstance(error, grpc.RpcError):
        return f"{error.code().name}: {error.details()}"
    return f"{type(error).__name__}: {error}"


class _Signals(QObject):
    finished = Signal(object)
    failed = Signal(str)
    progress = Signal(object)


class _Job(QRunnable):
    def __init__(self, function: Callable[..., Any], with_progress: bool):
        super().__init__()
        self.function = function
        self.with_progress = with_progress
        self.signals = _Signals()

    def run(self) -> None:  # on a worker thread
        try:
            result = self.function(self.signals.progress.emit) if self.with_progress else self.function()
        except Exception as error:  # noqa: BLE001 - every failure becomes a message on screen
            self.signals.failed.emit(describe_error(error))
        else:
            self.signals.finished.emit(result)


class _Relay(QObject):
    """Lives on the UI thread: signals from a worker reach its slots through
    Qt's event queue (a queued connection), so callbacks run on the UI thread."""

    def __init__(self, owner: Calls, on_done, on_error, on_progress):
        super().__init__(owner)
        self.owner, self.on_done, self.on_error, self.on_progress = owner, on_done, on_error, on_progress

    @Slot(object)
    def done(self, value) -> None:
        self._settle()
        self.on_done(value)

    @Slot(str)
    def fail(self, message: str) -> None:
        self._settle()
        self.on_error(message)

    @Slot(object)
    def progress(self, value) -> None:
        self.on_progress(value)

    def _settle(self) -> None:
        self.owner._settle(self)
        self.deleteLater()


class Calls(QObject):
    """Runs calls in the background and counts those in flight, so the window
    can show that it is busy and tests can wait until it is idle."""

    busy_changed = Signal(int)

    def __init__(self, parent: QObject | None = None, threads: int = 4):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self.in_flight = 0
        self._jobs: dict[_Relay, _Job] = {}

    def run(self, function: Callable[..., Any], on_done: Callable[[Any], None],
            on_error: Callable[[str], None], on_progress: Callable[[Any], None] | None = None) -> None:
        """``function`` runs on a worker thread; with ``on_progress`` it is
        given an ``emit(value)`` to report progress with."""
        job = _Job(function, on_progress is not None)
        job.setAutoDelete(False)
        relay = _Relay(self, on_done, on_error, on_progress)
        self._jobs[relay] = job  # keeps the job and its signals alive until it reports
        job.signals.finished.connect(relay.done)
        job.signals.failed.connect(relay.fail)
        if on_progress is not None:
            job.signals.progress.connect(relay.progress)
        self.in_flight += 1
        self.busy_changed.emit(self.in_flight)
        self.pool.start(job)

    def _settle(self, relay: _Relay) -> None:
        self._jobs.pop(relay, None)
        self.in_flight -= 1
        self.busy_changed.emit(self.in_flight)
