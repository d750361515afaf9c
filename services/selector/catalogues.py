"""What the other services offer, as the selector checks project settings
against it: inspect's criteria (``--inspect-address``) and assist's
operations (``--assist-address``), each asked for once over gRPC and kept.
Without an address the selector keeps settings as sent and the service
checks them when it applies them."""

from __future__ import annotations

import threading
from collections.abc import Callable

import grpc

from labelassist.proto.v1 import assist_pb2, assist_pb2_grpc, inspect_pb2, inspect_pb2_grpc
from labelassist.proto.wire.addresses import env
from labelassist.proto.wire.channel import open_channel
from labelassist.runtime.auth import caller_token
from labelassist.runtime.errors import UnavailableError
from labelassist.runtime.registry import Registry


class RemoteCatalogue:
    """Another service's registry (names, families and parameters), fetched
    on first use.

    Parameters
    ----------
    address : str or None
        The service; None when it is not configured.
    service, kind : str
        For messages: "inspect", "criterion".
    fetch : callable
        Given a channel, the service's ``List*`` specs.
    """

    def __init__(self, address: str | None, service: str, kind: str, fetch: Callable[[grpc.Channel], list]):
        self.address, self.service, self.kind, self.fetch = address, service, kind, fetch
        self._registry: Registry | None = None
        self._lock = threading.Lock()

    def registry(self) -> Registry | None:
        """The catalogue, or None when no such service is configured."""
        if not self.address:
            return None
        with self._lock:
            if self._registry is None:
                try:
                    # On the caller's behalf, with the caller's token, as every call between services.
                    with open_channel(self.address, token=caller_token(), tls_root=env("TLS_ROOT")) as channel:
                        specs = self.fetch(channel)
                except grpc.RpcError as error:
                    raise UnavailableError(f"the {self.service} service at {self.address} did not answer "
                                           f"({error.code().name}); {self.kind} settings cannot be checked "
                                           "now; retry shortly") from None
                self._registry = Registry.from_specs(self.kind, specs)
            return self._registry


def criteria_catalogue(address: str | None) -> RemoteCatalogue:
    return RemoteCatalogue(address, "inspect", "criterion", lambda channel: inspect_pb2_grpc.InspectServiceStub(
        channel).ListCriteria(inspect_pb2.ListCriteriaRequest(), timeout=10).criteria)


def operations_catalogue(address: str | None) -> RemoteCatalogue:
    return RemoteCatalogue(address, "assist", "operation", lambda channel: assist_pb2_grpc.AssistServiceStub(
        channel).ListOperations(assist_pb2.ListOperationsRequest(), timeout=10).operations)
