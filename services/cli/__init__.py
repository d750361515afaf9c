"""The ``labelassist`` command: one module per command group, each adding
its subcommands with ``register``. Imports stay light at module level so
the client-only install can run every client command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from labelassist import __version__
from labelassist.cli import agreement, assist, classes, data, inspect, models, project, selection, session
from labelassist.proto.wire.addresses import default_data_dir, env

COMMAND_GROUPS = (session, assist, inspect, selection, project, models, data, agreement, classes)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="labelassist", description="Label Assistant: assisted segmentation labeling.")
    parser.add_argument("--version", action="version", version=f"labelassist {__version__}")
    parser.add_argument("--data-dir", type=Path, default=default_data_dir(),
                        help="data, logs and the running stack's addresses (env LABELASSIST_DATA_DIR)")
    parser.add_argument("--token", default=env("TOKEN"), help="bearer token for the services (env LABELASSIST_TOKEN)")
    parser.add_argument("--tls-root", default=env("TLS_ROOT"), help="PEM root certificate; enables TLS")
    parser.add_argument("--timeout", type=float, default=120.0, help="deadline per call, seconds")
    commands = parser.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.register(commands)
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
