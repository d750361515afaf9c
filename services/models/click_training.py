"""Train the click model with simulated clicks (Sofiiuk et al. 2022, RITM;
Mahadevan et al. 2018): a first click inside an object, then, with the
model's own answers, up to ``max_corrections`` further clicks at the centre
of the largest error region; the loss is taken on the last answer. A third
of the examples start from a spoilt mask (grown, shrunk, or merged with a
neighbour), as a pre-label the annotator corrects. Seeded; the GPU when
there is one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from scipy import ndimage
from torch.nn import functional as F

from labelassist.imaging.checks import grey
from labelassist.imaging.measures import instance_labels
from labelassist.io.intensity import to_unit
from labelassist.models.clicks import (
    FIRST_WINDOW,
    INPUT_SIDE,
    Click,
    Window,
    click_maps,
    corrective_click,
    crop_resized,
    intensity_range,
)
from labelassist.models.unet import UNet

MIN_OBJECT_PIXELS = 12
# Share of examples that start from a spoilt mask (a pre-label being corrected).
SPOILT_SHARE = 0.35


@dataclass
class ClickTrainingConfig:
    steps: int = 600
    batch_size: int = 16
    learning_rate: float = 2e-3
    depth: int = 4
    width: int = 16
    max_corrections: int = 3
    # Strong intensity augmentation (polarity, gamma, blur, noise) for a
    # model that must work on images it never saw.
    strong_augmentation: bool = False
    seed: int = 0

    def __post_init__(self):
        for name in ("steps", "batch_size", "depth", "width"):
            if getattr(self, name) < 1:
                raise ValueError(f"'{name}' must be at least 1")


@dataclass
class ClickTrainingResult:
    model: UNet
    losses: list[float] = field(default_factory=list)
    config: ClickTrainingConfig | None = None

    def meta(self, source: str, samples: int) -> dict:
        return {"dataset": source, "train_samples": samples, "config": asdict(self.config),
                "final_loss": float(np.mean(self.losses[-20:])) if self.losses else float("nan")}


def new_click_model(depth: int = 4, width: int = 16) -> UNet:
    """The click model's network: a U-Net over image, positive clicks, negative clicks and current mask."""
    return UNet(depth, width, classes=2, dropout=0.0, in_channels=4)


def object_index(labels: Sequence[np.ndarray]) -> list[tuple[int, int, tuple[int, int, int, int]]]:
    """(pair, label id, bounding box) of every object large enough to click on."""
    objects = []
    for pair, label in enumerate(labels):
        ids = np.unique(label)
        slices = ndimage.find_objects(np.asarray(label, np.int64))
        for value in ids[ids > 0]:
            box = slices[int(value) - 1]
            if box is None:
                continue
            area = int((label[box] == value).sum())
            if area >= MIN_OBJECT_PIXELS:
                objects.append((pair, int(value), (box[0].start, box[1].start, box[0].stop, box[1].stop)))
    return objects


def _inner_point(target: np.ndarray, rng: np.random.Generator) -> tuple[int, int]:
    """A point inside the object, drawn towards its interior as people click."""
    distance = ndimage.distance_transform_edt(np.pad(target, 1))[1:-1, 1:-1]
    weights = (distance**2).ravel()
    index = rng.choice(weights.size, p=weights / weights.sum())
    return divmod(int(index), target.shape[1])


def _augment_intensity(unit: np.ndarray, rng: np.random.Generator, strong: bool) -> np.ndarray:
    unit = np.clip(unit * rng.uniform(0.8, 1.2) + rng.uniform(-0.1, 0.1), 0, 1)
    if strong:
        if rng.random() < 0.3:
            unit = 1 - unit
        unit = unit ** rng.uniform(0.6, 1.6)
        if rng.random() < 0.4:
            unit = ndimage.gaussian_filter(unit, rng.uniform(0.5, 1.5))
        if rng.random() < 0.5:
            unit = unit + rng.normal(0, rng.uniform(0.01, 0.08), unit.shape)
    return unit.astype(np.float32)


def _pick_object(objects, by_pair: dict[int, list[int]], rng: np.random.Generator):
    """Half the time any object, half the time an object of an image drawn
    first: images crowded with objects do not drown out the rest."""
    if rng.random() < 0.5:
        return objects[rng.integers(len(objects))]
    members = by_pair[list(by_pair)[rng.integers(len(by_pair))]]
    return objects[members[rng.integers(len(members))]]


def _example(pairs, objects, by_pair, rng: np.random.Generator, strong: bool):
    """One training window: image (S, S), the object's mask, its
    neighbours' labels, and the first click (model pixels)."""
    pair, value, (top, left, bottom, right) = _pick_object(objects, by_pair, rng)
    image, labels, scale = pairs[pair]
    obj = labels[top:bottom, left:right] == value
    y, x = _inner_point(obj, rng)
    y, x = y + top, x + left
    extent = max(bottom - top, right - left)
    if rng.random() < 0.5:  # a first click: the window centred on it, as zoomed out as inference gets it
        sides = [FIRST_WINDOW]
        while sides[-1] < extent * 1.1:
            sides.append(sides[-1] * 2)
        # Mostly the window the object fits; else a smaller one, where the object must run
        # to the window's edge so that inference zooms out.
        side = sides[-1] if rng.random() < 0.4 else sides[rng.integers(len(sides))]
        window = Window(int(y - side // 2), int(x - side // 2), side)
    else:  # a later click: the window around the object's extent
        side = int(extent * rng.uniform(1.3, 1.8) + 16)
        jitter = rng.uniform(-0.1, 0.1, 2) * side
        window = Window(int((top + bottom - side) / 2 + jitter[0]), int((left + right - side) / 2 + jitter[1]),
                        side)
    unit = to_unit(crop_resized(image, window, order=1), scale)
    crop_labels = crop_resized(labels.astype(np.float32), window, order=0).astype(np.int64)
    target = crop_labels == value
    point = np.zeros((INPUT_SIDE, INPUT_SIDE), bool)
    my, mx = window.to_model(y, x)
    point[int(np.clip(round(my), 0, INPUT_SIDE - 1)), int(np.clip(round(mx), 0, INPUT_SIDE - 1))] = True
    turns = int(rng.integers(4))
    flip = rng.random() < 0.5
    arrays = []
    for array in (unit, target, crop_labels, point):
        array = np.rot90(array, turns)
        arrays.append(np.ascontiguousarray(array[:, ::-1] if flip else array))
    unit, target, crop_labels, point = arrays
    if not target.any():
        target = point.copy()
    if not target[point].any():  # resizing lost the clicked pixel: click the object's own interior
        ys, xs = np.nonzero(target)
        point[:] = False
        point[ys[len(ys) // 2], xs[len(xs) // 2]] = True
    neighbours = (crop_labels > 0) & ~target
    click = np.argwhere(point)[0]
    return _augment_intensity(unit, rng, strong), target, neighbours, (float(click[0]), float(click[1]))


def _spoilt(target: np.ndarray, neighbours: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A wrong current mask to start from: grown, shrunk or merged with a neighbour."""
    choice = rng.integers(3)
    if choice == 0:
        return ndimage.binary_dilation(target, iterations=int(rng.integers(2, 6)))
    if choice == 1:
        shrunk = ndimage.binary_erosion(target, iterations=int(rng.integers(2, 6)))
        return shrunk if shrunk.any() else target
    return target | neighbours if neighbours.any() else ndimage.binary_dilation(target, iterations=3)


def _inputs(units, clicks, previous) -> torch.Tensor:
    rows = [np.concatenate([u[None], click_maps(c), p[None].astype(np.float32)])
            for u, c, p in zip(units, clicks, previous)]
    return torch.from_numpy(np.stack(rows).astype(np.float32))


def train_click_model(pairs: Sequence[tuple[np.ndarray, np.ndarray]], config: ClickTrainingConfig = ClickTrainingConfig(),
                      progress: Callable[[int, float], None] | None = None,
                      initial: UNet | None = None) -> ClickTrainingResult:
    """Train a click model on (image, instance labels) pairs.

    Parameters
    ----------
    pairs : sequence of (ndarray, ndarray)
        Grey images and their label images: instance ids, or a binary mask
        whose connected components are the objects.
    config : ClickTrainingConfig
    progress : callable, optional
        Called with (step, loss) every 20 steps and at the end.
    initial : UNet, optional
        Weights to start from (fine-tuning the bundled generalist); its
        depth and width replace the config's.

    Returns
    -------
    ClickTrainingResult
    """
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    pairs = [(np.asarray(image), np.asarray(labels)) for image, labels in pairs]
    for image, labels in pairs:
        if image.shape[:2] != labels.shape[:2]:
            raise ValueError(f"labels {labels.shape} do not match image {image.shape}")
    pairs = [(grey(image).astype(np.float32), instance_labels(labels)) for image, labels in pairs]
    pairs = [(image, labels, intensity_range(image)) for image, labels in pairs]
    objects = object_index([labels for _, labels, _ in pairs])
    by_pair: dict[int, list[int]] = {}
    for index, (pair, _, _) in enumerate(objects):
        by_pair.setdefault(pair, []).append(index)
    if not objects:
        raise ValueError(f"no objects of at least {MIN_OBJECT_PIXELS} pixels to train the click model on")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = new_click_model(config.depth, config.width)
    if initial is not None:
        config.depth, config.width = initial.depth, initial.down[0][0].out_channels
        model = new_click_model(config.depth, config.width)
        model.load_state_dict(initial.state_dict())
    model = model.to(device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.learning_rate)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, config.learning_rate, total_steps=config.steps)
    result = ClickTrainingResult(model, config=config)
    model.train()
    for step in range(1, config.steps + 1):
        examples = [_example(pairs, objects, by_pair, rng, config.strong_augmentation)
                    for _ in range(config.batch_size)]
        units = [e[0] for e in examples]
        targets = [e[1] for e in examples]
        clicks = [[(*e[3], True)] for e in examples]
        previous = [np.zeros_like(t) for t in targets]
        for index, (_, target, neighbours, _) in enumerate(examples):
            if rng.random() < SPOILT_SHARE:
                previous[index] = _spoilt(target, neighbours, rng)
                fix = corrective_click(target, previous[index])
                if fix is not None:
                    clicks[index].append((fix.y, fix.x, fix.positive))
            elif rng.random() < 0.15 and neighbours.any():  # a negative click on a neighbour up front
                ys, xs = np.nonzero(neighbours)
                pick = rng.integers(len(ys))
                clicks[index].append((float(ys[pick]), float(xs[pick]), False))
        for _ in range(int(rng.integers(config.max_corrections + 1))):
            with torch.no_grad():
                answer = F.softmax(model(_inputs(units, clicks, previous).to(device))[0], dim=1)[:, 1].cpu().numpy()
            for index, target in enumerate(targets):
                previous[index] = answer[index] >= 0.5
                fix: Click | None = corrective_click(target, previous[index])
                if fix is not None:
                    clicks[index].append((fix.y, fix.x, fix.positive))
        logits, _ = model(_inputs(units, clicks, previous).to(device))
        target = torch.from_numpy(np.stack(targets).astype(np.int64)).to(device)
        probability = F.softmax(logits, dim=1)[:, 1]
        overlap = (probability * target).sum(dim=(1, 2))
        soft_dice = 1 - (2 * overlap + 1) / (probability.sum(dim=(1, 2)) + target.sum(dim=(1, 2)) + 1)
        loss = F.cross_entropy(logits, target) + soft_dice.mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        result.losses.append(float(loss.detach()))
        if progress and (step % 20 == 0 or step == config.steps):
            progress(step, float(np.mean(result.losses[-20:])))
    result.model = model.to("cpu").eval()
    return result


def fine_tune_click_model(pairs: Sequence[tuple[np.ndarray, np.ndarray]], config: ClickTrainingConfig,
                          progress: Callable[[int, float], None] | None, source: str
                          ) -> tuple[ClickTrainingResult, dict]:
    """A project's click model: :func:`train_click_model` from the bundled
    generalist's weights when the package has them; the result and the
    metadata to publish with it."""
    from labelassist.models import CLICK_MODEL_NAME, generalist

    if not pairs:
        raise ValueError(f"no labelled samples in {source} to train the click model on")
    initial = generalist.load_bundled(CLICK_MODEL_NAME)[0] if generalist.available(CLICK_MODEL_NAME) else None
    result = train_click_model(pairs, config, progress, initial=initial)
    return result, {**result.meta(source, len(pairs)), "source": "trained",
                    "fine_tuned_from": "generalist" if initial is not None else None}


def click_model_predictor(model: torch.nn.Module) -> Callable[[np.ndarray], np.ndarray]:
    """The in-process ``predict`` for :func:`labelassist.models.clicks.segment_object`."""
    model.eval()

    @torch.no_grad()
    def predict(batch: np.ndarray) -> np.ndarray:
        logits, _ = model(torch.from_numpy(np.ascontiguousarray(batch, np.float32)))
        return F.softmax(logits, dim=1)[:, 1].numpy()

    return predict
