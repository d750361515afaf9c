"""The inspect gRPC servicer."""

from __future__ import annotations

import argparse
import threading
import time
from typing import NamedTuple

from labelassist.models.triton import TritonClient
from labelassist.inspect.answers import with_answers, with_class_answers
from labelassist.inspect.calibration import MIN_IMAGES, MIN_OBJECTS, Calibration, calibrate
from labelassist.inspect.class_bounds import ClassBounds, class_objects, class_parameters, learn_class_bounds
from labelassist.inspect.criteria import CRITERIA
from labelassist.inspect.inspection import inspect_label
from labelassist.inspect.precision import outcome_counts
from labelassist.inspect.probability import ProbabilityModel
from labelassist.inspect.ranking import LabelRanking
from labelassist.inspect.settings import InspectionSettings
from labelassist.proto.v1 import common_pb2
from labelassist.proto.v1 import inspect_pb2 as pb
from labelassist.proto.v1 import inspect_pb2_grpc
from labelassist.runtime.auth import require
from labelassist.runtime import server as runtime_server
from labelassist.runtime.config import ServiceConfig, add_triton_argument
from labelassist.proto.wire.values import call_from_proto, call_to_proto
from labelassist.proto.wire.streaming import read_stream, split_stream
from labelassist.runtime.calls import raise_if_cancelled
from labelassist.runtime.errors import NotFoundError
from labelassist.proto.wire.addresses import env
from labelassist.runtime.priority import BatchWorker
from labelassist.runtime.links.assist import AssistLink, add_assist_argument
from labelassist.runtime.links.selector import SelectorLink, add_selector_argument, image_cache

SEVERITY = {"info": pb.SEVERITY_INFO, "warning": pb.SEVERITY_WARNING, "error": pb.SEVERITY_ERROR}


def box_to_proto(box) -> common_pb2.BoundingBox:
    return common_pb2.BoundingBox(start=box[:2], stop=box[2:])


def finding_to_proto(finding) -> pb.Finding:
    message = pb.Finding(criterion=finding.criterion, severity=SEVERITY[finding.severity],
                         message=finding.message, measured=finding.measured, bound=finding.bound,
                         object_ids=finding.object_ids, boxes=[box_to_proto(b) for b in finding.boxes],
                         confidence=finding.confidence, object_class=finding.object_class)
    if finding.fix is not None:
        message.fix.CopyFrom(call_to_proto(*finding.fix))
    return message


def objects_to_proto(table) -> list[pb.ObjectMeasurement]:
    return [pb.ObjectMeasurement(object_id=int(table.ids[i]), area=float(table.area[i]),
                                 box=box_to_proto(table.bbox[i].tolist()),
                                 solidity=float(table.solidity[i]), circularity=float(table.circularity[i]),
                                 mean_intensity=float(table.mean_intensity[i]))
            for i in range(len(table))]


ARRAYS = {"mask", "image", "prelabel"}
CALIBRATION_SAMPLES = 50  # the newest accepted labels a calibration learns from
# The newest labels whose images calibration reads too (for the intensity criteria, which need at most 20 labels):
# images are the large part of a read, and each costs a smoothing.
CALIBRATION_IMAGES = 20
CALIBRATION_PIXELS = 1 << 24  # and no more image pixels than this: a calibration costs seconds, not minutes


def calibration_samples(selector, infos) -> tuple[list, list, list]:
    """The labels of ``infos`` with their object classes and, for the newest
    ``CALIBRATION_IMAGES`` of them within ``CALIBRATION_PIXELS``, their
    images (else None)."""
    labels, images, classes, pixels = [], [], [], 0
    for index, info in enumerate(infos):
        wanted = index < CALIBRATION_IMAGES and pixels < CALIBRATION_PIXELS
        sample = selector.get_sample(info.sample_id, with_image=wanted)
        labels.append(sample.require("label"))
        images.append(sample.arrays.get("image"))
        classes.append(dict(sample.message.label_classes.objects))
        pixels += 0 if images[-1] is None else images[-1].size
    return labels, images, classes
CALIBRATION_REFRESH_SECONDS = 60.0  # a calibrated project re-learns at most this often
RANKED_SAMPLES, MAX_RANKED_SAMPLES = 500, 10_000  # labels a ranking scores: default, most
SUSPECTS = 100  # suspects a ranking returns unless asked for another number
PROGRESS_SECONDS = 1.0


def label_and_image(sample) -> tuple:
    """A stored sample's label, image and object classes, or ValueError
    naming the array it lacks."""
    image = sample.require("image")
    return sample.require("label"), image, dict(sample.message.label_classes.objects)


def suspect_to_proto(info, suspect) -> pb.SuspectedError:
    return pb.SuspectedError(sample_id=info.sample_id, stem=info.stem, label_version=info.label_version,
                             score=suspect.score, signals=suspect.signals, reason=suspect.reason,
                             object_id=suspect.object_id, box=box_to_proto(suspect.box),
                             given_class=suspect.given_class, suspected_class=suspect.suspected_class,
                             class_confidence=suspect.class_confidence)


def calibration_to_proto(calibration: Calibration | None, classes: dict[str, ClassBounds] | None = None
                         ) -> pb.Calibration:
    if calibration is None:
        return pb.Calibration(min_images=MIN_IMAGES)
    return pb.Calibration(criteria=[call_to_proto(name, values) for name, values in calibration.criteria],
                          images=calibration.images, objects=calibration.objects, min_images=calibration.min_images,
                          classes=[pb.ClassCalibration(name=name, objects=bounds.objects,
                                                       criteria=[call_to_proto(*c) for c in bounds.criteria.items()])
                                   for name, bounds in (classes or {}).items()])


def inspect_envelope(params: pb.InspectParams, received, project: ProjectView, triton: TritonClient | None = None
                     ) -> pb.InspectResponse:
    settings, calibration = project.settings, project.calibration
    if calibration is not None:
        settings = calibration.under(settings)
    result = inspect_label(
        received.require("mask"), received.arrays.get("image"), received.arrays.get("prelabel"),
        [call_from_proto(c) for c in params.criteria], params.only_listed, settings=settings, triton=triton,
        evidence=project.evidence, extra_sources=project.sources, history=project.history,
        classes=dict(params.object_classes), class_parameters=project.class_parameters())
    response = pb.InspectResponse(findings=[finding_to_proto(f) for f in result.findings],
                                  objects=objects_to_proto(result.objects), checked=result.checked,
                                  prelabel_source=result.prelabel_source, prelabel_note=result.prelabel_note)
    if calibration is not None:
        response.calibration.CopyFrom(calibration_to_proto(calibration, project.class_bounds))
    return response


class ProjectView(NamedTuple):
    """What inspect reads of a named project, once per call: its settings,
    calibration, measured pre-label sources (source -> (labels, mean Dice))
    and the sources inspect can ask besides its own (its assist settings,
    through assist), its history of findings (criterion -> (confirmed,
    false alarms)) and the bounds of its object classes; all empty without
    a project."""
    settings: InspectionSettings | None = None
    calibration: Calibration | None = None
    evidence: dict[str, tuple[int, float]] | None = None
    sources: dict | None = None
    history: dict[str, tuple[int, int]] | None = None
    class_bounds: dict[str, ClassBounds] | None = None

    def class_parameters(self) -> dict:
        """Per class, the parameters its objects are judged by (see
        :func:`~labelassist.inspect.class_bounds.class_parameters`)."""
        return class_parameters(self.class_bounds or {}, self.calibration, self.settings)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_triton_argument(parser, "agreement checks without a pre-label use the U-Net it serves, "
                                "else the classical pipeline")
    add_selector_argument(parser, "for the inspection settings of projects that calls name")
    add_assist_argument(parser, "a project's own pre-label (its assist settings) for the agreement check, once it "
                                "has earned it")
    parser.add_argument("--calibrate-after", type=int, default=int(env("CALIBRATE_AFTER") or MIN_IMAGES),
                        metavar="LABELS", help="accepted labels a project needs before calibration moves a bound "
                        f"(or {MIN_OBJECTS} objects; env LABELASSIST_CALIBRATE_AFTER; default {MIN_IMAGES})")


class InspectServicer(inspect_pb2_grpc.InspectServiceServicer):
    def __init__(self, config: ServiceConfig):
        self.max_array_bytes = config.max_array_bytes
        url = config.options.get("triton_url")
        self.triton = TritonClient(url) if url else None
        self.selector = SelectorLink(config.options.get("selector_address"), "inspect",
                                     image_cache(config.options, "inspect"))
        self.assist = AssistLink(config.options.get("assist_address"), "inspect")
        # project -> (labelled count, when learnt, calibration, its object classes' bounds)
        self._calibrations: dict[str, tuple[int, float, Calibration, dict[str, ClassBounds]]] = {}
        self._calibrating = threading.Lock()
        self.probability = ProbabilityModel(self.triton)
        self.batch = BatchWorker("ranking")  # label-error ranking runs below annotators' calls
        self.calibrate_after = int(config.options.get("calibrate_after") or MIN_IMAGES)
        if self.calibrate_after < 1:
            raise ValueError(f"--calibrate-after is {self.calibrate_after}; at least 1 label")

    def _project(self, name: str) -> ProjectView:
        """The named project's settings, calibration and pre-label evidence,
        from one read of the project on the caller's behalf."""
        if not name:
            return ProjectView()
        with self.selector.calls() as selector:
            project = selector.get_project(name)
            try:
                settings = InspectionSettings.from_proto(project.inspection).check()
            except ValueError as error:
                raise ValueError(f"project {name!r}: its inspection settings do not apply: {error}; "
                                 "correct them with `labelassist inspection PROJECT`") from None
            evidence = {row.source: (int(row.labels), float(row.dice)) for row in project.prelabel_evidence}
            sources = {"settings": lambda image: self.assist.prelabel(image, name)} \
                if self.assist.address and project.assist.method.name else {}
            answers = selector.finding_answers(name)
            calibration, classes = self._calibration(selector, name, int(project.labeled), settings)
            calibration = with_answers(calibration, answers)
            return ProjectView(settings, calibration, evidence, sources, outcome_counts(answers),
                               with_class_answers(classes, answers, calibration))

    def _calibration(self, selector, project: str, labelled: int, settings: InspectionSettings
                     ) -> tuple[Calibration, dict[str, ClassBounds]]:
        """The project's calibration and its object classes' bounds (see
        :mod:`~labelassist.inspect.class_bounds`), from its newest ``CALIBRATION_SAMPLES``
        labels not rejected, the newest with their images (see
        :func:`calibration_samples`; one bounded read; a label
        not reviewed counts only without a warning, see
        :func:`~labelassist.inspect.calibration.calibrate`), learnt again
        when its labelled count changed: at once while it rests on too few
        labels to move a bound, else at most every
        ``CALIBRATION_REFRESH_SECONDS``, so a busy project does not re-read
        50 labels after every submit."""
        with self._calibrating:
            cached = self._calibrations.get(project)
            if cached is not None:
                count, learnt, calibration, classes = cached
                fresh = time.monotonic() - learnt < CALIBRATION_REFRESH_SECONDS
                if count == labelled or (calibration.criteria and fresh):
                    return calibration, classes
            accepted = [info for info in selector.newest_labeled(project, CALIBRATION_SAMPLES)
                        if info.review != "rejected"]
            labels, images, classes = calibration_samples(selector, accepted)
            calibration = calibrate(labels, images, [info.review == "accepted" for info in accepted], settings,
                                    min_images=self.calibrate_after)
            bounds = learn_class_bounds(class_objects(labels, images, classes), calibration) \
                if any(classes) else {}
            self._calibrations[project] = (labelled, time.monotonic(), calibration, bounds)
            return calibration, bounds

    def ListCriteria(self, request, context):
        return pb.ListCriteriaResponse(criteria=[e.to_proto() for e in CRITERIA.entries()])

    def Inspect(self, request_iterator, context):
        received = read_stream(request_iterator, "params", pb.InspectParams, self.max_array_bytes, ARRAYS)
        params = received.message
        return inspect_envelope(params, received, self._project(params.project), triton=self.triton)

    def GetCalibration(self, request, context):
        if not request.project:
            raise ValueError("'project' must name the project whose calibration to show")
        view = self._project(request.project)  # read with the caller's token: their roles hold
        return pb.GetCalibrationResponse(calibration=calibration_to_proto(view.calibration, view.class_bounds))

    def RankLabelErrors(self, request, context):
        if not request.project:
            raise ValueError("'project' must name the project whose labels to rank")
        require("review", request.project)  # reads every label and scores each: reviewers' and admins' work
        count = request.max_samples or RANKED_SAMPLES
        if count > MAX_RANKED_SAMPLES:
            raise ValueError(f"'max_samples' is {count}; at most {MAX_RANKED_SAMPLES} labels per ranking")
        view = self._project(request.project)
        settings, calibration = view.settings, view.calibration
        if calibration is not None:
            settings = calibration.under(settings)
        model, version = self.probability.describe()
        ranking = pb.LabelErrorRanking(model=model, model_version=version,
                                       calibration=calibration_to_proto(calibration, view.class_bounds))
        with self.selector.calls() as selector:
            infos = [info for info in selector.newest_labeled(request.project, count)
                     if request.include_accepted or info.review != "accepted"]
            yield pb.RankLabelErrorsResponse(progress=pb.RankProgress(scored=0, total=len(infos)))
            # One label that cannot be read or scored is reported; the ranking goes on.
            labels = LabelRanking(self.probability, settings, skip=(ValueError, NotFoundError),
                                  class_parameters=view.class_parameters())
            reported = time.monotonic()
            for scored, info in enumerate(infos, start=1):
                raise_if_cancelled()
                # Below annotators' calls: in Triton's queue and on this machine's CPU.
                self.batch.run(lambda: labels.add(
                    info, lambda: label_and_image(selector.get_sample(info.sample_id, cached=False))))
                if time.monotonic() - reported >= PROGRESS_SECONDS:
                    reported = time.monotonic()
                    yield pb.RankLabelErrorsResponse(progress=pb.RankProgress(scored=scored, total=len(infos)))
        ranked = self.batch.run(labels.ranked)  # the class model's folds train here: below annotators' calls too
        ranking.class_note = ranked.class_note
        ranking.skipped.extend(f"{info.stem} (sample {info.sample_id}): {why}" for info, why in ranked.skipped)
        ranking.labels.extend(pb.SuspectedLabel(sample_id=info.sample_id, stem=info.stem,
                                                label_version=info.label_version, score=score, suspects=count)
                              for info, score, count in ranked.labels)
        ranking.suspects.extend(suspect_to_proto(info, suspect)
                                for info, suspect in ranked.suspects[:request.limit or SUSPECTS])
        yield pb.RankLabelErrorsResponse(ranking=ranking)

    def InspectBatch(self, request_iterator, context):
        projects = {}  # settings and calibration per project named, read once per call
        for received in split_stream(request_iterator, "params", self.max_array_bytes, ARRAYS):
            sample = received.message.sample
            params = received.message.inspect
            if params.project not in projects:
                projects[params.project] = self._project(params.project)
            try:
                report = inspect_envelope(params, received, projects[params.project], triton=self.triton)
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
