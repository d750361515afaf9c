"""Start a local ``tritonserver``: the binary bundled in the nvidia-pytriton
wheel (python backend only), for machines without NVIDIA's container.

Two pitfalls handled here: the python backend stub embeds this interpreter,
so LD_LIBRARY_PATH must hold its LIBDIR (else it crashes on
``_thread.RLock``); and the server stops on SIGTERM (SIGINT can hang it).

Triton's model control runs code (``load_model`` with a ``model.py``) and
none of its protocols take credentials, so the server listens on a Unix
socket in a directory only this user may enter: no other local user can
reach it, and no secret has to be passed on its command line, which every
user can read in ``/proc/PID/cmdline``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from labelassist.proto.wire.addresses import free_port
from labelassist.runtime.processes import child_command
from labelassist.runtime.paths import private_file


def bundle_root() -> Path:
    try:
        import pytriton
    except ImportError:
        raise RuntimeError("no local Triton: install the 'triton' extra (nvidia-pytriton, Linux x86-64) "
                           "or point the services at a Triton server with --triton-url") from None
    return Path(pytriton.__file__).parent / "tritonserver"


def backend_directory(run_dir: Path) -> Path:
    """A backends folder whose python backend carries the stub for this Python."""
    bundle = bundle_root()
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    python_backend = run_dir / "backends" / "python"
    python_backend.mkdir(parents=True, exist_ok=True)
    sources = [p for p in (bundle / "backends" / "python").iterdir() if p.is_file()]
    sources.append(bundle / "python_backend_stubs" / version / "triton_python_backend_stub")
    for source in sources:
        target = python_backend / source.name
        # A running server keeps the stub busy; an identical copy is reused.
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            shutil.copy2(source, target)
    return run_dir / "backends"


def environment() -> dict[str, str]:
    bundle = bundle_root()
    libraries = [sysconfig.get_config_var("LIBDIR"), str(bundle.parent.parent / "nvidia_pytriton.libs"),
                 str(bundle / "external_libs")]
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = ":".join([p for p in libraries if p] + [env.get("LD_LIBRARY_PATH", "")]).rstrip(":")
    # The stub's embedded interpreter ignores PYTHONPATH; model.py puts these
    # first on sys.path so it imports torch and numpy from this environment.
    env["LABELASSIST_TRITON_PYTHONPATH"] = ":".join(p for p in sys.path if p)
    return env


# The longest path a Unix socket address holds (sun_path, less its final NUL).
MAX_SOCKET_PATH = 107
# Triton appends ":PORT" to a unix: address; the port means nothing there.
SOCKET_NAME = "grpc.sock"


@dataclass
class LocalTriton:
    """A tritonserver child process with explicit model control, HTTP and
    metrics off, listening on a Unix socket in a 0700 directory (``run_dir``,
    or a private temporary one when that path is too long for a socket).

    ``tcp=True`` listens on 127.0.0.1:``grpc_port`` instead (0: a free one),
    where every local user can reach it: for several replicas on one machine
    in tests and benchmarks; ``options`` are further tritonserver options
    (such as :func:`~labelassist.models.triton_access.restricted_protocol_flag`).
    """

    model_repository: Path
    run_dir: Path
    grpc_port: int = 0
    log_file: Path | None = None
    tcp: bool = False
    options: tuple[str, ...] = ()
    process: subprocess.Popen | None = field(default=None, init=False)
    socket_dir: Path | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        if self.tcp:
            return f"127.0.0.1:{self.grpc_port}"
        return f"unix:{self.socket_dir / SOCKET_NAME}:0"

    def _listen_options(self) -> list[str]:
        if self.tcp:
            self.grpc_port = self.grpc_port or free_port()
            return ["--grpc-address=127.0.0.1", f"--grpc-port={self.grpc_port}"]
        if self.socket_dir is None:
            self.socket_dir = self.run_dir
            if len(f"{self.run_dir / SOCKET_NAME}:0") > MAX_SOCKET_PATH:
                self.socket_dir = Path(tempfile.mkdtemp(prefix="labelassist-triton-"))
        elif self.socket_dir != self.run_dir and not self.socket_dir.is_dir():
            try:  # the same address again, for the services that know it; never a directory found there
                self.socket_dir.mkdir(mode=0o700)
            except OSError:
                self.socket_dir = Path(tempfile.mkdtemp(prefix="labelassist-triton-"))
        self.socket_dir.chmod(0o700)
        return [f"--grpc-address=unix:{self.socket_dir / SOCKET_NAME}", "--grpc-port=0"]

    def start(self, models: list[str] = (), timeout: float = 90.0, attempts: int = 3) -> None:
        """Start and wait until live; a port taken between choosing and
        binding it (another process on a busy machine) costs one retry."""
        fixed_port = bool(self.grpc_port)
        for attempt in range(1, attempts + 1):
            try:
                self._start_once(models, timeout)
                return
            except (RuntimeError, TimeoutError):
                self.stop()
                if attempt == attempts:
                    raise
                if not fixed_port:
                    self.grpc_port = 0

    def stub_orphans(self) -> list[tuple[int, str]]:
        """(pid, shared-memory region) of every python-backend stub of this
        server's backend folder whose tritonserver is gone: a killed server
        leaves them running, each holding a region in /dev/shm."""
        stub = str(self.run_dir / "backends" / "python" / "triton_python_backend_stub")
        live = self.process.pid if self.process is not None and self.process.poll() is None else None
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            # argv: stub, model.py, shm region, shm size, growth, parent pid, ...
            if len(argv) > 5 and argv[0].decode(errors="replace") == stub and argv[5] != str(live).encode():
                found.append((int(entry.name), argv[2].decode(errors="replace")))
        return found

    def clean_up_orphans(self) -> int:
        """End the stubs a dead server left behind and free their shared memory."""
        orphans = self.stub_orphans()
        for pid, region in orphans:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            if region.startswith("triton_python_backend_shm_region"):
                with contextlib.suppress(OSError):
                    (Path("/dev/shm") / region).unlink()
        return len(orphans)

    def _start_once(self, models, timeout: float) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.clean_up_orphans()
        command = [str(bundle_root() / "bin" / "tritonserver"),
                   f"--model-repository={self.model_repository}",
                   f"--backend-directory={backend_directory(self.run_dir)}",
                   "--model-control-mode=explicit", *(f"--load-model={m}" for m in models),
                   *self._listen_options(),
                   "--allow-http=false", "--allow-metrics=false", "--log-verbose=0",
                   "--strict-readiness=false", "--exit-on-error=false", *self.options]
        self.log_file = self.log_file or self.run_dir / "tritonserver.log"
        with private_file(self.log_file) as log:
            self.process = subprocess.Popen(child_command(command), stdout=log, stderr=log,
                                            stdin=subprocess.DEVNULL, env=environment())
        self.wait_until_live(timeout)

    def wait_until_live(self, timeout: float) -> None:
        import tritonclient.grpc as triton

        client = triton.InferenceServerClient(self.url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"tritonserver exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if client.is_server_live():
                    return
            except Exception:  # noqa: BLE001 - not up yet
                pass
            time.sleep(0.1)
        raise TimeoutError(f"tritonserver not live after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 20.0) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.clean_up_orphans()
        if self.socket_dir is not None:
            (self.socket_dir / f"{SOCKET_NAME}:0").unlink(missing_ok=True)
            if self.socket_dir != self.run_dir:
                shutil.rmtree(self.socket_dir, ignore_errors=True)
        return self.process.returncode
