"""Train the U-Net on labelled samples: tiles with flips, 90° turns and
intensity jitter, half of them centred on foreground so that pools of mostly
empty tiles still teach the objects; cross-entropy plus soft Dice (robust
to the imbalance); validation Dice per epoch, and the best epoch's weights
are the result. Uses the GPU when there is one, else the CPU; seeded."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.nn import functional as F

from labelassist.imaging.tiling import normalize_image, pad_to_multiple
from labelassist.models.unet import UNet, predict_probabilities
from labelassist.imaging.measures import pooled_dice


@dataclass
class TrainingConfig:
    tile: int = 128
    epochs: int = 10
    steps_per_epoch: int = 20
    batch_size: int = 8
    learning_rate: float = 2e-3
    depth: int = 3
    width: int = 16
    dropout: float = 0.2
    # Share of training tiles centred on a foreground pixel.
    foreground_share: float = 0.5
    # Polarity, gamma, blur and noise too, for a model meant for images it never saw.
    strong_augmentation: bool = False
    seed: int = 0

    def __post_init__(self):
        if self.tile % 2**self.depth:
            raise ValueError(f"'tile' {self.tile} must be a multiple of 2**depth = {2**self.depth}")
        for name in ("epochs", "steps_per_epoch", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"'{name}' must be at least 1")


@dataclass
class EpochReport:
    epoch: int
    loss: float
    validation_dice: float


@dataclass
class TrainingResult:
    model: UNet
    history: list[EpochReport] = field(default_factory=list)
    # The epoch whose weights the model holds (best validation Dice); 0 without validation: the last.
    best_epoch: int = 0


def _prepare(images: Sequence[np.ndarray], masks: Sequence[np.ndarray], tile: int):
    pairs = []
    for image, mask in zip(images, masks):
        unit = normalize_image(image)
        if mask.shape != unit.shape:
            raise ValueError(f"mask shape {mask.shape} does not match image shape {unit.shape}")
        pad = ((0, max(tile - unit.shape[0], 0)), (0, max(tile - unit.shape[1], 0)))
        target = np.pad((mask > 0).astype(np.int64), pad)
        foreground = np.argwhere(target > 0)
        if len(foreground) > 4096:
            foreground = foreground[np.random.default_rng(len(pairs)).choice(len(foreground), 4096, replace=False)]
        pairs.append((np.pad(unit, pad, mode="reflect"), target, foreground))
    if not pairs:
        raise ValueError("no labelled samples to train on")
    return pairs


def _corner(image_shape, tile: int, rng: np.random.Generator, around=None) -> tuple[int, int]:
    """A tile's top-left corner: anywhere, or so that the tile holds ``around``."""
    if around is None:
        return int(rng.integers(image_shape[0] - tile + 1)), int(rng.integers(image_shape[1] - tile + 1))
    y, x = around
    top = int(np.clip(y - rng.integers(tile), 0, image_shape[0] - tile))
    left = int(np.clip(x - rng.integers(tile), 0, image_shape[1] - tile))
    return top, left


def _strong(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from scipy import ndimage

    crop = np.clip(crop, 0, 1)
    if rng.random() < 0.3:
        crop = 1 - crop
    crop = crop ** rng.uniform(0.6, 1.6)
    if rng.random() < 0.4:
        crop = ndimage.gaussian_filter(crop, rng.uniform(0.5, 1.5))
    if rng.random() < 0.5:
        crop = crop + rng.normal(0, rng.uniform(0.01, 0.08), crop.shape)
    return crop


def _batch(pairs, tile: int, size: int, rng: np.random.Generator, foreground_share: float = 0.5,
           strong: bool = False):
    images, targets = [], []
    with_objects = [pair for pair in pairs if len(pair[2])]
    for _ in range(size):
        if with_objects and rng.random() < foreground_share:
            image, mask, foreground = with_objects[rng.integers(len(with_objects))]
            top, left = _corner(image.shape, tile, rng, foreground[rng.integers(len(foreground))])
        else:
            image, mask, _ = pairs[rng.integers(len(pairs))]
            top, left = _corner(image.shape, tile, rng)
        crop, target = image[top:top + tile, left:left + tile], mask[top:top + tile, left:left + tile]
        turns = rng.integers(4)
        crop, target = np.rot90(crop, turns), np.rot90(target, turns)
        if rng.random() < 0.5:
            crop, target = crop[:, ::-1], target[:, ::-1]
        crop = np.clip(crop * rng.uniform(0.8, 1.2) + rng.uniform(-0.1, 0.1), 0, 1.5)
        images.append(_strong(crop, rng) if strong else crop)
        targets.append(target)
    return (torch.from_numpy(np.ascontiguousarray(np.stack(images)[:, None], dtype=np.float32)),
            torch.from_numpy(np.ascontiguousarray(np.stack(targets))))


def model_input(image: np.ndarray, multiple: int) -> np.ndarray:
    """The image as the U-Net takes it: normalised, its sides padded (by
    reflection) up to multiples of ``multiple``; crop outputs back to the image."""
    return pad_to_multiple(normalize_image(image), multiple)


def predict_mask(model: UNet, image: np.ndarray) -> np.ndarray:
    height, width = np.shape(image)[:2]
    probability, _, _ = predict_probabilities(model, model_input(image, model.multiple)[None, None])
    return probability[0, 1, :height, :width] >= 0.5


def train_unet(
    images: Sequence[np.ndarray],
    masks: Sequence[np.ndarray],
    config: TrainingConfig = TrainingConfig(),
    validation: tuple[Sequence[np.ndarray], Sequence[np.ndarray]] | None = None,
    progress: Callable[[EpochReport], None] | None = None,
    initial: UNet | None = None,
) -> TrainingResult:
    """Train the pre-label U-Net on images and foreground masks; with
    ``initial``, continue from its weights (its depth and width replace the
    config's), as the broad generalist continues from the first stage's."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    pairs = _prepare(images, masks, config.tile)
    if initial is not None:
        config.depth, config.width = initial.depth, initial.down[0][0].out_channels
    model = UNet(config.depth, config.width, dropout=config.dropout).to(device)
    if initial is not None:
        model.load_state_dict(initial.state_dict())
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.learning_rate)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, config.learning_rate,
                                                   total_steps=config.epochs * config.steps_per_epoch)
    result = TrainingResult(model)
    for epoch in range(1, config.epochs + 1):
        model.train()
        losses = []
        for _ in range(config.steps_per_epoch):
            batch, target = (t.to(device) for t in _batch(pairs, config.tile, config.batch_size, rng,
                                                          config.foreground_share, config.strong_augmentation))
            logits, _ = model(batch)
            probability = F.softmax(logits, dim=1)[:, 1]
            overlap = (probability * target).sum()
            soft_dice = 1 - (2 * overlap + 1) / (probability.sum() + target.sum() + 1)
            loss = F.cross_entropy(logits, target) + soft_dice
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(float(loss.detach()))
        model.eval()
        dice = float("nan")
        if validation is not None:
            model_cpu = model.to("cpu")
            # Pooled over the validation pixels: on a pool of mostly empty tiles a mean of
            # per-tile Dice keeps the epoch that predicts least.
            dice = pooled_dice((predict_mask(model_cpu, image), mask) for image, mask in zip(*validation))
            model.to(device)
        report = EpochReport(epoch, float(np.mean(losses)), dice)
        result.history.append(report)
        if not np.isnan(dice) and dice >= max((h.validation_dice for h in result.history), default=-1):
            best = {name: value.detach().cpu().clone() for name, value in model.state_dict().items()}
            result.best_epoch = epoch
        if progress:
            progress(report)
    if result.best_epoch:
        model.load_state_dict(best)
    result.model = model.to("cpu").eval()
    return result


def train_on_samples(train: Sequence[tuple[np.ndarray, np.ndarray]], test: Sequence[tuple[np.ndarray, np.ndarray]],
                     config: TrainingConfig, progress: Callable[[EpochReport], None] | None,
                     source: str) -> tuple[TrainingResult, dict]:
    """Train on (image, mask) pairs, validate on ``test``; returns the result
    and the metadata to publish with it."""
    if not train:
        raise ValueError(f"no labelled training samples in {source}")
    validation = ([image for image, _ in test], [mask for _, mask in test]) if test else None
    result = train_unet([image for image, _ in train], [mask for _, mask in train], config, validation, progress)
    meta = {"dataset": source, "train_samples": len(train), "test_samples": len(test),
            "config": vars(config), "history": [vars(h) for h in result.history],
            "best_epoch": result.best_epoch}
    return result, meta


def dataset_pairs(folder, roots: Sequence | None = None) -> tuple[list, list]:
    """A dataset folder's labelled samples as (image, mask) pairs: split
    "train" (or no split) and split "test". With ``roots``, every file is
    first confined to them (symlinks resolved), as the server's dataset
    roots are: a link out of them is a ``PermissionError`` naming it."""
    from labelassist.io.confinement import confine
    from labelassist.io.dataset_folder import read_dataset
    from labelassist.io.images import read_image

    samples = [s for s in read_dataset(folder) if s.label is not None]
    if roots is not None:  # every path checked before the first is read
        paths = {s.stem: (confine(s.image, roots), confine(s.label, roots)) for s in samples}
    else:
        paths = {s.stem: (s.image, s.label) for s in samples}
    pairs = {stem: (read_image(image), read_image(label)) for stem, (image, label) in paths.items()}
    train = [pairs[s.stem] for s in samples if s.split in (None, "train")]
    test = [pairs[s.stem] for s in samples if s.split == "test"]
    return train, test


def train_on_dataset(folder, config: TrainingConfig = TrainingConfig(),
                     progress: Callable[[EpochReport], None] | None = None) -> tuple[TrainingResult, dict]:
    """Train on a dataset folder's labelled samples (split "train", or all
    without a split; "test" rows validate)."""
    train, test = dataset_pairs(folder)
    return train_on_samples(train, test, config, progress, str(folder))
