"""What every link to a peer service shares: the channel with the caller's
token, the peer's errors raised again as this service's own, and the
calls made through the contract's :class:`~labelassist.proto.wire.calls.CallShapes`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

import grpc

from labelassist.proto.wire.addresses import env
from labelassist.proto.wire.calls import CallShapes
from labelassist.proto.wire.channel import open_channel
from labelassist.runtime.auth import caller_token
from labelassist.runtime.errors import ConflictError, NotFoundError, PermissionDeniedError, UnavailableError

# The peer's answer, raised again as this service's own error: same code, "peer: " before the message.
UPSTREAM_ERRORS = {grpc.StatusCode.NOT_FOUND: NotFoundError, grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
                   grpc.StatusCode.UNAVAILABLE: UnavailableError, grpc.StatusCode.INVALID_ARGUMENT: ValueError,
                   grpc.StatusCode.UNAUTHENTICATED: PermissionDeniedError}
RETRIES, BACKOFF, TIMEOUT = 2, 0.2, 120.0


class PeerCalls(CallShapes):
    """One peer's calls on one channel; a subclass names the stub and wraps
    the calls this service makes."""

    stub_type: Any = None

    def __init__(self, channel: grpc.Channel, metadata: Sequence[tuple[str, str]] = ()):
        super().__init__(TIMEOUT, RETRIES, BACKOFF, metadata=metadata)
        self.stub = self.stub_type(channel)

    def unless_unimplemented(self, call, default):
        """``call()``, or ``default`` from a peer that predates the call."""
        try:
            return call()
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.UNIMPLEMENTED:
                return default
            raise


Calls = TypeVar("Calls", bound=PeerCalls)


class Link(Generic[Calls]):
    """A peer service as seen from ``service``; each call carries the
    caller's own token, so the peer checks the caller's roles, not ours.

    Parameters
    ----------
    address : str or None
        The peer; None when this service was started without it.
    service : str
        This service, for the message when the peer is not configured.
    """

    peer = ""
    calls_type: type[Calls]

    def __init__(self, address: str | None, service: str):
        self.address, self.service = address, service

    def make_calls(self, channel: grpc.Channel, metadata: Sequence[tuple[str, str]]) -> Calls:
        return self.calls_type(channel, metadata)

    @contextmanager
    def calls(self, token: str | None = None, metadata: Sequence[tuple[str, str]] = ()) -> Iterator[Calls]:
        """The peer's calls with the caller's token, or ``token`` (work the
        caller started that runs after its call returned, such as a training
        job or a measurement in the background), each sent with ``metadata``.
        Inside the block a call raises ``grpc.RpcError``; out of it comes this
        service's own error, "peer: " before the peer's message."""
        if not self.address:
            raise ConflictError(f"{self.service} has no {self.peer} to ask: start it with "
                                f"--{self.peer}-address (`labelassist up` does)")
        with open_channel(self.address, token=token or caller_token(), tls_root=env("TLS_ROOT")) as channel:
            try:
                yield self.make_calls(channel, metadata)
            except grpc.RpcError as error:
                raise UPSTREAM_ERRORS.get(error.code(), RuntimeError)(f"{self.peer}: {error.details()}") from None


__all__ = ["Link", "PeerCalls", "UPSTREAM_ERRORS"]
