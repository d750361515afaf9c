"""The Triton model repository that training publishes into: Triton's
standard layout, one numbered folder per version."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import torch

from labelassist import triton_template
from labelassist.models import MODEL_NAME

ONNX_MODEL_NAME = "unet_onnx"
TEMPLATE = Path(triton_template.__file__).parent / MODEL_NAME
ONNX_TEMPLATE = Path(triton_template.__file__).parent / ONNX_MODEL_NAME


def ensure_repository(root: Path) -> Path:
    """``root/unet/config.pbtxt`` from the template, if not there yet."""
    model_dir = Path(root) / MODEL_NAME
    model_dir.mkdir(parents=True, exist_ok=True)
    if not (model_dir / "config.pbtxt").exists():
        shutil.copy2(TEMPLATE / "config.pbtxt", model_dir / "config.pbtxt")
    return model_dir


def versions(root: Path) -> list[int]:
    model_dir = Path(root) / MODEL_NAME
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


def publish(root: Path, model: torch.nn.Module, meta: dict, onnx: bool = False) -> int:
    """Write the next version (TorchScript weights, model.py, meta.json) and
    return its number; the folder appears whole (renamed into place). With
    ``onnx`` the same version also goes to ``unet_onnx`` for Triton's native
    onnxruntime/TensorRT backends."""
    model_dir = ensure_repository(root)
    version = (versions(root) or [0])[-1] + 1
    staging = model_dir / f".staging-{version}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    model.eval()
    torch.jit.script(model).save(str(staging / "model.pt"))
    shutil.copy2(TEMPLATE / "model.py", staging / "model.py")
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


def unpublish(root: Path, version: int) -> None:
    """Take a version back out (its publication failed half-way): the folder
    goes in one rename, so Triton never sees it half removed."""
    for name in (MODEL_NAME, f"{MODEL_NAME}_onnx"):
        folder = Path(root) / name / str(version)
        if folder.is_dir():
            trash = folder.with_name(f".removed-{version}")
            shutil.rmtree(trash, ignore_errors=True)
            folder.rename(trash)
            shutil.rmtree(trash, ignore_errors=True)


def load_into_triton(url: str) -> None:
    """Ask a running Triton to (re)load the model: its newest version serves next."""
    import tritonclient.grpc as triton

    triton.InferenceServerClient(url).load_model(MODEL_NAME)


def served_versions(url: str) -> set[int]:
    """The U-Net versions the Triton at ``url`` has loaded and ready."""
    import tritonclient.grpc as triton

    index = triton.InferenceServerClient(url).get_model_repository_index(as_json=True).get("models", [])
    return {int(m["version"]) for m in index
            if m.get("name") == MODEL_NAME and m.get("state") == "READY" and m.get("version")}


def serve_version(url: str, root: Path, version: int) -> None:
    """Make the Triton at ``url`` serve exactly ``version`` (a rollback or a pin)."""
    import tritonclient.grpc as triton

    if version not in versions(root):
        raise ValueError(f"no unet version {version} in {root}")
    client = triton.InferenceServerClient(url)
    config = client.get_model_config(MODEL_NAME, as_json=True)["config"]
    config["version_policy"] = {"specific": {"versions": [str(version)]}}
    client.load_model(MODEL_NAME, config=json.dumps(config))


def version_summary(root: Path, version: int) -> dict:
    """What a published version's meta.json says of its last epoch and its data."""
    meta = json.loads((Path(root) / MODEL_NAME / str(version) / "meta.json").read_text())
    last = (meta.get("history") or [{}])[-1]
    return {"validation_dice": last.get("validation_dice", "-"), "train_samples": meta.get("train_samples", "-")}
