"""U-Net inference through Triton (tritonclient over gRPC), tiled and
blended for images larger than a tile."""

from __future__ import annotations

import threading

import numpy as np

from labelassist.assist.tiling import blend_tiles, normalize_image
from labelassist.runtime.errors import ConflictError, UnavailableError

MODEL_NAME = "unet"
TILE = 512
OVERLAP = 64
MULTIPLE = 32  # covers U-Nets up to depth 5
_settings = {"url": None}
_lock = threading.Lock()


def configure(url: str | None) -> None:
    """Where Triton listens (host:port); None switches the U-Net off."""
    with _lock:
        _settings["url"] = url


def triton_url() -> str:
    url = _settings["url"]
    if not url:
        raise ConflictError("no Triton server is configured for U-Net pre-labels: start the stack with "
                            "`labelassist up` (it runs a local Triton) or give assist --triton-url")
    return url


def _client():
    import tritonclient.grpc as triton

    return triton.InferenceServerClient(triton_url())


def _infer(client, batch: np.ndarray, mc_samples: int):
    import tritonclient.grpc as triton
    from tritonclient.utils import InferenceServerException

    image = triton.InferInput("IMAGE", list(batch.shape), "FP32")
    image.set_data_from_numpy(batch)
    inputs = [image]
    if mc_samples > 1:
        samples = triton.InferInput("MC_SAMPLES", [batch.shape[0], 1], "INT32")
        samples.set_data_from_numpy(np.full((batch.shape[0], 1), mc_samples, np.int32))
        inputs.append(samples)
    outputs = [triton.InferRequestedOutput(name) for name in ("PROBABILITY", "VARIANCE", "EMBEDDING", "BALD")]
    try:
        result = client.infer(MODEL_NAME, inputs, outputs=outputs, client_timeout=300)
    except InferenceServerException as error:
        status = str(error.status() or "")
        if "UNAVAILABLE" in status or "DEADLINE" in status:
            raise UnavailableError(f"Triton at {triton_url()} is unreachable ({error.message()}); classical "
                                   "pre-labels still work; retry once Triton is back") from None
        if "NOT_FOUND" in status or "UNAVAILABLE" in (error.message() or "") or "unknown model" in str(error):
            raise ConflictError(f"no U-Net is loaded in Triton at {triton_url()}: train one with "
                                "`labelassist train` or load a version with `labelassist model use`") from None
        raise
    return (result.as_numpy("PROBABILITY"), result.as_numpy("VARIANCE"), result.as_numpy("EMBEDDING"),
            result.as_numpy("BALD"))


def unet_probabilities(image: np.ndarray, mc_samples: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Foreground probability (H, W) and its Monte-Carlo variance (zeros
    without) of a grey image, tiled with overlap and blended."""
    unit = normalize_image(image)
    client = _client()

    def predict(window: np.ndarray) -> np.ndarray:
        height, width = window.shape
        padded = np.pad(window, ((0, -height % MULTIPLE), (0, -width % MULTIPLE)), mode="reflect")
        probability, variance, _, _ = _infer(client, padded[None, None], mc_samples)
        return np.concatenate([probability[0], variance[0]])[:, :height, :width]

    blended = blend_tiles(predict, unit, TILE, OVERLAP, classes=4)
    return blended[1], blended[3]


def model_ready() -> bool:
    try:
        return bool(_client().is_model_ready(MODEL_NAME))
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return False


def served_version() -> int | None:
    """The U-Net version Triton serves now, or None (no Triton, no model)."""
    try:
        metadata = _client().get_model_metadata(MODEL_NAME, as_json=True)
        return max(int(v) for v in metadata.get("versions", []))
    except Exception:  # noqa: BLE001 - unreachable or not loaded: nothing to score with
        return None


def unet_uncertainty(image: np.ndarray, mc_samples: int = 8) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per-pixel maps (probability (C, H, W), variance, BALD) and the
    embedding of one image, in a single Monte-Carlo request; images larger
    than a tile are scored on their central tile."""
    unit = normalize_image(image)
    height, width = unit.shape
    top, left = max((height - TILE) // 2, 0), max((width - TILE) // 2, 0)
    window = unit[top:top + TILE, left:left + TILE]
    h, w = window.shape
    padded = np.pad(window, ((0, -h % MULTIPLE), (0, -w % MULTIPLE)), mode="reflect")
    probability, variance, embedding, bald = _infer(_client(), padded[None, None], mc_samples)
    return ({"probability": probability[0][:, :h, :w], "variance": variance[0][:, :h, :w],
             "bald": bald[0][:h, :w]}, embedding[0])
