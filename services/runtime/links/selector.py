"""The selector as other services call it: assist fetches sample images
(through this service's image cache) and records a training's point of
the learning curve; inspect reads a project's settings, labels and the
answers to its findings."""

from __future__ import annotations

import argparse

from labelassist.proto.v1 import selector_pb2, selector_pb2_grpc
from labelassist.proto.wire.addresses import env
from labelassist.proto.wire.paging import all_pages
from labelassist.proto.wire.streaming import Envelope
from labelassist.runtime.image_cache import DEFAULT_MIB, ImageCache
from labelassist.runtime.links.peer import Link, PeerCalls


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


class SelectorCalls(PeerCalls):
    """The few selector calls other services make."""

    stub_type = selector_pb2_grpc.SelectorServiceStub

    def __init__(self, channel, metadata=(), images: ImageCache | None = None):
        super().__init__(channel, metadata)
        self.images = images

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
        found = self.download(self.stub.GetSample, request, "info", selector_pb2.SampleInfo)
        if "image" in found.arrays and cached and self.images is not None:
            found.arrays["image"] = self.images.put(found.message.image_digest, found.arrays["image"])
        return found

    def get_project(self, project: str) -> selector_pb2.Project:
        return self.unary(self.stub.GetProject, selector_pb2.GetProjectRequest(project=project)).project

    def record_training(self, project: str, model: str, version: int, labels: int, validation_dice: float) -> None:
        self.unary(self.stub.RecordTraining, selector_pb2.RecordTrainingRequest(
            project=project, model=model, version=version, labels=labels, validation_dice=validation_dice))

    def list_samples(self, project: str, labeled_only: bool = False) -> list[selector_pb2.SampleInfo]:
        request = selector_pb2.ListSamplesRequest(project=project, labeled_only=labeled_only)
        return list(all_pages(lambda page: self.unary(self.stub.ListSamples, page), request, "samples"))

    def finding_answers(self, project: str) -> list[selector_pb2.FindingAnswer]:
        """The project's answers to inspection findings (what became of each),
        newest first; none from a selector that predates answers."""
        request = selector_pb2.ListFindingAnswersRequest(project=project)
        return list(self.unless_unimplemented(lambda: self.unary(self.stub.ListFindingAnswers, request).answers, []))

    def newest_labeled(self, project: str, count: int) -> list[selector_pb2.SampleInfo]:
        """The ``count`` most recently labelled samples, newest first (one bounded query)."""
        request = selector_pb2.ListSamplesRequest(project=project, labeled_only=True, newest_labeled=True,
                                                  page_size=count)
        return list(self.unary(self.stub.ListSamples, request).samples)


class SelectorLink(Link[SelectorCalls]):
    """The selector as seen from ``service``, its sample images kept in ``images``."""

    peer = "selector"
    calls_type = SelectorCalls

    def __init__(self, address: str | None, service: str, images: ImageCache | None = None):
        super().__init__(address, service)
        self.images = images

    def make_calls(self, channel, metadata) -> SelectorCalls:
        return SelectorCalls(channel, metadata, self.images)


__all__ = ["SelectorCalls", "SelectorLink", "add_selector_argument", "image_cache"]
