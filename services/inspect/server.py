"""The inspect gRPC servicer."""

from __future__ import annotations

import argparse

from labelassist.models.triton import TritonClient
from labelassist.inspect.criteria import CRITERIA
from labelassist.inspect.inspection import inspect_label
from labelassist.inspect.settings import InspectionSettings
from labelassist.proto.v1 import inspect_pb2 as pb
from labelassist.proto.v1 import inspect_pb2_grpc
from labelassist.runtime import server as runtime_server
from labelassist.runtime.config import ServiceConfig, add_triton_argument
from labelassist.proto.wire.values import call_from_proto
from labelassist.proto.wire.streaming import read_stream, split_stream
from labelassist.runtime.upstream import SelectorLink, add_selector_argument

SEVERITY = {"info": pb.SEVERITY_INFO, "warning": pb.SEVERITY_WARNING, "error": pb.SEVERITY_ERROR}


def box_to_proto(box) -> pb.BoundingBox:
    return pb.BoundingBox(start=box[:2], stop=box[2:])


def finding_to_proto(finding) -> pb.Finding:
    return pb.Finding(criterion=finding.criterion, severity=SEVERITY[finding.severity],
                      message=finding.message, measured=finding.measured, bound=finding.bound,
                      object_ids=finding.object_ids, boxes=[box_to_proto(b) for b in finding.boxes])


def objects_to_proto(table) -> list[pb.ObjectMeasurement]:
    return [pb.ObjectMeasurement(object_id=int(table.ids[i]), area=float(table.area[i]),
                                 box=box_to_proto(table.bbox[i].tolist()),
                                 solidity=float(table.solidity[i]), circularity=float(table.circularity[i]),
                                 mean_intensity=float(table.mean_intensity[i]))
            for i in range(len(table))]


ARRAYS = {"mask", "image", "prelabel"}


def inspect_envelope(params: pb.InspectParams, received, settings: InspectionSettings | None,
                     triton: TritonClient | None = None) -> pb.InspectResponse:
    result = inspect_label(
        received.require("mask"), received.arrays.get("image"), received.arrays.get("prelabel"),
        [call_from_proto(c) for c in params.criteria], params.only_listed, settings=settings, triton=triton)
    return pb.InspectResponse(findings=[finding_to_proto(f) for f in result.findings],
                              objects=objects_to_proto(result.objects), checked=result.checked,
                              prelabel_source=result.prelabel_source)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_triton_argument(parser, "agreement checks without a pre-label use the U-Net it serves, "
                                "else the classical pipeline")
    add_selector_argument(parser, "for the inspection settings of projects that calls name")


class InspectServicer(inspect_pb2_grpc.InspectServiceServicer):
    def __init__(self, config: ServiceConfig):
        self.max_array_bytes = config.max_array_bytes
        url = config.options.get("triton_url")
        self.triton = TritonClient(url) if url else None
        self.selector = SelectorLink(config.options.get("selector_address"), "inspect")

    def _settings(self, params: pb.InspectParams) -> InspectionSettings | None:
        """The named project's settings, read on the caller's behalf."""
        if not params.project:
            return None
        with self.selector.client() as selector:
            project = selector.get_project(params.project)
        try:
            return InspectionSettings.from_proto(project.inspection).check()
        except ValueError as error:
            raise ValueError(f"project {params.project!r}: its inspection settings do not apply: {error}; "
                             "correct them with `labelassist inspection PROJECT`") from None

    def ListCriteria(self, request, context):
        return pb.ListCriteriaResponse(criteria=[e.to_proto() for e in CRITERIA.entries()])

    def Inspect(self, request_iterator, context):
        received = read_stream(request_iterator, "params", pb.InspectParams, self.max_array_bytes, ARRAYS)
        return inspect_envelope(received.message, received, self._settings(received.message), self.triton)

    def InspectBatch(self, request_iterator, context):
        settings = {}  # per project named, read once per call
        for received in split_stream(request_iterator, "params", self.max_array_bytes, ARRAYS):
            sample = received.message.sample
            params = received.message.inspect
            if params.project not in settings:
                settings[params.project] = self._settings(params)
            try:
                report = inspect_envelope(params, received, settings[params.project], self.triton)
            except ValueError as error:
                # One bad sample is reported, not fatal: the batch goes on.
                yield pb.InspectBatchResponse(sample=sample, error=str(error))
                continue
            yield pb.InspectBatchResponse(sample=sample, report=report)


DEFINITION = runtime_server.ServiceDefinition.of(
    "inspect", pb.DESCRIPTOR.services_by_name["InspectService"], InspectServicer,
    inspect_pb2_grpc.add_InspectServiceServicer_to_server, add_arguments=add_arguments,
)
main = DEFINITION.main
