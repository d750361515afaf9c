"""What the other services offer, as the selector checks project settings
against it: inspect's criteria (``--inspect-address``) and assist's
operations (``--assist-address``), each asked for once through the
service's link and kept. Without an address the selector keeps settings as
sent and the service checks them when it applies them."""

from __future__ import annotations

import threading
from collections.abc import Callable

import grpc

from labelassist.runtime.errors import UnavailableError
from labelassist.runtime.links.assist import AssistLink
from labelassist.runtime.links.inspect import InspectLink
from labelassist.runtime.links.peer import Link
from labelassist.runtime.registry import Registry

LIST_TIMEOUT = 10.0


class RemoteCatalogue:
    """Another service's registry (names, families and parameters), fetched
    on first use.

    Parameters
    ----------
    link : Link
        The service (its address None when it is not configured).
    kind : str
        For messages: "criterion", "operation".
    fetch : callable
        Given the link's calls, the service's ``List*`` specs.
    """

    def __init__(self, link: Link, kind: str, fetch: Callable[[object], list]):
        self.link, self.kind, self.fetch = link, kind, fetch
        self._registry: Registry | None = None
        self._lock = threading.Lock()

    def registry(self) -> Registry | None:
        """The catalogue, or None when no such service is configured."""
        if not self.link.address:
            return None
        with self._lock:
            if self._registry is None:
                with self.link.calls() as calls:  # on the caller's behalf, with the caller's token
                    try:
                        specs = self.fetch(calls)
                    except grpc.RpcError as error:
                        raise UnavailableError(
                            f"the {self.link.peer} service at {self.link.address} did not answer "
                            f"({error.code().name}); {self.kind} settings cannot be checked now; retry "
                            "shortly") from None
                self._registry = Registry.from_specs(self.kind, specs)
            return self._registry


def criteria_catalogue(address: str | None) -> RemoteCatalogue:
    return RemoteCatalogue(InspectLink(address, "selector"), "criterion",
                           lambda inspect: inspect.criteria(LIST_TIMEOUT))


def operations_catalogue(address: str | None) -> RemoteCatalogue:
    return RemoteCatalogue(AssistLink(address, "selector"), "operation",
                           lambda assist: assist.operations(LIST_TIMEOUT))
