"""A 2D U-Net (Ronneberger et al. 2015) for pre-labels and uncertainty.

Dropout before each decoder stage can stay active at inference, which gives
Monte-Carlo dropout samples (Gal & Ghahramani 2016) for BALD and variance.
The forward pass returns class logits and a pooled bottleneck embedding.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from labelassist.imaging.tiling import normalize_image
from labelassist.imaging.uncertainty import mutual_information

__all__ = ["UNet", "enable_mc_dropout", "normalize_image", "predict_probabilities"]


class _Block(nn.Sequential):
    def __init__(self, inputs: int, outputs: int):
        super().__init__(nn.Conv2d(inputs, outputs, 3, padding=1), nn.BatchNorm2d(outputs), nn.ReLU(inplace=True),
                         nn.Conv2d(outputs, outputs, 3, padding=1), nn.BatchNorm2d(outputs), nn.ReLU(inplace=True))


class _UpStage(nn.Module):
    def __init__(self, inputs: int, outputs: int):
        super().__init__()
        self.up = nn.ConvTranspose2d(inputs, outputs, 2, stride=2)
        self.decode = _Block(2 * outputs, outputs)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.decode(torch.cat([self.up(x), skip], dim=1))


class UNet(nn.Module):
    def __init__(self, depth: int = 3, width: int = 16, classes: int = 2, dropout: float = 0.2,
                 in_channels: int = 1):
        super().__init__()
        if depth < 1 or width < 1:
            raise ValueError(f"depth and width must be positive, got {depth} and {width}")
        self.depth = depth
        # Input height and width must be multiples of this.
        self.multiple = 2**depth
        channels = [width * 2**level for level in range(depth + 1)]
        self.down = nn.ModuleList([_Block(in_channels if i == 0 else channels[i - 1], channels[i]) for i in range(depth)])
        self.bottom = _Block(channels[depth - 1], channels[depth])
        self.stages = nn.ModuleList([_UpStage(channels[i + 1], channels[i]) for i in reversed(range(depth))])
        self.dropout = nn.Dropout2d(dropout)
        self.head = nn.Conv2d(channels[0], classes, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottom(x)
        embedding = x.mean(dim=(2, 3))
        for index, stage in enumerate(self.stages):
            x = stage(self.dropout(x), skips[len(skips) - 1 - index])
        return self.head(x), embedding


def enable_mc_dropout(model: nn.Module) -> None:
    """Eval mode (fixed batch-norm statistics) with dropout sampling on."""
    model.eval()
    for module in model.modules():
        if isinstance(module, nn.Dropout2d):
            module.train()


@torch.no_grad()
def predict_maps(model: nn.Module, batch: np.ndarray, mc_samples: int = 0
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean class probabilities (B, C, H, W), their variance over Monte-Carlo
    passes, embeddings (B, E) and BALD (B, H, W) for a (B, 1, H, W) batch whose
    sides are multiples of ``model.multiple``; without passes the variance and
    BALD are zeros. The Triton model (deploy/triton/unet/model.py) computes
    the same outputs."""
    x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))
    if mc_samples > 1:
        enable_mc_dropout(model)
        try:
            passes = [model(x) for _ in range(mc_samples)]
        finally:
            model.eval()
        probabilities = torch.stack([F.softmax(logits, dim=1) for logits, _ in passes])
        embedding = torch.stack([e for _, e in passes]).mean(0)
        bald = mutual_information(probabilities.numpy(), sample_axis=0, class_axis=2).astype(np.float32)
        return (probabilities.mean(0).numpy(), probabilities.var(0, unbiased=False).numpy(), embedding.numpy(),
                bald)
    model.eval()
    logits, embedding = model(x)
    probabilities = F.softmax(logits, dim=1)
    return (probabilities.numpy(), torch.zeros_like(probabilities).numpy(), embedding.numpy(),
            torch.zeros_like(probabilities[:, 0]).numpy())


def predict_probabilities(model: nn.Module, batch: np.ndarray, mc_samples: int = 0
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean class probabilities, their Monte-Carlo variance and embeddings (see ``predict_maps``)."""
    probability, variance, embedding, _ = predict_maps(model, batch, mc_samples)
    return probability, variance, embedding
