"""Limits every call obeys, so no client can take a service from the others:
a cap on calls in progress below the worker count (health always finds a
free worker), a cap on concurrent upload streams per caller, an idle
timeout between the messages of a stream, and cancellation that reaches
the work itself (the cores call :func:`raise_if_cancelled` between steps
and tiles).
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

    def __iter__(self):
        return self

    def __next__(self):
        self.waiting_since = time.monotonic()
        try:
            return next(self.requests)
        finally:
            self.waiting_since = None


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
    :data:`RESERVED_WORKERS` of them. A call over the cap is UNAVAILABLE
    (the SDK retries it with backoff); a caller over its stream quota is
    RESOURCE_EXHAUSTED. A stream that sends nothing for ``idle_seconds``
    is ended with DEADLINE_EXCEEDED.
    """

    def __init__(self, workers: int, streams_per_caller: int, idle_seconds: float):
        self.capacity = max(workers - RESERVED_WORKERS, 1)
        self.streams_per_caller = streams_per_caller
        self.idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._active = 0
        self._streams_by_caller: Counter[str] = Counter()
        self._streams: set[_Stream] = set()
        self._watchdog = threading.Thread(target=self._watch, name="idle-streams", daemon=True)
        self._watchdog.start()

    def _watch(self) -> None:
        while True:
            time.sleep(min(max(self.idle_seconds / 4, 0.05), 1.0))
            now = time.monotonic()
            with self._lock:
                idle = [s for s in self._streams
                        if s.waiting_since is not None and now - s.waiting_since > self.idle_seconds]
            for stream in idle:
                stream.waiting_since = None
                logger.info("ending a stream idle for over %.0f s from %s", self.idle_seconds, stream.context.peer())
                _cancel(stream.context, grpc.StatusCode.DEADLINE_EXCEEDED,
                        f"no message for {self.idle_seconds:g} s: a stream must keep sending until it is done")

    @staticmethod
    def _caller_key(context: grpc.ServicerContext) -> str:
        """The identity with authentication; without, the connection: on a
        shared loopback every client has the same host, so the host cannot
        tell one client from another."""
        identity = caller()
        return identity.name if identity is not None else (context.peer() or "unknown")

    def _admit(self, context, streaming_request: bool) -> str | None:
        key = self._caller_key(context) if streaming_request else None
        with self._lock:
            if self._active >= self.capacity:
                raise UnavailableError(f"the service is busy ({self._active} calls in progress); retry shortly")
            if key is not None and self._streams_by_caller[key] >= self.streams_per_caller:
                raise QuotaError(f"{key} already has {self.streams_per_caller} upload streams open; "
                                 "finish or cancel one first")
            self._active += 1
            if key is not None:
                self._streams_by_caller[key] += 1
        return key

    def _release(self, key: str | None, stream: _Stream | None) -> None:
        with self._lock:
            self._active -= 1
            if key is not None:
                self._streams_by_caller[key] -= 1
                if not self._streams_by_caller[key]:
                    del self._streams_by_caller[key]
            self._streams.discard(stream)

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
