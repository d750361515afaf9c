"""``LabelAssistClient``: the three services with numpy in and out.

It streams arrays in chunks, applies deadlines, retries with backoff while a
service is UNAVAILABLE (restarting, not yet up), and carries the bearer token
and TLS settings. The CLI and the desktop app use it; so can any tool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import grpc
import numpy as np
from grpc_health.v1 import health_pb2, health_pb2_grpc

from labelassist.client.addresses import ServiceAddresses
from labelassist.client.inputs import checked_arrays, choice
from labelassist.client.errors import InvalidArgumentError, LabelAssistError, error_from_rpc
from labelassist.client.results import Calibration, Inspection, LabelErrorRanking, PrelabelOutcome
from labelassist.client.agreement_calls import AgreementCalls
from labelassist.client.model_calls import ModelCalls
from labelassist.client.selector_calls import SelectorCalls
from labelassist.client.transfer_calls import TransferCalls
from labelassist.client.steps import StepLike, as_call, as_calls
from labelassist.proto.v1 import (
    assist_pb2,
    assist_pb2_grpc,
    common_pb2,
    inspect_pb2,
    inspect_pb2_grpc,
    selector_pb2_grpc,
)
from labelassist.proto.wire.channel import call_with_retries, open_channel
from labelassist.proto.wire.memory import tune_allocator
from labelassist.proto.wire.addresses import env
from labelassist.proto.wire.streaming import Envelope, read_stream, write_stream

COMPRESSION = {"none": common_pb2.COMPRESSION_NONE, "zlib": common_pb2.COMPRESSION_ZLIB,
               "zstd": common_pb2.COMPRESSION_ZSTD}


class LabelAssistClient(ModelCalls, SelectorCalls, AgreementCalls, TransferCalls):
    """One client for all three services.

    ``timeout`` is each call's deadline in seconds; ``retries`` how often a
    call is retried while the service is UNAVAILABLE, with exponential
    backoff from ``backoff`` seconds (jittered); a service that answered
    this client before is waited for across its restart, for up to
    ``timeout`` seconds (``retries=0``: never retried). A failed call raises a
    :class:`~labelassist.client.errors.LabelAssistError` of the status's
    family (``ServiceUnavailableError``, a ``ConnectionError``, when no
    service answers after the retries), naming the service and its address.

    ``addresses`` is where the services are: a :class:`ServiceAddresses`;
    a ``"host:port"`` string, the selector's address (assist and inspect
    are the running stack's that records this selector, else on the next
    two ports, as ``labelassist up --base-port`` lays them out); a dict
    with any of "selector", "assist", "inspect" (the others found as
    below); or None: found as ``labelassist status`` finds them (see
    :mod:`labelassist.client.addresses`). Anything else is a ``TypeError``
    saying what is accepted.
    """

    def __init__(
        self,
        addresses: ServiceAddresses | str | Mapping[str, str] | None = None,
        token: str | None = None,
        tls_root: str | Path | None = None,
        timeout: float = 120.0,
        retries: int = 5,
        backoff: float = 0.2,
        compression: str = "none",
    ):
        tune_allocator()
        self.addresses = ServiceAddresses.coerce(addresses)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.compression = choice(compression, COMPRESSION, "compression")
        token = token if token is not None else env("TOKEN")
        tls_root = tls_root if tls_root is not None else env("TLS_ROOT")
        self._tls, self._token = tls_root is not None, bool(token)
        self._channels = {name: open_channel(address, token=token, tls_root=tls_root)
                          for name, address in self.addresses.as_dict().items()}
        self.assist = assist_pb2_grpc.AssistServiceStub(self._channels["assist"])
        self.inspector = inspect_pb2_grpc.InspectServiceStub(self._channels["inspect"])
        self.selector = selector_pb2_grpc.SelectorServiceStub(self._channels["selector"])
        self._answered: set[str] = set()  # services that answered: an UNAVAILABLE one is restarting
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
        """``call()`` retried while its service is UNAVAILABLE: ``retries``
        times, and, for a service that answered this client before (so is
        restarting, not absent), until the call's deadline."""
        service = self._service_of.get(id(method), "")
        patience = (self.timeout or 0.0) if self.retries and service in self._answered else 0.0
        result = call_with_retries(call, self.retries, self.backoff,
                                   lambda error, attempts: self._error(error, method, attempts), patience)
        self._answered.add(service)
        return result

    def _upload(self, method, request_type, params, arrays: Mapping[str, np.ndarray | None]):
        """A retried call that streams params and arrays up (None arrays are
        left out); the request stream is rebuilt for each attempt."""
        arrays = checked_arrays(arrays)
        return self._with_retries(lambda: method(
            write_stream(request_type, "params", params, arrays, self.compression), timeout=self.timeout), method)

    def _stream(self, method, request_type, params, arrays: Mapping[str, np.ndarray | None],
                result_type) -> Envelope:
        """Arrays up and arrays down: the response stream read into an Envelope."""
        arrays = checked_arrays(arrays)
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

    def list_prelabel_sources(self) -> list[assist_pb2.PrelabelSource]:
        """The pre-label sources assist can run now, each version told apart.

        Returns
        -------
        list of PrelabelSource
            ``.key`` ("classical", "unet@3", "bioimageio:nuclei@1"), ``.method``
            (the pre-label method that runs it; empty for the classical
            default pipeline) and ``.description`` in words. The selector
            measures each on a project's submitted labels; ``get_project``
            and ``progress`` show the record and the best.
        """
        return list(self._unary(self.assist.ListPrelabelSources,
                                assist_pb2.ListPrelabelSourcesRequest()).sources)

    def preprocess(self, image: np.ndarray | None, pipeline: Sequence[StepLike] = (),
                   sample_id: int = 0) -> tuple[np.ndarray, list[str]]:
        """Run pre-processing steps on an image, for display or before a pre-label.

        Parameters
        ----------
        image : ndarray or None
            A 2D image or (H, W, C); None with ``sample_id`` uses the selector's
            sample without uploading it.
        pipeline : sequence of step
            "name", ("name", {parameters}) or NamedCall, from
            ``list_operations("preprocess")``.
        sample_id : int
            A selector sample to read the image from.

        Returns
        -------
        image : ndarray
            The processed image.
        applied : list of str
            The steps that ran.

        Raises
        ------
        InvalidArgumentError
            A bad image, unknown step or parameter out of range, named.
        """
        params = assist_pb2.PreprocessParams(pipeline=as_calls(pipeline),
                                             response_compression=self.compression, sample_id=sample_id)
        out = self._stream(self.assist.Preprocess, assist_pb2.PreprocessRequest, params, {"image": image},
                           assist_pb2.PreprocessResult)
        return out.require("image"), list(out.message.applied)

    def prelabel(self, image: np.ndarray | None, method: StepLike | None = None,
                 preprocess: Sequence[StepLike] = (), postprocess: Sequence[StepLike] = (),
                 sample_id: int = 0, project: str = "",
                 reference: tuple[np.ndarray, np.ndarray] | None = None,
                 binary: bool = False) -> PrelabelOutcome:
        """Pre-label an image: pre-process, threshold or U-Net, post-process.

        Parameters
        ----------
        image : ndarray or None
            A 2D image or (H, W, C); None with ``sample_id`` pre-labels the
            selector's sample without uploading it.
        method : step, optional
            A "prelabel" operation; None runs the server's default pipeline.
        preprocess, postprocess : sequence of step
            Steps before and after the method.
        sample_id : int
            A selector sample to read the image from.
        project : str
            Without ``method``: run this project's assist settings (a
            sample's own project's are used with ``sample_id``).
        reference : (label, image), optional
            For the propagate method: the labelled neighbour plane; without
            it, the nearest labelled plane of the sample's stack.
        binary : bool
            A 0/1 foreground mask instead of one id per object.

        Returns
        -------
        PrelabelOutcome
            The mask (one id per object, 1..n; 0/1 with ``binary``), method,
            object count and steps applied.

        Raises
        ------
        InvalidArgumentError
            A bad image, step or parameter, named.
        FailedPreconditionError
            The unet method before a model is published.
        ServiceUnavailableError
            Triton unreachable (classical methods still work).
        """
        params = assist_pb2.PrelabelParams(
            preprocess=as_calls(preprocess), postprocess=as_calls(postprocess),
            response_compression=self.compression, sample_id=sample_id, project=project, binary=binary)
        if method is not None:
            params.method.CopyFrom(as_call(method))
        arrays = {"image": image}
        if reference is not None:
            arrays["reference_label"], arrays["reference_image"] = reference
        out = self._stream(self.assist.Prelabel, assist_pb2.PrelabelRequest, params, arrays,
                           assist_pb2.PrelabelResult)
        return PrelabelOutcome(out.require("mask"), out.message.method, out.message.object_count,
                               list(out.message.applied))

    def prelabel_probability(self, image: np.ndarray, method: StepLike = "unet",
                             preprocess: Sequence[StepLike] = ()) -> np.ndarray:
        """The foreground probability map of a model-based pre-label method."""
        params = assist_pb2.PrelabelParams(method=as_call(method), preprocess=as_calls(preprocess),
                                           return_probability=True, response_compression=self.compression)
        out = self._stream(self.assist.Prelabel, assist_pb2.PrelabelRequest, params, {"image": image},
                           assist_pb2.PrelabelResult)
        return out.require("probability")

    def refine(self, image: np.ndarray | None, scribbles: np.ndarray, mask: np.ndarray | None = None,
               method: StepLike = "random_walker", sample_id: int = 0) -> np.ndarray:
        """Correct a mask from scribbles: 1 marks foreground, 2 background.

        Parameters
        ----------
        image : ndarray or None
            The image; None with ``sample_id`` reads the selector's sample.
        scribbles : ndarray
            (H, W) uint8 of 0, 1 and 2.
        mask : ndarray, optional
            The current mask; objects outside the scribbles' window are kept.
        method : step
            A "refine" operation: random_walker, watershed or flood_fill.
        sample_id : int
            A selector sample to read the image from.

        Returns
        -------
        ndarray
            The corrected mask.
        """
        params = assist_pb2.RefineParams(method=as_call(method), response_compression=self.compression,
                                         sample_id=sample_id)
        out = self._stream(self.assist.Refine, assist_pb2.RefineRequest, params,
                           {"image": image, "scribbles": scribbles, "mask": mask}, assist_pb2.RefineResult)
        return out.require("mask")

    def postprocess(self, mask: np.ndarray, pipeline: Sequence[StepLike],
                    image: np.ndarray | None = None) -> tuple[np.ndarray, list[str]]:
        """Run post-processing steps on a mask.

        Parameters
        ----------
        mask : ndarray
            (H, W) label image.
        pipeline : sequence of step
            "postprocess" operations, run in order.
        image : ndarray, optional
            For steps that read intensities.

        Returns
        -------
        mask : ndarray
            The processed mask.
        applied : list of str
            The steps that ran.
        """
        params = assist_pb2.PostprocessParams(pipeline=as_calls(pipeline),
                                              response_compression=self.compression)
        out = self._stream(self.assist.Postprocess, assist_pb2.PostprocessRequest, params,
                           {"mask": mask, "image": image}, assist_pb2.PostprocessResult)
        return out.require("mask"), list(out.message.applied)

    # -- inspect ------------------------------------------------------------

    def list_criteria(self) -> list[common_pb2.NamedSpec]:
        return list(self._unary(self.inspector.ListCriteria, inspect_pb2.ListCriteriaRequest()).criteria)

    def calibration(self, project: str) -> Calibration:
        """The criterion bounds the project's accepted labels set (see
        :class:`~labelassist.client.results.Calibration`)."""
        return Calibration.from_proto(self._unary(self.inspector.GetCalibration,
                                                  inspect_pb2.GetCalibrationRequest(project=project)).calibration)

    def rank_label_errors(self, project: str, max_samples: int = 0, limit: int = 0, include_accepted: bool = False,
                          progress: Callable[[int, int], None] | None = None) -> LabelErrorRanking:
        """Rank a project's stored labels by how likely each is wrong.

        Parameters
        ----------
        project : str
        max_samples : int
            Score the newest this many labelled samples (0: the service's
            default, 500).
        limit : int
            Return this many suspects (0: 100).
        include_accepted : bool
            Also score labels a reviewer accepted.
        progress : callable, optional
            Called with (scored, total) while the service scores.

        Returns
        -------
        LabelErrorRanking
            Suspects and labels, most likely errors first.
        """
        request = inspect_pb2.RankLabelErrorsRequest(project=project, max_samples=max_samples, limit=limit,
                                                     include_accepted=include_accepted)
        method = self.inspector.RankLabelErrors
        for response in self._follow(method, method(request, timeout=self.timeout)):
            if response.HasField("ranking"):
                return LabelErrorRanking.from_proto(response.ranking)
            if progress is not None:
                progress(response.progress.scored, response.progress.total)
        raise LabelAssistError(grpc.StatusCode.UNAVAILABLE, "inspect ended the ranking without a result; try again")

    def inspect(self, mask: np.ndarray, image: np.ndarray | None = None, prelabel: np.ndarray | None = None,
                criteria: Iterable[StepLike] = (), only_listed: bool = False,
                project: str = "") -> Inspection:
        """Inspect one label before it is stored.

        Parameters
        ----------
        mask : ndarray
            (H, W) label image.
        image, prelabel : ndarray, optional
            The image (intensity criteria) and a pre-label to check agreement
            with; without one the service pre-labels ``image`` itself.
        criteria : sequence of step
            Criterion parameters over the project's settings.
        only_listed : bool
            Run only ``criteria``.
        project : str
            Apply that project's inspection settings first.

        Returns
        -------
        Inspection
            Findings with severities and boxes, object measurements, the criteria
            that ran.

        Raises
        ------
        InvalidArgumentError
            Arrays of the wrong shape or type, an unknown criterion, named.
        NotFoundError
            ``project`` does not exist.
        """
        params = inspect_pb2.InspectParams(criteria=as_calls(criteria), only_listed=only_listed,
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
        inspect = inspect_pb2.InspectParams(criteria=as_calls(criteria), only_listed=only_listed,
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

