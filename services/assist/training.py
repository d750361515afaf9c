"""Training jobs' work, wherever it runs: in a thread of the assist replica
that took the Train call, or in a trainer process of its own (``labelassist
trainer``, a Kubernetes Job with the GPU) that takes queued jobs from the
shared journal. A :class:`TrainingRequest` says what to train on what."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from labelassist.assist import jobs
from labelassist.models import CLICK_MODEL_NAME, MODEL_NAME


def project_pairs(selector, project: str):
    """A selector project's latest labels as (image, mask) pairs, every tenth
    sample (by pool order) held out for validation."""
    train, test = [], []
    for index, info in enumerate(selector.list_samples(project, labeled_only=True)):
        sample = selector.get_sample(info.sample_id, cached=False)
        (test if index % 10 == 9 else train).append((sample.require("image"), sample.require("label")))
    return train, test


def train_and_publish(source, config, model_repository, triton_url, job: jobs.Job, record=None) -> int:
    """Train on a dataset folder or on (train, test) pairs, publish, and load
    into Triton when one is configured; ``record(version, labels, dice)``
    then tells the project's selector (a point of its learning curve)."""
    from labelassist.models.training import train_on_dataset, train_on_samples

    def report(r):
        job.record(jobs.Event(jobs.RUNNING, r.epoch, config.epochs, r.loss, r.validation_dice))

    if isinstance(source, tuple):
        name, (train, test) = source
        result, meta = train_on_samples(train, test, config, report, name)
    else:
        result, meta = train_on_dataset(source, config, report)
    version = publish_and_load(model_repository, result.model, meta, triton_url, MODEL_NAME)
    if record is not None:
        best = result.history[result.best_epoch - 1] if result.best_epoch else result.history[-1]
        record(version, meta["train_samples"], best.validation_dice)
    return version


def publish_and_load(model_repository, model, meta: dict, triton_url, name: str) -> int:
    """Publish the next version of model ``name`` and load it into Triton
    when one is configured; the version."""
    from labelassist.models import repository as model_store

    version = model_store.publish(model_repository, model, meta, name=name)
    if triton_url:
        try:
            model_store.load_into_triton(triton_url, name)
        except Exception:
            # A job reported FAILED leaves no version behind that Triton could pick up later.
            model_store.unpublish(model_repository, version, name)
            raise
    return version


def train_click_and_publish(source, config, model_repository, triton_url, job: jobs.Job) -> int:
    """Fine-tune the click model (from the bundled generalist when there is
    one) on a dataset folder or (train, test) pairs, publish, load into Triton."""
    from labelassist.models.click_training import fine_tune_click_model
    from labelassist.models.training import dataset_pairs

    name, (pairs, _) = source if isinstance(source, tuple) else (str(source), dataset_pairs(source))
    result, meta = fine_tune_click_model(pairs, config, lambda step, loss: job.record(
        jobs.Event(jobs.RUNNING, step, config.steps, loss, float("nan"))), name)
    return publish_and_load(model_repository, result.model, meta, triton_url, CLICK_MODEL_NAME)


# The most a training request may ask for: one run holds the only training
# slot, so its length (steps), its memory (batch x tile², width, depth) and
# its seed (torch's 64-bit one) are bounded.
TRAINING_LIMITS = {"epochs": 1000, "steps_per_epoch": 1000, "batch_size": 64, "tile": 1024, "depth": 6,
                   "width": 64, "seed": (1 << 63) - 1}
MAX_TRAINING_STEPS = 100_000  # epochs x steps_per_epoch
MAX_BATCH_PIXELS = 1 << 24  # batch_size x tile²: 16 tiles of 1024²


def check_training_parameters(parameters: dict[str, int]) -> dict[str, int]:
    """Training parameters as a request gives them (0: the default), each
    within :data:`TRAINING_LIMITS` and together within
    :data:`MAX_TRAINING_STEPS` and :data:`MAX_BATCH_PIXELS`; a
    ``ValueError`` names the one out of bounds."""
    for name, value in parameters.items():
        if name in TRAINING_LIMITS and not 0 <= int(value) <= TRAINING_LIMITS[name]:
            raise ValueError(f"'{name}' is {value}; at most {TRAINING_LIMITS[name]}")
    steps = (parameters.get("epochs") or 1) * (parameters.get("steps_per_epoch") or 1)
    if steps > MAX_TRAINING_STEPS:
        raise ValueError(f"'epochs' x 'steps_per_epoch' is {steps} steps; at most {MAX_TRAINING_STEPS}")
    pixels = (parameters.get("batch_size") or 1) * (parameters.get("tile") or 1) ** 2
    if pixels > MAX_BATCH_PIXELS:
        raise ValueError(f"'batch_size' x 'tile'² is {pixels} pixels a step; at most {MAX_BATCH_PIXELS}")
    return parameters


# What the Train call can train: the model's name in the repository -> what it is.
TRAINABLE = {MODEL_NAME: "the pre-label U-Net", CLICK_MODEL_NAME: "the click model"}


@dataclass
class TrainingRequest:
    """What one training job does: the model, its configuration (the fields
    the Train call set), and its source: a dataset folder, or a project's
    labels as (image, mask) pairs kept in ``pairs`` (train, validation)."""
    model: str
    config: dict = field(default_factory=dict)
    dataset: str = ""
    project: str = ""
    pairs: tuple[list, list] | None = None
    roots: list[str] = field(default_factory=list)  # the dataset roots its files must lie in

    def describe(self) -> dict:
        """The request as the journal keeps it (the pairs go beside it, in a file)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "pairs"}

    def save_pairs(self, path: Path) -> None:
        train, test = self.pairs
        arrays = {f"{kind}_{part}_{i}": array for kind, pairs in (("train", train), ("test", test))
                  for i, pair in enumerate(pairs) for part, array in zip(("image", "mask"), pair)}
        np.savez_compressed(path, **arrays)

    @staticmethod
    def load_pairs(path: Path) -> tuple[list, list]:
        with np.load(path) as saved:
            def pairs(kind: str) -> list:
                count = sum(1 for name in saved.files if name.startswith(f"{kind}_image_"))
                return [(saved[f"{kind}_image_{i}"], saved[f"{kind}_mask_{i}"]) for i in range(count)]
            return pairs("train"), pairs("test")


def run_training(request: TrainingRequest, model_repository: Path, triton_url: str | None, job: jobs.Job,
                 record=None) -> int:
    """Train, publish and load the requested model; the published version."""
    from labelassist.models.click_training import ClickTrainingConfig
    from labelassist.models.training import TrainingConfig

    from labelassist.models.training import dataset_pairs

    if request.project:
        source = (f"project {request.project}", request.pairs)
    else:  # read here, each file confined to the dataset roots the Train call was checked against
        source = (request.dataset, dataset_pairs(request.dataset, [Path(r) for r in request.roots] or None))
    if request.model == CLICK_MODEL_NAME:
        given = {k: int(v) for k, v in request.config.items() if v and k in ("batch_size", "depth", "width", "seed")}
        # 500 steps by default: on HeLa, fine-tuning the generalist 150 steps left NoC@90 at 3.1, 500 at 2.0.
        steps = (request.config.get("epochs") or 10) * (request.config.get("steps_per_epoch") or 50)
        return train_click_and_publish(source, ClickTrainingConfig(steps=steps, **given), model_repository,
                                       triton_url, job)
    config = TrainingConfig(**{k: int(v) for k, v in request.config.items() if v})
    return train_and_publish(source, config, model_repository, triton_url, job, record)


def training_recorder(selector, request: TrainingRequest, token: str | None):
    """For a U-Net trained on a project's labels: ``record(version, labels,
    dice)``, which tells the project's selector (``selector``, a
    SelectorLink) of the new point of its learning curve with ``token`` (the
    job outlives the call that started it); None for other trainings."""
    if not request.project or request.model != MODEL_NAME:
        return None

    def record(version: int, labels: int, dice: float) -> None:
        if not np.isfinite(dice):  # no validation labels: no point of the curve
            return
        with selector.calls(token) as link:
            link.record_training(request.project, MODEL_NAME, version, labels, dice)
    return record
