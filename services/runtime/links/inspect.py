"""Inspect as other services call it: the selector asks for the criteria
it checks a project's inspection settings against."""

from __future__ import annotations

from labelassist.proto.v1 import common_pb2, inspect_pb2, inspect_pb2_grpc
from labelassist.runtime.links.peer import Link, PeerCalls


class InspectCalls(PeerCalls):
    """The inspect calls other services make."""

    stub_type = inspect_pb2_grpc.InspectServiceStub

    def criteria(self, timeout: float | None = None) -> list[common_pb2.NamedSpec]:
        """Inspect's registry of criteria, as ``ListCriteria`` lists it."""
        return list(self.unary(self.stub.ListCriteria, inspect_pb2.ListCriteriaRequest(), timeout).criteria)


class InspectLink(Link[InspectCalls]):
    """Inspect as seen from ``service``."""

    peer = "inspect"
    calls_type = InspectCalls


__all__ = ["InspectCalls", "InspectLink"]
