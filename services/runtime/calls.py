"""Limits every call obeys, so no client can take a service from the others:
a cap on calls in progress below the worker count (health always finds a
free worker), caps on concurrent upload streams per caller, per peer host
and in all (other calls always find a worker), an idle timeout between the
messages of a stream, a minimum upload rate (a stream trickling bytes to
stay under the idle timeout is ended, and ended at once when another call
needs its worker), and cancellation that reaches the work itself (the cores
call :func:`raise_if_cancelled` between steps, tiles and objects).
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

import grpc

from labelassist.runtime.auth import caller
from labelassist.runtime.errors import CancelledError, QuotaError, UnavailableError
from labelassist.runtime.interceptors import replace_behavior

logger = logging.getLogger("labelassist.calls")

# Workers kept free of data calls: health checks and short calls still answer
# when every other worker is busy.
RESERVED_WORKERS = 2
EXEMPT_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")
LOOPBACK_HOSTS = ("ipv4:127.0.0.1", "ipv6:[::1]")
# How long a call over a cap waits for a worker before it is turned away,
# looking again every ADMISSION_POLL_SECONDS for an upload to end: together
# with the grace below, another client's small call is answered within a
# second while slow uploads hold the workers.
ADMISSION_WAIT_SECONDS = 0.6
ADMISSION_POLL_SECONDS = 0.05
# Seconds of waiting for its client before a stream's rate is judged: a
# stream younger than this is never ended to make room. Shorter than the
# wait, so a call that arrives with a burst of slow uploads outlasts their grace.
RATE_GRACE_SECONDS = 0.4

_context: contextvars.ContextVar[grpc.ServicerContext | None] = contextvars.ContextVar("call", default=None)


def cancellation_check() -> Callable[[], None]:
    """A function that raises :class:`CancelledError` once the call being
    served on this thread is cancelled or past its deadline; a no-op in
    process. Hand it to pool threads, which do not see this thread's call."""
    context = _context.get()
    if context is None:
        return lambda: None

    def check() -> None:
        if not context.is_active():
            raise CancelledError("the client cancelled the call or its deadline passed; the work was stopped")
    return check


def raise_if_cancelled() -> None:
    """Stop the work of a call whose client is gone (see :func:`cancellation_check`)."""
    cancellation_check()()


class _Stream:
    """A request stream whose waits for the next message the watchdog times."""

    def __init__(self, requests: Iterator, context: grpc.ServicerContext):
        self.requests, self.context = requests, context
        self.waiting_since: float | None = None
        # Seconds spent waiting for the client and bytes it sent: its upload
        # rate, not counting the time the service spends on what it sent.
        self.waited, self.received = 0.0, 0

    def __iter__(self):
        return self

    def __next__(self):
        self.waiting_since = time.monotonic()
        try:
            message = next(self.requests)
        finally:
            self.waited += time.monotonic() - self.waiting_since
            self.waiting_since = None
        self.received += message.ByteSize()
        return message

    def waited_until(self, now: float) -> float:
        since = self.waiting_since
        return self.waited + (now - since if since is not None else 0.0)


def _cancel(context: grpc.ServicerContext, code: grpc.StatusCode, details: str) -> None:
    """End a call from another thread, with a status the client can read."""
    call = getattr(getattr(context, "_rpc_event", None), "call", None)
    try:
        call.cancel(code.value[0], details)
    except (AttributeError, TypeError):
        context.cancel()  # the same end, with CANCELLED and no message


class CallGuard(grpc.ServerInterceptor):
    """Caps on calls in progress and per-caller streams, and the idle timeout.

    ``workers`` is the server's thread count; data calls may use all but
    :data:`RESERVED_WORKERS` of them, and upload streams three quarters of
    those, at most half of them from one peer host. A call over the cap
    first makes room by ending the upload furthest below ``min_upload_rate``
    (one that has waited at least :data:`RATE_GRACE_SECONDS` for its client:
    many connections trickling bytes on one loopback host, where the host
    cap cannot tell clients apart, cannot hold the workers), then waits up
    to :data:`ADMISSION_WAIT_SECONDS` for a worker; still over, it is
    UNAVAILABLE (the SDK retries it with backoff). A caller or host over its
    stream quota is RESOURCE_EXHAUSTED at once. A stream that sends nothing
    for ``idle_seconds``, or that has sent less than ``min_upload_rate``
    bytes per second of waiting once it has waited that long, is ended with
    DEADLINE_EXCEEDED.
    """

    def __init__(self, workers: int, streams_per_caller: int, idle_seconds: float, min_upload_rate: float = 0.0):
        self.workers = workers
        self.capacity = max(workers - RESERVED_WORKERS, 1)
        self.upload_capacity = max(self.capacity * 3 // 4, 1)
        self.streams_per_caller = streams_per_caller
        self.streams_per_host = max(self.upload_capacity // 2, min(streams_per_caller, self.upload_capacity), 1)
        self.idle_seconds = idle_seconds
        self.min_upload_rate = min_upload_rate
        self._lock = threading.Lock()
        self._released = threading.Condition(self._lock)
        self._active = self._uploads = self._waiting = 0
        self._streams_by_caller: Counter[str] = Counter()
        self._streams_by_host: Counter[str] = Counter()
        self._streams: set[_Stream] = set()
        self._watchdog = threading.Thread(target=self._watch, name="idle-streams", daemon=True)
        self._watchdog.start()

    def _watch(self) -> None:
        while True:
            time.sleep(min(max(self.idle_seconds / 4, 0.05), 1.0))
            now = time.monotonic()
            with self._lock:
                streams = list(self._streams)
            for stream in streams:
                problem = self._stream_problem(stream, now)
                if problem:
                    with self._lock:
                        self._streams.discard(stream)
                    self._end(stream, problem)

    @staticmethod
    def _end(stream: _Stream, problem: str) -> None:
        logger.info("ending a stream from %s: %s", stream.context.peer(), problem)
        _cancel(stream.context, grpc.StatusCode.DEADLINE_EXCEEDED, problem)

    def _slow_problem(self, stream: _Stream, waited: float) -> str:
        return (f"the upload ran below the minimum rate: {stream.received} bytes in {waited:.0f} s of "
                f"waiting, at least {self.min_upload_rate / 1024:g} KiB/s needed; send faster, or split the "
                "upload into smaller calls")

    def _stream_problem(self, stream: _Stream, now: float) -> str | None:
        """Why a stream must end now: idle too long, or too slow."""
        since = stream.waiting_since
        if since is not None and now - since > self.idle_seconds:
            return f"no message for {self.idle_seconds:g} s: a stream must keep sending until it is done"
        waited = stream.waited_until(now)
        if self.min_upload_rate and waited >= self.idle_seconds and stream.received < self.min_upload_rate * waited:
            return self._slow_problem(stream, waited)
        return None

    def _end_slowest_upload(self) -> bool:
        """End the upload furthest below the minimum rate, if one waiting for
        its client is past its grace, to free its worker for a call that
        needs one (lock held)."""
        if not self.min_upload_rate:
            return False
        now = time.monotonic()
        slowest, lowest = None, self.min_upload_rate
        for stream in self._streams:
            if stream.waiting_since is None:  # its worker works on what it sent, not waiting for it
                continue
            waited = stream.waited_until(now)
            if waited >= RATE_GRACE_SECONDS and stream.received / waited < lowest:
                slowest, lowest = stream, stream.received / waited
        if slowest is None:
            return False
        self._streams.discard(slowest)
        self._end(slowest, self._slow_problem(slowest, slowest.waited_until(now)))
        return True

    def health_problem(self) -> str | None:
        """Why no data call can be taken now, if none can."""
        with self._lock:
            if self._active >= self.capacity:
                return f"every worker is busy ({self._active} calls in progress)"
        return None

    @staticmethod
    def _caller_key(context: grpc.ServicerContext) -> str:
        """The identity with authentication; without, the connection: on a
        shared loopback every client has the same host, so the host cannot
        tell one client from another."""
        identity = caller()
        return identity.name if identity is not None else (context.peer() or "unknown")

    @staticmethod
    def _host(context: grpc.ServicerContext) -> str | None:
        """The peer's address without its port ("ipv4:10.0.0.5:41234" ->
        "ipv4:10.0.0.5"); None on this machine, where every client shares
        the one loopback host and the connection, the total cap and the
        minimum rate tell them apart."""
        host = (context.peer() or "unknown").rsplit(":", 1)[0]
        return None if host in LOOPBACK_HOSTS or host.startswith("unix") else host

    def _check_quotas(self, keys: tuple[str, str | None]) -> None:
        caller_key, host = keys
        if self._streams_by_caller[caller_key] >= self.streams_per_caller:
            raise QuotaError(f"{caller_key} already has {self.streams_per_caller} upload streams open; "
                             "finish or cancel one first")
        if host is not None and self._streams_by_host[host] >= self.streams_per_host:
            raise QuotaError(f"{host} already has {self.streams_per_host} upload streams open; "
                             "finish or cancel one first")

    def _capacity_refusal(self, streaming_request: bool) -> UnavailableError | None:
        if self._active >= self.capacity:
            return UnavailableError(f"the service is busy ({self._active} calls in progress); retry shortly")
        if streaming_request and self._uploads >= self.upload_capacity:
            return UnavailableError(f"the service is busy ({self.upload_capacity} uploads in progress); "
                                    "retry shortly")
        return None

    def _wait_for_capacity(self, streaming_request: bool) -> None:
        """Return once the call fits (lock held); raise its refusal if it
        does not within :data:`ADMISSION_WAIT_SECONDS`. A call waits on its
        own worker, so only while one worker stays free for health checks."""
        deadline = time.monotonic() + ADMISSION_WAIT_SECONDS
        room_made = False
        while (refusal := self._capacity_refusal(streaming_request)) is not None:
            if self._end_slowest_upload():
                # Time for the ended stream's worker to let go, however late in the wait.
                room_made, deadline = True, max(deadline, time.monotonic() + 4 * ADMISSION_POLL_SECONDS)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not (room_made or self._active + self._waiting < self.workers - 1):
                raise refusal
            self._waiting += 1
            try:
                self._released.wait(min(remaining, ADMISSION_POLL_SECONDS))
            finally:
                self._waiting -= 1

    def _admit(self, context, streaming_request: bool) -> tuple[str, str | None] | None:
        keys = (self._caller_key(context), self._host(context)) if streaming_request else None
        with self._lock:
            if keys is not None:
                self._check_quotas(keys)
            self._wait_for_capacity(streaming_request)
            if keys is not None:
                self._uploads += 1
                self._streams_by_caller[keys[0]] += 1
                if keys[1] is not None:
                    self._streams_by_host[keys[1]] += 1
            self._active += 1
        return keys

    def _release(self, keys: tuple[str, str | None] | None, stream: _Stream | None) -> None:
        with self._lock:
            self._active -= 1
            if keys is not None:
                self._uploads -= 1
                for counter, key in zip((self._streams_by_caller, self._streams_by_host), keys):
                    if key is not None:
                        counter[key] -= 1
                        if not counter[key]:
                            del counter[key]
            self._streams.discard(stream)
            self._released.notify_all()

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or handler_call_details.method.startswith(EXEMPT_PREFIXES):
            return handler
        streaming_request = handler.request_streaming

        def enter(request, context):
            key = self._admit(context, streaming_request)
            stream = None
            if streaming_request:
                stream = request = _Stream(request, context)
                with self._lock:
                    self._streams.add(stream)
            token = _context.set(context)
            return request, key, stream, token

        def leave(key, stream, token):
            _context.reset(token)
            self._release(key, stream)

        def wrap(behavior, streaming_response):
            if streaming_response:
                def run_stream(request, context):
                    request, key, stream, token = enter(request, context)
                    try:
                        yield from behavior(request, context)
                    finally:
                        leave(key, stream, token)
                return run_stream

            def run_unary(request, context):
                request, key, stream, token = enter(request, context)
                try:
                    return behavior(request, context)
                finally:
                    leave(key, stream, token)
            return run_unary

        return replace_behavior(handler, wrap)
