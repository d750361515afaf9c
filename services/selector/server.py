"""The selector gRPC servicer: decode, call the store and strategies, encode."""

from __future__ import annotations

import argparse
import itertools
import time

import grpc
import sqlalchemy.exc

from labelassist.proto.v1 import selector_pb2 as pb
from labelassist.proto.v1 import selector_pb2_grpc
from labelassist.runtime import server as runtime_server
from labelassist.runtime.config import ServiceConfig, add_triton_argument
from labelassist.proto.wire.addresses import env
from labelassist.runtime.errors import ConflictError, NotFoundError, register_backend_error
from labelassist.proto.wire.values import call_from_proto
from labelassist.proto.wire.streaming import read_stream, split_stream, write_stream
from labelassist.io.confinement import confine
from labelassist.runtime.paths import add_dataset_root_argument, dataset_roots
from labelassist.runtime.priority import favour_short_calls
from labelassist.runtime.auth import annotator_name, caller, caller_token, require
from labelassist.runtime.links.assist import add_assist_argument
from labelassist.runtime.names import check_sample_name
from labelassist.selector.blobs import DEFAULT_BLOB_SYNC, add_blob_arguments
from labelassist.selector.server_folders import dataset_entries, export_labels
from labelassist.selector.learning_curve import project_outlook, with_run
from labelassist.selector.prelabel_evidence import PrelabelEvidence, best_method, evidence_to_proto
from labelassist.selector.prelabel_evidence import summary as evidence_summary
from labelassist.selector.assist_settings import assist_from_proto, assist_to_proto, check_assist
from labelassist.selector.catalogues import criteria_catalogue, operations_catalogue
from labelassist.selector.inspection_settings import check_settings, settings_from_proto, settings_to_proto
from labelassist.selector.ranked_queue import RankedQueues
from labelassist.selector.scorer import Scorer
from labelassist.selector.class_scorer import ClassScorer
from labelassist.selector.server_admin import ProjectAdmin
from labelassist.selector.server_agreement import AgreementCalls, overlap_to_proto, version_to_proto
from labelassist.selector.server_answers import FindingAnswerCalls
from labelassist.selector.gauges import register_gauges
from labelassist.selector.server_classes import ClassCalls
from labelassist.selector.class_schema import classes_to_proto, schema_to_proto
from labelassist.selector.messages import origin_json, origin_message, page_position, submitted_origin
from labelassist.selector.database import database_cause
from labelassist.selector.store import SampleRow, Store, check_sample_entry, row_id
from labelassist.selector.strategies import STRATEGIES

DEFAULT_STRATEGY = "sequence_aware"
ADD_BATCH = 2000
ADD_BATCH_BYTES = 8 << 20  # large tiles go in smaller batches: memory stays bounded


def _review_fields(review: dict | None) -> dict:
    if review is None:
        return {}
    return {"review": review["verdict"], "review_comment": review["comment"], "reviewer": review["reviewer"]}


ANALYZE_AFTER = 20_000  # samples added in one call after which the planner's statistics are refreshed
DEFAULT_PAGE, MAX_PAGE = 1000, 10_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", default=env("DATABASE_URL"),
                        help="SQLAlchemy URL, e.g. postgresql+psycopg://host/db "
                             "(env LABELASSIST_DATABASE_URL; default: SQLite in the data dir)")
    add_blob_arguments(parser)
    add_dataset_root_argument(parser)
    add_triton_argument(parser, "the U-Net's scores feed the uncertainty strategies")
    parser.add_argument("--inspect-address", default=env("INSPECT_ADDRESS"),
                        help="the inspect service, whose criteria project settings are checked against "
                             "(env LABELASSIST_INSPECT_ADDRESS; without it inspect checks them when applied)")
    add_assist_argument(parser, "project assist settings are checked against its operations (without it assist "
                                "checks them when applied), and submitted labels measure each pre-label source "
                                "through it")


def _database_error(error: BaseException) -> str:
    return f"the selector's database is unreachable or busy ({database_cause(error)}); retry shortly"


# The database going away is the machine's state, not a bug: UNAVAILABLE, which clients retry.
register_backend_error(sqlalchemy.exc.OperationalError, grpc.StatusCode.UNAVAILABLE, _database_error)
register_backend_error(sqlalchemy.exc.InterfaceError, grpc.StatusCode.UNAVAILABLE, _database_error)


class SelectorServicer(selector_pb2_grpc.SelectorServiceServicer):
    def __init__(self, config: ServiceConfig):
        options = config.options
        config.data_dir.mkdir(parents=True, exist_ok=True)
        url = options.get("database_url") or f"sqlite:///{config.data_dir / 'selector.sqlite'}"
        self.roots = dataset_roots(config)
        try:
            self.store = Store(url, options.get("blob_url") or config.data_dir / "blobs",
                               options.get("blob_sync") or DEFAULT_BLOB_SYNC)
        except ConflictError as error:  # a schema this release cannot serve: say why and stop
            raise SystemExit(f"selector: {error}") from None
        self.max_array_bytes = config.max_array_bytes
        self.scorer = Scorer(self.store, options.get("triton_url")).start()
        self.class_scorer = ClassScorer(self.store, options.get("assist_address")).start()
        favour_short_calls()  # leases wait less behind the queue builder's computing
        self.queues = RankedQueues(self.store)
        if (metrics := options.get("metrics")) is not None:
            register_gauges(metrics, self.scorer, self.queues, self.store)
        self.criteria = criteria_catalogue(options.get("inspect_address"))
        self.operations = operations_catalogue(options.get("assist_address"))
        self.evidence = PrelabelEvidence(self.store, options.get("assist_address"))
        self.admin = ProjectAdmin(self.store, self._project_message)
        self.answers = FindingAnswerCalls(self.store)
        self.agreement = AgreementCalls(self.store, self._project_message)
        self.classes = ClassCalls(self.store, self._project_message)

    def health_problem(self) -> str | None:
        """What keeps the selector from serving (its database unreachable), or None."""
        return self.store.problem()

    def _project_message(self, project, inspection: dict | None = None, assist: dict | None = None,
                         evidence: dict | None = None) -> pb.Project:
        total, labeled = self.store.counts(project)
        inspection = self.store.settings(project, "inspection") if inspection is None else inspection
        assist = self.store.settings(project, "assist") if assist is None else assist
        evidence = self.store.settings(project, "evidence") if evidence is None else evidence
        rows, best, _ = evidence_summary(evidence)
        return pb.Project(name=project.name, lease_seconds=project.lease_seconds, strategy=project.strategy,
                          total=total, labeled=labeled,
                          inspection=settings_to_proto(inspection, pb.InspectionSettings),
                          assist=assist_to_proto(assist, pb.AssistSettings), best_prelabel=best,
                          best_prelabel_method=best_method(rows, best),
                          prelabel_evidence=[evidence_to_proto(row) for row in rows],
                          overlap=overlap_to_proto(self.store.settings(project, "overlap"),
                                                   len(self.store.gold_checksums(project.id))),
                          classes=schema_to_proto(self.store.settings(project, "classes"), pb),
                          class_stamp=project.class_stamp, class_schema_stamp=project.schema_stamp)

    def _sample_infos(self, rows: list[SampleRow], project_name: str | None = None) -> list[pb.SampleInfo]:
        """SampleInfo for a page of rows: one query for their label versions."""
        versions = self.store.latest_versions([row.id for row in rows if row.labeled])
        reviews = self.store.latest_reviews(versions)
        names = {}
        stamps = self.classes.schema_stamps({row.project_id for row in rows})
        infos = []
        for row in rows:
            if project_name is None and row.project_id not in names:
                names[row.project_id] = self.store.project_name(row.project_id)
            infos.append(pb.SampleInfo(sample_id=row.id, project=project_name or names[row.project_id],
                                       stem=row.stem, sequence=row.sequence or "", labeled=row.labeled,
                                       label_version=versions.get(row.id, 0), origin=origin_message(row.origin),
                                       image_digest=row.image_blob, class_schema_stamp=stamps.get(row.project_id, 0),
                                       **_review_fields(reviews.get(row.id))))
        return infos

    def _sample_info(self, row: SampleRow, project_name: str | None = None) -> pb.SampleInfo:
        return self._sample_infos([row], project_name)[0]

    def _add_in_batches(self, project, entries) -> tuple[int, int, list[pb.RejectedSample]]:
        """Add entries ``ADD_BATCH`` (or ``ADD_BATCH_BYTES``) at a time; an
        entry with an ``error``, or one that fails the checks, is rejected
        and the rest go on."""
        added = existing = size = 0
        rejected, batch = [], []

        def flush():
            nonlocal added, existing, size
            if batch:
                new = self.store.add_samples(project, batch)
                added, existing = added + new, existing + len(batch) - new
                batch.clear()
                size = 0

        for entry in entries:
            try:
                if "error" in entry:
                    raise ValueError(entry["error"])
                check_sample_entry(entry)
                entry["classes"] = self.classes.entry_classes(project, entry)
            except ValueError as error:
                rejected.append(pb.RejectedSample(stem=str(entry.get("stem", ""))[:200], error=str(error)))
                continue
            batch.append(entry)
            size += sum(entry[name].nbytes for name in ("image", "label", "prelabel") if entry.get(name) is not None)
            if len(batch) >= ADD_BATCH or size >= ADD_BATCH_BYTES:
                flush()
        flush()
        if added >= ANALYZE_AFTER:
            self.store.refresh_statistics()
        if added:
            self.queues.prepare(project, project.strategy)
        return added, existing, rejected

    def ListStrategies(self, request, context):
        return pb.ListStrategiesResponse(strategies=[e.to_proto() for e in STRATEGIES.entries()])

    def CreateProject(self, request, context):
        require("create_project")
        strategy = request.strategy or DEFAULT_STRATEGY
        STRATEGIES.get(strategy)
        settings = {"inspection": check_settings(settings_from_proto(request.inspection), self.criteria.registry),
                    "assist": check_assist(assist_from_proto(request.assist), self.operations.registry)}
        project = self.store.create_project(request.name, request.lease_seconds or 1800.0, strategy, settings)
        return pb.CreateProjectResponse(project=self._project_message(project))

    def GetProject(self, request, context):
        require("progress", request.project)
        return pb.GetProjectResponse(project=self._project_message(self.store.project(request.project)))

    def DeleteProject(self, request, context):
        return self.admin.delete_project(request)

    def RenameProject(self, request, context):
        return self.admin.rename_project(request)

    def DeleteSample(self, request, context):
        return self.admin.delete_sample(request)

    def SetInspection(self, request, context):
        require("configure", request.project)
        project = self.store.project(request.project)
        self.store.set_settings(project, "inspection", check_settings(settings_from_proto(request.inspection),
                                                                      self.criteria.registry))
        return pb.SetInspectionResponse(project=self._project_message(project))

    def SetAssist(self, request, context):
        require("configure", request.project)
        project = self.store.project(request.project)
        self.store.set_settings(project, "assist", check_assist(assist_from_proto(request.assist),
                                                                self.operations.registry))
        return pb.SetAssistResponse(project=self._project_message(project))

    def ListProjects(self, request, context):
        identity = caller()
        inspection, assist, evidence = (self.store.all_settings(kind) for kind in ("inspection", "assist", "evidence"))
        return pb.ListProjectsResponse(projects=[self._project_message(p, inspection.get(p.id, {}),
                                                                       assist.get(p.id, {}), evidence.get(p.id, {}))
                                                 for p in self.store.list_projects()
                                                 if identity is None or identity.sees(p.name)])

    def RegisterDataset(self, request, context):
        require("register", request.project)
        project = self.store.project(request.project)
        entries = dataset_entries(confine(request.path, self.roots), self.roots)
        added, _, rejected = self._add_in_batches(project, entries)
        total, labeled = self.store.counts(project)
        return pb.RegisterDatasetResponse(added=added, total=total, labeled=labeled, rejected=rejected)

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
                 "label": received.arrays.get("label"), "prelabel": received.arrays.get("prelabel"),
                 "origin": origin_json(params), "label_source": params.label_source, "gold": params.gold,
                 "classes_sent": params.classes}
        entry["classes"] = self.classes.entry_classes(project, entry)
        added = self.store.add_samples(project, [entry])
        if added:
            self.queues.prepare(project, project.strategy)
        row = self.store.sample_by_stem(project, params.stem)
        return pb.AddSampleResponse(sample_id=row.id, added=bool(added))

    def AddSamples(self, request_iterator, context):
        projects = []

        def admit(params):
            # Identity, role and project from the first item, before any array is held.
            if not projects:
                require("register", params.project)
                projects.append(self.store.project(params.project))
            elif params.project and params.project != projects[0].name:
                raise ValueError(f"one AddSamples call adds to one project: {projects[0].name!r}, "
                                 f"then {params.project!r}")

        parts = (part for message in request_iterator for part in message.parts)
        envelopes = split_stream(parts, "params", self.max_array_bytes, {"image", "label", "prelabel"}, admit=admit)
        first = next(envelopes, None)
        if first is None:
            return pb.AddSamplesResponse()
        project = projects[0]

        def entries():
            for received in itertools.chain([first], envelopes):
                params = received.message
                if "image" not in received.arrays:
                    yield {"stem": params.stem, "error": f"sample {params.stem!r} has no 'image' array"}
                    continue
                yield {"stem": params.stem, "sequence": params.sequence or None, "image": received.arrays["image"],
                       "label": received.arrays.get("label"), "prelabel": received.arrays.get("prelabel"),
                       "origin": origin_json(params), "label_source": params.label_source, "gold": params.gold,
                       "classes_sent": params.classes}

        added, existing, rejected = self._add_in_batches(project, entries())
        return pb.AddSamplesResponse(added=added, existing=existing, rejected=rejected,
                                     total=self.store.counts(project)[0])

    def _strategy(self, project, call) -> tuple[str, dict]:
        name, parameters = call_from_proto(call) if call.name else (project.strategy, {})
        STRATEGIES.get(name).bind(parameters)
        if "class_posteriors" in STRATEGIES.get(name).needs:
            self.class_scorer.wanted(project)  # scored with this caller's rights
        return name, parameters

    def NextSample(self, request, context):
        require("lease", request.project)
        annotator = annotator_name(request.annotator)
        project = self.store.project(request.project)
        name, parameters = self._strategy(project, request.strategy)
        leased = self.queues.lease(project, annotator, name, parameters)
        if not leased:
            return pb.NextSampleResponse(exhausted=True, strategy=leased.order)
        row, expires_at = leased[0]
        return pb.NextSampleResponse(sample=self._sample_info(row, project.name), lease_expires_at=expires_at,
                                     strategy=leased.order)

    def NextSamples(self, request, context):
        require("lease", request.project)
        annotator = annotator_name(request.annotator)
        project = self.store.project(request.project)
        name, parameters = self._strategy(project, request.strategy)
        leased = self.queues.lease(project, annotator, name, parameters, request.count or 1)
        infos = self._sample_infos([row for row, _ in leased], project.name)
        return pb.NextSamplesResponse(strategy=leased.order, leased=[
            pb.LeasedSample(sample=info, lease_expires_at=expires_at) for info, (_, expires_at) in zip(infos, leased)])

    def ReleaseSample(self, request, context):
        row = self.store.sample(request.sample_id)
        require("lease", self.store.project_name(row.project_id))
        released = self.store.release_lease(request.sample_id, annotator_name(request.annotator),
                                            request.skip, request.reason)
        return pb.ReleaseSampleResponse(released=released)

    def GetSample(self, request, context):
        row = self.store.sample(request.sample_id)
        project = self.store.project_name(row.project_id)
        require("fetch", project)
        arrays = {} if request.without_image else {"image": self.store.blobs.get(row.image_blob)}
        latest = None if request.without_label else self.agreement.label_shown(row, project, request.annotator,
                                                                               request.label_version)
        if latest is not None:
            arrays["label"] = latest[1]
        elif request.label_version and not request.without_label:
            raise NotFoundError(f"sample {row.id} has no label yet, so no version {request.label_version}")
        elif row.prelabel_blob and not request.without_label:
            arrays["prelabel"] = self.store.blobs.get(row.prelabel_blob)
        info = self._sample_info(row)
        if latest is not None:
            info.label_classes.CopyFrom(classes_to_proto(latest[0].classes, pb))
        yield from write_stream(pb.GetSampleResponse, "info", info, arrays, request.response_compression)

    def SubmitLabel(self, request_iterator, context):
        project_name = ""

        def admit(params):
            nonlocal project_name
            submitted_origin(params)
            project_name = self.store.project_name(self.store.sample(params.sample_id).project_id)
            require("submit", project_name)

        received = read_stream(request_iterator, "params", pb.SubmitLabelParams, self.max_array_bytes, {"mask"},
                               admit=admit)
        params = received.message
        origin = submitted_origin(params)
        classes = self.classes.label_classes(self.store.project(project_name), params.classes,
                                             received.require("mask"))
        version = self.store.submit_label(params.sample_id, annotator_name(params.annotator),
                                          received.require("mask"), origin, classes=classes)
        if self.evidence.enabled:
            project = self.store.project(project_name)
            method = (self.store.settings(project, "assist").get("method") or [""])[0]
            self.evidence.submitted(project, params.sample_id, received.require("mask"), caller_token(), method)
        return pb.SubmitLabelResponse(label=version_to_proto(version))

    def LabelHistory(self, request, context):
        row = self.store.sample(request.sample_id)
        require("read_labels", self.store.project_name(row.project_id))
        return pb.LabelHistoryResponse(versions=[version_to_proto(v)
                                                 for v in self.store.label_history(request.sample_id)])

    def RenewLease(self, request, context):
        row = self.store.sample(request.sample_id)
        project = self.store.project(self.store.project_name(row.project_id))
        require("lease", project.name)
        expires_at = self.store.renew_lease(row.id, annotator_name(request.annotator), project.lease_seconds)
        return pb.RenewLeaseResponse(renewed=expires_at is not None, lease_expires_at=expires_at or 0.0)

    def ReviewLabel(self, request, context):
        row = self.store.sample(request.sample_id)
        project = self.store.project_name(row.project_id)
        require("review", project)
        self.store.review_label(row.id, annotator_name(request.reviewer), request.verdict, request.comment,
                                int(request.version))
        return pb.ReviewLabelResponse(sample=self._sample_info(self.store.sample(row.id), project))

    def ListSamples(self, request, context):
        require("fetch", request.project)  # what GetSample of each shows anyway
        project = self.store.project(request.project)
        size = request.page_size or DEFAULT_PAGE
        if size > MAX_PAGE:
            raise ValueError(f"'page_size' is {size}; at most {MAX_PAGE}")
        if request.newest_labeled:
            if request.page_token:
                raise ValueError("'newest_labeled' answers in one page: send no 'page_token'")
            return pb.ListSamplesResponse(samples=self._sample_infos(self.store.newest_labeled(project, size),
                                                                     project.name))
        after = page_position(request.page_token)
        rows, last = (self.classes.samples_page(project, request.class_filter, after, size)
                      if request.HasField("class_filter") else
                      self.store.samples_page(project, after, size, request.labeled_only))
        return pb.ListSamplesResponse(samples=self._sample_infos(rows, project.name),
                                      next_page_token="" if last is None else f"after:{last}")

    def Progress(self, request, context):
        require("progress", request.project)
        project = self.store.project(request.project)
        labeled, total, per_annotator = self.store.progress(project)
        version = self.scorer.version or self.store.scored(project)[0]
        response = pb.ProgressResponse(labeled=labeled, total=total, annotators=[
            pb.AnnotatorProgress(annotator=name, labeled=count) for name, count in sorted(per_annotator.items())],
            model_version=version, scored=self.store.scored_count(project, version) if version else 0,
            skipped=self.store.skipped_count(project), scoring_rate=self.scorer.rate())
        rows, best, reason = evidence_summary(self.store.settings(project, "evidence"))
        response.prelabel_evidence.extend(evidence_to_proto(r) for r in rows)
        response.best_prelabel, response.best_prelabel_reason = best, reason
        if (classes := self.class_scorer.records.state(project)) is not None:
            response.class_model = f"classes@{classes.model_version}" if classes.model_version else ""
            response.class_scored, response.class_scoring_note = classes.scored, classes.note
        response.class_counts.extend(self.classes.counts(project))
        seen, points = project_outlook(self.store.settings(project, "trainings").get("runs", []))
        if seen is not None:
            response.outlook.CopyFrom(pb.LabellingOutlook(
                labels=seen.labels, ahead=seen.ahead, current=seen.current, predicted=seen.predicted, low=seen.low,
                high=seen.high, ceiling=seen.ceiling, worth_it=seen.worth_it, summary=seen.sentence(), points=points))
        return response

    def RecordTraining(self, request, context):
        require("train", request.project)
        project = self.store.project(request.project)
        row_id(request.version, "version")
        runs = with_run(self.store.settings(project, "trainings").get("runs", []), request.model, request.version,
                        request.labels, request.validation_dice, self.store.progress(project)[0], time.time())
        self.store.set_settings(project, "trainings", {"runs": runs})
        return pb.RecordTrainingResponse(recorded=len(runs))

    def AnswerFinding(self, request, context):
        return self.answers.answer(request)

    def ListFindingAnswers(self, request, context):
        return self.answers.list(request)

    def UndoFindingAnswer(self, request, context):
        return self.answers.undo(request)

    def SetOverlap(self, request, context):
        return self.agreement.set_overlap(request)

    def BuildConsensus(self, request, context):
        return self.agreement.build_consensus(request)

    def ListAdjudication(self, request, context):
        return self.agreement.list_adjudication(request)

    def Adjudicate(self, request, context):
        return self.agreement.adjudicate(request)

    def AnnotatorQuality(self, request, context):
        return self.agreement.annotator_quality(request)

    def AgreementOverTime(self, request, context):
        return self.agreement.agreement_over_time(request)
    def SetClassSchema(self, request, context):
        return self.classes.set_schema(request)

    def ExportLabels(self, request, context):
        require("export", request.project)
        project = self.store.project(request.project)
        latest = ((row.stem, found[1]) for row in self.store.samples(project, labeled_only=True)
                  if (found := self.store.latest_label(row.id)) is not None)
        return pb.ExportLabelsResponse(written=export_labels(confine(request.path, self.roots), list(latest),
                                                             request.format or "tif"))


DEFINITION = runtime_server.ServiceDefinition.of(
    "selector", pb.DESCRIPTOR.services_by_name["SelectorService"], SelectorServicer,
    selector_pb2_grpc.add_SelectorServiceServicer_to_server, add_arguments=add_arguments,
)
main = DEFINITION.main
