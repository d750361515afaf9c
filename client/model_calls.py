"""The model calls of :class:`~labelassist.client.sdk.LabelAssistClient`:
click-to-segment with the click model, and training the U-Net or the
click model on the assist service."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from labelassist.client.inputs import checked_clicks
from labelassist.client.results import SegmentedObject
from labelassist.proto.v1 import assist_pb2, common_pb2


class ModelCalls:
    """Mixed into the client, which provides the stubs and the call helpers."""

    def segment(self, image: np.ndarray | None, clicks: Sequence[tuple[float, float, bool]],
                box: tuple[int, int, int, int] | None = None, mask: np.ndarray | None = None,
                sample_id: int = 0, crop_to_object: bool = False,
                mask_offset: tuple[int, int] = (0, 0), model: str = "") -> SegmentedObject:
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

        Returns
        -------
        SegmentedObject
            The mask, its offset, area and the click model that answered.

        Raises
        ------
        InvalidArgumentError
            No positive click, a click outside the image, a bad box or mask, named.
        NotFoundError
            No SAM-family model of that name is installed (the installed ones named).
        ServiceUnavailableError
            Triton unreachable (brush, polygon and scribbles still work).
        """
        params = assist_pb2.SegmentParams(
            clicks=[assist_pb2.Click(y=y, x=x, positive=p) for y, x, p in checked_clicks(clicks)],
            sample_id=sample_id, crop_to_object=crop_to_object, response_compression=self.compression,
            mask_top=int(mask_offset[0]), mask_left=int(mask_offset[1]), model=model)
        if box is not None:
            params.box.CopyFrom(common_pb2.BoundingBox(start=[int(box[0]), int(box[1])],
                                                       stop=[int(box[2]), int(box[3])]))
        out = self._stream(self.assist.Segment, assist_pb2.SegmentRequest, params, {"image": image, "mask": mask},
                           assist_pb2.SegmentResult)
        result = out.message
        return SegmentedObject(out.require("mask"), int(result.top), int(result.left), int(result.area),
                               result.runtime, int(result.model_version), result.model_source, int(result.passes))

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
        return self._unary(self.assist.Train, assist_pb2.TrainRequest(
            dataset_path=str(dataset_path) if dataset_path else "", project=project,
            model="" if model == "unet" else model, **config)).job_id

    def train_status(self, job_id: str) -> Iterator[assist_pb2.TrainStatusResponse]:
        """Progress events of a training job, from its start until it ends."""
        yield from self._follow(self.assist.TrainStatus, self.assist.TrainStatus(
            assist_pb2.TrainStatusRequest(job_id=job_id), timeout=None))
