"""Assist as other services call it: inspect asks for a project's own
pre-label, the selector for the operations it checks settings against and,
in the background, for each pre-label source on a submitted sample and for
the class uncertainty of unlabelled samples. The
caller sends the image it holds, so assist never fetches it back."""

from __future__ import annotations

import argparse

import numpy as np

from labelassist.proto.v1 import assist_pb2, assist_pb2_grpc, common_pb2
from labelassist.proto.wire.addresses import env
from labelassist.runtime.links.peer import Link, PeerCalls


def add_assist_argument(parser: argparse.ArgumentParser, use: str) -> None:
    parser.add_argument("--assist-address", default=env("ASSIST_ADDRESS"),
                        help=f"the assist service: {use} (env LABELASSIST_ASSIST_ADDRESS)")


class AssistCalls(PeerCalls):
    """The assist calls other services make."""

    stub_type = assist_pb2_grpc.AssistServiceStub

    def prelabel(self, image: np.ndarray, given: assist_pb2.PrelabelParams,
                 timeout: float | None = None) -> np.ndarray:
        """The mask ``params`` make of ``image`` (without class guesses, which no service reads)."""
        params = assist_pb2.PrelabelParams(without_classes=True)
        params.MergeFrom(given)
        received = self.exchange(self.stub.Prelabel, assist_pb2.PrelabelRequest, params, {"image": image},
                                 assist_pb2.PrelabelResult, timeout)
        return received.require("mask")

    def class_uncertainty(self, image: np.ndarray, project: str,
                          timeout: float | None = None) -> assist_pb2.ClassPredictions:
        """The project's class model on the objects of its own pre-label of
        ``image``, with the sample's uncertainty summary."""
        params = assist_pb2.PredictClassesParams(project=project, prelabel=True, with_uncertainty=True)
        received = self.exchange(self.stub.PredictClasses, assist_pb2.PredictClassesRequest, params,
                                 {"image": image}, assist_pb2.ClassPredictions, timeout)
        return received.message

    def operations(self, timeout: float | None = None) -> list[common_pb2.NamedSpec]:
        """Assist's registry of operations, as ``ListOperations`` lists it."""
        return list(self.unary(self.stub.ListOperations, assist_pb2.ListOperationsRequest(), timeout).operations)

    def prelabel_sources(self, timeout: float | None = None) -> list[assist_pb2.PrelabelSource] | None:
        """The pre-label sources assist offers now; None from an assist that
        predates the listing."""
        request = assist_pb2.ListPrelabelSourcesRequest()
        return self.unless_unimplemented(
            lambda: list(self.unary(self.stub.ListPrelabelSources, request, timeout).sources), None)


class AssistLink(Link[AssistCalls]):
    """Assist as seen from ``service``."""

    peer = "assist"
    calls_type = AssistCalls

    def prelabel(self, image: np.ndarray, project: str) -> np.ndarray:
        """The project's own pre-label of ``image`` (its assist settings), as a mask."""
        with self.calls() as assist:
            return assist.prelabel(image, assist_pb2.PrelabelParams(project=project))


__all__ = ["AssistCalls", "AssistLink", "add_assist_argument"]
