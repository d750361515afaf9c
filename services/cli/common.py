"""What the command groups share: the SDK client from the global flags,
step parsing, spec listings, and progress for long calls."""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading

from labelassist.proto.wire.addresses import env
from labelassist.proto.wire.values import parse_call


def parse_step(text: str) -> tuple[str, dict[str, str]]:
    """``gaussian:sigma=2,truncate=3`` for argparse (see registry.parse_call)."""
    try:
        return parse_call(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def client_for(args):
    """The SDK client for the global flags (addresses: the running stack's, the environment's, or the defaults)."""
    from labelassist.client.sdk import LabelAssistClient, ServiceAddresses

    return LabelAssistClient(ServiceAddresses.discover(args.data_dir), token=args.token,
                             tls_root=args.tls_root, timeout=args.timeout)


@contextlib.contextmanager
def new_project(client, name: str, create: bool, **settings):
    """Create the project (when ``create``) for the samples the block adds.
    A block that fails, or leaves the project without a sample, removes it:
    a failed create leaves no empty project. Yields a dict whose "removed"
    says, after the block, whether that happened."""
    outcome = {"removed": False}
    if not create:
        yield outcome
        return
    client.create_project(name, **settings)
    try:
        yield outcome
    except BaseException:
        _remove_created(client, name)
        raise
    if not client.get_project(name).total:
        outcome["removed"] = _remove_created(client, name)


def _remove_created(client, name: str) -> bool:
    """Delete the project this command created; a failure to is reported, not raised."""
    try:
        client.delete_project(name)
    except Exception as error:  # noqa: BLE001 - the create's own error is the one to show
        print(f"{name}: could not remove the project this command created ({error}); remove it with "
              f"labelassist project delete {name}", file=sys.stderr)
        return False
    print(f"{name}: not created: no sample could be added", file=sys.stderr)
    return True


def print_specs(specs) -> None:
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


@contextlib.contextmanager
def elapsed(description: str, after: float | None = None):
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


def running_triton(args) -> str | None:
    """The Triton the stack of ``--data-dir`` uses, as ``up`` recorded it."""
    from labelassist.proto.wire.addresses import read_stack_file

    record = read_stack_file(args.data_dir)
    return record.get("triton") if record is not None else None


def command_line(argv) -> str:
    import shlex

    return "labelassist " + " ".join(shlex.quote(a) for a in argv)


def training_config(args):
    from labelassist.models.training import TrainingConfig

    return TrainingConfig(tile=args.tile, epochs=args.epochs, steps_per_epoch=args.steps, batch_size=args.batch,
                          depth=args.depth, width=args.width, seed=args.seed)


def add_training_arguments(parser, epochs: int = 10, width: int = 16, tile: int = 128, batch: int = 8) -> None:
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--steps", type=int, default=20, help="batches per epoch")
    parser.add_argument("--batch", type=int, default=batch)
    parser.add_argument("--tile", type=int, default=tile, help="training crop size")
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--width", type=int, default=width, help="channels of the first level")
    parser.add_argument("--seed", type=int, default=0)


def add_plane_arguments(parser: argparse.ArgumentParser) -> None:
    """Which plane of a multi-dimensional file a 2D command works on."""
    parser.add_argument("--axes", help="the file's axes when its metadata does not say, e.g. ZYX or TZCYX")
    parser.add_argument("--channel", type=int, help="the channel to use (default: all, as channels-last)")
    parser.add_argument("--z", type=int, help="the z plane of a stack")
    parser.add_argument("--t", type=int, help="the time point of a time-lapse")
