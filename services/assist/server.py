"""The assist gRPC servicer: decode, call :mod:`pipeline`, encode."""

from __future__ import annotations

import argparse
from contextlib import nullcontext

import numpy as np

from labelassist.assist import jobs
from labelassist.imaging.class_uncertainty import SCORE_NAMES
from labelassist.assist.class_models import ClassModelStore, ClassPrediction, check_object_class, predict
from labelassist.assist.operations import OPERATIONS
from labelassist.assist.propagate import Reference
from labelassist.assist.segment import ClickModels, placed_mask, segment_with
from labelassist.assist.sources import prelabel_sources
from labelassist.assist.training import (TRAINABLE, TrainingRequest, check_training_parameters, project_pairs,
                                         run_training, training_recorder)
from labelassist.proto.wire.addresses import env
from labelassist.models.clicks import Click
from labelassist.models import MODEL_NAME
from labelassist.models.triton import TritonClient
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
from labelassist.runtime.config import ServiceConfig, add_triton_argument
from labelassist.runtime.auth import ALL_PROJECTS, caller_token, require, require_institute_admin
from labelassist.runtime.errors import ConflictError, NotFoundError, UnavailableError
from labelassist.io.confinement import confine
from labelassist.runtime.paths import add_dataset_root_argument, dataset_roots
from labelassist.proto.wire.classes import schema_from_proto
from labelassist.proto.wire.values import call_from_proto, call_to_proto
from labelassist.proto.wire.streaming import read_stream, write_stream
from labelassist.runtime.priority import batch_call, batch_work
from labelassist.runtime.links.selector import SelectorLink, add_selector_argument, image_cache


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_triton_argument(parser, "U-Net pre-labels")
    add_dataset_root_argument(parser)
    add_selector_argument(parser, "for sample references and training on a project's labels")
    parser.add_argument("--training-runner", choices=("thread", "queue"), default=env("TRAINING_RUNNER") or "thread",
                        help="thread: Train runs in this replica; queue: Train queues the job in the data directory "
                             "and a trainer (`labelassist trainer`, e.g. a Kubernetes Job with the GPU) runs it "
                             "(env LABELASSIST_TRAINING_RUNNER)")
    parser.add_argument("--sam-cache-mb", type=float, default=float(env("SAM_CACHE_MB") or 256),
                        help="memory for the image embeddings of SAM-family models, so each image is encoded once; "
                             "4 MiB an image (env LABELASSIST_SAM_CACHE_MB)")


TRAIN_STATE = {jobs.QUEUED: pb.TRAIN_STATE_QUEUED, jobs.RUNNING: pb.TRAIN_STATE_RUNNING,
               jobs.SUCCEEDED: pb.TRAIN_STATE_SUCCEEDED, jobs.FAILED: pb.TRAIN_STATE_FAILED}
# The Train call's fields that configure a training.
CONFIG_FIELDS = ("epochs", "steps_per_epoch", "batch_size", "tile", "depth", "width", "seed")


class AssistServicer(assist_pb2_grpc.AssistServiceServicer):
    def __init__(self, config: ServiceConfig):
        self.max_array_bytes = config.max_array_bytes
        self.triton_url = config.options.get("triton_url")
        self.triton = TritonClient(self.triton_url) if self.triton_url else None
        self.dataset_roots = dataset_roots(config)
        self.model_repository = config.data_dir / "models"
        self.click_models = ClickModels(self.model_repository, self.triton,
                                        int(float(config.options.get("sam_cache_mb") or 256) * 2**20))
        self.jobs = jobs.JobRegistry(config.data_dir / "jobs")  # shared by replicas that share the data dir
        # "thread": a Train call runs in this replica; "queue": a trainer process (a Kubernetes Job) runs it.
        self.training_runner = config.options.get("training_runner") or "thread"
        self.selector = SelectorLink(config.options.get("selector_address"), "assist",
                                     image_cache(config.options, "assist"))
        self.class_models = ClassModelStore(config.data_dir / "classes", config.options.get("metrics"))

    def _image(self, received, sample_id: int):
        """The sent "image", or else the selector's sample ``sample_id``."""
        return self._image_and_info(received, sample_id)[0]

    def _image_and_info(self, received, sample_id: int) -> tuple[np.ndarray, object | None]:
        """The image, and the selector's SampleInfo of ``sample_id`` (None for a sent image)."""
        if "image" in received.arrays:
            return received.arrays["image"], None
        if not sample_id:
            return received.require("image"), None
        with self.selector.calls() as selector:
            sample = selector.get_sample(sample_id)
        return sample.require("image"), sample.message

    def _classes(self, project: str, image, mask) -> ClassPrediction:
        """The project's class model (trained first if its labels changed) on ``mask``'s objects."""
        with self.selector.calls() as selector:
            model = self.class_models.current(selector, project, selector.get_project(project))
        return predict(model, image, mask)

    def _image_and_objects(self, received) -> tuple[np.ndarray, np.ndarray, str, str]:
        """The image, the mask of its objects, the project of a PredictClasses
        call and where the objects came from: as sent, else the sample's
        image and newest label, else (asked for) the project's own pre-label."""
        params = received.message
        image, mask, project = received.arrays.get("image"), received.arrays.get("mask"), params.project
        objects_from = "mask" if mask is not None else "label"
        if params.sample_id:
            with self.selector.calls() as selector:
                sample = selector.get_sample(params.sample_id, with_image=image is None)
            image = sample.require("image") if image is None else image
            mask = sample.arrays.get("label") if mask is None else mask
            project = project or sample.message.project
            if mask is None and not params.prelabel:
                raise ConflictError(f"sample {params.sample_id} has no label yet: send its objects as a 'mask' "
                                    "(e.g. its pre-label), or ask with 'prelabel'")
        if mask is None and params.prelabel and image is not None and project:
            found = self._own_prelabel(image, project)
            mask, objects_from = found.mask, f"prelabel:{found.method}"
        if image is None or mask is None or not project:
            raise ValueError("predict classes: send 'image', 'mask' and 'project', or a 'sample_id'")
        return image, mask, project, objects_from

    def _own_prelabel(self, image, project: str, params: pb.PrelabelParams | None = None, received=None,
                      info=None):
        """The project's own pre-label of ``image`` (``params`` may name
        another method): when its method came from evidence and cannot
        answer now, the default pipeline's."""
        params = pb.PrelabelParams() if params is None else params
        steps, from_evidence = self._pipeline(params, project)
        reference = self._reference(received, info) if steps["method"] and steps["method"][0] == "propagate" \
            else None
        try:
            return prelabel_image(image, **steps, return_probability=True, triton=self.triton,
                                  reference=reference, model_repository=self.model_repository,
                                  instances=not params.binary, sam_models=self.click_models.sam)
        except (ConflictError, UnavailableError):
            if not from_evidence:
                raise
            return prelabel_image(image, **{**steps, "method": None}, return_probability=True,
                                  instances=not params.binary)

    def _check_object_class(self, name: str, project: str) -> None:
        if not project:
            raise ValueError("segment: 'object_class' needs the 'project' (or a 'sample_id') whose classes it is "
                             "one of")
        with self.selector.calls() as selector:
            check_object_class(schema_from_proto(selector.get_project(project).classes), name, project)

    def _pipeline(self, params: pb.PrelabelParams, project: str) -> tuple[dict, bool]:
        """The call's steps; without a method, those of the project's assist
        settings (its steps first, then the call's), or its best measured
        pre-label source when the settings name no method. The flag says the
        method came from that evidence (it falls back to the default
        pipeline when its model cannot answer)."""
        steps = {"method": call_from_proto(params.method) if params.method.name else None,
                 "preprocess": [call_from_proto(c) for c in params.preprocess],
                 "postprocess": [call_from_proto(c) for c in params.postprocess]}
        if steps["method"] is not None or not project:
            return steps, False
        with self.selector.calls() as selector:
            found = selector.get_project(project)
        settings = found.assist
        from_evidence = False
        if settings.method.name:
            steps["method"] = call_from_proto(settings.method)
        elif found.best_prelabel_method.name:
            steps["method"], from_evidence = call_from_proto(found.best_prelabel_method), True
        elif found.best_prelabel == "unet":  # measured by a selector that did not tell versions apart
            steps["method"], from_evidence = ("unet", {}), True
        steps["preprocess"] = [call_from_proto(c) for c in settings.preprocess] + steps["preprocess"]
        steps["postprocess"] = [call_from_proto(c) for c in settings.postprocess] + steps["postprocess"]
        return steps, from_evidence

    def _read(self, parts, params_type, arrays):
        return read_stream(parts, "params", params_type, self.max_array_bytes, arrays)

    def ListOperations(self, request, context):
        entries = OPERATIONS.entries(request.family or None)
        return pb.ListOperationsResponse(operations=[e.to_proto() for e in entries])

    def ListPrelabelSources(self, request, context):
        return pb.ListPrelabelSourcesResponse(sources=[
            pb.PrelabelSource(key=source.key, description=source.description,
                              method=call_to_proto(*source.method) if source.method else None)
            for source in prelabel_sources(self.model_repository, self.triton)])

    def Preprocess(self, request_iterator, context):
        received = self._read(request_iterator, pb.PreprocessParams, {"image"})
        params = received.message
        image, applied = preprocess_image(self._image(received, params.sample_id),
                                          [call_from_proto(c) for c in params.pipeline])
        yield from write_stream(pb.PreprocessResponse, "result", pb.PreprocessResult(applied=applied),
                                {"image": image}, params.response_compression)

    def _reference(self, received, this) -> Reference | None:
        """The labelled neighbour plane for ``propagate``: the one sent, or
        the nearest labelled plane of the sample's own stack (same file,
        region and channel as ``this``, the SampleInfo pre-labelled; the
        nearest frame, then the nearest z)."""
        if received is not None and "reference_label" in received.arrays:
            return Reference(received.arrays["reference_label"], received.require("reference_image"))
        if this is None or not this.origin.file:
            return None
        with self.selector.calls() as selector:
            same = (this.origin.file, this.origin.y, this.origin.x, this.origin.channel)
            neighbours = [info for info in selector.list_samples(this.project, labeled_only=True)
                          if (info.origin.file, info.origin.y, info.origin.x, info.origin.channel) == same
                          and info.sample_id != this.sample_id]
            if not neighbours:
                return None
            nearest = min(neighbours, key=lambda info: (abs(int(info.origin.t) - int(this.origin.t)),
                                                        abs(int(info.origin.z) - int(this.origin.z))))
            found = selector.get_sample(nearest.sample_id)
        return Reference(found.require("label"), found.require("image"))

    def Prelabel(self, request_iterator, context):
        # Another service's batch work (measuring pre-label sources) waits behind annotators' calls.
        with batch_work() if batch_call(context) else nullcontext():
            received = self._read(request_iterator, pb.PrelabelParams,
                                  {"image", "reference_label", "reference_image"})
            params = received.message
            image, info = self._image_and_info(received, params.sample_id)
            project = params.project or (info.project if info is not None else "")
            prelabel = self._own_prelabel(image, project, params, received, info)
            probability = prelabel.probability if params.return_probability else None
            result = pb.PrelabelResult(method=prelabel.method, object_count=prelabel.object_count,
                                       applied=prelabel.applied)
            if project and not (params.binary or params.without_classes):
                try:
                    result.classes.CopyFrom(predictions_to_proto(self._classes(project, image, prelabel.mask)))
                except ConflictError:
                    pass  # a project without classes: a pre-label is a mask alone
            arrays = {"mask": prelabel.mask,
                      "probability": probability.astype(np.float32) if probability is not None else None}
            yield from write_stream(pb.PrelabelResponse, "result", result, arrays, params.response_compression)

    def Refine(self, request_iterator, context):
        received = self._read(request_iterator, pb.RefineParams, {"image", "scribbles", "mask"})
        params = received.message
        method = call_from_proto(params.method) if params.method.name else ("random_walker", {})
        mask = refine_mask(self._image(received, params.sample_id), received.require("scribbles"),
                           received.arrays.get("mask"), method)
        result = pb.RefineResult(method=method[0], foreground_pixels=int((mask > 0).sum()))
        yield from write_stream(pb.RefineResponse, "result", result, {"mask": mask},
                                params.response_compression)

    def Segment(self, request_iterator, context):
        received = self._read(request_iterator, pb.SegmentParams, {"image", "mask"})
        params = received.message
        image, info = self._image_and_info(received, params.sample_id)
        if params.object_class:
            self._check_object_class(params.object_class, params.project or (info.project if info else ""))
        box = None
        if params.HasField("box"):
            if len(params.box.start) != 2 or len(params.box.stop) != 2:
                raise ValueError("segment: 'box' needs start (row, column) and stop (row, column)")
            box = (*params.box.start, *params.box.stop)
        clicks = [Click(c.y, c.x, c.positive) for c in params.clicks]
        mask = placed_mask(received.arrays.get("mask"), params.mask_top, params.mask_left, np.shape(image)[:2])
        found, model = segment_with(self.click_models, image, clicks, box, mask, params.model)
        area = int(found.mask.sum())
        if params.crop_to_object:
            mask, top, left = (found.mask, found.top, found.left) if area else (np.zeros((1, 1), np.uint8),
                                                                                 int(params.clicks[0].y),
                                                                                 int(params.clicks[0].x))
        else:
            mask, top, left = found.full(np.shape(image)[:2]), 0, 0
        result = pb.SegmentResult(top=top, left=left, area=area, runtime=model.runtime,
                                  model_version=model.version, model_source=model.source, passes=found.passes,
                                  object_class=params.object_class)
        yield from write_stream(pb.SegmentResponse, "result", result, {"mask": mask}, params.response_compression)

    def PredictClasses(self, request_iterator, context):
        # The selector's class scorer asks as batch work: annotators' calls first.
        with batch_work() if batch_call(context) else nullcontext():
            received = self._read(request_iterator, pb.PredictClassesParams, {"image", "mask"})
            image, mask, project, objects_from = self._image_and_objects(received)
            require("compute", project)
            prediction = self._classes(project, image, mask)
            if prediction.model.objects is None and not prediction.model.images:
                raise ConflictError(f"project {project!r} has no class model yet ({prediction.model.note}); "
                                    "submit labels with classes, then ask again")
            result = predictions_to_proto(prediction)
            result.objects_from = objects_from
            if received.message.with_uncertainty:
                result.uncertainty.CopyFrom(uncertainty_to_proto(prediction))
        yield from write_stream(pb.PredictClassesResponse, "result", result, {})

    def Postprocess(self, request_iterator, context):
        received = self._read(request_iterator, pb.PostprocessParams, {"mask", "image"})
        params = received.message
        mask, applied = postprocess_mask(received.require("mask"),
                                         [call_from_proto(c) for c in params.pipeline],
                                         received.arrays.get("image"))
        result = pb.PostprocessResult(applied=applied, object_count=count_objects(mask))
        yield from write_stream(pb.PostprocessResponse, "result", result, {"mask": mask},
                                params.response_compression)

    def Train(self, request, context):
        if bool(request.dataset_path) == bool(request.project):
            raise ValueError("set exactly one of 'dataset_path' and 'project'")
        if request.model not in ("", *TRAINABLE):
            raise ValueError(f"no model {request.model!r} to train; choose one of {', '.join(TRAINABLE)}")
        require_institute_admin("train the U-Net", "the model is served to every project")
        config = check_training_parameters({name: int(getattr(request, name)) for name in CONFIG_FIELDS
                                            if getattr(request, name)})
        training = TrainingRequest(request.model or MODEL_NAME, config, project=request.project,
                                   roots=[str(root) for root in self.dataset_roots])
        if request.project:
            require("read_labels", request.project)
            with self.selector.calls() as selector:
                training.pairs = project_pairs(selector, request.project)
        else:
            folder = confine(request.dataset_path, self.dataset_roots)
            if not folder.is_dir():
                raise NotFoundError(f"no dataset folder {request.dataset_path!r}")
            training.dataset = str(folder)
        if self.training_runner == "queue":
            return pb.TrainResponse(job_id=self.jobs.enqueue(training))
        record = training_recorder(self.selector, training, caller_token())
        job = self.jobs.start(lambda job: run_training(training, self.model_repository, self.triton_url, job, record),
                              project=request.project)
        return pb.TrainResponse(job_id=job.id)

    def TrainStatus(self, request, context):
        job = self.jobs.get(request.job_id)
        require("progress", job.project or ALL_PROJECTS)
        for event in job.follow(context.is_active):
            yield pb.TrainStatusResponse(job_id=job.id, state=TRAIN_STATE[event.state], epoch=event.epoch,
                                   epochs=event.epochs, loss=event.loss, validation_dice=event.validation_dice,
                                   model_version=event.model_version, message=event.message)


def predictions_to_proto(prediction: ClassPrediction) -> pb.ClassPredictions:
    model = prediction.model
    return pb.ClassPredictions(
        model=model.name, model_version=model.version, object_classes=prediction.object_classes,
        objects=[pb.ObjectClassPrediction(object_id=object_id, predicted_class=name, confidence=confidence,
                                          probabilities=prediction.object_probabilities[row].tolist())
                 for row, (object_id, name, confidence) in enumerate(prediction.predicted_objects())],
        image_classes=prediction.image_classes, image_probabilities=prediction.image_probabilities.tolist(),
        predicted_image_classes=prediction.predicted_image_classes(), trained_objects=model.trained_objects,
        trained_images=model.trained_images, note=model.note)


def uncertainty_to_proto(prediction: ClassPrediction) -> pb.ClassUncertainty:
    summary = prediction.uncertainty()
    if summary is None:
        return pb.ClassUncertainty()
    kind, classes, scores, expected, objects = summary
    return pb.ClassUncertainty(kind=kind, classes=classes, score_names=SCORE_NAMES, scores=scores.tolist(),
                               expected_counts=expected.tolist(), objects=objects)


DEFINITION = runtime_server.ServiceDefinition.of(
    "assist", pb.DESCRIPTOR.services_by_name["AssistService"], AssistServicer,
    assist_pb2_grpc.add_AssistServiceServicer_to_server, add_arguments=add_arguments,
)
main = DEFINITION.main
