"""Where the services are: default host and ports, the environment variables
every tool reads, the data directory, and the file in which ``labelassist
up`` records the running stack."""

from __future__ import annotations

import errno
import json
import os
import socket
from pathlib import Path

import platformdirs

ENV_PREFIX = "LABELASSIST_"
DEFAULT_HOST = "127.0.0.1"
# The services in the order of their ports: the selector at the base port, the others on the next ones.
SERVICES = ("selector", "assist", "inspect")
DEFAULT_BASE_PORT = 50051
DEFAULT_PORTS = {name: DEFAULT_BASE_PORT + offset for offset, name in enumerate(SERVICES)}
# gRPC's own default; chunked arrays never need more.
DEFAULT_MAX_MESSAGE_BYTES = 4 << 20


def env(name: str, default: str | None = None) -> str | None:
    """``LABELASSIST_<name>`` from the environment."""
    return os.environ.get(ENV_PREFIX + name, default)


def format_address(host: str, port: int) -> str:
    """host:port, with IPv6 hosts in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def default_data_dir() -> Path:
    """``LABELASSIST_DATA_DIR``, else the user's data directory."""
    return Path(env("DATA_DIR") or platformdirs.user_data_dir("labelassist", appauthor=False))


def stack_file(data_dir: Path | None = None) -> Path:
    """Where ``labelassist up`` records the running services' addresses."""
    return Path(data_dir or default_data_dir()) / "run" / "stack.json"


def write_stack_file(data_dir: Path, record: dict) -> Path:
    """Record the running stack (``pid``, ``services``: name -> ``address``
    and ``pid``, ``triton`` ...) in ``data_dir``, replacing the file at once
    so a reader never sees half of it."""
    path = stack_file(data_dir)
    staging = path.with_suffix(".tmp")
    staging.write_text(json.dumps(record, indent=2))
    os.replace(staging, path)
    return path


def read_stack_file(data_dir: Path | None = None) -> dict | None:
    """The record ``labelassist up`` wrote in ``data_dir`` (pid, services'
    addresses, Triton), or None when there is none or it does not parse."""
    try:
        record = json.loads(stack_file(data_dir).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("services"), dict) else None


def stack_is_running(record: dict) -> bool:
    """Whether the ``labelassist up`` that wrote ``record`` still runs on this machine."""
    try:
        os.kill(int(record["pid"]), 0)
    except PermissionError:
        return True  # another user's process: alive
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return True


def free_port(host: str = DEFAULT_HOST) -> int:
    """A port that nothing listens on at ``host`` right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def port_is_free(host: str, port: int) -> bool:
    """Whether nothing listens on ``port`` at ``host`` right now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As gRPC's own servers bind: the closed connections of a killed server
        # (TIME_WAIT, up to a minute) do not keep its port from a new one.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
    return True
