"""Child processes that never outlive their parent.

Children are started through a small exec shim (``python -m
labelassist.runtime.processes PARENT_PID COMMAND...``) that asks the kernel
for SIGTERM when the parent dies and then becomes COMMAND. No Python runs
between fork and exec in the parent's copy, so the parent's gRPC threads
and channels (health checks, Triton clients) can never be caught
mid-operation by a fork: subprocess takes its vfork path.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask for SIGTERM when the parent process dies, even by ``kill -9``
    (Linux); elsewhere the parent's signal handlers still stop the child."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def child_command(command: list[str]) -> list[str]:
    """``command`` wrapped so that it dies with this process."""
    return [sys.executable, "-m", "labelassist.runtime.processes", str(os.getpid()), *command]


def main(argv: list[str]) -> None:
    parent, command = int(argv[0]), argv[1:]
    die_with_parent()
    if os.getppid() != parent:  # the parent died before the request took hold
        sys.exit(1)
    os.execvp(command[0], command)  # the death signal request survives exec


if __name__ == "__main__":
    main(sys.argv[1:])
