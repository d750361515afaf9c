"""The GPU recipe: the U-Net and the click model exported to ONNX for
Triton's ONNX Runtime backend (NVIDIA's container), under the names, inputs
and outputs the services call, so the services run unchanged against it.

The python backend (deploy/triton/unet, clicknet) stays the bundled CPU
server's recipe and the one for Monte-Carlo dropout: an ONNX graph runs one
deterministic pass, so the served U-Net accepts ``MC_SAMPLES`` and ignores
it, and its ``VARIANCE`` and ``BALD`` are zeros.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from labelassist import triton_template
from labelassist.models import CLICK_MODEL_NAME, MODEL_NAME
from labelassist.models.unet import UNet

GPU_TEMPLATES = Path(triton_template.__file__).parent / "onnx"


class ServedUNet(nn.Module):
    """The python backend's U-Net outputs for one deterministic pass."""

    def __init__(self, model: UNet):
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor, mc_samples: torch.Tensor):
        logits, embedding = self.model(image)
        probability = F.softmax(logits, dim=1)
        # Zero times the ignored input keeps it in the graph, so a request that sends it is accepted.
        zero = (mc_samples.sum() * 0).to(probability.dtype)
        return probability, probability * zero, embedding, probability[:, 0] * zero


class ServedClickNet(nn.Module):
    """The click model's foreground probability, as its python backend answers."""

    def __init__(self, model: UNet):
        super().__init__()
        self.model = model

    def forward(self, window: torch.Tensor):
        logits, _ = self.model(window)
        return F.softmax(logits, dim=1)[:, 1]


# name -> (wrapper, input names, output names, input channels)
SERVED = {
    MODEL_NAME: (ServedUNet, ("IMAGE", "MC_SAMPLES"), ("PROBABILITY", "VARIANCE", "EMBEDDING", "BALD"), 1),
    CLICK_MODEL_NAME: (ServedClickNet, ("INPUT",), ("PROBABILITY",), 4),
}


def export_served(model: UNet, name: str, path: Path) -> Path:
    """Export ``model`` as Triton serves model ``name`` ("unet" or
    "clicknet") in the GPU recipe: dynamic batch, height and width
    (multiples of the network's ``multiple``). Needs the 'onnx' extra."""
    if name not in SERVED:
        raise ValueError(f"'name' must be one of {sorted(SERVED)}, got {name!r}")
    wrapper, inputs, outputs, channels = SERVED[name]
    model.eval()
    side = 4 * model.multiple
    examples = (torch.rand(2, channels, side, side),) + ((torch.ones(2, 1, dtype=torch.int32),)
                                                         if name == MODEL_NAME else ())
    # Outputs' sides follow the input's (the exporter names them).
    axes = {inputs[0]: {0: "batch", 2: "height", 3: "width"}, **{name: {0: "batch"} for name in inputs[1:] + outputs}}
    # The TorchScript-based exporter: seconds where the dynamo-based one takes minutes on two cores.
    torch.onnx.export(wrapper(model), examples, str(path), input_names=list(inputs), output_names=list(outputs),
                      dynamic_axes=axes, dynamo=False, opset_version=17)
    return path


def unet_from_torchscript(path: Path) -> UNet:
    """The network of a published version (TorchScript ``model.pt``) as a
    module the exporter can trace, its architecture read off its weights."""
    state = torch.jit.load(str(path), map_location="cpu").state_dict()
    head = state["head.weight"]
    depth = len({key.split(".")[1] for key in state if key.startswith("down.")})
    first = next(value for key, value in state.items() if key.startswith("down.0.") and value.dim() == 4)
    model = UNet(depth=depth, width=head.shape[1], classes=head.shape[0], in_channels=first.shape[1])
    model.load_state_dict(state)
    return model.eval()


def write_gpu_repository(source: Path, target: Path) -> dict[str, int]:
    """A Triton repository at ``target`` with the newest version of each
    model published in ``source`` (the services' repository) exported to
    ONNX, with the GPU configs; returns the version written per model."""
    from labelassist.models.repository import versions

    written = {}
    for name in SERVED:
        published = versions(source, name)
        if not published:
            continue
        version = published[-1]
        folder = Path(target) / name / str(version)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(GPU_TEMPLATES / name / "config.pbtxt", Path(target) / name / "config.pbtxt")
        export_served(unet_from_torchscript(Path(source) / name / str(version) / "model.pt"), name,
                      folder / "model.onnx")
        meta = Path(source) / name / str(version) / "meta.json"
        if meta.exists():
            (folder / "meta.json").write_text(json.dumps({**json.loads(meta.read_text()), "format": "onnx"}))
        written[name] = version
    return written


__all__ = ["GPU_TEMPLATES", "SERVED", "ServedClickNet", "ServedUNet", "export_served", "unet_from_torchscript",
           "write_gpu_repository"]
