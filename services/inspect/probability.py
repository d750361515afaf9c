"""The model whose foreground probability the label-error ranking reads:
the U-Net Triton serves when inspect has a Triton (down means UNAVAILABLE,
never a silent switch to another model), else the bundled generalist
U-Net, run in-process."""

from __future__ import annotations

import threading

import numpy as np

from labelassist.imaging.checks import grey
from labelassist.imaging.tiling import blend_tiles, normalize_image
from labelassist.runtime.calls import cancellation_check
from labelassist.runtime.errors import ConflictError, UnavailableError


class ProbabilityModel:
    """``model(image)`` -> foreground probability (H, W); ``describe()`` ->
    which model ("unet" with Triton's served version, or "generalist")."""

    def __init__(self, triton=None, model=None):
        # ``model``: an in-process U-Net instead of the bundled generalist (benchmarks of other weights).
        self.triton = triton
        self._lock = threading.Lock()
        self._generalist = model

    def describe(self) -> tuple[str, int]:
        if self.triton is None:
            return "generalist", 0
        version = self.triton.served_version()
        if version is None:
            raise UnavailableError(f"Triton at {self.triton.url} serves no U-Net: the ranking reads its "
                                   "probabilities; start Triton or load a model (`labelassist model use`)")
        return "unet", version

    def __call__(self, image: np.ndarray) -> np.ndarray:
        if self.triton is not None:
            return self.triton.probabilities(grey(image))[0]
        from labelassist.models.triton import OVERLAP, TILE, pad_batch
        from labelassist.models.unet import predict_probabilities

        model = self._model()

        def predict(windows: list[np.ndarray]) -> list[np.ndarray]:
            batch, sizes = pad_batch(windows)
            probability = predict_probabilities(model, batch)[0]
            return [probability[i, :, :h, :w] for i, (h, w) in enumerate(sizes)]

        return blend_tiles(predict, normalize_image(grey(image)), TILE, OVERLAP, classes=2, batch=4,
                           check_cancelled=cancellation_check())[1]

    def _model(self):
        from labelassist.models import generalist

        with self._lock:
            if self._generalist is None:
                if not generalist.available("unet"):
                    raise ConflictError("no model to rank label errors with: inspect has no Triton and this "
                                        "installation ships no bundled generalist; start inspect with --triton-url")
                self._generalist = generalist.load_bundled("unet")[0]
            return self._generalist
