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
        if "NOT_FOUND" in status or "unknown model" in str(error) or "not ready" in str(error):
            if _model_state(client) == "LOADING" or not _server_ready(client):
                # Starting up, shutting down or loading: transient, so clients retry.
                raise UnavailableError(f"Triton at {triton_url()} is starting, stopping or loading the U-Net; "
                                       "retry in a few seconds") from None
            raise ConflictError(f"no U-Net is loaded in Triton at {triton_url()}: train one with "
                                "`labelassist train` or load a version with `labelassist model use`") from None
        raise
    return (result.as_numpy("PROBABILITY"), result.as_numpy("VARIANCE"), result.as_numpy("EMBEDDING"),
            result.as_numpy("BALD"))


def _server_ready(client) -> bool:
    try:
        return bool(client.is_server_ready())
    except Exception:  # noqa: BLE001 - unreachable is not ready
        return False


def _model_state(client) -> str | None:
    """The U-Net's state in Triton's repository index (READY, LOADING, ...)."""
    try:
        for model in client.get_model_repository_index(as_json=True).get("models", []):
            if model.get("name") == MODEL_NAME:
                return model.get("state")
    except Exception:  # noqa: BLE001 - unreachable: no state to report
        return None
    return None


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


def model_ready(timeout: float = 2.0) -> bool:
    """Whether Triton serves the U-Net now; an unreachable host answers
    "no" within ``timeout`` instead of holding the caller."""
    try:
        return bool(_client().is_model_ready(MODEL_NAME, client_timeout=timeout))
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return False


def served_version() -> int | None:
    """The U-Net version Triton serves now, or None (no Triton, no model)."""
    try:
        metadata = _client().get_model_metadata(MODEL_NAME, as_json=True)
        return max(int(v) for v in metadata.get("versions", []))
    except Exception:  # noqa: BLE001 - unreachable or not loaded: nothing to score with
        return None


def unet_uncertainty(images: list[np.ndarray], mc_samples: int = 8
                     ) -> list[tuple[dict[str, np.ndarray], np.ndarray]]:
    """For each image: per-pixel maps (probability (C, H, W), variance, BALD)
    and its embedding. Images of the same size go to Triton as one batched
    Monte-Carlo request; images larger than a tile are scored on their
    central tile."""
    windows = []
    for image in images:
        unit = normalize_image(image)
        top, left = max((unit.shape[0] - TILE) // 2, 0), max((unit.shape[1] - TILE) // 2, 0)
        window = unit[top:top + TILE, left:left + TILE]
        h, w = window.shape
        windows.append((np.pad(window, ((0, -h % MULTIPLE), (0, -w % MULTIPLE)), mode="reflect"), (h, w)))
    groups: dict[tuple[int, int], list[int]] = {}
    for index, (padded, _) in enumerate(windows):
        groups.setdefault(padded.shape, []).append(index)
    client = _client()
    results: list = [None] * len(images)
    for members in groups.values():
        batch = np.stack([windows[i][0] for i in members])[:, None]
        probability, variance, embedding, bald = _infer(client, batch, mc_samples)
        for row, index in enumerate(members):
            h, w = windows[index][1]
            results[index] = ({"probability": probability[row][:, :h, :w], "variance": variance[row][:, :h, :w],
                               "bald": bald[row][:h, :w]}, embedding[row])
    return results
