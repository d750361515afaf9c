"""The assist gRPC servicer: decode, call :mod:`pipeline`, encode."""

from __future__ import annotations

import argparse

import numpy as np

from labelassist.assist import jobs
from labelassist.assist.operations import OPERATIONS
from labelassist.assist.propagate import Reference
from labelassist.assist.segment import ClickModels, segment_with
from labelassist.models.clicks import Click
from labelassist.models import CLICK_MODEL_NAME, MODEL_NAME
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
from labelassist.runtime.paths import add_dataset_root_argument, confine, dataset_roots
from labelassist.proto.wire.values import call_from_proto
from labelassist.proto.wire.streaming import read_stream, write_stream
from labelassist.runtime.upstream import SelectorLink, add_selector_argument


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_triton_argument(parser, "U-Net pre-labels")
    add_dataset_root_argument(parser)
    add_selector_argument(parser, "for sample references and training on a project's labels")


TRAIN_STATE = {jobs.RUNNING: pb.TRAIN_STATE_RUNNING, jobs.SUCCEEDED: pb.TRAIN_STATE_SUCCEEDED,
               jobs.FAILED: pb.TRAIN_STATE_FAILED}


def project_pairs(selector, project: str):
    """A selector project's latest labels as (image, mask) pairs, every tenth
    sample (by pool order) held out for validation."""
    train, test = [], []
    for index, info in enumerate(selector.list_samples(project, labeled_only=True)):
        sample = selector.get_sample(info.sample_id)
        (test if index % 10 == 9 else train).append((sample.require("image"), sample.require("label")))
    return train, test


def train_and_publish(source, config, model_repository, triton_url, job: jobs.Job, record=None) -> int:
    """Train on a dataset folder or on (train, test) pairs, publish, and load
    into Triton when one is configured; ``record(version, labels, dice)``
    then tells the project's selector (a point of its learning curve)."""
    from labelassist.models.training import train_on_dataset, train_on_samples

    def report(r):
        job.record(jobs.Event(jobs.RUNNING, r.epoch, config.epochs, r.loss, r.validation_dice))

    if isinstance(source, tuple):
        name, (train, test) = source
        result, meta = train_on_samples(train, test, config, report, name)
    else:
        result, meta = train_on_dataset(source, config, report)
    version = publish_and_load(model_repository, result.model, meta, triton_url, MODEL_NAME)
    if record is not None:
        best = result.history[result.best_epoch - 1] if result.best_epoch else result.history[-1]
        record(version, meta["train_samples"], best.validation_dice)
    return version


def publish_and_load(model_repository, model, meta: dict, triton_url, name: str) -> int:
    """Publish the next version of model ``name`` and load it into Triton
    when one is configured; the version."""
    from labelassist.models import repository as model_store

    version = model_store.publish(model_repository, model, meta, name=name)
    if triton_url:
        try:
            model_store.load_into_triton(triton_url, name)
        except Exception:
            # A job reported FAILED leaves no version behind that Triton could pick up later.
            model_store.unpublish(model_repository, version, name)
            raise
    return version


def train_click_and_publish(source, config, model_repository, triton_url, job: jobs.Job) -> int:
    """Fine-tune the click model (from the bundled generalist when there is
    one) on a dataset folder or (train, test) pairs, publish, load into Triton."""
    from labelassist.models.click_training import fine_tune_click_model
    from labelassist.models.training import dataset_pairs

    name, (pairs, _) = source if isinstance(source, tuple) else (str(source), dataset_pairs(source))
    result, meta = fine_tune_click_model(pairs, config, lambda step, loss: job.record(
        jobs.Event(jobs.RUNNING, step, config.steps, loss, float("nan"))), name)
    return publish_and_load(model_repository, result.model, meta, triton_url, CLICK_MODEL_NAME)


# What the Train call can train: the model's name in the repository -> what it is.
TRAINABLE = {MODEL_NAME: "the pre-label U-Net", CLICK_MODEL_NAME: "the click model"}


class AssistServicer(assist_pb2_grpc.AssistServiceServicer):
    def __init__(self, config: ServiceConfig):
        self.max_array_bytes = config.max_array_bytes
        self.triton_url = config.options.get("triton_url")
        self.triton = TritonClient(self.triton_url) if self.triton_url else None
        self.dataset_roots = dataset_roots(config)
        self.model_repository = config.data_dir / "models"
        self.click_models = ClickModels(self.model_repository, self.triton)
        self.jobs = jobs.JobRegistry(config.data_dir / "jobs")  # shared by replicas that share the data dir
        self.selector = SelectorLink(config.options.get("selector_address"), "assist")

    def _image(self, received, sample_id: int):
        """The sent "image", or else the selector's sample ``sample_id``."""
        return self._image_and_info(received, sample_id)[0]

    def _image_and_info(self, received, sample_id: int) -> tuple[np.ndarray, object | None]:
        """The image, and the selector's SampleInfo of ``sample_id`` (None for a sent image)."""
        if "image" in received.arrays:
            return received.arrays["image"], None
        if not sample_id:
            return received.require("image"), None
        with self.selector.client() as selector:
            sample = selector.get_sample(sample_id)
        return sample.require("image"), sample.message

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
        with self.selector.client() as selector:
            found = selector.get_project(project)
        settings = found.assist
        from_evidence = False
        if settings.method.name:
            steps["method"] = call_from_proto(settings.method)
        elif found.best_prelabel == "unet":
            steps["method"], from_evidence = ("unet", {}), True
        steps["preprocess"] = [call_from_proto(c) for c in settings.preprocess] + steps["preprocess"]
        steps["postprocess"] = [call_from_proto(c) for c in settings.postprocess] + steps["postprocess"]
        return steps, from_evidence

    def _read(self, parts, params_type, arrays):
        return read_stream(parts, "params", params_type, self.max_array_bytes, arrays)

    def ListOperations(self, request, context):
        entries = OPERATIONS.entries(request.family or None)
        return pb.ListOperationsResponse(operations=[e.to_proto() for e in entries])

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
        if "reference_label" in received.arrays:
            return Reference(received.arrays["reference_label"], received.require("reference_image"))
        if this is None or not this.origin.file:
            return None
        with self.selector.client() as selector:
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
        received = self._read(request_iterator, pb.PrelabelParams, {"image", "reference_label", "reference_image"})
        params = received.message
        image, info = self._image_and_info(received, params.sample_id)
        steps, from_evidence = self._pipeline(params, params.project or (info.project if info is not None else ""))
        reference = self._reference(received, info) if steps["method"] and \
            steps["method"][0] == "propagate" else None
        try:
            prelabel = prelabel_image(image, **steps, return_probability=True, triton=self.triton,
                                      reference=reference)
        except (ConflictError, UnavailableError):
            if not from_evidence:
                raise
            prelabel = prelabel_image(image, **{**steps, "method": None}, return_probability=True)
        probability = prelabel.probability if params.return_probability else None
        result = pb.PrelabelResult(method=prelabel.method, object_count=prelabel.object_count,
                                   applied=prelabel.applied)
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
        image = self._image(received, params.sample_id)
        box = None
        if params.HasField("box"):
            if len(params.box.start) != 2 or len(params.box.stop) != 2:
                raise ValueError("segment: 'box' needs start (row, column) and stop (row, column)")
            box = (*params.box.start, *params.box.stop)
        clicks = [Click(c.y, c.x, c.positive) for c in params.clicks]
        found, model = segment_with(self.click_models, image, clicks, box, received.arrays.get("mask"))
        area = int(found.mask.sum())
        if params.crop_to_object:
            mask, top, left = (found.mask, found.top, found.left) if area else (np.zeros((1, 1), np.uint8),
                                                                                 int(params.clicks[0].y),
                                                                                 int(params.clicks[0].x))
        else:
            mask, top, left = found.full(np.shape(image)[:2]), 0, 0
        result = pb.SegmentResult(top=top, left=left, area=area, runtime=model.runtime,
                                  model_version=model.version, model_source=model.source, passes=found.passes)
        yield from write_stream(pb.SegmentResponse, "result", result, {"mask": mask}, params.response_compression)

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
        from labelassist.models.training import TrainingConfig

        if bool(request.dataset_path) == bool(request.project):
            raise ValueError("set exactly one of 'dataset_path' and 'project'")
        if request.model not in ("", *TRAINABLE):
            raise ValueError(f"no model {request.model!r} to train; choose one of {', '.join(TRAINABLE)}")
        require_institute_admin("train the U-Net", "the model is served to every project")
        if request.project:
            require("read_labels", request.project)
        if request.project:
            with self.selector.client() as selector:
                source = (f"project {request.project}", project_pairs(selector, request.project))
        else:
            source = confine(request.dataset_path, self.dataset_roots)
            if not source.is_dir():
                raise NotFoundError(f"no dataset folder {request.dataset_path!r}")
        if request.model == "clicknet":
            from labelassist.models.click_training import ClickTrainingConfig

            given = {"batch_size": request.batch_size, "depth": request.depth, "width": request.width,
                     "seed": request.seed}
            steps = (request.epochs or 10) * (request.steps_per_epoch or 30)
            click_config = ClickTrainingConfig(steps=steps, **{k: int(v) for k, v in given.items() if v})
            job = self.jobs.start(lambda job: train_click_and_publish(source, click_config, self.model_repository,
                                                                      self.triton_url, job),
                                  project=request.project)
            return pb.TrainResponse(job_id=job.id)
        given = {"epochs": request.epochs, "steps_per_epoch": request.steps_per_epoch,
                 "batch_size": request.batch_size, "tile": request.tile, "depth": request.depth,
                 "width": request.width, "seed": request.seed}
        config = TrainingConfig(**{k: int(v) for k, v in given.items() if v})
        record = self._training_recorder(request.project, caller_token()) if request.project else None
        job = self.jobs.start(lambda job: train_and_publish(source, config, self.model_repository,
                                                            self.triton_url, job, record), project=request.project)
        return pb.TrainResponse(job_id=job.id)

    def _training_recorder(self, project: str, token: str | None):
        """Tells the selector of a U-Net trained on ``project``'s labels, with
        the token of whoever started the job (the job outlives their call)."""
        def record(version: int, labels: int, dice: float) -> None:
            with self.selector.client(token) as selector:
                selector.record_training(project, "unet", version, labels, dice)
        return record

    def TrainStatus(self, request, context):
        job = self.jobs.get(request.job_id)
        require("progress", job.project or ALL_PROJECTS)
        for event in job.follow(context.is_active):
            yield pb.TrainStatusResponse(job_id=job.id, state=TRAIN_STATE[event.state], epoch=event.epoch,
                                   epochs=event.epochs, loss=event.loss, validation_dice=event.validation_dice,
                                   model_version=event.model_version, message=event.message)


DEFINITION = runtime_server.ServiceDefinition.of(
    "assist", pb.DESCRIPTOR.services_by_name["AssistService"], AssistServicer,
    assist_pb2_grpc.add_AssistServiceServicer_to_server, add_arguments=add_arguments,
)
main = DEFINITION.main
