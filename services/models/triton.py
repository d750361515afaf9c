"""The U-Net and the click model as Triton serves them: one :class:`TritonClient` per Triton URL,
owned by whoever talks to that Triton (a servicer, the scorer, a benchmark).

tritonclient's Python clients are documented as not thread-safe, so each
thread gets its own connection, made once and reused for every later call
on that thread. Tiles of a large image travel to Triton in batches.
"""

from __future__ import annotations

import threading

import numpy as np

from labelassist.imaging.tiling import blend_tiles, normalize_image, pad_to_multiple
from labelassist.models import CLICK_MODEL_NAME, MODEL_NAME
from labelassist.models.triton_access import connect, is_refusal, secret_from_environment
from labelassist.runtime.calls import cancellation_check
from labelassist.runtime.errors import ConflictError, UnavailableError
from labelassist.runtime.metrics import UPSTREAM
from labelassist.runtime.priority import is_batch, triton_priority

TILE = 512
OVERLAP = 64
MULTIPLE = 32  # covers U-Nets up to depth 5
TILES_PER_REQUEST = 8
# Foreground where the U-Net's probability reaches this, unless a call says otherwise.
DEFAULT_THRESHOLD = 0.5
OUTPUTS = ("PROBABILITY", "VARIANCE", "EMBEDDING", "BALD")
# Marks a request as batch work for the models' own CPU threads (deploy/triton/*/model.py).
BATCH_PARAMETERS = {"labelassist_batch": True}


class TritonClient:
    """The U-Net served by the Triton at ``url`` (host:port of its gRPC endpoint).

    Parameters
    ----------
    url : str
        Where Triton listens: ``host:port``; or several replicas, as
        ``host:port,host:port`` (IP addresses) or ``dns:///name:port`` (a
        headless Service's records), over which calls are spread
        round-robin, skipping a replica that stops answering.
    timeout : float
        Seconds an inference may take before it counts as unreachable.
    secret : str, optional
        The secret that Triton admits callers with (see
        :mod:`labelassist.models.triton_access`); default: the environment's.
    """

    def __init__(self, url: str, timeout: float = 300.0, secret: str | None = None):
        if not url:
            raise ValueError("a Triton URL (host:port) is needed")
        self.url, self.timeout = url, timeout
        self.secret = secret if secret is not None else secret_from_environment()
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"TritonClient({self.url!r})"

    @property
    def connection(self):
        """This thread's tritonclient, made on first use."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = connect(self.url, self.secret)
        return connection

    def infer(self, batch: np.ndarray, mc_samples: int = 0) -> dict[str, np.ndarray]:
        """The model's outputs for a batch (N, 1, H, W) of normalised tiles
        whose sides are multiples of :data:`MULTIPLE`.

        Raises
        ------
        UnavailableError
            Triton is unreachable, starting, stopping or loading the model (retry).
        ConflictError
            Triton runs but serves no U-Net.
        """
        import tritonclient.grpc as triton
        from tritonclient.utils import InferenceServerException

        image = triton.InferInput("IMAGE", list(batch.shape), "FP32")
        image.set_data_from_numpy(np.ascontiguousarray(batch, np.float32))
        inputs = [image]
        if mc_samples > 1:
            samples = triton.InferInput("MC_SAMPLES", [batch.shape[0], 1], "INT32")
            samples.set_data_from_numpy(np.full((batch.shape[0], 1), mc_samples, np.int32))
            inputs.append(samples)
        try:
            with UPSTREAM.timed("triton", MODEL_NAME):
                result = self.connection.infer(MODEL_NAME, inputs, outputs=[triton.InferRequestedOutput(name)
                                                                            for name in OUTPUTS],
                                               client_timeout=self.timeout, priority=triton_priority(),
                                               parameters=BATCH_PARAMETERS if is_batch() else None)
        except InferenceServerException as error:
            raise self._explain(error) from None
        return {name: result.as_numpy(name) for name in OUTPUTS}

    def click_probability(self, batch: np.ndarray) -> np.ndarray:
        """The click model's foreground probability (N, S, S) for inputs
        (N, 4, S, S) (see :func:`labelassist.models.clicks.model_input`).

        Raises
        ------
        UnavailableError, ConflictError
            As :meth:`infer`.
        """
        return self._one_input(CLICK_MODEL_NAME, batch, "PROBABILITY")

    def package_output(self, name: str, batch: np.ndarray) -> np.ndarray:
        """Raw outputs (N, C, h, w) of the BioImage.IO package that Triton
        serves as model ``name``, for windows (N, 1, h, w) pre-processed as
        it declares (see :func:`labelassist.models.bioimage.predict`).

        Raises
        ------
        UnavailableError, ConflictError
            As :meth:`infer`.
        """
        return self._one_input(name, batch, "OUTPUT")

    def sam_embedding(self, name: str, image: np.ndarray) -> np.ndarray:
        """The image embedding (1, 256, 64, 64) from SAM-family encoder
        ``name`` for an image (1, 3, h, w) made by
        :func:`labelassist.models.sam_prompts.encoder_input`.

        Raises
        ------
        UnavailableError, ConflictError
            As :meth:`infer`.
        """
        return self._one_input(name, image, "EMBEDDING")

    def sam_decode(self, name: str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """SAM-family decoder ``name``'s outputs (masks, iou_predictions,
        low_res_masks) for the named inputs of SAM's ONNX decoder (see
        :func:`labelassist.models.sam_prompts.decoder_inputs`).

        Raises
        ------
        UnavailableError, ConflictError
            As :meth:`infer`.
        """
        return self._call(name, inputs, ("masks", "iou_predictions", "low_res_masks"))

    def _one_input(self, name: str, batch: np.ndarray, output: str) -> np.ndarray:
        """Model ``name``'s ``output`` for its one FP32 input "INPUT"."""
        return self._call(name, {"INPUT": batch}, (output,))[output]

    def _call(self, name: str, inputs: dict[str, np.ndarray], outputs: tuple[str, ...]) -> dict[str, np.ndarray]:
        """Model ``name``'s ``outputs`` for named FP32 inputs."""
        import tritonclient.grpc as triton
        from tritonclient.utils import InferenceServerException

        sent = []
        for input_name, array in inputs.items():
            data = triton.InferInput(input_name, list(np.shape(array)), "FP32")
            data.set_data_from_numpy(np.ascontiguousarray(array, np.float32))
            sent.append(data)
        try:
            with UPSTREAM.timed("triton", name):
                result = self.connection.infer(name, sent, outputs=[triton.InferRequestedOutput(output)
                                                                    for output in outputs],
                                               client_timeout=self.timeout, priority=triton_priority(),
                                               parameters=BATCH_PARAMETERS if is_batch() else None)
        except InferenceServerException as error:
            raise self._explain(error, name) from None
        return {output: result.as_numpy(output) for output in outputs}

    def _explain(self, error, name: str = MODEL_NAME) -> Exception:
        status = str(error.status() or "")
        what = {MODEL_NAME: "the U-Net", CLICK_MODEL_NAME: "the click model"}.get(name, f"the model {name}")
        if is_refusal(error):
            return ConflictError(f"Triton at {self.url} refused this service: it is restricted to callers with "
                                 "its secret; give the services the same secret as Triton "
                                 "(LABELASSIST_TRITON_SECRET_FILE, see docs/deployment.md)")
        if "UNAVAILABLE" in status or "DEADLINE" in status:
            still = "the brush, polygon and scribble tools still work" if name == CLICK_MODEL_NAME else \
                "classical pre-labels still work"
            return UnavailableError(f"Triton at {self.url} is unreachable ({error.message()}); {still}; "
                                    "retry once Triton is back")
        if "NOT_FOUND" in status or "unknown model" in str(error) or "not ready" in str(error):
            if self.model_state(name) == "LOADING" or not self.server_ready():
                # Starting up, shutting down or loading: transient, so clients retry.
                return UnavailableError(f"Triton at {self.url} is starting, stopping or loading {what}; "
                                        "retry in a few seconds")
            if name not in (MODEL_NAME, CLICK_MODEL_NAME):
                add = "its checkpoint with `labelassist model add-sam CHECKPOINT`" if name.startswith("sam-") \
                    else "its package with `labelassist model add PACKAGE`"
                return ConflictError(f"{what} is not loaded in Triton at {self.url}: add {add} while the stack "
                                     "runs, or restart the stack")
            if name == MODEL_NAME:
                return ConflictError(f"no U-Net is loaded in Triton at {self.url}: train one with "
                                     "`labelassist train` or load a version with `labelassist model use`")
            return ConflictError(f"no click model is loaded in Triton at {self.url}: start the stack with the "
                                 "bundled generalist (`labelassist up`) or train one with "
                                 "`labelassist train --model clicknet`")
        return error

    def server_ready(self) -> bool:
        try:
            return bool(self.connection.is_server_ready())
        except Exception:  # noqa: BLE001 - unreachable is not ready
            return False

    def model_state(self, name: str = MODEL_NAME) -> str | None:
        """A model's state in Triton's repository index (READY, LOADING, ...)."""
        try:
            for model in self.connection.get_model_repository_index(as_json=True).get("models", []):
                if model.get("name") == name:
                    return model.get("state")
        except Exception:  # noqa: BLE001 - unreachable: no state to report
            return None
        return None

    def model_ready(self, timeout: float = 2.0) -> bool:
        """Whether Triton serves the U-Net now; an unreachable host answers
        "no" within ``timeout`` instead of holding the caller."""
        try:
            return bool(self.connection.is_model_ready(MODEL_NAME, client_timeout=timeout))
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            return False

    def served_version(self, name: str = MODEL_NAME) -> int | None:
        """The version of a model Triton serves now, or None (no Triton, no model)."""
        try:
            metadata = self.connection.get_model_metadata(name, as_json=True)
            return max(int(v) for v in metadata.get("versions", []))
        except Exception:  # noqa: BLE001 - unreachable or not loaded: nothing to score with
            return None

    def probabilities(self, image: np.ndarray, mc_samples: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Foreground probability (H, W) and its Monte-Carlo variance (zeros
        without) of a grey image, tiled with overlap, sent in batches of
        :data:`TILES_PER_REQUEST` tiles, and blended.

        Parameters
        ----------
        image : ndarray
            A grey image (H, W) of any numeric dtype.
        mc_samples : int
            Monte-Carlo dropout passes averaged; 0 for one deterministic pass.

        Returns
        -------
        probability, variance : ndarray
            float32 maps of the image's shape.
        """
        unit = normalize_image(image)

        def predict(windows: list[np.ndarray]) -> list[np.ndarray]:
            batch, sizes = pad_batch(windows)
            outputs = self.infer(batch, mc_samples)
            return [np.concatenate([outputs["PROBABILITY"][i], outputs["VARIANCE"][i]])[:, :h, :w]
                    for i, (h, w) in enumerate(sizes)]

        blended = blend_tiles(predict, unit, TILE, OVERLAP, classes=4, batch=TILES_PER_REQUEST,
                              check_cancelled=cancellation_check())
        return blended[1], blended[3]

    def uncertainty(self, images: list[np.ndarray], mc_samples: int = 8
                    ) -> list[tuple[dict[str, np.ndarray], np.ndarray]]:
        """For each image: per-pixel maps (probability (C, H, W), variance,
        BALD) and its embedding. Images of the same size go to Triton as one
        batched Monte-Carlo request; images larger than a tile are scored on
        their central tile."""
        windows = []
        for image in images:
            unit = normalize_image(image)
            top, left = max((unit.shape[0] - TILE) // 2, 0), max((unit.shape[1] - TILE) // 2, 0)
            windows.append(unit[top:top + TILE, left:left + TILE])
        groups: dict[tuple[int, int], list[int]] = {}
        for index, window in enumerate(windows):
            groups.setdefault(padded_shape(window.shape), []).append(index)
        results: list = [None] * len(images)
        for members in groups.values():
            batch, sizes = pad_batch([windows[i] for i in members])
            outputs = self.infer(batch, mc_samples)
            for row, (index, (h, w)) in enumerate(zip(members, sizes)):
                results[index] = ({"probability": outputs["PROBABILITY"][row][:, :h, :w],
                                   "variance": outputs["VARIANCE"][row][:, :h, :w],
                                   "bald": outputs["BALD"][row][:h, :w]}, outputs["EMBEDDING"][row])
        return results


def padded_shape(shape: tuple[int, int]) -> tuple[int, int]:
    """The shape rounded up to multiples of :data:`MULTIPLE`, as the network needs."""
    return shape[0] + -shape[0] % MULTIPLE, shape[1] + -shape[1] % MULTIPLE


def pad_batch(windows: list[np.ndarray]) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Windows reflected out to one common padded shape, as a batch (N, 1, H, W), and their own sizes."""
    shape = padded_shape((max(w.shape[0] for w in windows), max(w.shape[1] for w in windows)))
    batch = np.stack([pad_to_multiple(w, MULTIPLE, shape) for w in windows])[:, None]
    return batch.astype(np.float32), [w.shape for w in windows]
