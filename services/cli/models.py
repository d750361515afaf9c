"""``train`` and ``model``: the U-Net on this machine (in process, not through a service)."""

from __future__ import annotations

import sys
from pathlib import Path

from labelassist.cli.common import add_training_arguments, running_triton, training_config


def cmd_train(args) -> int:
    from tqdm import tqdm

    from labelassist.models import repository as model_store
    from labelassist.models.training import train_on_dataset

    config = training_config(args)
    with tqdm(total=config.epochs, desc="training", unit="epoch", file=sys.stderr) as bar:
        def report(epoch):
            bar.set_postfix(loss=f"{epoch.loss:.3f}", dice=f"{epoch.validation_dice:.3f}")
            bar.update()

        result, meta = train_on_dataset(args.dataset, config, report)
    repository = args.data_dir / "models"
    version = model_store.publish(repository, result.model, meta, onnx=args.onnx)
    print(f"published unet version {version} to {repository}" + (" (and ONNX)" if args.onnx else ""))
    triton_url = running_triton(args)
    if triton_url:
        model_store.load_into_triton(triton_url)
        print(f"loaded into Triton at {triton_url}: U-Net pre-labels use version {version} now")
    return 0


def cmd_model(args) -> int:
    """List the published versions (and which Triton serves), or serve one."""
    from labelassist.models import repository as model_store

    repository = args.data_dir / "models"
    triton_url = running_triton(args)
    if args.action == "list":
        if not model_store.versions(repository):
            print(f"no U-Net version published yet in {repository}; train one with "
                  "`labelassist train DATASET` (or Train on a project from the client)")
            return 0
        ready = model_store.served_versions(triton_url) if triton_url else set()
        for version in model_store.versions(repository):
            summary = model_store.version_summary(repository, version)
            print(f"{version:>4}  {'serving' if version in ready else '':<8} dice={summary['validation_dice']}"
                  f"  samples={summary['train_samples']}")
        return 0
    if not triton_url:
        raise ValueError("no running Triton: start the stack with `labelassist up`")
    model_store.serve_version(triton_url, repository, args.version)
    print(f"Triton serves unet version {args.version}")
    return 0


def register(commands) -> None:
    train = commands.add_parser("train", help="train the U-Net on a dataset folder and publish it to Triton")
    train.add_argument("dataset", type=Path)
    add_training_arguments(train)
    train.add_argument("--onnx", action="store_true", help="also export ONNX for Triton's onnxruntime/TensorRT "
                       "backends (needs the 'onnx' extra)")
    train.set_defaults(handler=cmd_train)
    model = commands.add_parser("model", help="list published U-Net versions or serve one (rollback)")
    model.add_argument("action", choices=("list", "use"))
    model.add_argument("version", type=int, nargs="?")
    model.set_defaults(handler=cmd_model)
