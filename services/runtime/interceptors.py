"""Server interceptors every service installs: bearer-token auth, and error
mapping with an access log."""

from __future__ import annotations

import functools
import logging
import time
import uuid

import grpc

from labelassist.proto.wire.channel import ANSWERED_BY_SERVICE
from labelassist.runtime.auth import Identity, IdentitySource, find_identity, set_caller
from labelassist.runtime.errors import describe, status_for
from labelassist.runtime.logs import log_fields

logger = logging.getLogger("labelassist.rpc")

# Health must answer without a token: load balancers and `labelassist status`
# probe it.
AUTH_EXEMPT_PREFIXES = ("/grpc.health.v1.Health/",)


def replace_behavior(handler: grpc.RpcMethodHandler, wrap, deserializer=None, serializer=None
                     ) -> grpc.RpcMethodHandler:
    """The same kind of handler with its behaviour passed through ``wrap``
    (and, when given, other request deserializer and response serializer)."""
    read, write = deserializer or handler.request_deserializer, serializer or handler.response_serializer
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(wrap(handler.unary_unary, False), read, write)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(wrap(handler.unary_stream, True), read, write)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(wrap(handler.stream_unary, False), read, write)
    return grpc.stream_stream_rpc_method_handler(wrap(handler.stream_stream, True), read, write)


def counting_codec(handler: grpc.RpcMethodHandler, method: str, metrics):
    """The handler's (de)serializers, counting each message's bytes in ``metrics``."""
    deserialize, serialize = handler.request_deserializer, handler.response_serializer

    def read(data: bytes):
        metrics.received(method, len(data))
        return deserialize(data) if deserialize else data

    def write(message) -> bytes:
        data = serialize(message) if serialize else message
        metrics.sent(method, len(data))
        return data
    return read, write


class AuthInterceptor(grpc.ServerInterceptor):
    """Bearer token -> identity (see runtime.auth); the identity is the
    caller for the rest of the call, and the servicers check its roles."""

    def __init__(self, identities: IdentitySource):
        self._identities = identities

    def _identity(self, metadata) -> tuple[Identity | None, str]:
        for key, value in metadata or ():
            if key == "authorization" and value.startswith("Bearer "):
                token = value[len("Bearer "):]
                return find_identity(self._identities.current(), token), token
        return None, ""

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(AUTH_EXEMPT_PREFIXES):
            return handler
        identity, token = self._identity(handler_call_details.invocation_metadata)

        def wrap(behavior, streaming):
            if identity is None:
                def deny(request, context):
                    context.abort(grpc.StatusCode.UNAUTHENTICATED,
                                  "missing or invalid bearer token (metadata 'authorization: Bearer <token>')")
                return deny
            if streaming:
                def run_stream(request, context):
                    set_caller(identity, token)
                    yield from behavior(request, context)
                return run_stream

            def run_unary(request, context):
                set_caller(identity, token)
                return behavior(request, context)
            return run_unary

        return replace_behavior(handler, wrap)


class ErrorMappingInterceptor(grpc.ServerInterceptor):
    """Turns exceptions into status codes and logs every call.

    Expected errors keep their message; anything else is a bug, logged with
    its traceback under an id, and the client gets INTERNAL with only that id.
    Each call is counted in ``metrics`` by method and status code.
    """

    def __init__(self, metrics=None):
        from labelassist.runtime.metrics import NoMetrics

        self.metrics = metrics or NoMetrics()

    def _finish(self, method: str, context, started: float, counted: list, error=None) -> None:
        """Log and count the call; for an error, abort with its mapped status."""
        seconds = time.perf_counter() - started
        fields = {"method": method, "ms": round(seconds * 1e3, 2)}
        counted.append(True)
        if error is None:
            log_fields(logger, logging.INFO, "rpc", code="OK", **fields)
            self.metrics.finished(method, "OK", seconds)
            return
        code, message = status_for(error), describe(error)
        if code is None:
            incident = uuid.uuid4().hex[:12]
            logger.error("unhandled error in %s (incident %s)", method, incident, exc_info=error)
            code, message = grpc.StatusCode.INTERNAL, f"internal error (incident {incident})"
        log_fields(logger, logging.INFO, "rpc", code=code.name, error=message, **fields)
        self.metrics.finished(method, code.name, seconds)
        context.set_trailing_metadata(((ANSWERED_BY_SERVICE, "1"),))  # not a restart: the SDK need not wait it out
        context.abort(code, message)

    def _settle(self, method: str, context, started: float, counted: list) -> None:
        """Count a call that ended without ``_finish`` (aborted by a guard,
        or closed by a client that went away)."""
        if not counted:
            try:
                code = context.code()
            except AttributeError:
                code = None
            self.metrics.finished(method, code.name if code else "CANCELLED", time.perf_counter() - started)

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        finish, settle, metrics = (functools.partial(self._finish, method), functools.partial(self._settle, method),
                                   self.metrics)

        def wrap(behavior, streaming):
            if streaming:
                def run_stream(request, context):
                    started, counted = time.perf_counter(), []
                    metrics.started(method)
                    try:
                        yield from behavior(request, context)
                    except Exception as error:  # noqa: BLE001 - mapped, never leaked
                        if _already_aborted(context):
                            raise
                        finish(context, started, counted, error)
                    else:
                        finish(context, started, counted)
                    finally:
                        settle(context, started, counted)
                return run_stream

            def run_unary(request, context):
                started, counted = time.perf_counter(), []
                metrics.started(method)
                try:
                    response = behavior(request, context)
                except Exception as error:  # noqa: BLE001 - mapped, never leaked
                    if _already_aborted(context):
                        settle(context, started, counted)
                        raise
                    finish(context, started, counted, error)
                finish(context, started, counted)
                return response
            return run_unary

        if not metrics.counts_bytes:
            return replace_behavior(handler, wrap)
        return replace_behavior(handler, wrap, *counting_codec(handler, method, metrics))


def _already_aborted(context) -> bool:
    try:
        return context.code() not in (None, grpc.StatusCode.OK)
    except AttributeError:
        return False
