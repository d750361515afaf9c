"""``client.inspect``: the inspect service's calls (one label, a batch of
labels, a project's calibration and its stored labels ranked by how likely
each is wrong), through the SDK's transport."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

import grpc
import numpy as np

from labelassist.client.errors import InvalidArgumentError, LabelAssistError
from labelassist.client.results import Calibration, Inspection, LabelErrorRanking
from labelassist.client.steps import StepLike, as_calls
from labelassist.client.transport import Facade
from labelassist.proto.v1 import common_pb2, inspect_pb2


class Inspect(Facade):
    """The inspect service. Calling it is :meth:`inspect`, so
    ``client.inspect(mask, image)`` inspects one label."""

    service = "inspect"

    def __call__(self, *args, **kwargs) -> Inspection:
        return self.inspect(*args, **kwargs)

    def list_criteria(self) -> list[common_pb2.NamedSpec]:
        return list(self.transport.unary(self.stub.ListCriteria, inspect_pb2.ListCriteriaRequest()).criteria)

    def calibration(self, project: str) -> Calibration:
        """The criterion bounds the project's accepted labels set (see
        :class:`~labelassist.client.results.Calibration`)."""
        return Calibration.from_proto(self.transport.unary(self.stub.GetCalibration,
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
        method = self.stub.RankLabelErrors
        for response in self.transport.follow(method, method(request, timeout=self.transport.timeout)):
            if response.HasField("ranking"):
                return LabelErrorRanking.from_proto(response.ranking)
            if progress is not None:
                progress(response.progress.scored, response.progress.total)
        raise LabelAssistError(grpc.StatusCode.UNAVAILABLE, "inspect ended the ranking without a result; try again")

    def inspect(self, mask: np.ndarray, image: np.ndarray | None = None, prelabel: np.ndarray | None = None,
                criteria: Iterable[StepLike] = (), only_listed: bool = False,
                project: str = "", object_classes: Mapping[int, str] | None = None) -> Inspection:
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
        object_classes : mapping, optional
            The label's object classes (object id -> class): with a
            ``project``, each object is judged by its class's calibrated
            bounds where the class has them.

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
                                           project=project, object_classes=dict(object_classes or {}))

        return Inspection.from_proto(self.transport.upload(self.stub.Inspect, inspect_pb2.InspectRequest, params,
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
                yield from self.transport.parts(inspect_pb2.InspectBatchRequest, params,
                                                {"mask": mask, "image": image, "prelabel": prelabel})

        responses = self.stub.InspectBatch(parts(), timeout=self.transport.timeout)
        for response in self.transport.follow(self.stub.InspectBatch, responses):
            if not response.error:
                yield response.sample, Inspection.from_proto(response.report)
                continue
            error = InvalidArgumentError(grpc.StatusCode.INVALID_ARGUMENT, f"sample {response.sample!r}: "
                                         f"{response.error}", "inspect", self.transport.addresses.inspect)
            if on_error == "raise":
                raise error
            yield response.sample, error
