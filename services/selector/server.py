"""The selector gRPC servicer: decode, call the store and strategies, encode."""

from __future__ import annotations

import argparse

import grpc
import sqlalchemy.exc

from labelassist.proto.v1 import selector_pb2 as pb
from labelassist.proto.v1 import selector_pb2_grpc
from labelassist.runtime import server as runtime_server
from labelassist.runtime.config import ServiceConfig, add_triton_argument
from labelassist.proto.wire.addresses import env
from labelassist.runtime.errors import register_backend_error
from labelassist.proto.wire.values import call_from_proto
from labelassist.proto.wire.streaming import read_stream, write_stream
from labelassist.runtime.paths import add_dataset_root_argument, confine, dataset_roots
from labelassist.runtime.auth import annotator_name, caller, require
from labelassist.runtime.names import check_sample_name
from labelassist.selector.datasets import export_labels, load_dataset
from labelassist.selector.inspection_settings import (CriteriaCatalogue, check_settings, settings_from_proto,
                                                      settings_to_proto)
from labelassist.selector.scorer import Scorer
from labelassist.selector.selection import rank_samples
from labelassist.selector.store import ORIGINS, SampleRow, Store, database_cause
from labelassist.selector.strategies import STRATEGIES

ORIGIN_TO_PROTO = {name: pb.LabelOrigin.Value(f"LABEL_ORIGIN_{name.upper()}") for name in ORIGINS}
ORIGIN_FROM_PROTO = {value: name for name, value in ORIGIN_TO_PROTO.items()}
DEFAULT_STRATEGY = "sequence_aware"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", default=env("DATABASE_URL"),
                        help="SQLAlchemy URL, e.g. postgresql+psycopg://host/db "
                             "(env LABELASSIST_DATABASE_URL; default: SQLite in the data dir)")
    add_dataset_root_argument(parser)
    add_triton_argument(parser, "the U-Net's scores feed the uncertainty strategies")
    parser.add_argument("--inspect-address", default=env("INSPECT_ADDRESS"),
                        help="the inspect service, whose criteria project settings are checked against "
                             "(env LABELASSIST_INSPECT_ADDRESS; without it inspect checks them when applied)")


def _database_error(error: BaseException) -> str:
    return f"the selector's database is unreachable or busy ({database_cause(error)}); retry shortly"


# The database going away is the machine's state, not a bug: UNAVAILABLE, which clients retry.
register_backend_error(sqlalchemy.exc.OperationalError, grpc.StatusCode.UNAVAILABLE, _database_error)
register_backend_error(sqlalchemy.exc.InterfaceError, grpc.StatusCode.UNAVAILABLE, _database_error)


def submitted_origin(params: pb.SubmitLabelParams) -> str:
    """Where a submitted label came from; imports enter through registration, not SubmitLabel."""
    origin = ORIGIN_FROM_PROTO.get(params.origin or pb.LABEL_ORIGIN_MANUAL)
    if origin is None or origin == "imported":
        raise ValueError(f"'origin' must be manual, accepted_prelabel or edited_prelabel; got {params.origin}")
    return origin


class SelectorServicer(selector_pb2_grpc.SelectorServiceServicer):
    def __init__(self, config: ServiceConfig):
        options = config.options
        config.data_dir.mkdir(parents=True, exist_ok=True)
        url = options.get("database_url") or f"sqlite:///{config.data_dir / 'selector.sqlite'}"
        self.roots = dataset_roots(config)
        self.store = Store(url, config.data_dir / "blobs")
        self.max_array_bytes = config.max_array_bytes
        self.scorer = Scorer(self.store, options.get("triton_url")).start()
        self.criteria = CriteriaCatalogue(options.get("inspect_address"))

    def health_problem(self) -> str | None:
        """What keeps the selector from serving (its database unreachable), or None."""
        return self.store.problem()

    def _project_message(self, project) -> pb.Project:
        labeled, total, _ = self.store.progress(project)
        return pb.Project(name=project.name, lease_seconds=project.lease_seconds, strategy=project.strategy,
                          total=total, labeled=labeled,
                          inspection=settings_to_proto(self.store.inspection(project), pb.InspectionSettings))

    def _sample_info(self, row: SampleRow, project_name: str | None = None) -> pb.SampleInfo:
        history = self.store.label_history(row.id)
        project_name = project_name or self.store.project_name(row.project_id)
        return pb.SampleInfo(sample_id=row.id, project=project_name, stem=row.stem,
                             sequence=row.sequence or "", labeled=row.labeled,
                             label_version=history[-1].version if history else 0)

    def ListStrategies(self, request, context):
        return pb.ListStrategiesResponse(strategies=[e.to_proto() for e in STRATEGIES.entries()])

    def CreateProject(self, request, context):
        require("create_project")
        strategy = request.strategy or DEFAULT_STRATEGY
        STRATEGIES.get(strategy)
        inspection = check_settings(settings_from_proto(request.inspection), self.criteria.registry)
        project = self.store.create_project(request.name, request.lease_seconds or 1800.0, strategy, inspection)
        return pb.CreateProjectResponse(project=self._project_message(project))

    def GetProject(self, request, context):
        require("progress", request.project)
        return pb.GetProjectResponse(project=self._project_message(self.store.project(request.project)))

    def SetInspection(self, request, context):
        require("configure", request.project)
        project = self.store.project(request.project)
        self.store.set_inspection(project, check_settings(settings_from_proto(request.inspection),
                                                          self.criteria.registry))
        return pb.SetInspectionResponse(project=self._project_message(project))

    def ListProjects(self, request, context):
        identity = caller()
        return pb.ListProjectsResponse(projects=[self._project_message(p) for p in self.store.list_projects()
                                                 if identity is None or identity.sees(p.name)])

    def RegisterDataset(self, request, context):
        require("register", request.project)
        project = self.store.project(request.project)
        entries = load_dataset(confine(request.path, self.roots), self.roots)
        added = self.store.add_samples(project, entries)
        labeled, total, _ = self.store.progress(project)
        return pb.RegisterDatasetResponse(added=added, total=total, labeled=labeled)

    def AddSample(self, request_iterator, context):
        def admit(params):
            check_sample_name(params.stem)
            require("register", params.project)
            self.store.project(params.project)

        received = read_stream(request_iterator, "params", pb.AddSampleParams, self.max_array_bytes,
                               {"image", "label", "prelabel"}, admit=admit)
        params = received.message
        project = self.store.project(params.project)
        entry = {"stem": params.stem, "sequence": params.sequence or None, "image": received.require("image"),
                 "label": received.arrays.get("label"), "prelabel": received.arrays.get("prelabel")}
        added = self.store.add_samples(project, [entry])
        row = self.store.sample_by_stem(project, params.stem)
        return pb.AddSampleResponse(sample_id=row.id, added=bool(added))

    def NextSample(self, request, context):
        require("lease", request.project)
        annotator = annotator_name(request.annotator)
        project = self.store.project(request.project)
        name, parameters = call_from_proto(request.strategy) if request.strategy.name else (project.strategy, {})
        STRATEGIES.get(name).bind(parameters)
        def ranking(candidates, taken):
            model_scores = None
            if STRATEGIES.get(name).family in ("uncertainty", "diversity"):
                model_scores = self.store.latest_scores([row.id for row in candidates])[1]
            return rank_samples(name, parameters, candidates, taken, model_scores)

        leased = self.store.lease_next_sample(project, annotator, ranking)
        if leased is None:
            return pb.NextSampleResponse(exhausted=True, strategy=name)
        row, expires_at = leased
        return pb.NextSampleResponse(sample=self._sample_info(row), lease_expires_at=expires_at, strategy=name)

    def ReleaseSample(self, request, context):
        row = self.store.sample(request.sample_id)
        require("lease", self.store.project_name(row.project_id))
        released = self.store.release_lease(request.sample_id, annotator_name(request.annotator),
                                            request.skip, request.reason)
        return pb.ReleaseSampleResponse(released=released)

    def GetSample(self, request, context):
        row = self.store.sample(request.sample_id)
        require("fetch", self.store.project_name(row.project_id))
        arrays = {}
        if not request.without_image:
            arrays["image"] = self.store.blobs.get(row.image_blob)
        latest = self.store.latest_label(row.id)
        if latest is not None:
            arrays["label"] = latest[1]
        elif row.prelabel_blob:
            arrays["prelabel"] = self.store.blobs.get(row.prelabel_blob)
        yield from write_stream(pb.GetSampleResponse, "info", self._sample_info(row), arrays,
                                request.response_compression)

    def SubmitLabel(self, request_iterator, context):
        def admit(params):
            submitted_origin(params)
            require("submit", self.store.project_name(self.store.sample(params.sample_id).project_id))

        received = read_stream(request_iterator, "params", pb.SubmitLabelParams, self.max_array_bytes, {"mask"},
                               admit=admit)
        params = received.message
        origin = submitted_origin(params)
        version = self.store.submit_label(params.sample_id, annotator_name(params.annotator),
                                          received.require("mask"), origin)
        return pb.SubmitLabelResponse(label=self._version_message(version))

    def _version_message(self, version) -> pb.LabelVersion:
        return pb.LabelVersion(sample_id=version.sample_id, version=version.version, annotator=version.annotator,
                               origin=ORIGIN_TO_PROTO[version.origin], checksum=version.checksum,
                               created_at=version.created_at)

    def LabelHistory(self, request, context):
        row = self.store.sample(request.sample_id)
        require("read_labels", self.store.project_name(row.project_id))
        return pb.LabelHistoryResponse(versions=[self._version_message(v)
                                                 for v in self.store.label_history(request.sample_id)])

    def ListSamples(self, request, context):
        require("read_labels", request.project)
        project = self.store.project(request.project)
        rows = [row for row in self.store.samples(project) if row.labeled or not request.labeled_only]
        return pb.ListSamplesResponse(samples=[self._sample_info(row, project.name) for row in rows])

    def Progress(self, request, context):
        require("progress", request.project)
        project = self.store.project(request.project)
        labeled, total, per_annotator = self.store.progress(project)
        version = self.scorer.version or 0
        return pb.ProgressResponse(labeled=labeled, total=total, annotators=[
            pb.AnnotatorProgress(annotator=name, labeled=count) for name, count in sorted(per_annotator.items())],
            model_version=version, scored=self.store.scored_count(project, version) if version else 0,
            skipped=self.store.skipped_count(project))

    def ExportLabels(self, request, context):
        require("export", request.project)
        project = self.store.project(request.project)
        folder = confine(request.path, self.roots)
        latest = []
        for row in self.store.samples(project):
            found = self.store.latest_label(row.id)
            if found is not None:
                latest.append((row.stem, found[1]))
        return pb.ExportLabelsResponse(written=export_labels(folder, latest, request.format or "tif"))


DEFINITION = runtime_server.ServiceDefinition.of(
    "selector", pb.DESCRIPTOR.services_by_name["SelectorService"], SelectorServicer,
    selector_pb2_grpc.add_SelectorServiceServicer_to_server, add_arguments=add_arguments,
)
main = DEFINITION.main
