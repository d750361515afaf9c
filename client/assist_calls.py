"""``client.assist``: the assist service's calls (pre-processing,
pre-labels, refinement from scribbles, post-processing, click-to-segment
and training), numpy in and out, through the SDK's transport."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from labelassist.client.inputs import checked_clicks
from labelassist.client.results import ClassPrelabels, PrelabelOutcome, SegmentedObject
from labelassist.client.steps import StepLike, as_call, as_calls
from labelassist.client.transport import Facade
from labelassist.proto.v1 import assist_pb2, common_pb2


class Assist(Facade):
    """The assist service. Where a call takes ``sample_id``, assist reads the
    selector's sample itself and nothing is uploaded."""

    service = "assist"

    def list_operations(self, family: str = "") -> list[common_pb2.NamedSpec]:
        return list(self.transport.unary(self.stub.ListOperations,
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
        return list(self.transport.unary(self.stub.ListPrelabelSources,
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
                                             response_compression=self.transport.compression, sample_id=sample_id)
        out = self.transport.exchange(self.stub.Preprocess, assist_pb2.PreprocessRequest, params, {"image": image},
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
            object count and steps applied; for a project with classes,
            ``classes``: the class model's guess for each object and the image.

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
            response_compression=self.transport.compression, sample_id=sample_id, project=project, binary=binary)
        if method is not None:
            params.method.CopyFrom(as_call(method))
        arrays = {"image": image}
        if reference is not None:
            arrays["reference_label"], arrays["reference_image"] = reference
        out = self.transport.exchange(self.stub.Prelabel, assist_pb2.PrelabelRequest, params, arrays,
                           assist_pb2.PrelabelResult)
        classes = ClassPrelabels.from_proto(out.message.classes) if out.message.HasField("classes") else None
        return PrelabelOutcome(out.require("mask"), out.message.method, out.message.object_count,
                               list(out.message.applied), classes)

    def prelabel_probability(self, image: np.ndarray, method: StepLike = "unet",
                             preprocess: Sequence[StepLike] = ()) -> np.ndarray:
        """The foreground probability map of a model-based pre-label method."""
        params = assist_pb2.PrelabelParams(method=as_call(method), preprocess=as_calls(preprocess),
                                           return_probability=True, response_compression=self.transport.compression)
        out = self.transport.exchange(self.stub.Prelabel, assist_pb2.PrelabelRequest, params, {"image": image},
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
        params = assist_pb2.RefineParams(method=as_call(method), response_compression=self.transport.compression,
                                         sample_id=sample_id)
        out = self.transport.exchange(self.stub.Refine, assist_pb2.RefineRequest, params,
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
                                              response_compression=self.transport.compression)
        out = self.transport.exchange(self.stub.Postprocess, assist_pb2.PostprocessRequest, params,
                           {"mask": mask, "image": image}, assist_pb2.PostprocessResult)
        return out.require("mask"), list(out.message.applied)

    def segment(self, image: np.ndarray | None, clicks: Sequence[tuple[float, float, bool]],
                box: tuple[int, int, int, int] | None = None, mask: np.ndarray | None = None,
                sample_id: int = 0, crop_to_object: bool = False,
                mask_offset: tuple[int, int] = (0, 0), model: str = "", object_class: str = "",
                project: str = "") -> SegmentedObject:
        """Segment one object from clicks with the click model.

        Parameters
        ----------
        image : ndarray or None
            A 2D image (or RGB); None with ``sample_id`` reads the selector's sample.
        clicks : sequence of (y, x, positive)
            Image pixels (row, column); the first positive click picks the
            object, later ones correct it (negative: not part of it).
        box : (top, left, bottom, right), optional
            The object's extent, bottom and right exclusive.
        mask : ndarray, optional
            The object's current mask, to refine it: (H, W), or a crop
            around the object placed at ``mask_offset``.
        sample_id : int
            A selector sample to read the image from.
        crop_to_object : bool
            Receive only the object's bounding box of the mask (large images).
        mask_offset : (int, int)
            (row, column) of a cropped ``mask``'s first pixel in the image.
        model : str
            Empty for the click model; "sam-NAME" for a SAM-family model
            the operator added (`labelassist model add-sam`), which encodes
            each image once and takes clicks and box (not ``mask``).
        object_class : str
            The class the new object gets, one of the project's object
            classes (the GUI's current class); returned as ``object_class``.
        project : str
            The project ``object_class`` belongs to (a sample's own with ``sample_id``).

        Returns
        -------
        SegmentedObject
            The mask, its offset, area, the click model that answered and its class.

        Raises
        ------
        InvalidArgumentError
            No positive click, a click outside the image, a bad box or mask, named.
        NotFoundError
            No SAM-family model of that name is installed (the installed ones
            named), or no object class ``object_class`` in the project.
        FailedPreconditionError
            ``object_class`` for a project without object classes.
        ServiceUnavailableError
            Triton unreachable (brush, polygon and scribbles still work).
        """
        params = assist_pb2.SegmentParams(
            clicks=[assist_pb2.Click(y=y, x=x, positive=p) for y, x, p in checked_clicks(clicks)],
            sample_id=sample_id, crop_to_object=crop_to_object, response_compression=self.transport.compression,
            mask_top=int(mask_offset[0]), mask_left=int(mask_offset[1]), model=model, object_class=object_class,
            project=project)
        if box is not None:
            params.box.CopyFrom(common_pb2.BoundingBox(start=[int(box[0]), int(box[1])],
                                                       stop=[int(box[2]), int(box[3])]))
        out = self.transport.exchange(self.stub.Segment, assist_pb2.SegmentRequest, params, {"image": image, "mask": mask},
                           assist_pb2.SegmentResult)
        result = out.message
        return SegmentedObject(out.require("mask"), int(result.top), int(result.left), int(result.area),
                               result.runtime, int(result.model_version), result.model_source, int(result.passes),
                               result.object_class)

    def predict_classes(self, project: str = "", image: np.ndarray | None = None, mask: np.ndarray | None = None,
                        sample_id: int = 0, prelabel: bool = False, with_uncertainty: bool = False
                        ) -> ClassPrelabels:
        """Class pre-labels: the project's class model's guess of each
        object's class and of the image's, with its confidence. The model
        is trained on the project's labelled objects and images with
        classes, and trained again first when they changed.

        Parameters
        ----------
        project : str
            Whose class model answers (a sample's own with ``sample_id``).
        image, mask : ndarray, optional
            The image and its objects (one id per object); with
            ``sample_id``, left out to use the sample's image and newest label.
        sample_id : int
            A selector sample to read the image (and label) from.
        prelabel : bool
            Without a ``mask`` and without a label: the objects of the
            project's own pre-label of the image.
        with_uncertainty : bool
            Also the sample's class uncertainty summary (what the
            selector's classification strategies rank by).

        Returns
        -------
        ClassPrelabels
            A guess per object id (class, confidence, every probability),
            the image classes' probabilities and the model version.

        Raises
        ------
        FailedPreconditionError
            A project without classes, too few labelled objects or images
            with classes to train on yet, or a sample without a label and no ``mask``.
        InvalidArgumentError
            A bad image or mask, or neither arrays nor a sample.
        """
        params = assist_pb2.PredictClassesParams(project=project, sample_id=sample_id, prelabel=prelabel,
                                                 with_uncertainty=with_uncertainty)
        out = self.transport.exchange(self.stub.PredictClasses, assist_pb2.PredictClassesRequest, params,
                                      {"image": image, "mask": mask}, assist_pb2.ClassPredictions)
        return ClassPrelabels.from_proto(out.message)

    def train(self, dataset_path: str | Path = "", project: str = "", model: str = "unet", **config: int) -> str:
        """Start a training job on the assist service.

        Parameters
        ----------
        dataset_path : str or Path
            A dataset folder on the server, inside its dataset roots; or
        project : str
            A selector project, trained on its latest labels.
        model : str
            "unet" (pre-labels) or "clicknet" (click-to-segment, fine-tuned
            from the bundled generalist for epochs × steps_per_epoch steps,
            by default 10 × 50).
        **config : int
            Training settings (epochs, width, tile, batch, ...).

        Returns
        -------
        str
            The job id, for :meth:`train_status`.
        """
        return self.transport.unary(self.stub.Train, assist_pb2.TrainRequest(
            dataset_path=str(dataset_path) if dataset_path else "", project=project,
            model="" if model == "unet" else model, **config)).job_id

    def train_status(self, job_id: str) -> Iterator[assist_pb2.TrainStatusResponse]:
        """Progress events of a training job, from its start until it ends."""
        yield from self.transport.follow(self.stub.TrainStatus, self.stub.TrainStatus(
            assist_pb2.TrainStatusRequest(job_id=job_id), timeout=None))
