"""The bundled generalist models: a pre-label U-Net and a click model that
ship inside the package (half-precision weights, a few MB), so a new
project has U-Net pre-labels and click-to-segment before its first label.

They are trained by ``benchmarks/train_generalist.py`` on the HeLa
time-lapse, scikit-image's bundled images and synthetic scenes
(:mod:`labelassist.models.synthetic`); the U-Net then also on the training
splits of four DSB2018 image sets and HeLa (stage 2), with strong
augmentation; docs/models.md is their model card.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from labelassist.models.unet import UNet

DATA = Path(__file__).parents[1] / "data"
# Model name in the repository -> bundled weights file.
BUNDLED = {"unet": DATA / "generalist_unet.pt", "clicknet": DATA / "generalist_clicknet.pt"}


def save_bundled(model: UNet, path: Path, architecture: dict, meta: dict) -> Path:
    """Weights as float16 (half the size; inference runs in float32), with
    the architecture to rebuild the network and what it was trained on."""
    state = {name: value.half() if value.is_floating_point() else value
             for name, value in model.state_dict().items()}
    torch.save({"architecture": architecture, "state": state, "meta": meta}, path)
    return path


def available(name: str) -> bool:
    return name in BUNDLED and BUNDLED[name].exists()


def load_bundled(name: str) -> tuple[UNet, dict]:
    """The bundled model ``name`` ("unet" or "clicknet") in eval mode, and its meta."""
    if not available(name):
        raise FileNotFoundError(f"no bundled {name!r} model in {DATA}; train it with benchmarks/train_generalist.py")
    return load_weights(BUNDLED[name])


def load_weights(path: Path) -> tuple[UNet, dict]:
    """A model saved by :func:`save_bundled` (in eval mode) and its meta."""
    saved = torch.load(path, map_location="cpu", weights_only=True)
    model = UNet(**saved["architecture"])
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in saved["state"].items()})
    return model.eval(), saved["meta"]


def describe(name: str) -> str:
    """One line on a bundled model, for logs and listings."""
    _, meta = load_bundled(name)
    return json.dumps({k: meta[k] for k in ("trained_on", "seed") if k in meta})
