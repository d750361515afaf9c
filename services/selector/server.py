"""The selector gRPC servicer."""

from __future__ import annotations

import grpc

from labelassist.proto.v1 import selector_pb2 as pb
from labelassist.proto.v1 import selector_pb2_grpc
from labelassist.runtime import server as runtime_server
from labelassist.runtime.config import ServiceConfig
from labelassist.selector.strategies import STRATEGIES


class SelectorServicer(selector_pb2_grpc.SelectorServiceServicer):
    def __init__(self, config: ServiceConfig):
        self.config = config

    def ListStrategies(self, request, context):
        return pb.ListStrategiesResponse(strategies=[e.to_proto() for e in STRATEGIES.entries()])


def _register(server: grpc.Server, config: ServiceConfig) -> None:
    selector_pb2_grpc.add_SelectorServiceServicer_to_server(SelectorServicer(config), server)


DEFINITION = runtime_server.ServiceDefinition(
    name="selector",
    full_name=pb.DESCRIPTOR.services_by_name["SelectorService"].full_name,
    register=_register,
)


def main(argv=None) -> int:
    return runtime_server.main(DEFINITION, argv)
