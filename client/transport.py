"""The SDK's one connection to the services: channels, deadlines, retries,
the bearer token and TLS, and arrays streamed in chunks.

Each service facade (:mod:`~labelassist.client.selector_calls`,
:mod:`~labelassist.client.assist_calls`, :mod:`~labelassist.client.inspect_calls`)
holds a :class:`Transport` and makes every call through it, so a deadline,
a retry or an error message reads the same whichever service answers. The
shapes of a call are the contract's :class:`~labelassist.proto.wire.calls.CallShapes`,
which the links between services use too; the transport adds the
channels, the patience with a restarting service and the SDK's errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import grpc
import numpy as np
from grpc_health.v1 import health_pb2, health_pb2_grpc

from labelassist.client.addresses import ServiceAddresses
from labelassist.client.errors import LabelAssistError, error_from_rpc
from labelassist.client.inputs import checked_arrays, choice
from labelassist.proto.v1 import assist_pb2_grpc, common_pb2, inspect_pb2_grpc, selector_pb2_grpc
from labelassist.proto.wire.addresses import env
from labelassist.proto.wire.calls import CallShapes
from labelassist.proto.wire.channel import call_with_retries, open_channel
from labelassist.proto.wire.memory import tune_allocator

COMPRESSION = {"none": common_pb2.COMPRESSION_NONE, "zlib": common_pb2.COMPRESSION_ZLIB,
               "zstd": common_pb2.COMPRESSION_ZSTD}
STUBS = {"selector": selector_pb2_grpc.SelectorServiceStub, "assist": assist_pb2_grpc.AssistServiceStub,
         "inspect": inspect_pb2_grpc.InspectServiceStub}


class Transport(CallShapes):
    """Channels to the three services and the way every call is made on them.

    Parameters are those of :class:`~labelassist.client.sdk.LabelAssistClient`.
    ``timeout`` may be changed between calls (long batch work raises it).
    """

    def __init__(self, addresses: ServiceAddresses | str | Mapping[str, str] | None = None,
                 token: str | None = None, tls_root: str | Path | None = None, timeout: float = 120.0,
                 retries: int = 5, backoff: float = 0.2, compression: str = "none"):
        tune_allocator()
        super().__init__(timeout, retries, backoff, choice(compression, COMPRESSION, "compression"))
        self.addresses = ServiceAddresses.coerce(addresses)
        token = token if token is not None else env("TOKEN")
        tls_root = tls_root if tls_root is not None else env("TLS_ROOT")
        self.tls, self.has_token = tls_root is not None, bool(token)
        self.channels = {name: open_channel(address, token=token, tls_root=tls_root)
                         for name, address in self.addresses.as_dict().items()}
        self.stubs = {name: STUBS[name](channel) for name, channel in self.channels.items()}
        self._answered: set[str] = set()  # services that answered: an UNAVAILABLE one is restarting
        # Each stub method -> its service, so an error can name where it came from.
        self._service_of = {id(method): name for name, stub in self.stubs.items() for method in vars(stub).values()}

    def describe(self) -> str:
        where = ", ".join(f"{name}={address} ({self.addresses.source(name)})"
                          for name, address in self.addresses.as_dict().items())
        return f"{where}, tls={'on' if self.tls else 'off'}, token={'set' if self.has_token else 'none'}"

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()

    # -- errors and retries -------------------------------------------------

    def error(self, error: grpc.RpcError, method, attempts: int = 1) -> LabelAssistError:
        """The SDK's exception for ``error``, naming the service, its address and where that came from."""
        service = self._service_of.get(id(method), "")
        address = self.addresses.as_dict().get(service, "")
        hint = ""
        if error.code() == grpc.StatusCode.UNAVAILABLE and service:
            hint = (f" [{service} at {address}, from {self.addresses.source(service)}; {attempts} tries. Start the "
                    f"services with `labelassist up`, or give their addresses (LABELASSIST_{service.upper()}_ADDRESS "
                    "or ServiceAddresses)]")
        return error_from_rpc(error, service, address, hint)

    def retried(self, call: Callable[[], Any], method=None) -> Any:
        """``call()`` retried while its service is UNAVAILABLE: ``retries``
        times, and, for a service that answered this client before (so is
        restarting, not absent), until the call's deadline."""
        service = self._service_of.get(id(method), "")
        patience = (self.timeout or 0.0) if self.retries and service in self._answered else 0.0
        result = call_with_retries(call, self.retries, self.backoff,
                                   lambda error, attempts: self.error(error, method, attempts), patience)
        self._answered.add(service)
        return result

    def checked(self, arrays: Mapping[str, np.ndarray | None]) -> dict[str, np.ndarray | None]:
        """Each array checked before anything is sent, with a message that names it."""
        return checked_arrays(arrays)

    def follow(self, method, responses: Iterable) -> Iterator:
        """A response stream whose errors are the SDK's exceptions (not retried: it may have been consumed)."""
        try:
            yield from responses
        except grpc.RpcError as error:
            raise self.error(error, method) from None

    def health(self, timeout: float = 2.0) -> dict[str, str]:
        """Each service's health status name, or the error that stopped the check."""
        report = {}
        for name, channel in self.channels.items():
            try:
                response = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=""), timeout=timeout)
                report[name] = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
            except grpc.RpcError as error:
                report[name] = error.code().name
        return report


class Facade:
    """One service's calls, made through the shared :class:`Transport`;
    ``stub`` is that service's contract stub, for calls the SDK does not wrap."""

    service = ""

    def __init__(self, transport: Transport):
        self.transport = transport
        self.stub = transport.stubs[self.service]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.transport.addresses.as_dict()[self.service]})"


__all__ = ["COMPRESSION", "Facade", "Transport"]
