"""``labelassist up``: the services as child processes on one machine.

Children get SIGTERM if this process dies (PR_SET_PDEATHSIG), so even a
``kill -9`` of ``up`` leaves no orphan behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses, stack_file
from labelassist.runtime.processes import die_with_parent

SERVICES = ("selector", "assist", "inspect")


@dataclass
class ChildService:
    name: str
    process: subprocess.Popen
    ready_file: Path
    log_file: Path
    address: str | None = None

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
        from labelassist.assist.tritonserver import bundle_root

        return (bundle_root() / "bin" / "tritonserver").exists()
    except (ImportError, RuntimeError):
        return False


@dataclass
class Stack:
    data_dir: Path
    host: str = "127.0.0.1"
    base_port: int = 50051
    server_args: list[str] = field(default_factory=list)
    tls_root: Path | None = None
    token: str | None = None
    # "local" starts the bundled tritonserver when installed; a host:port uses
    # an existing Triton; None runs without (U-Net pre-labels unavailable).
    triton: str | None = "local"
    children: dict[str, ChildService] = field(default_factory=dict)
    local_triton: object | None = None
    triton_url: str | None = None
    # Why the local Triton is not running, when it failed to start.
    triton_problem: str | None = None

    @property
    def model_repository(self) -> Path:
        return self.data_dir / "models"

    def _start_triton(self) -> None:
        if self.triton == "local" and local_triton_available():
            from labelassist.assist import modelrepo
            from labelassist.assist.tritonserver import LocalTriton

            modelrepo.ensure_repository(self.model_repository)
            local = LocalTriton(self.model_repository, self.data_dir / "run" / "triton",
                                log_file=self.data_dir / "logs" / "tritonserver.log")
            try:
                local.start(models=["unet"] if modelrepo.versions(self.model_repository) else [])
            except (RuntimeError, TimeoutError, OSError) as error:
                # The services still run: only U-Net pre-labels and model scores need Triton.
                local.stop()
                self.triton_problem = str(error).splitlines()[0]
                return
            self.local_triton = local
            self.triton_url = local.url
        elif self.triton not in (None, "local"):
            self.triton_url = self.triton

    def _selector_address(self) -> str | None:
        child = self.children.get("selector")
        if child is None:
            return None
        while child.address is None and child.process.poll() is None:
            if not child.check_ready():
                time.sleep(0.05)
        return child.address

    def start(self) -> None:
        run_dir = self.data_dir / "run"
        log_dir = self.data_dir / "logs"
        run_dir.mkdir(parents=True, exist_ok=True)
        log_dir.mkdir(parents=True, exist_ok=True)
        self._start_triton()
        for offset, name in enumerate(SERVICES):
            port = 0 if self.base_port == 0 else self.base_port + offset
            ready_file = run_dir / f"{name}.ready.json"
            ready_file.unlink(missing_ok=True)
            log_file = log_dir / f"{name}.log"
            command = [sys.executable, "-m", f"labelassist.{name}", "--host", self.host, "--port", str(port),
                       "--data-dir", str(self.data_dir), "--ready-file", str(ready_file), *self.server_args]
            if self.triton_url:
                command += ["--triton-url", self.triton_url]
            if name in ("assist", "inspect") and self._selector_address():
                command += ["--selector-address", self._selector_address()]
            with open(log_file, "ab") as log:
                process = subprocess.Popen(command, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                           preexec_fn=die_with_parent)
            self.children[name] = ChildService(name, process, ready_file, log_file)

    def wait_until_serving(self, timeout: float = 60.0, progress=None) -> ServiceAddresses:
        deadline = time.monotonic() + timeout
        pending = set(self.children)
        while pending:
            for name in sorted(pending):
                child = self.children[name]
                if child.process.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {child.process.returncode}:\n{child.log_tail()}")
                if child.check_ready():
                    pending.discard(name)
                    if progress:
                        progress(name, child.address)
            if time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout:.0f} s: {', '.join(sorted(pending))}")
            time.sleep(0.05)
        addresses = ServiceAddresses(**{name: c.address for name, c in self.children.items()})
        with LabelAssistClient(addresses, token=self.token, tls_root=self.tls_root) as client:
            while (report := client.health()) and set(report.values()) != {"SERVING"}:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"health after {timeout:.0f} s: {report}")
                time.sleep(0.1)
        self._write_stack_file(addresses)
        return addresses

    def _write_stack_file(self, addresses: ServiceAddresses) -> None:
        path = stack_file(self.data_dir)
        services = {name: {"address": child.address, "pid": child.process.pid}
                    for name, child in self.children.items()}
        staging = path.with_suffix(".tmp")
        staging.write_text(json.dumps({"pid": os.getpid(), "services": services, "triton": self.triton_url,
                                       "model_repository": str(self.model_repository),
                                       "tls": self.tls_root is not None}, indent=2))
        os.replace(staging, path)

    def stop(self, timeout: float = 15.0) -> dict[str, int]:
        """SIGTERM every child, wait, SIGKILL stragglers; return exit codes."""
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
        path = stack_file(self.data_dir)
        if path.exists() and json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
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
