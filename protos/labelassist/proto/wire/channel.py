"""Client channels: address, TLS, bearer token and message limits, the same
for the SDK, the CLI and the tests."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc

from labelassist.proto.wire.addresses import DEFAULT_MAX_MESSAGE_BYTES


class _BearerToken(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                   grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds ``authorization: Bearer`` to every call; works on plaintext
    channels too, where gRPC refuses call credentials."""

    def __init__(self, token: str):
        self._header = ("authorization", f"Bearer {token}")

    def _with_token(self, details):
        metadata = list(details.metadata or []) + [self._header]
        return _CallDetails(details.method, details.timeout, metadata, details.credentials,
                            getattr(details, "wait_for_ready", None),
                            getattr(details, "compression", None))

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._with_token(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._with_token(details), request)

    def intercept_stream_unary(self, continuation, details, request_iterator):
        return continuation(self._with_token(details), request_iterator)

    def intercept_stream_stream(self, continuation, details, request_iterator):
        return continuation(self._with_token(details), request_iterator)


class _CallDetails(grpc.ClientCallDetails):
    def __init__(self, method, timeout, metadata, credentials, wait_for_ready, compression):
        self.method = method
        self.timeout = timeout
        self.metadata = metadata
        self.credentials = credentials
        self.wait_for_ready = wait_for_ready
        self.compression = compression


BALANCED_SCHEMES = ("dns:", "ipv4:", "ipv6:")
BALANCED_CONFIG = json.dumps({"loadBalancingConfig": [{"round_robin": {}}],
                              "healthCheckConfig": {"serviceName": ""}})


def replica_target(address: str) -> str:
    """A gRPC target for ``address``: a comma-separated list of IP:port
    becomes an ``ipv4:`` (or ``ipv6:``) target that names every replica."""
    if "," not in address or address.startswith(BALANCED_SCHEMES):
        return address
    scheme = "ipv6:" if address.lstrip().startswith("[") else "ipv4:"
    return scheme + ",".join(part.strip() for part in address.split(","))


def replica_addresses(address: str) -> list[str]:
    """Each replica ``address`` names, as ``host:port``: the parts of a
    list, or the records of a ``dns:///name:port`` target (calls that must
    reach every replica, such as loading a model, go to each)."""
    import socket

    if address.startswith("dns:"):
        host, _, port = address.rsplit("/", 1)[-1].rpartition(":")
        records = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
        return sorted({f"[{r[4][0]}]:{port}" if ":" in r[4][0] else f"{r[4][0]}:{port}" for r in records})
    for scheme in ("ipv4:", "ipv6:"):
        address = address.removeprefix(scheme)
    return [part.strip() for part in address.split(",") if part.strip()]


def open_channel(
    address: str,
    token: str | None = None,
    tls_root: str | Path | None = None,
    tls: bool = False,
) -> grpc.Channel:
    """A channel to one service. ``tls_root`` (a PEM file) or ``tls=True``
    (system roots) switch TLS on.

    ``address`` may name several replicas: ``host:port,host:port`` (IP
    addresses), ``ipv4:…``/``ipv6:…`` lists, or ``dns:///name:port`` (a
    headless Service's many records). Calls are then balanced round-robin
    over the replicas whose health check says SERVING, so a dead or
    unready replica is skipped."""
    options = [
        ("grpc.max_receive_message_length", DEFAULT_MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", DEFAULT_MAX_MESSAGE_BYTES),
    ]
    address = replica_target(address)
    if address.startswith(BALANCED_SCHEMES):
        options.append(("grpc.service_config", BALANCED_CONFIG))
    if tls_root is not None or tls:
        root = Path(tls_root).read_bytes() if tls_root is not None else None
        channel = grpc.secure_channel(address, grpc.ssl_channel_credentials(root), options)
    else:
        channel = grpc.insecure_channel(address, options)
    if token:
        channel = grpc.intercept_channel(channel, _BearerToken(token))
    return channel


MAX_RETRY_WAIT = 2.0  # seconds between tries while waiting out a restart
# Trailing metadata on every error a service's own code answered: an
# UNAVAILABLE without it came from the transport (the service is down or
# restarting), one with it from a backend the running service needs.
ANSWERED_BY_SERVICE = "labelassist-answered"


def answered_by_service(error: grpc.RpcError) -> bool:
    """Whether a service's own code answered ``error`` (not the transport)."""
    try:
        return any(key == ANSWERED_BY_SERVICE for key, _ in (error.trailing_metadata() or ()))
    except (AttributeError, ValueError):
        return False


def call_with_retries(call: Callable[[], Any], retries: int, backoff: float,
                      on_error: Callable[[grpc.RpcError, int], Exception] | None = None,
                      patience: float = 0.0) -> Any:
    """``call()``, tried again with jittered exponential backoff from
    ``backoff`` seconds while the service is UNAVAILABLE (restarting, busy,
    not yet up): ``retries`` times, and, while the service itself does not
    answer (a restart), beyond them until ``patience`` seconds have passed
    (a restart takes seconds; those later tries are at most
    :data:`MAX_RETRY_WAIT` apart). The last error is raised, or
    ``on_error(error, attempts)`` in its place."""
    give_up_at = time.monotonic() + patience
    attempt = 0
    while True:
        try:
            return call()
        except grpc.RpcError as error:
            remaining = give_up_at - time.monotonic() if not answered_by_service(error) else 0.0
            if error.code() != grpc.StatusCode.UNAVAILABLE or (attempt >= retries and remaining <= 0):
                if on_error is None:
                    raise
                raise on_error(error, attempt + 1) from None
            wait = backoff * 2**attempt * (0.5 + random.random())
            if attempt >= retries:  # waiting out a restart: try often, stop at the deadline
                wait = min(wait, MAX_RETRY_WAIT, remaining)
            time.sleep(wait)
            attempt += 1
