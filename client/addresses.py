"""Where the services are, resolved the same way by every client (the SDK,
the CLI, the desktop client, the napari widget): :meth:`ServiceAddresses.discover`.

For each service, the first of:

1. an address given explicitly (a flag, a field of the settings, an argument);
2. ``LABELASSIST_<SERVICE>_ADDRESS``;
3. the stack that ``labelassist up`` recorded in the data directory
   (``--data-dir``, ``LABELASSIST_DATA_DIR``), while it runs;
4. ``LABELASSIST_BASE_PORT=N``: N, N+1, N+2 on 127.0.0.1, as ``up`` lays them out;
5. the default ports 50051-50053.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from labelassist.proto.wire.addresses import (DEFAULT_HOST, DEFAULT_PORTS, SERVICES, default_data_dir, env,
                                              format_address, read_stack_file, stack_file, stack_is_running)

DEFAULT_SOURCE = "default port"
ACCEPTED = ("a ServiceAddresses, a 'host:port' string (the selector; assist and inspect on the next two ports, "
            "as `labelassist up --base-port` lays them out, unless a running stack records that selector), "
            "a dict with any of 'selector', 'assist', 'inspect', or None (found as `labelassist status` finds them)")


def _port(text: str, what: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise ValueError(f"{what}: {text!r} is not a port (1-65535)")
    return port


def split_address(address: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port`` too) as (host, port); ValueError saying what is expected."""
    if not isinstance(address, str):
        raise TypeError(f"an address is a 'host:port' string, not {type(address).__name__}")
    host, colon, port = address.strip().rpartition(":")
    if not colon or not host:
        raise ValueError(f"{address!r} is not an address: expected 'host:port', e.g. '127.0.0.1:50051'")
    return host.strip("[]"), _port(port, address)


@dataclass(frozen=True)
class ServiceAddresses:
    """Where each service is, where each address came from, and the data
    directory of the running stack they were read from (None when no
    recorded stack gave any); ``stack_note`` says in words what was found
    in the data directory."""

    selector: str = f"{DEFAULT_HOST}:{DEFAULT_PORTS['selector']}"
    assist: str = f"{DEFAULT_HOST}:{DEFAULT_PORTS['assist']}"
    inspect: str = f"{DEFAULT_HOST}:{DEFAULT_PORTS['inspect']}"
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    stack: Path | None = field(default=None, compare=False, repr=False)
    stack_note: str = field(default="", compare=False, repr=False)

    @classmethod
    def discover(cls, data_dir: Path | None = None, **given: str | None) -> ServiceAddresses:
        """The addresses every client uses: ``given`` (selector=, assist=,
        inspect=; None or "" for not given) over the environment over the
        running stack of ``data_dir`` over ``LABELASSIST_BASE_PORT`` over the
        default ports (see the module's documentation)."""
        unknown = set(given) - set(SERVICES)
        if unknown:
            raise TypeError(f"unknown service {', '.join(sorted(unknown))}: the services are {', '.join(SERVICES)}")
        data_dir = Path(data_dir) if data_dir else default_data_dir()
        path = stack_file(data_dir)
        found, sources = {}, {}
        base = env("BASE_PORT")
        if base:
            port = _port(base, "LABELASSIST_BASE_PORT")
            for offset, name in enumerate(SERVICES):
                found[name] = format_address(DEFAULT_HOST, port + offset)
                sources[name] = f"LABELASSIST_BASE_PORT={port}"
        record = read_stack_file(data_dir)
        stack = None
        if record is None:
            note = f"no stack recorded in {data_dir} (no {path})"
        elif not stack_is_running(record):
            note = f"the stack recorded in {path} has stopped (its process {record.get('pid')} is gone)"
        else:
            stack, note = data_dir, f"the stack of {data_dir} (recorded in {path}, process {record.get('pid')})"
            for name, entry in record["services"].items():
                if name in SERVICES and isinstance(entry, dict) and entry.get("address"):
                    found[name], sources[name] = entry["address"], f"the running stack ({path})"
        for name in SERVICES:
            if env(f"{name.upper()}_ADDRESS"):
                found[name] = env(f"{name.upper()}_ADDRESS")
                sources[name] = f"environment LABELASSIST_{name.upper()}_ADDRESS"
            if given.get(name):
                found[name], sources[name] = given[name], "given"
            sources.setdefault(name, DEFAULT_SOURCE)
        used = stack if any(s.startswith("the running stack") for s in sources.values()) else None
        return cls(**found, sources=sources, stack=used, stack_note=note)

    @classmethod
    def from_base_port(cls, address: str) -> ServiceAddresses:
        """``host:N``: the selector at N, assist at N+1 and inspect at N+2."""
        host, port = split_address(address)
        if port + len(SERVICES) - 1 > 65535:
            raise ValueError(f"{address!r}: the services take {port} to {port + len(SERVICES) - 1}, past 65535")
        return cls(**{name: format_address(host, port + offset) for offset, name in enumerate(SERVICES)},
                   sources={name: f"given ({address} and the next ports)" for name in SERVICES})

    @classmethod
    def coerce(cls, value, data_dir: Path | None = None) -> ServiceAddresses:
        """The addresses meant by ``value``: a ServiceAddresses as it is,
        None as :meth:`discover` finds them, a dict of some services'
        addresses with the others discovered, and a ``"host:port"`` string
        as the selector's address: the running stack that records that
        selector gives the others, else they are on the next two ports.

        Raises
        ------
        TypeError
            For any other kind of value, saying what is accepted.
        ValueError
            For a string that is not ``host:port``, or a dict with other keys.
        """
        if value is None:
            return cls.discover(data_dir)
        if isinstance(value, ServiceAddresses):
            return value
        if isinstance(value, str):
            split_address(value)
            recorded = cls.discover(data_dir)
            if recorded.stack is not None and recorded.selector == value.strip():
                return recorded
            return cls.from_base_port(value)
        if isinstance(value, Mapping):
            unknown = set(value) - set(SERVICES)
            if unknown:
                raise ValueError(f"unknown service {', '.join(map(repr, sorted(unknown)))} in the addresses; "
                                 f"expected {ACCEPTED}")
            for address in value.values():
                split_address(address)
            return cls.discover(data_dir, **value)
        raise TypeError(f"addresses must be {ACCEPTED}; got {type(value).__name__}")

    @property
    def defaults_only(self) -> bool:
        """Whether every address is a default port (nothing said where the services are)."""
        return all(self.source(name) == DEFAULT_SOURCE for name in SERVICES)

    def source(self, name: str) -> str:
        """Where the address of service ``name`` came from."""
        return self.sources.get(name, "given")

    def as_dict(self) -> dict[str, str]:
        return {"selector": self.selector, "assist": self.assist, "inspect": self.inspect}
