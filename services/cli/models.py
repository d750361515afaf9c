"""``train``, ``model`` and ``trainer``: the U-Net and the click model on
this machine (in process, not through a service), and the runner of the
training jobs assist queues."""

from __future__ import annotations

import sys
from pathlib import Path

from labelassist.cli.common import add_training_arguments, client_for, running_triton, training_config
from labelassist.proto.wire.addresses import env


def train_click_model_cli(args) -> int:
    """``train --model clicknet``: fine-tune the click model (from the bundled
    generalist) on a dataset folder's training labels with simulated clicks."""
    from tqdm import tqdm

    from labelassist.models import CLICK_MODEL_NAME
    from labelassist.models import repository as model_store
    from labelassist.models.click_training import ClickTrainingConfig, fine_tune_click_model
    from labelassist.models.training import dataset_pairs

    pairs, _ = dataset_pairs(args.dataset)
    config = ClickTrainingConfig(steps=args.epochs * args.steps, seed=args.seed)
    with tqdm(total=config.steps, desc="training the click model", unit="step", file=sys.stderr) as bar:
        def report(step, loss):
            bar.set_postfix(loss=f"{loss:.3f}")
            bar.update(step - bar.n)

        result, meta = fine_tune_click_model(pairs, config, report, str(args.dataset))
    repository = args.data_dir / "models"
    version = model_store.publish(repository, result.model, meta, name=CLICK_MODEL_NAME)
    print(f"published clicknet version {version} to {repository}")
    triton_url = running_triton(args)
    if triton_url:
        model_store.load_into_triton(triton_url, CLICK_MODEL_NAME)
        print(f"loaded into Triton at {triton_url}: click-to-segment uses version {version} now")
    return 0


def cmd_train(args) -> int:
    from tqdm import tqdm

    from labelassist.models import repository as model_store
    from labelassist.models.training import train_on_dataset

    if args.model == "clicknet":
        return train_click_model_cli(args)
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
    """List the published versions (and which Triton serves), serve one, or add a BioImage.IO package."""
    from labelassist.models import repository as model_store

    repository = args.data_dir / "models"
    if args.action == "install":
        for name in model_store.MODEL_NAMES:
            model_store.ensure_repository(repository, name)
        installed = model_store.install_generalist(repository)
        print(f"installed the bundled generalist {' and '.join(installed)} as version 1 in {repository}"
              if installed else f"every model in {repository} has a version already; nothing installed")
        return 0
    if args.action == "onnx":
        return write_onnx_recipe(repository, args.target)
    if args.action == "add":
        return add_package(args, repository)
    if args.action == "add-sam":
        return add_sam(args, repository)
    triton_url = running_triton(args)
    if args.action == "list":
        return list_models(repository, triton_url)
    if not triton_url:
        raise ValueError("no running Triton: start the stack with `labelassist up`")
    if args.target is None or not args.target.isdigit():
        raise ValueError(f"`model use` takes a version number, got {args.target!r}")
    model_store.serve_version(triton_url, repository, int(args.target), args.model)
    print(f"Triton serves {args.model} version {args.target}")
    return 0


def write_onnx_recipe(repository: Path, target: str | None) -> int:
    """The GPU recipe: the newest U-Net and click model as ONNX in a Triton repository of their own."""
    from labelassist.models.onnx_serving import write_gpu_repository

    if not target:
        raise ValueError("`model onnx` takes the folder to write the GPU repository to")
    written = write_gpu_repository(repository, Path(target))
    if not written:
        raise ValueError(f"no published U-Net or click model in {repository}: run `labelassist model install` "
                         "or train one first")
    print(f"wrote {', '.join(f'{name} version {v}' for name, v in written.items())} as ONNX (ONNX Runtime on "
          f"the GPU) to {target}: serve it with NVIDIA's tritonserver container (see docs/deployment.md)")
    return 0


def list_models(repository: Path, triton_url: str | None) -> int:
    from labelassist.models import bioimage, sam
    from labelassist.models import repository as model_store

    packages = bioimage.installed_packages(repository)
    sam_models = sam.installed_models(repository)
    if not any(model_store.versions(repository, name) for name in model_store.MODEL_NAMES) and not packages \
            and not sam_models:
        print(f"no U-Net version published yet in {repository}; train one with "
              "`labelassist train DATASET` (or Train on a project from the client)")
        return 0
    for name in model_store.MODEL_NAMES:
        ready = model_store.served_versions(triton_url, name) if triton_url else set()
        for version in model_store.versions(repository, name):
            summary = model_store.version_summary(repository, version, name)
            quality = f"dice={summary['validation_dice']}" if name == "unet" else ""
            print(f"{name:<9}{version:>4}  {'serving' if version in ready else '':<8} "
                  f"{summary['source']:<11}{quality}  samples={summary['train_samples']}")
    for name, spec in packages.items():
        ready = model_store.served_versions(triton_url, spec.triton_name) if triton_url else set()
        for version in bioimage.package_versions(repository, name):
            print(f"{spec.triton_name:<9}{version:>4}  {'serving' if version in ready else '':<8} bioimageio "
                  f"{spec.output_kind} output, {spec.weights} weights  method=bioimageio:model={name}")
    for name, spec in sam_models.items():
        encoder = spec.triton_name("encoder")
        ready = model_store.served_versions(triton_url, encoder) if triton_url else set()
        for version in sam.installed_versions(repository, name):
            print(f"{sam.PREFIX + name:<9}{version:>4}  {'serving' if version in ready else '':<8} sam "
                  f"{spec.kind} sha256={spec.sha256[:12]}  segment model={sam.PREFIX + name}")
    return 0


def add_sam(args, repository: Path) -> int:
    """``model add-sam CHECKPOINT|URL``: check a SAM-family checkpoint (its
    sha256, its kind, every weight), add its encoder and decoder to the
    repository and load both into the running stack's Triton. A checkpoint
    that is not what it was said to be exits 1 with the reason."""
    from labelassist.models import repository as model_store
    from labelassist.models import sam

    if not args.target:
        raise ValueError("`model add-sam` takes a SAM checkpoint: a file (.pth) or a URL with --sha256")
    try:
        spec, version = sam.install_checkpoint(repository, args.target, args.name, args.kind, args.sha256)
    except (ValueError, OSError, RuntimeError) as error:
        print(f"labelassist model add-sam: {error}", file=sys.stderr)
        return 1
    print(f"added the {spec.kind} checkpoint {spec.source} (sha256 {spec.sha256}) as {sam.PREFIX}{spec.name} "
          f"version {version} ({spec.triton_name('encoder')}, {spec.triton_name('decoder')}) to {repository}")
    triton_url = running_triton(args)
    if triton_url:
        from tritonclient.utils import InferenceServerException

        try:
            for part in sam.PARTS:
                model_store.load_into_triton(triton_url, spec.triton_name(part))
        except InferenceServerException as error:
            for part in sam.PARTS:
                model_store.unpublish(repository, version, spec.triton_name(part))
            print(f"labelassist model add-sam: Triton at {triton_url} could not load {sam.PREFIX}{spec.name}, so "
                  f"it was not added: {error.message()}", file=sys.stderr)
            return 1
        print(f"loaded into Triton at {triton_url}")
    print(f"click-to-segment with it: Segment's model={sam.PREFIX}{spec.name} (SDK: segment(..., "
          f"model={sam.PREFIX + spec.name!r}))")
    return 0


def add_package(args, repository: Path) -> int:
    """``model add PACKAGE``: validate a BioImage.IO package, add it to the
    repository, load it into the running stack's Triton and, with
    --project, make it the project's pre-label method. A package that is
    not valid or needs what is not supported exits 1 with the reason."""
    from labelassist.models import bioimage
    from labelassist.models import repository as model_store

    if not args.target:
        raise ValueError("`model add` takes a BioImage.IO package: a .zip, its rdf.yaml, or a URL")
    try:
        spec, version = bioimage.install_package(repository, args.target, args.name)
    except (ValueError, OSError, RuntimeError) as error:
        print(f"labelassist model add: {error}", file=sys.stderr)
        return 1
    print(f"added {spec.title!r} as {spec.triton_name} version {version} ({spec.weights} weights, "
          f"{spec.output_kind} output) to {repository}")
    triton_url = running_triton(args)
    if triton_url:
        from tritonclient.utils import InferenceServerException

        try:
            model_store.load_into_triton(triton_url, spec.triton_name)
        except InferenceServerException as error:
            # Taken back out, so a restarted stack does not try it again.
            model_store.unpublish(repository, version, spec.triton_name)
            print(f"labelassist model add: Triton at {triton_url} could not load {spec.triton_name}, so it was not "
                  f"added: {error.message()}", file=sys.stderr)
            return 1
        print(f"loaded into Triton at {triton_url}")
    method = f"bioimageio:model={spec.name}"
    if args.project:
        with client_for(args) as client:
            settings = client.get_project(args.project).assist
            client.set_assist(args.project, list(settings.preprocess), ("bioimageio", {"model": spec.name}),
                              list(settings.postprocess))
        print(f"project {args.project!r} pre-labels with {method} now")
    else:
        print(f"pre-label with `--method {method}`, or make it a project's method with "
              f"`labelassist assist-settings PROJECT --method {method}` (or `model add --project`)")
    return 0


def cmd_trainer(args) -> int:
    """Run the training jobs assist queued (``--training-runner queue``)."""
    import logging
    import os

    from labelassist.assist.trainer import run_queued
    from labelassist.runtime.paths import PRIVATE_UMASK

    os.umask(PRIVATE_UMASK)  # the models and journal it writes are the stack user's alone
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    ran = run_queued(args.data_dir, args.triton_url, args.selector_address, args.token, once=args.once,
                     poll_seconds=args.poll_seconds)
    print(f"{ran} training job(s) run")
    return 0


def register(commands) -> None:
    train = commands.add_parser("train", help="train the U-Net or the click model on a dataset folder and publish "
                                "it to Triton")
    train.add_argument("dataset", type=Path)
    train.add_argument("--model", choices=("unet", "clicknet"), default="unet",
                       help="the pre-label U-Net, or the click model (fine-tuned from the bundled generalist for "
                            "epochs × steps steps)")
    add_training_arguments(train)
    train.add_argument("--onnx", action="store_true", help="also export ONNX for Triton's onnxruntime/TensorRT "
                       "backends (needs the 'onnx' extra)")
    train.set_defaults(handler=cmd_train)
    model = commands.add_parser("model", help="list published model versions, serve one (rollback), install "
                                "the bundled generalist models into DATA_DIR/models (for a Triton of your own), "
                                "write the GPU recipe (the newest models as ONNX for ONNX Runtime) to a folder, "
                                "add a BioImage.IO model package as a pre-label method, or add a SAM-family "
                                "checkpoint for click-to-segment")
    model.add_argument("action", choices=("list", "use", "install", "onnx", "add", "add-sam"))
    model.add_argument("target", nargs="?", metavar="VERSION|FOLDER|PACKAGE|CHECKPOINT",
                       help="use: the version to serve; onnx: the folder for the GPU repository; "
                            "add: a BioImage.IO package (.zip, rdf.yaml or URL); "
                            "add-sam: a SAM-family checkpoint (segment-anything's vit_b/vit_l/vit_h .pth, or a URL)")
    model.add_argument("--model", choices=("unet", "clicknet"), default="unet", help="which model `use` pins")
    model.add_argument("--name", help="add: the package's name here (default: from its id or name); add-sam: the "
                       "model's name, served as sam-NAME (default: its kind)")
    model.add_argument("--kind", choices=("vit_b", "vit_l", "vit_h"),
                       help="add-sam: refuse a checkpoint whose image encoder is not of this kind")
    model.add_argument("--sha256", help="add-sam: the checkpoint's sha256 (required for a URL): refuse any other file")
    model.add_argument("--project", help="add: make the package this project's pre-label method")
    model.set_defaults(handler=cmd_model)
    trainer = commands.add_parser("trainer", help="run the training jobs that assist replicas started with "
                                  "--training-runner queue put in DATA_DIR/jobs (a Kubernetes Job with the GPU)")
    trainer.add_argument("--once", action="store_true", help="run the jobs queued now, then exit (a Job); "
                         "without it, keep waiting for more")
    trainer.add_argument("--poll-seconds", type=float, default=5.0, help="how often to look for queued jobs")
    trainer.add_argument("--triton-url", default=env("TRITON_URL"),
                         help="load each published version into this Triton (env LABELASSIST_TRITON_URL)")
    trainer.add_argument("--selector-address", default=env("SELECTOR_ADDRESS"),
                         help="record U-Nets trained on a project's labels in its learning curve "
                              "(env LABELASSIST_SELECTOR_ADDRESS)")
    trainer.set_defaults(handler=cmd_trainer)
