"""``LabelAssistClient``: the three services with numpy in and out.

It streams arrays in chunks, applies deadlines, retries with backoff while a
service is UNAVAILABLE (restarting, not yet up), and carries the bearer token
and TLS settings. The CLI and the desktop app use it; so can any tool.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import numpy as np
from grpc_health.v1 import health_pb2, health_pb2_grpc

from labelassist.client.errors import InvalidArgumentError, LabelAssistError, error_from_rpc
from labelassist.client.results import Inspection, PrelabelOutcome
from labelassist.proto.v1 import (
    assist_pb2,
    assist_pb2_grpc,
    common_pb2,
    inspect_pb2,
    inspect_pb2_grpc,
    selector_pb2,
    selector_pb2_grpc,
)
from labelassist.proto.wire.channel import call_with_retries, open_channel
from labelassist.proto.wire.memory import tune_allocator
from labelassist.proto.wire.addresses import DEFAULT_HOST, DEFAULT_PORTS, env, stack_file
from labelassist.proto.wire.values import call_to_proto
from labelassist.proto.wire.paging import all_pages
from labelassist.proto.wire.streaming import Envelope, read_stream, write_stream

# A step is "name", ("name", {params}) or a NamedCall.
ADD_MESSAGE_BYTES = 1 << 20
StepLike = str | tuple[str, Mapping[str, Any]] | common_pb2.NamedCall
COMPRESSION = {"none": common_pb2.COMPRESSION_NONE, "zlib": common_pb2.COMPRESSION_ZLIB,
               "zstd": common_pb2.COMPRESSION_ZSTD}


DEFAULT_SOURCE = "default port"


@dataclass(frozen=True)
class ServiceAddresses:
    """Where each service is, and where each address came from (a flag, the
    environment, the running stack's record, or the default ports)."""

    selector: str = f"{DEFAULT_HOST}:{DEFAULT_PORTS['selector']}"
    assist: str = f"{DEFAULT_HOST}:{DEFAULT_PORTS['assist']}"
    inspect: str = f"{DEFAULT_HOST}:{DEFAULT_PORTS['inspect']}"
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def discover(cls, data_dir: Path | None = None) -> ServiceAddresses:
        """Environment (LABELASSIST_<SERVICE>_ADDRESS) over the running stack's
        file over the default ports."""
        found, sources = {}, {name: DEFAULT_SOURCE for name in DEFAULT_PORTS}
        path = stack_file(data_dir)
        if path.exists():
            for name, entry in json.loads(path.read_text())["services"].items():
                if name in DEFAULT_PORTS:
                    found[name], sources[name] = entry["address"], f"the running stack ({path})"
        for name in DEFAULT_PORTS:
            if env(f"{name.upper()}_ADDRESS"):
                found[name] = env(f"{name.upper()}_ADDRESS")
                sources[name] = f"environment LABELASSIST_{name.upper()}_ADDRESS"
        return cls(**found, sources=sources)

    def source(self, name: str) -> str:
        """Where the address of service ``name`` came from."""
        return self.sources.get(name, "given")

    def as_dict(self) -> dict[str, str]:
        return {"selector": self.selector, "assist": self.assist, "inspect": self.inspect}


def inspection_settings(criteria: Iterable[StepLike] = (), disabled: Iterable[str] = ()
                        ) -> selector_pb2.InspectionSettings:
    return selector_pb2.InspectionSettings(criteria=[as_call(c) for c in criteria], disabled=list(disabled))


def as_call(step: StepLike) -> common_pb2.NamedCall:
    if isinstance(step, common_pb2.NamedCall):
        return step
    if isinstance(step, str):
        return call_to_proto(step)
    name, parameters = step
    return call_to_proto(name, parameters)


class LabelAssistClient:
    """One client for all three services.

    ``timeout`` is each call's deadline in seconds; ``retries`` how often a
    call is retried while the service is UNAVAILABLE, with exponential
    backoff from ``backoff`` seconds (jittered). A failed call raises a
    :class:`~labelassist.client.errors.LabelAssistError` of the status's
    family (``ServiceUnavailableError``, a ``ConnectionError``, when no
    service answers after the retries), naming the service and its address.
    """

    def __init__(
        self,
        addresses: ServiceAddresses | None = None,
        token: str | None = None,
        tls_root: str | Path | None = None,
        timeout: float = 120.0,
        retries: int = 5,
        backoff: float = 0.2,
        compression: str = "none",
    ):
        tune_allocator()
        self.addresses = addresses or ServiceAddresses.discover()
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.compression = COMPRESSION[compression]
        token = token if token is not None else env("TOKEN")
        tls_root = tls_root if tls_root is not None else env("TLS_ROOT")
        self._tls, self._token = tls_root is not None, bool(token)
        self._channels = {name: open_channel(address, token=token, tls_root=tls_root)
                          for name, address in self.addresses.as_dict().items()}
        self.assist = assist_pb2_grpc.AssistServiceStub(self._channels["assist"])
        self.inspector = inspect_pb2_grpc.InspectServiceStub(self._channels["inspect"])
        self.selector = selector_pb2_grpc.SelectorServiceStub(self._channels["selector"])
        # Each stub method -> its service, so an error can name where it came from.
        self._service_of = {id(method): name for name, stub in (("assist", self.assist),
                                                                 ("inspect", self.inspector),
                                                                 ("selector", self.selector))
                            for method in vars(stub).values()}

    def __repr__(self) -> str:
        where = ", ".join(f"{name}={address} ({self.addresses.source(name)})"
                          for name, address in self.addresses.as_dict().items())
        return (f"LabelAssistClient({where}, tls={'on' if self._tls else 'off'}, "
                f"token={'set' if self._token else 'none'})")

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()

    def __enter__(self) -> LabelAssistClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- plumbing -----------------------------------------------------------

    def _error(self, error: grpc.RpcError, method, attempts: int = 1) -> LabelAssistError:
        """The SDK's exception for ``error``, naming the service, its address and where that came from."""
        service = self._service_of.get(id(method), "")
        address = self.addresses.as_dict().get(service, "")
        hint = ""
        if error.code() == grpc.StatusCode.UNAVAILABLE and service:
            hint = (f" [{service} at {address}, from {self.addresses.source(service)}; {attempts} tries. Start the "
                    f"services with `labelassist up`, or give their addresses (LABELASSIST_{service.upper()}_ADDRESS "
                    "or ServiceAddresses)]")
        return error_from_rpc(error, service, address, hint)

    def _with_retries(self, call: Callable[[], Any], method=None) -> Any:
        return call_with_retries(call, self.retries, self.backoff,
                                 lambda error, attempts: self._error(error, method, attempts))

    def _upload(self, method, request_type, params, arrays: Mapping[str, np.ndarray | None]):
        """A retried call that streams params and arrays up (None arrays are
        left out); the request stream is rebuilt for each attempt."""
        return self._with_retries(lambda: method(
            write_stream(request_type, "params", params, arrays, self.compression), timeout=self.timeout), method)

    def _stream(self, method, request_type, params, arrays: Mapping[str, np.ndarray | None],
                result_type) -> Envelope:
        """Arrays up and arrays down: the response stream read into an Envelope."""
        return self._with_retries(lambda: read_stream(method(
            write_stream(request_type, "params", params, arrays, self.compression), timeout=self.timeout),
            "result", result_type), method)

    def _unary(self, method, request):
        return self._with_retries(lambda: method(request, timeout=self.timeout), method)

    def _follow(self, method, responses: Iterator) -> Iterator:
        """A response stream whose errors are the SDK's exceptions."""
        try:
            yield from responses
        except grpc.RpcError as error:
            raise self._error(error, method) from None

    # -- assist -------------------------------------------------------------

    def list_operations(self, family: str = "") -> list[common_pb2.NamedSpec]:
        return list(self._unary(self.assist.ListOperations,
                                assist_pb2.ListOperationsRequest(family=family)).operations)

    def preprocess(self, image: np.ndarray | None, pipeline: Sequence[StepLike] = (),
                   sample_id: int = 0) -> tuple[np.ndarray, list[str]]:
        params = assist_pb2.PreprocessParams(pipeline=[as_call(s) for s in pipeline],
                                             response_compression=self.compression, sample_id=sample_id)
        out = self._stream(self.assist.Preprocess, assist_pb2.PreprocessRequest, params, {"image": image},
                           assist_pb2.PreprocessResult)
        return out.require("image"), list(out.message.applied)

    def prelabel(self, image: np.ndarray | None, method: StepLike | None = None,
                 preprocess: Sequence[StepLike] = (), postprocess: Sequence[StepLike] = (),
                 sample_id: int = 0) -> PrelabelOutcome:
        """``method=None`` runs the server's default pipeline. ``image=None``
        with ``sample_id`` pre-labels the selector's sample without uploading it."""
        params = assist_pb2.PrelabelParams(
            preprocess=[as_call(s) for s in preprocess], postprocess=[as_call(s) for s in postprocess],
            response_compression=self.compression, sample_id=sample_id)
        if method is not None:
            params.method.CopyFrom(as_call(method))
        out = self._stream(self.assist.Prelabel, assist_pb2.PrelabelRequest, params, {"image": image},
                           assist_pb2.PrelabelResult)
        return PrelabelOutcome(out.require("mask"), out.message.method, out.message.object_count,
                               list(out.message.applied))

    def prelabel_probability(self, image: np.ndarray, method: StepLike = "unet",
                             preprocess: Sequence[StepLike] = ()) -> np.ndarray:
        """The foreground probability map of a model-based pre-label method."""
        params = assist_pb2.PrelabelParams(method=as_call(method), preprocess=[as_call(s) for s in preprocess],
                                           return_probability=True, response_compression=self.compression)
        out = self._stream(self.assist.Prelabel, assist_pb2.PrelabelRequest, params, {"image": image},
                           assist_pb2.PrelabelResult)
        return out.require("probability")

    def train(self, dataset_path: str | Path = "", project: str = "", **config: int) -> str:
        """Start training on a dataset folder on the server, or on a selector
        project's latest labels; returns the job id."""
        return self._unary(self.assist.Train, assist_pb2.TrainRequest(
            dataset_path=str(dataset_path) if dataset_path else "", project=project, **config)).job_id

    def train_status(self, job_id: str) -> Iterator[assist_pb2.TrainStatusResponse]:
        """Progress events of a training job, from its start until it ends."""
        yield from self._follow(self.assist.TrainStatus, self.assist.TrainStatus(
            assist_pb2.TrainStatusRequest(job_id=job_id), timeout=None))

    def refine(self, image: np.ndarray | None, scribbles: np.ndarray, mask: np.ndarray | None = None,
               method: StepLike = "random_walker", sample_id: int = 0) -> np.ndarray:
        params = assist_pb2.RefineParams(method=as_call(method), response_compression=self.compression,
                                         sample_id=sample_id)
        out = self._stream(self.assist.Refine, assist_pb2.RefineRequest, params,
                           {"image": image, "scribbles": scribbles, "mask": mask}, assist_pb2.RefineResult)
        return out.require("mask")

    def postprocess(self, mask: np.ndarray, pipeline: Sequence[StepLike],
                    image: np.ndarray | None = None) -> tuple[np.ndarray, list[str]]:
        params = assist_pb2.PostprocessParams(pipeline=[as_call(s) for s in pipeline],
                                              response_compression=self.compression)
        out = self._stream(self.assist.Postprocess, assist_pb2.PostprocessRequest, params,
                           {"mask": mask, "image": image}, assist_pb2.PostprocessResult)
        return out.require("mask"), list(out.message.applied)

    # -- inspect ------------------------------------------------------------

    def list_criteria(self) -> list[common_pb2.NamedSpec]:
        return list(self._unary(self.inspector.ListCriteria, inspect_pb2.ListCriteriaRequest()).criteria)

    def inspect(self, mask: np.ndarray, image: np.ndarray | None = None, prelabel: np.ndarray | None = None,
                criteria: Iterable[StepLike] = (), only_listed: bool = False,
                project: str = "") -> Inspection:
        """Inspect one label; ``project`` applies that project's inspection
        settings first (``criteria`` override them)."""
        params = inspect_pb2.InspectParams(criteria=[as_call(c) for c in criteria], only_listed=only_listed,
                                           project=project)

        return Inspection.from_proto(self._upload(self.inspector.Inspect, inspect_pb2.InspectRequest, params,
                                                  {"mask": mask, "image": image, "prelabel": prelabel}))

    def inspect_batch(self, samples: Iterable[tuple[str, np.ndarray, np.ndarray | None, np.ndarray | None]],
                      criteria: Iterable[StepLike] = (), only_listed: bool = False, project: str = "",
                      on_error: str = "raise",
                      ) -> Iterator[tuple[str, Inspection | InvalidArgumentError]]:
        """Inspect many labels in one call.

        Parameters
        ----------
        samples : iterable of (name, mask, image, prelabel)
            Read lazily, so a folder streams through with one sample in
            memory; image and prelabel may be None.
        criteria, only_listed, project
            As for :meth:`inspect`, for every sample.
        on_error : {"raise", "report"}
            A sample the service cannot inspect raises
            :class:`~labelassist.client.errors.InvalidArgumentError` naming it,
            or (``"report"``) comes back as that error in place of its report
            while the batch goes on.

        Yields
        ------
        (name, report or error)
            As each sample is done. Not retried: the samples cannot be replayed.
        """
        if on_error not in ("raise", "report"):
            raise ValueError(f"on_error must be 'raise' or 'report', got {on_error!r}")
        inspect = inspect_pb2.InspectParams(criteria=[as_call(c) for c in criteria], only_listed=only_listed,
                                            project=project)

        def parts():
            for name, mask, image, prelabel in samples:
                params = inspect_pb2.InspectSampleParams(sample=name, inspect=inspect)
                yield from write_stream(inspect_pb2.InspectBatchRequest, "params", params,
                                        {"mask": mask, "image": image, "prelabel": prelabel}, self.compression)

        responses = self.inspector.InspectBatch(parts(), timeout=self.timeout)
        for response in self._follow(self.inspector.InspectBatch, responses):
            if not response.error:
                yield response.sample, Inspection.from_proto(response.report)
                continue
            error = InvalidArgumentError(grpc.StatusCode.INVALID_ARGUMENT, f"sample {response.sample!r}: "
                                         f"{response.error}", "inspect", self.addresses.inspect)
            if on_error == "raise":
                raise error
            yield response.sample, error

    # -- selector -----------------------------------------------------------

    def list_strategies(self) -> list[common_pb2.NamedSpec]:
        return list(self._unary(self.selector.ListStrategies, selector_pb2.ListStrategiesRequest()).strategies)

    def create_project(self, name: str, lease_seconds: float = 0.0, strategy: str = "",
                       criteria: Iterable[StepLike] = (), disabled: Iterable[str] = ()) -> selector_pb2.Project:
        """A new project; ``criteria`` and ``disabled`` are its inspection settings."""
        return self._unary(self.selector.CreateProject, selector_pb2.CreateProjectRequest(
            name=name, lease_seconds=lease_seconds, strategy=strategy,
            inspection=inspection_settings(criteria, disabled))).project

    def list_projects(self) -> list[selector_pb2.Project]:
        return list(self._unary(self.selector.ListProjects, selector_pb2.ListProjectsRequest()).projects)

    def get_project(self, project: str) -> selector_pb2.Project:
        return self._unary(self.selector.GetProject, selector_pb2.GetProjectRequest(project=project)).project

    def set_inspection(self, project: str, criteria: Iterable[StepLike] = (),
                       disabled: Iterable[str] = ()) -> selector_pb2.Project:
        """Replace the project's inspection settings: criterion parameters
        and criteria that do not apply (admins)."""
        return self._unary(self.selector.SetInspection, selector_pb2.SetInspectionRequest(
            project=project, inspection=inspection_settings(criteria, disabled))).project

    def register_dataset(self, project: str, path: str | Path) -> selector_pb2.RegisterDatasetResponse:
        """Register a dataset folder that lies on the server, inside its dataset roots."""
        return self._unary(self.selector.RegisterDataset,
                           selector_pb2.RegisterDatasetRequest(project=project, path=str(path)))

    def add_sample(self, project: str, stem: str, image: np.ndarray, sequence: str = "",
                   label: np.ndarray | None = None, prelabel: np.ndarray | None = None) -> int:
        params = selector_pb2.AddSampleParams(project=project, stem=stem, sequence=sequence)

        return self._upload(self.selector.AddSample, selector_pb2.AddSampleRequest, params,
                            {"image": image, "label": label, "prelabel": prelabel}).sample_id

    def add_samples(self, project: str, samples: Iterable[Mapping[str, Any]]
                    ) -> selector_pb2.AddSamplesResponse:
        """Add many samples in one streamed call: each item has "stem" and
        "image", optionally "sequence", "label" and "prelabel". The selector
        writes them in batches; ``.rejected`` names each sample it could not
        add, and why, while the rest are added. Not retried (the iterable
        is consumed once); adding again is safe, existing stems are kept."""
        def messages():
            message, size = selector_pb2.AddSamplesRequest(), 0
            for sample in samples:
                params = selector_pb2.AddSampleParams(project=project, stem=sample["stem"],
                                                      sequence=sample.get("sequence", ""))
                for part in write_stream(selector_pb2.AddSampleRequest, "params", params,
                                         {name: sample.get(name) for name in ("image", "label", "prelabel")},
                                         self.compression):
                    message.parts.append(part)
                    size += part.ByteSize()
                if size >= ADD_MESSAGE_BYTES:  # small samples share a message
                    yield message
                    message, size = selector_pb2.AddSamplesRequest(), 0
            if message.parts:
                yield message

        try:
            return self.selector.AddSamples(messages(), timeout=max(self.timeout or 0, 3600))
        except grpc.RpcError as error:
            raise self._error(error, self.selector.AddSamples) from None

    def next_sample(self, project: str, annotator: str,
                    strategy: StepLike | None = None) -> selector_pb2.NextSampleResponse:
        """Lease the next sample; ``.exhausted`` is set when none is left."""
        request = selector_pb2.NextSampleRequest(project=project, annotator=annotator)
        if strategy is not None:
            request.strategy.CopyFrom(as_call(strategy))
        return self._unary(self.selector.NextSample, request)

    def next_samples(self, project: str, annotator: str, count: int,
                     strategy: StepLike | None = None) -> selector_pb2.NextSamplesResponse:
        """Lease up to ``count`` samples at once, best first (samples the
        annotator already holds come first); ``.leased`` is empty when the
        pool is done."""
        request = selector_pb2.NextSamplesRequest(project=project, annotator=annotator, count=count)
        if strategy is not None:
            request.strategy.CopyFrom(as_call(strategy))
        return self._unary(self.selector.NextSamples, request)

    def release_sample(self, sample_id: int, annotator: str, skip: bool = False, reason: str = "") -> bool:
        """Give a leased sample back; with ``skip`` (and why), the annotator
        is offered it again only when the rest of the pool is done. Whether
        they held the lease."""
        return self._unary(self.selector.ReleaseSample, selector_pb2.ReleaseSampleRequest(
            sample_id=sample_id, annotator=annotator, skip=skip, reason=reason)).released

    def get_sample(self, sample_id: int, with_image: bool = True) -> Envelope:
        """``.message`` is the SampleInfo; ``.arrays`` hold "image" and "label" or "prelabel"."""
        request = selector_pb2.GetSampleRequest(sample_id=sample_id, without_image=not with_image,
                                                response_compression=self.compression)
        return self._with_retries(lambda: read_stream(self.selector.GetSample(request, timeout=self.timeout),
                                                      "info", selector_pb2.SampleInfo), self.selector.GetSample)

    def submit_label(self, sample_id: int, annotator: str, mask: np.ndarray,
                     origin: str = "manual") -> selector_pb2.LabelVersion:
        params = selector_pb2.SubmitLabelParams(
            sample_id=sample_id, annotator=annotator,
            origin=selector_pb2.LabelOrigin.Value(f"LABEL_ORIGIN_{origin.upper()}"))

        return self._upload(self.selector.SubmitLabel, selector_pb2.SubmitLabelRequest, params, {"mask": mask}).label

    def label_history(self, sample_id: int) -> list[selector_pb2.LabelVersion]:
        return list(self._unary(self.selector.LabelHistory,
                                selector_pb2.LabelHistoryRequest(sample_id=sample_id)).versions)

    def list_samples(self, project: str, labeled_only: bool = False, page_size: int = 0
                     ) -> list[selector_pb2.SampleInfo]:
        """Every sample of the project in pool order (read page by page)."""
        return list(self.iter_samples(project, labeled_only, page_size))

    def iter_samples(self, project: str, labeled_only: bool = False, page_size: int = 0
                     ) -> Iterator[selector_pb2.SampleInfo]:
        """The project's samples in pool order, one page (``page_size``,
        0 = the server's default) fetched at a time."""
        request = selector_pb2.ListSamplesRequest(project=project, labeled_only=labeled_only, page_size=page_size)
        return all_pages(lambda r: self._unary(self.selector.ListSamples, r), request, "samples")

    def progress(self, project: str) -> selector_pb2.ProgressResponse:
        return self._unary(self.selector.Progress, selector_pb2.ProgressRequest(project=project))

    def export_labels(self, project: str, path: str | Path, format: str = "tif") -> int:
        return self._unary(self.selector.ExportLabels, selector_pb2.ExportLabelsRequest(
            project=project, path=str(path), format=format)).written

    # -- health -------------------------------------------------------------

    def health(self, timeout: float = 2.0) -> dict[str, str]:
        """Each service's health status name, or the error that stopped the check."""
        report = {}
        for name, channel in self._channels.items():
            try:
                response = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=""), timeout=timeout)
                report[name] = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
            except grpc.RpcError as error:
                report[name] = error.code().name
        return report

