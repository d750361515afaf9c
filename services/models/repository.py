"""The Triton model repository that training publishes into: Triton's
standard layout, one numbered folder per version."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import torch

from labelassist import triton_template
from labelassist.models import CLICK_MODEL_NAME, MODEL_NAME
from labelassist.models.triton_access import connect
from labelassist.proto.wire.channel import replica_addresses

ONNX_MODEL_NAME = "unet_onnx"
TEMPLATES = Path(triton_template.__file__).parent
ONNX_TEMPLATE = TEMPLATES / ONNX_MODEL_NAME
# Every model the repository holds, in the order Triton loads them.
MODEL_NAMES = (MODEL_NAME, CLICK_MODEL_NAME)


def ensure_repository(root: Path, name: str = MODEL_NAME) -> Path:
    """``root/<name>/config.pbtxt`` from the template, if not there yet; one
    written by an earlier release gets the priority levels it lacks."""
    model_dir = Path(root) / name
    model_dir.mkdir(parents=True, exist_ok=True)
    config = model_dir / "config.pbtxt"
    if not config.exists():
        shutil.copy2(TEMPLATES / name / "config.pbtxt", config)
    else:
        with_priorities = add_priority_levels(config.read_text())
        if with_priorities is not None:
            config.write_text(with_priorities)
    return model_dir


def add_priority_levels(config: str) -> str | None:
    """``config`` with two priority levels in its dynamic batcher (see
    :mod:`labelassist.runtime.priority`), or None when it has them or
    batches nothing dynamically."""
    if "priority_levels" in config or "dynamic_batching" not in config:
        return None
    return re.sub(r"dynamic_batching\s*\{", "dynamic_batching {\n  priority_levels: 2\n  default_priority_level: 2",
                  config, count=1)


def versions(root: Path, name: str = MODEL_NAME) -> list[int]:
    model_dir = Path(root) / name
    if not model_dir.is_dir():
        return []
    return sorted(int(p.name) for p in model_dir.iterdir()
                  if p.is_dir() and p.name.isdigit() and (p / "model.pt").exists())


def export_onnx(model: torch.nn.Module, path: Path) -> Path:
    """ONNX with dynamic batch, height and width (needs the 'onnx' extra)."""
    model.eval()
    example = torch.rand(1, 1, 4 * model.multiple, 4 * model.multiple)
    dynamic = {"x": {0: torch.export.Dim("batch", max=1024), 2: torch.export.Dim.AUTO, 3: torch.export.Dim.AUTO}}
    torch.onnx.export(model, (example,), str(path), input_names=["IMAGE"], output_names=["LOGITS", "EMBEDDING"],
                      dynamic_shapes=dynamic, dynamo=True, verbose=False)
    return path


def publish(root: Path, model: torch.nn.Module, meta: dict, onnx: bool = False, name: str = MODEL_NAME) -> int:
    """Write the next version of model ``name`` (TorchScript weights,
    model.py, meta.json) and return its number; the folder appears whole
    (renamed into place). With ``onnx`` the same U-Net version also goes to
    ``unet_onnx`` for Triton's native onnxruntime/TensorRT backends."""
    model_dir = ensure_repository(root, name)
    version = (versions(root, name) or [0])[-1] + 1
    staging = model_dir / f".staging-{version}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    model.eval()
    torch.jit.script(model).save(str(staging / "model.pt"))
    shutil.copy2(TEMPLATES / name / "model.py", staging / "model.py")
    (staging / "meta.json").write_text(json.dumps({"version": version, "published_at": time.time(), **meta},
                                                  indent=2))
    staging.rename(model_dir / str(version))
    if onnx:
        onnx_dir = Path(root) / ONNX_MODEL_NAME
        (onnx_dir / str(version)).mkdir(parents=True, exist_ok=True)
        if not (onnx_dir / "config.pbtxt").exists():
            shutil.copy2(ONNX_TEMPLATE / "config.pbtxt", onnx_dir / "config.pbtxt")
        export_onnx(model, onnx_dir / str(version) / "model.onnx")
    return version


def install_generalist(root: Path) -> list[str]:
    """Publish each bundled generalist model as the first version of a model
    that has none yet (Triton ignores a version folder named 0, so the
    generalist is version 1, marked ``"source": "generalist"`` in its
    meta.json); a project's trained versions come after it and replace it.
    Returns the models installed."""
    from labelassist.models import generalist

    installed = []
    for name in MODEL_NAMES:
        if versions(root, name) or not generalist.available(name):
            continue
        model, meta = generalist.load_bundled(name)
        publish(root, model, {"source": "generalist", **meta}, name=name)
        installed.append(name)
    return installed


def version_source(root: Path, version: int, name: str = MODEL_NAME) -> str:
    """"generalist" for the bundled model, else "trained"."""
    path = Path(root) / name / str(version) / "meta.json"
    return json.loads(path.read_text()).get("source", "trained") if path.exists() else "trained"


def unpublish(root: Path, version: int, name: str = MODEL_NAME) -> None:
    """Take a version back out (its publication failed half-way): the folder
    goes in one rename, so Triton never sees it half removed."""
    for name in ((MODEL_NAME, ONNX_MODEL_NAME) if name == MODEL_NAME else (name,)):
        folder = Path(root) / name / str(version)
        if folder.is_dir():
            trash = folder.with_name(f".removed-{version}")
            shutil.rmtree(trash, ignore_errors=True)
            folder.rename(trash)
            shutil.rmtree(trash, ignore_errors=True)


def _replica_clients(url: str, secret: str | None) -> list:
    """A Triton client for each replica ``url`` names: model control
    reaches every replica, not the one a balanced call would pick."""
    return [connect(address, secret) for address in replica_addresses(url)]


def load_into_triton(url: str, name: str = MODEL_NAME, secret: str | None = None) -> None:
    """Ask each running Triton replica to (re)load a model: its newest version serves next."""
    for client in _replica_clients(url, secret):
        client.load_model(name)


def served_versions(url: str, name: str = MODEL_NAME, secret: str | None = None) -> set[int]:
    """The versions of model ``name`` that every Triton replica at ``url`` has loaded and ready."""
    served = []
    for client in _replica_clients(url, secret):
        index = client.get_model_repository_index(as_json=True).get("models", [])
        served.append({int(m["version"]) for m in index
                       if m.get("name") == name and m.get("state") == "READY" and m.get("version")})
    return set.intersection(*served) if served else set()


def serve_version(url: str, root: Path, version: int, name: str = MODEL_NAME, secret: str | None = None) -> None:
    """Make each Triton replica at ``url`` serve exactly ``version`` (a rollback or a pin)."""
    if version not in versions(root, name):
        raise ValueError(f"no {name} version {version} in {root}")
    for client in _replica_clients(url, secret):
        config = client.get_model_config(name, as_json=True)["config"]
        config["version_policy"] = {"specific": {"versions": [str(version)]}}
        client.load_model(name, config=json.dumps(config))


def version_summary(root: Path, version: int, name: str = MODEL_NAME) -> dict:
    """What a published version's meta.json says of its best epoch, its data and its source."""
    meta = json.loads((Path(root) / name / str(version) / "meta.json").read_text())
    history = meta.get("history") or [{}]
    last = history[meta["best_epoch"] - 1] if meta.get("best_epoch") else history[-1]
    return {"validation_dice": last.get("validation_dice", meta.get("validation_dice", "-")),
            "train_samples": meta.get("train_samples", "-"),
            "source": meta.get("source", "trained")}
