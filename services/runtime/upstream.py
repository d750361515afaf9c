"""Calls from one service to the selector on the caller's behalf: assist
fetches sample images, inspect reads a project's inspection settings.
Straight over the contract's stubs: the runtime uses no client code."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import grpc

from labelassist.proto.v1 import selector_pb2, selector_pb2_grpc
from labelassist.proto.wire.addresses import env
from labelassist.proto.wire.channel import call_with_retries, open_channel
from labelassist.proto.wire.paging import all_pages
from labelassist.proto.wire.streaming import Envelope, read_stream
from labelassist.runtime.auth import caller_token
from labelassist.runtime.errors import ConflictError, NotFoundError, PermissionDeniedError, UnavailableError
from labelassist.runtime.image_cache import DEFAULT_MIB, ImageCache

# The selector's answer, raised again as this service's own error: same code, "selector: " before the message.
UPSTREAM_ERRORS = {grpc.StatusCode.NOT_FOUND: NotFoundError, grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
                   grpc.StatusCode.UNAVAILABLE: UnavailableError, grpc.StatusCode.INVALID_ARGUMENT: ValueError,
                   grpc.StatusCode.UNAUTHENTICATED: PermissionDeniedError}
RETRIES, BACKOFF, TIMEOUT = 2, 0.2, 120.0


def add_selector_argument(parser: argparse.ArgumentParser, use: str) -> None:
    parser.add_argument("--selector-address", default=env("SELECTOR_ADDRESS"),
                        help=f"the selector: {use} (env LABELASSIST_SELECTOR_ADDRESS)")
    parser.add_argument("--image-cache-mib", type=int, default=int(env("IMAGE_CACHE_MIB") or DEFAULT_MIB),
                        help="MiB of sample images kept after fetching them from the selector, so repeated calls "
                             f"on one sample fetch its image once; 0 turns it off (default {DEFAULT_MIB}; env "
                             "LABELASSIST_IMAGE_CACHE_MIB)")


def image_cache(options: dict, service: str) -> ImageCache:
    """The service's cache of sample images, sized by ``--image-cache-mib``, its gauges on the metrics endpoint."""
    mib = options.get("image_cache_mib")
    cache = ImageCache((DEFAULT_MIB if mib is None else int(mib)) << 20)
    cache.add_gauges(options.get("metrics"), service)
    return cache


class SelectorCalls:
    """The few selector calls other services make, retried while UNAVAILABLE."""

    def __init__(self, channel: grpc.Channel, images: ImageCache | None = None):
        self.stub = selector_pb2_grpc.SelectorServiceStub(channel)
        self.images = images

    @staticmethod
    def _retried(call: Callable[[], Any]) -> Any:
        return call_with_retries(call, RETRIES, BACKOFF)

    def get_sample(self, sample_id: int, with_image: bool = True, with_label: bool = True,
                   cached: bool = True) -> Envelope:
        """``.arrays`` hold "image" (unless not ``with_image``) and "label" or
        "prelabel" (unless not ``with_label``). With an image cache, the image
        comes from it when the selector names an image this service holds;
        batch work that reads each image once passes ``cached=False``, so it
        neither pays the extra look-up nor pushes the annotators' images out."""
        if with_image and cached and self.images is not None:
            found = self.get_sample(sample_id, with_image=False, with_label=with_label)
            kept = self.images.get(found.message.image_digest)
            if kept is not None:
                found.arrays["image"] = kept
                return found
        request = selector_pb2.GetSampleRequest(sample_id=sample_id, without_image=not with_image,
                                                without_label=not with_label)
        found = self._retried(lambda: read_stream(self.stub.GetSample(request, timeout=TIMEOUT), "info",
                                                  selector_pb2.SampleInfo))
        if "image" in found.arrays and cached and self.images is not None:
            found.arrays["image"] = self.images.put(found.message.image_digest, found.arrays["image"])
        return found

    def get_project(self, project: str) -> selector_pb2.Project:
        request = selector_pb2.GetProjectRequest(project=project)
        return self._retried(lambda: self.stub.GetProject(request, timeout=TIMEOUT)).project

    def record_training(self, project: str, model: str, version: int, labels: int, validation_dice: float) -> None:
        request = selector_pb2.RecordTrainingRequest(project=project, model=model, version=version, labels=labels,
                                                     validation_dice=validation_dice)
        self._retried(lambda: self.stub.RecordTraining(request, timeout=TIMEOUT))

    def list_samples(self, project: str, labeled_only: bool = False) -> list[selector_pb2.SampleInfo]:
        request = selector_pb2.ListSamplesRequest(project=project, labeled_only=labeled_only)
        return list(all_pages(lambda r: self._retried(lambda: self.stub.ListSamples(r, timeout=TIMEOUT)), request,
                              "samples"))

    def finding_answers(self, project: str) -> list[selector_pb2.FindingAnswer]:
        """The project's answers to inspection findings (what became of each), newest first."""
        request = selector_pb2.ListFindingAnswersRequest(project=project)
        try:
            return list(self._retried(lambda: self.stub.ListFindingAnswers(request, timeout=TIMEOUT)).answers)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.UNIMPLEMENTED:
                return []  # a selector that predates answers has none; inspection goes on without them
            raise

    def newest_labeled(self, project: str, count: int) -> list[selector_pb2.SampleInfo]:
        """The ``count`` most recently labelled samples, newest first (one bounded query)."""
        request = selector_pb2.ListSamplesRequest(project=project, labeled_only=True, newest_labeled=True,
                                                  page_size=count)
        return list(self._retried(lambda: self.stub.ListSamples(request, timeout=TIMEOUT)).samples)


@contextmanager
def upstream_channel(address: str, upstream: str, token: str | None = None) -> Iterator[grpc.Channel]:
    """A channel to another service with the caller's token (or ``token``);
    its errors come back as this service's own, "upstream: " before the message."""
    with open_channel(address, token=token or caller_token(), tls_root=env("TLS_ROOT")) as channel:
        try:
            yield channel
        except grpc.RpcError as error:
            raise UPSTREAM_ERRORS.get(error.code(), RuntimeError)(f"{upstream}: {error.details()}") from None


class SelectorLink:
    """The selector as seen from ``service``; each call carries the caller's
    own token, so the selector checks the caller's roles, not ours."""

    def __init__(self, address: str | None, service: str, images: ImageCache | None = None):
        self.address, self.service, self.images = address, service, images

    @contextmanager
    def client(self, token: str | None = None) -> Iterator[SelectorCalls]:
        """A selector client with the caller's token, or ``token`` (work the
        caller started that runs after its call returned, such as a training job)."""
        if not self.address:
            raise ConflictError(f"{self.service} has no selector to ask: start it with --selector-address "
                                "(`labelassist up` does)")
        with upstream_channel(self.address, "selector", token) as channel:
            yield SelectorCalls(channel, self.images)


def add_assist_argument(parser: argparse.ArgumentParser, use: str) -> None:
    parser.add_argument("--assist-address", default=env("ASSIST_ADDRESS"),
                        help=f"the assist service: {use} (env LABELASSIST_ASSIST_ADDRESS)")


class AssistLink:
    """Assist as seen from another service, for a project's own pre-label
    (its assist settings); each call carries the caller's token."""

    def __init__(self, address: str | None):
        self.address = address

    def prelabel(self, image, project: str):
        """The project's pre-label of ``image`` (its assist settings), as a mask."""
        from labelassist.proto.v1 import assist_pb2, assist_pb2_grpc
        from labelassist.proto.wire.streaming import write_stream

        params = assist_pb2.PrelabelParams(project=project)
        with upstream_channel(self.address, "assist") as channel:
            stub = assist_pb2_grpc.AssistServiceStub(channel)
            received = read_stream(stub.Prelabel(write_stream(assist_pb2.PrelabelRequest, "params", params,
                                                              {"image": image}), timeout=TIMEOUT),
                                   "result", assist_pb2.PrelabelResult)
        return received.require("mask")
