"""Listing a project's samples on the selector: the whole pool in pool
order, page by page, or only the samples whose newest label carries a class
(``client.list_samples``, ``iter_samples`` and ``samples_page``)."""

from __future__ import annotations

from collections.abc import Iterator

from labelassist.client.results import SampleInfo
from labelassist.client.transport import Facade
from labelassist.proto.v1 import selector_pb2
from labelassist.proto.wire.paging import all_pages


def class_filter(object_class: str = "", image_class: str = "", unclassified_objects: bool = False
                 ) -> selector_pb2.SampleClassFilter | None:
    """The contract's class filter (None: no filter); the selector checks the names against the project's schema."""
    if not (object_class or image_class or unclassified_objects):
        return None
    for name, value in (("object_class", object_class), ("image_class", image_class)):
        if not isinstance(value, str):
            raise TypeError(f"'{name}' is a class name (str); got {type(value).__name__}")
    return selector_pb2.SampleClassFilter(object_class=object_class, image_class=image_class,
                                          unclassified_objects=bool(unclassified_objects))


class SampleLists(Facade):
    """The selector's sample listings."""

    service = "selector"

    def list_samples(self, project: str, labeled_only: bool = False, page_size: int = 0, *,
                     object_class: str = "", image_class: str = "", unclassified_objects: bool = False
                     ) -> list[SampleInfo]:
        """Every sample of the project in pool order (read page by page),
        or only those of one class.

        Parameters
        ----------
        project : str
            The project.
        labeled_only : bool
            Only labelled samples.
        page_size : int
            Samples per call (0: the server's default).
        object_class : str, optional
            Only samples whose newest label has an object of this class.
        image_class : str, optional
            Only samples whose newest label has this image class.
        unclassified_objects : bool, optional
            Only samples whose newest label has objects without a class.
            At most one of the three filters; a name the project's schema
            lacks is refused (``INVALID_ARGUMENT`` naming its classes).

        Returns
        -------
        list of SampleInfo
            In pool order.
        """
        return list(self.iter_samples(project, labeled_only, page_size, object_class=object_class,
                                      image_class=image_class, unclassified_objects=unclassified_objects))

    def iter_samples(self, project: str, labeled_only: bool = False, page_size: int = 0, *,
                     object_class: str = "", image_class: str = "", unclassified_objects: bool = False
                     ) -> Iterator[SampleInfo]:
        """The project's samples in pool order, one page (``page_size``,
        0 = the server's default) fetched at a time; the class filters as
        for :meth:`list_samples`."""
        request = selector_pb2.ListSamplesRequest(project=project, labeled_only=labeled_only, page_size=page_size,
                                                  class_filter=class_filter(object_class, image_class,
                                                                            unclassified_objects))
        return map(SampleInfo.from_proto, all_pages(lambda r: self.transport.unary(self.stub.ListSamples, r), request,
                                                    "samples"))

    def samples_page(self, project: str, page_token: str = "", page_size: int = 0, labeled_only: bool = False, *,
                     object_class: str = "", image_class: str = "", unclassified_objects: bool = False
                     ) -> tuple[list[SampleInfo], str]:
        """One page of the project's samples in pool order and the token of
        the next ("" after the last): for views that load as they scroll;
        the class filters as for :meth:`list_samples`."""
        response = self.transport.unary(self.stub.ListSamples, selector_pb2.ListSamplesRequest(
            project=project, labeled_only=labeled_only, page_size=page_size, page_token=page_token,
            class_filter=class_filter(object_class, image_class, unclassified_objects)))
        return [SampleInfo.from_proto(info) for info in response.samples], response.next_page_token
