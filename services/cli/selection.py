"""``strategies``: the selector's strategies from the command line."""

from __future__ import annotations

from labelassist.cli.common import client_for, print_specs


def cmd_strategies(args) -> int:
    with client_for(args) as client:
        print_specs(client.list_strategies())
    return 0


def register(commands) -> None:
    commands.add_parser("strategies", help="list selection strategies").set_defaults(handler=cmd_strategies)
