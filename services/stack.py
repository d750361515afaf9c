"""``labelassist up``: the services as child processes on one machine.

Children get SIGTERM if this process dies (PR_SET_PDEATHSIG), so even a
``kill -9`` of ``up`` leaves no orphan behind. Ports are checked before
anything starts, and a child that crashes is started again (see
:meth:`Stack.supervise`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.proto.wire.addresses import (DEFAULT_BASE_PORT, DEFAULT_HOST, SERVICES, default_data_dir,
                                              format_address, free_port, port_is_free, read_stack_file,
                                              stack_file, stack_is_running, write_stack_file)
from labelassist.runtime.paths import PRIVATE_UMASK, private_data_dir, private_file
from labelassist.runtime.processes import child_command

# The browser gateway, a child like the services (labelassist.client.web).
WEB = "web"
WEB_MODULES = ("starlette", "uvicorn")
# Exit code of a service that could not listen on its port (runtime.server.PortInUseError).
EXIT_PORT_IN_USE = 2
# Restarts of one child within RESTART_WINDOW seconds before up gives up on it.
MAX_RESTARTS, RESTART_WINDOW = 5, 300.0
# How often a restart waiting for its port to be freed looks again.
PORT_RETRY_SECONDS = 0.5


class PortsInUseError(RuntimeError):
    """A port the stack needs is taken; the message says by whom, if known, and what to do."""


def recorded_stacks(data_dirs: list[Path]) -> dict[str, Path]:
    """address -> data directory, for the live stacks these data directories record."""
    found = {}
    for data_dir in data_dirs:
        record = read_stack_file(data_dir)
        if record is None or not stack_is_running(record):
            continue
        for entry in record["services"].values():
            found[entry.get("address")] = data_dir
    return found


@dataclass
class ChildService:
    name: str
    process: subprocess.Popen
    ready_file: Path
    log_file: Path
    command: list[str] = field(default_factory=list)
    env: dict[str, str] | None = None
    address: str | None = None
    # When each recent crash was seen; when the pending restart is due (None:
    # none pending); whether this process is a restart not yet serving.
    restarts: list[float] = field(default_factory=list)
    restart_due: float | None = None
    restarted: bool = False

    def check_ready(self) -> bool:
        """Whether the service wrote its ready file; records its address."""
        if self.address is None and self.ready_file.exists():
            self.address = json.loads(self.ready_file.read_text())["address"]
        return self.address is not None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def local_triton_available() -> bool:
    try:
        from labelassist.models.tritonserver import bundle_root

        return (bundle_root() / "bin" / "tritonserver").exists()
    except (ImportError, RuntimeError):
        return False


@dataclass
class Stack:
    data_dir: Path
    host: str = DEFAULT_HOST
    base_port: int = DEFAULT_BASE_PORT
    server_args: list[str] = field(default_factory=list)
    tls_root: Path | None = None
    token: str | None = None
    # "local" starts the bundled tritonserver when installed; a host:port uses
    # an existing Triton; None runs without (U-Net pre-labels unavailable).
    triton: str | None = "local"
    # Publish the bundled generalist models as version 1 of each model that has
    # no version yet, so pre-labels and click-to-segment work from the start.
    generalist: bool = True
    children: dict[str, ChildService] = field(default_factory=dict)
    local_triton: object | None = None
    triton_url: str | None = None
    # Why the local Triton is not running, when it failed to start.
    triton_problem: str | None = None
    # Set by stop(): a restart still waiting for its backoff then starts nothing.
    stopping: threading.Event = field(default_factory=threading.Event)
    # The browser gateway's port (0: any free port); None serves no browser app.
    web_port: int | None = None
    # Why the gateway is not running, when it cannot be started.
    web_problem: str | None = None

    @property
    def web_url(self) -> str | None:
        """Where the browser app is, once the gateway serves."""
        child = self.children.get(WEB)
        if child is None or child.address is None:
            return None
        return f"{'https' if self.tls_root is not None else 'http'}://{child.address}/"

    @property
    def model_repository(self) -> Path:
        return self.data_dir / "models"

    def _start_triton(self) -> None:
        if self.triton == "local" and local_triton_available():
            from labelassist.models import repository as model_store
            from labelassist.models.tritonserver import LocalTriton

            for name in model_store.MODEL_NAMES:
                model_store.ensure_repository(self.model_repository, name)
            if self.generalist:
                model_store.install_generalist(self.model_repository)
            # On a socket in run/ (0700): only this user's processes may load, unload or run models.
            local = LocalTriton(self.model_repository, self.data_dir / "run" / "triton",
                                log_file=self.data_dir / "logs" / "tritonserver.log")
            try:
                local.start(models=self._triton_models())
            except (RuntimeError, TimeoutError, OSError) as error:
                # The services still run: only U-Net pre-labels and model scores need Triton.
                local.stop()
                self.triton_problem = str(error).splitlines()[0]
                return
            self.local_triton = local
            self.triton_url = local.url
        elif self.triton not in (None, "local"):
            self.triton_url = self.triton

    def _triton_models(self) -> list[str]:
        from labelassist.models import bioimage, sam
        from labelassist.models import repository as model_store

        return [name for name in model_store.MODEL_NAMES if model_store.versions(self.model_repository, name)] + \
            [spec.triton_name for spec in bioimage.installed_packages(self.model_repository).values()] + \
            [spec.triton_name(part) for spec in sam.installed_models(self.model_repository).values()
             for part in sam.PARTS]

    def _selector_address(self) -> str | None:
        child = self.children.get("selector")
        if child is None:
            return None
        while child.address is None and child.process.poll() is None:
            if not child.check_ready():
                time.sleep(0.05)
        return child.address

    def ports(self) -> dict[str, int]:
        """The fixed port of each service (none with base_port 0: the system picks)."""
        if self.base_port == 0:
            return {}
        return {name: self.base_port + offset for offset, name in enumerate(SERVICES)}

    def check_ports(self) -> None:
        """PortsInUseError naming every taken port, whose stack holds it if a
        data directory says so, and how to choose others."""
        wanted = dict(self.ports())
        if self.web_port and self._web_available():
            wanted[WEB] = self.web_port
        taken = {name: port for name, port in wanted.items() if not port_is_free(self.host, port)}
        if not taken:
            return
        owners = recorded_stacks([self.data_dir, default_data_dir()])
        lines = []
        for name, port in taken.items():
            owner = owners.get(format_address(self.host, port))
            by = f" by the Label Assistant stack of {owner}" if owner else " by another program"
            lines.append(f"port {port} ({name}) on {self.host} is in use{by}")
        hint = (" Choose other ports with --base-port N (the three services take N, N+1, N+2; 0 lets the system "
                "pick) or LABELASSIST_BASE_PORT=N") if set(taken) - {WEB} else ""
        if WEB in taken:
            hint += " Choose the browser app's port with --web-port N (0 lets the system pick) or LABELASSIST_WEB_PORT=N"
        raise PortsInUseError("; ".join(lines) + "." + hint + "; `labelassist status` shows what is running")

    @staticmethod
    def _web_available() -> bool:
        import importlib.util

        return all(importlib.util.find_spec(name) is not None for name in WEB_MODULES)

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.tls_root is not None:
            # The services' calls to each other (assist and inspect to the selector) trust the stack's certificate.
            env["LABELASSIST_TLS_ROOT"] = str(self.tls_root)
        return env

    def start(self) -> None:
        run_dir = self.data_dir / "run"
        log_dir = self.data_dir / "logs"
        self.check_ports()
        private_data_dir(self.data_dir)
        run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._start_triton()
        ports = self.ports()
        # The selector checks project settings against inspect's criteria and
        # assist's operations, so it is told their addresses before they exist.
        ports.setdefault("inspect", free_port(self.host))
        ports.setdefault("assist", free_port(self.host))
        for name in SERVICES:
            port = ports.get(name, 0)
            ready_file = run_dir / f"{name}.ready.json"
            command = [sys.executable, "-m", f"labelassist.{name}", "--host", self.host, "--port", str(port),
                       "--data-dir", str(self.data_dir), "--ready-file", str(ready_file), *self.server_args]
            if self.triton_url:
                command += ["--triton-url", self.triton_url]
            if name in ("assist", "inspect") and self._selector_address():
                command += ["--selector-address", self._selector_address()]
            if name in ("selector", "inspect"):
                command += ["--assist-address", format_address(self.host, ports["assist"])]
            if name == "selector":
                command += ["--inspect-address", format_address(self.host, ports["inspect"])]
            child = ChildService(name, None, ready_file, log_dir / f"{name}.log", command, self._child_env())
            self._spawn(child)
            self.children[name] = child
        if self.web_port is not None:
            self._start_web(ports, run_dir, log_dir)

    def _start_web(self, ports: dict[str, int], run_dir: Path, log_dir: Path) -> None:
        """The browser gateway, in front of these services; without the web
        extra, the stack runs without it and says why."""
        if not self._web_available():
            self.web_problem = ("the web extra is not installed (pip install 'label-assistant[web]'): "
                                "no browser app")
            return
        ready_file = run_dir / f"{WEB}.ready.json"
        command = [sys.executable, "-m", "labelassist.client.web", "--host", self.host, "--port", str(self.web_port),
                   "--ready-file", str(ready_file), "--selector", self._selector_address() or "",
                   "--assist", format_address(self.host, ports["assist"]),
                   "--inspect", format_address(self.host, ports["inspect"])]
        if self.tls_root is not None:
            command += ["--tls-root", str(self.tls_root)]
            if "--tls-key" in self.server_args:  # the browser gets HTTPS with the services' certificate
                command += ["--tls-cert", str(self.tls_root),
                            "--tls-key", self.server_args[self.server_args.index("--tls-key") + 1]]
        child = ChildService(WEB, None, ready_file, log_dir / f"{WEB}.log", command, self._child_env())
        self._spawn(child)
        self.children[WEB] = child

    @staticmethod
    def _spawn(child: ChildService) -> None:
        child.ready_file.unlink(missing_ok=True)
        child.address = None
        with private_file(child.log_file) as log:
            child.process = subprocess.Popen(child_command(child.command), stdout=log, stderr=log,
                                             stdin=subprocess.DEVNULL, env=child.env, umask=PRIVATE_UMASK)

    def supervise(self, report=print) -> str | None:
        """One look at the children: start again each one that exited, once
        per exit, after a backoff and once its port is free, and the local
        Triton if it died. Returns why the stack must stop, if it must (a
        child crashing over and over)."""
        now = time.monotonic()
        for child in self.children.values():
            if child.restart_due is not None:
                self._restart_when_due(child, now)
            elif child.process.poll() is None:
                if child.restarted and child.check_ready():
                    child.restarted = False
                    self._write_stack_file()  # the new pid, for `status` and `down`
            elif child.restarted and child.process.returncode == EXIT_PORT_IN_USE:
                # The port was taken again between the check and the bind (the old
                # process's connections, or a stranger): wait for it, not a crash.
                child.restart_due = now + PORT_RETRY_SECONDS
            else:
                problem = self._schedule_restart(child, now, report)
                if problem:
                    return problem
        if self.local_triton is not None and self.local_triton.process.poll() is not None:
            report(f"tritonserver exited with code {self.local_triton.process.returncode}; starting it again")
            try:
                self.local_triton.start(models=self._triton_models())
            except (RuntimeError, TimeoutError, OSError) as error:
                report(f"tritonserver could not be started again: {str(error).splitlines()[0]}")
        return None

    def _schedule_restart(self, child: ChildService, now: float, report) -> str | None:
        code = child.process.returncode
        child.restarts = [t for t in child.restarts if now - t < RESTART_WINDOW]
        if len(child.restarts) >= MAX_RESTARTS:
            return (f"{child.name} exited with code {code} {MAX_RESTARTS + 1} times in "
                    f"{RESTART_WINDOW:.0f} s; last log lines:\n{child.log_tail()}")
        delay = min(2.0 ** len(child.restarts), 30.0)
        if child.address:  # the same port again, so the others' links and the stack file stay right
            child.command[child.command.index("--port") + 1] = child.address.rsplit(":", 1)[1]
        report(f"{child.name} exited with code {code}; starting it again in {delay:.0f} s "
               f"(restart {len(child.restarts) + 1}); log: {child.log_file}")
        child.restarts.append(now)
        child.restart_due = now + delay
        return None

    def _restart_when_due(self, child: ChildService, now: float) -> None:
        """Start a child whose restart is due, from this thread only, so an exit
        is restarted once; a fixed port still held is waited for."""
        if now < child.restart_due or self.stopping.is_set():
            return
        port = int(child.command[child.command.index("--port") + 1])
        try:
            taken = bool(port) and not port_is_free(self.host, port)
        except OSError:
            taken = False  # not a "port in use": the child's own start will say what is wrong
        if taken:
            child.restart_due = now + PORT_RETRY_SECONDS
            return
        child.restart_due = None
        child.restarted = True
        self._spawn(child)

    def wait_until_serving(self, timeout: float = 60.0, progress=None) -> ServiceAddresses:
        deadline = time.monotonic() + timeout
        pending = set(self.children)
        while pending:
            for name in sorted(pending):
                child = self.children[name]
                if child.process.poll() is not None:
                    if child.process.returncode == EXIT_PORT_IN_USE and "cannot listen" in child.log_tail():
                        self.check_ports()  # names the owner when it can
                        raise PortsInUseError(f"{name} could not listen on its port: it was taken while the "
                                              "stack started. Choose other ports with --base-port N or "
                                              "LABELASSIST_BASE_PORT=N")
                    raise RuntimeError(f"{name} exited with code {child.process.returncode}:\n{child.log_tail()}")
                if child.check_ready():
                    pending.discard(name)
                    if progress:
                        progress(name, child.address)
            if time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout:.0f} s: {', '.join(sorted(pending))}")
            time.sleep(0.05)
        addresses = ServiceAddresses(**{name: self.children[name].address for name in SERVICES})
        with LabelAssistClient(addresses, token=self.token, tls_root=self.tls_root) as client:
            while (report := client.health()) and set(report.values()) != {"SERVING"}:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"health after {timeout:.0f} s: {report}")
                time.sleep(0.1)
        self._write_stack_file()
        return addresses

    def _write_stack_file(self) -> None:
        services = {name: {"address": child.address, "pid": child.process.pid}
                    for name, child in self.children.items() if name in SERVICES}
        record = {"pid": os.getpid(), "services": services, "triton": self.triton_url,
                  "model_repository": str(self.model_repository), "tls": self.tls_root is not None}
        if WEB in self.children:
            record[WEB] = {"url": self.web_url, "address": self.children[WEB].address,
                           "pid": self.children[WEB].process.pid}
        write_stack_file(self.data_dir, record)

    def stop(self, timeout: float = 15.0) -> dict[str, int]:
        """SIGTERM every child, wait, SIGKILL stragglers; return exit codes."""
        self.stopping.set()
        for child in self.children.values():
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        codes = {}
        for name, child in self.children.items():
            try:
                codes[name] = child.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.process.kill()
                codes[name] = child.process.wait()
        if self.local_triton is not None:
            codes["triton"] = self.local_triton.stop()
        record = read_stack_file(self.data_dir)
        if record is not None and record.get("pid") == os.getpid():
            stack_file(self.data_dir).unlink(missing_ok=True)
        return codes


@contextlib.contextmanager
def temporary_stack(triton: str | None = None, timeout: float = 120):
    """The three services in a throw-away data directory, for benchmarks and
    scripts; yields their addresses once all are SERVING."""
    with tempfile.TemporaryDirectory() as data_dir:
        stack = Stack(data_dir=Path(data_dir), base_port=0, triton=triton)
        stack.start()
        try:
            yield stack.wait_until_serving(timeout=timeout)
        finally:
            stack.stop()
