"""The assist gRPC servicer: decode, call :mod:`pipeline`, encode."""

from __future__ import annotations

import argparse

import numpy as np

from labelassist.assist import inference
from labelassist.assist.operations import OPERATIONS
from labelassist.assist.pipeline import (
    count_objects,
    postprocess_mask,
    prelabel_image,
    preprocess_image,
    refine_mask,
)
from labelassist.proto.v1 import assist_pb2 as pb
from labelassist.proto.v1 import assist_pb2_grpc
from labelassist.runtime import server as runtime_server
from labelassist.runtime.config import ServiceConfig, env
from labelassist.runtime.registry import call_from_proto
from labelassist.runtime.streaming import read_stream, write_stream


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--triton-url", default=env("TRITON_URL"),
                        help="host:port of Triton's gRPC endpoint for U-Net pre-labels (env LABELASSIST_TRITON_URL)")


class AssistServicer(assist_pb2_grpc.AssistServiceServicer):
    def __init__(self, config: ServiceConfig):
        self.max_array_bytes = config.max_array_bytes
        inference.configure(config.options.get("triton_url"))

    def _read(self, parts, params_type, arrays):
        return read_stream(parts, "params", params_type, self.max_array_bytes, arrays)

    def ListOperations(self, request, context):
        entries = OPERATIONS.entries(request.family or None)
        return pb.ListOperationsResponse(operations=[e.to_proto() for e in entries])

    def Preprocess(self, request_iterator, context):
        received = self._read(request_iterator, pb.PreprocessParams, {"image"})
        params = received.message
        image, applied = preprocess_image(received.require("image"),
                                          [call_from_proto(c) for c in params.pipeline])
        yield from write_stream(pb.PreprocessResponse, "result", pb.PreprocessResult(applied=applied),
                                {"image": image}, params.response_compression)

    def Prelabel(self, request_iterator, context):
        received = self._read(request_iterator, pb.PrelabelParams, {"image"})
        params = received.message
        mask, method, applied, probability = prelabel_image(
            received.require("image"),
            method=call_from_proto(params.method) if params.method.name else None,
            preprocess=[call_from_proto(c) for c in params.preprocess],
            postprocess=[call_from_proto(c) for c in params.postprocess],
            return_probability=True,
        )
        if not params.return_probability:
            probability = None
        result = pb.PrelabelResult(method=method, object_count=count_objects(mask), applied=applied)
        arrays = {"mask": mask, "probability": probability.astype(np.float32) if probability is not None else None}
        yield from write_stream(pb.PrelabelResponse, "result", result, arrays, params.response_compression)

    def Refine(self, request_iterator, context):
        received = self._read(request_iterator, pb.RefineParams, {"image", "scribbles", "mask"})
        params = received.message
        method = call_from_proto(params.method) if params.method.name else ("random_walker", {})
        mask = refine_mask(received.require("image"), received.require("scribbles"),
                           received.arrays.get("mask"), method)
        result = pb.RefineResult(method=method[0], foreground_pixels=int((mask > 0).sum()))
        yield from write_stream(pb.RefineResponse, "result", result, {"mask": mask},
                                params.response_compression)

    def Postprocess(self, request_iterator, context):
        received = self._read(request_iterator, pb.PostprocessParams, {"mask", "image"})
        params = received.message
        mask, applied = postprocess_mask(received.require("mask"),
                                         [call_from_proto(c) for c in params.pipeline],
                                         received.arrays.get("image"))
        result = pb.PostprocessResult(applied=applied, object_count=count_objects(mask))
        yield from write_stream(pb.PostprocessResponse, "result", result, {"mask": mask},
                                params.response_compression)


DEFINITION = runtime_server.ServiceDefinition.of(
    "assist", pb.DESCRIPTOR.services_by_name["AssistService"], AssistServicer,
    assist_pb2_grpc.add_AssistServiceServicer_to_server, add_arguments=add_arguments,
)
main = DEFINITION.main
