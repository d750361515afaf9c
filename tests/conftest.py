"""Fixtures that start real services on loopback, on ephemeral ports."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import numpy as np
import pytest

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.stack import Stack

# Qt without a display, on a desktop-sized screen (offscreen's own is 800 x 800): the client sizes its
# window to the screen it opens on (tests/test_gui_screen.py opens it on laptop screens).
os.environ.setdefault("QT_QPA_PLATFORM", f"offscreen:configfile={Path(__file__).parent / 'desktop_screen.json'}")
# Every `labelassist up` a test starts serves its browser app on a free port, not on 8080.
os.environ.setdefault("LABELASSIST_WEB_PORT", "0")
DATA = Path(__file__).parent / "data"


class ServiceProcess:
    """One service started as ``python -m labelassist.<name>`` with extra flags."""

    def __init__(self, name: str, tmp_path: Path, *flags: str):
        self.ready_file = tmp_path / f"{name}-{time.monotonic_ns()}.json"
        self.log_file = self.ready_file.with_suffix(".log")
        self.data_dir = tmp_path / "data"
        command = [sys.executable, "-m", f"labelassist.{name}", "--host", "127.0.0.1", "--port", "0",
                   "--data-dir", str(self.data_dir), "--ready-file", str(self.ready_file), *flags]
        with open(self.log_file, "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while not self.ready_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError(f"{name} did not start:\n{self.log_file.read_text()}")
            time.sleep(0.05)
        self.address = json.loads(self.ready_file.read_text())["address"]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


@pytest.fixture
def start_service(tmp_path):
    started = []

    def start(name: str, *flags: str) -> ServiceProcess:
        service = ServiceProcess(name, tmp_path, *flags)
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


@pytest.fixture(scope="module")
def module_service(tmp_path_factory):
    """Like ``start_service``, but one process per name and flags for the whole
    module: for tests that only read what they wrote themselves (their own
    project names, folders and files) and assert nothing about the service's
    state as a whole. Each service has a data directory of its own
    (``service.data_dir``, as every ``ServiceProcess``)."""
    started: dict[tuple[str, ...], ServiceProcess] = {}

    def start(name: str, *flags: str) -> ServiceProcess:
        key = (name, *flags)
        if key not in started:
            folder = tmp_path_factory.mktemp(name)
            started[key] = ServiceProcess(name, folder, *flags)
        return started[key]

    yield start
    for service in started.values():
        service.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """All three services, started the way ``labelassist up`` starts them,
    without the bundled generalist models: the paths a stack takes before
    any model exists (tests/test_click_segment.py starts one with them)."""
    running = Stack(data_dir=tmp_path_factory.mktemp("stack"), base_port=0, generalist=False)
    running.start()
    try:
        running.addresses = running.wait_until_serving(timeout=90)
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def generalist_stack(tmp_path_factory):
    """``labelassist up`` exactly as a new user starts it: the bundled
    generalist U-Net and click model, served by a local Triton."""
    running = Stack(data_dir=tmp_path_factory.mktemp("generalist"), base_port=0)
    running.start()
    try:
        running.addresses = running.wait_until_serving(timeout=120)
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def first_demo(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """``labelassist demo`` as a new user first runs it, in a fresh data
    directory (LABELASSIST_DATA_DIR): the directory and the finished run."""
    data_dir = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "LABELASSIST_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "labelassist.cli", "demo", "--base-port", "0", "--no-keep-running"]
    return data_dir, subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


def address_env(addresses) -> dict[str, str]:
    """This process's environment with LABELASSIST_<SERVICE>_ADDRESS set to
    ``addresses``: how a CLI or a child process finds a test's stack."""
    return {**os.environ, **{f"LABELASSIST_{name.upper()}_ADDRESS": address
                             for name, address in addresses.as_dict().items()}}


@pytest.fixture
def cli_env(stack):
    return address_env(stack.addresses)


@pytest.fixture(scope="session")
def client(stack):
    with LabelAssistClient(stack.addresses, timeout=120) as sdk:
        yield sdk


@pytest.fixture(scope="module")
def in_process(stack, tmp_path_factory):
    """An inspect service without Triton (the generalist in-process), beside the stack's selector."""
    service = ServiceProcess("inspect", tmp_path_factory.mktemp("inspect"), "--selector-address",
                             stack.addresses.selector)
    addresses = ServiceAddresses(selector=stack.addresses.selector, inspect=service.address)
    with LabelAssistClient(addresses, timeout=300) as direct:
        yield direct
    service.stop()


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database of the PostgreSQL at 127.0.0.1:5432: its URL; dropped after."""
    import uuid

    import psycopg

    admin_url = "postgresql://postgres@127.0.0.1:5432/postgres"
    name = f"labelassist_server_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def postgres_url():
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def module_postgres_url():
    """A PostgreSQL database for a module's ``module_service`` selector."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """The selector's store, in-process, on a fresh SQLite file and on a
    fresh database of the PostgreSQL at 127.0.0.1:5432."""
    from labelassist.selector.store import Store

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url")
    opened = Store(url, tmp_path / "blobs")
    yield opened
    opened.close()


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1 and localhost: (cert, key)."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


def write_roles(path: Path, identities: dict[str, tuple[str, dict[str, str]]]) -> Path:
    """A roles file: name -> (token, {project: role}), tokens stored as hashes."""
    from labelassist.runtime.auth import token_hash

    entries = []
    for name, (token, projects) in identities.items():
        roles = ", ".join(f'"{project}" = "{role}"' for project, role in projects.items())
        entries.append(f'[[identity]]\nname = "{name}"\ntoken_sha256 = "{token_hash(token)}"\n'
                       f"projects = {{ {roles} }}\n")
    path.write_text("\n".join(entries))
    return path


def status_of(call) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def gui_project(client):
    """A project with one real HeLa crop."""
    from labelassist.io.bundled import hela_sample

    images, _ = hela_sample()
    name = f"gui-{os.getpid()}-{np.random.default_rng().integers(1 << 30)}"
    client.create_project(name)
    client.add_sample(name, "hela-0", images[0], sequence="hela")
    return name, images[0]


WEB_TOKENS = {"admin": "web-admin-secret", "anna": "web-anna-secret", "ben": "web-ben-secret",
              "rita": "web-rita-secret"}


@pytest.fixture(scope="session")
def web_stack(tmp_path_factory):
    """``labelassist up`` with the browser gateway on a free port and roles:
    admin everywhere, anna and ben annotate and rita reviews every project."""
    folder = tmp_path_factory.mktemp("web")
    roles = write_roles(folder / "roles.toml", {"admin": (WEB_TOKENS["admin"], {"*": "admin"}),
                                                "anna": (WEB_TOKENS["anna"], {"*": "annotator"}),
                                                "ben": (WEB_TOKENS["ben"], {"*": "annotator"}),
                                                "rita": (WEB_TOKENS["rita"], {"*": "reviewer"})})
    running = Stack(data_dir=folder / "data", base_port=0, triton=None, generalist=False, web_port=0,
                    server_args=["--roles-file", str(roles)], token=WEB_TOKENS["admin"])
    running.start()
    try:
        running.addresses = running.wait_until_serving(timeout=90)
        running.tokens = WEB_TOKENS
        yield running
    finally:
        running.stop()


@pytest.fixture
def web_project(web_stack):
    """A new project of the web stack with the bundled HeLa crops: its name."""
    from labelassist.io.bundled import hela_sample

    images, _ = hela_sample()
    name = f"web-{np.random.default_rng().integers(1 << 30)}"
    with LabelAssistClient(web_stack.addresses, token=WEB_TOKENS["admin"]) as admin:
        admin.create_project(name)
        for number, image in enumerate(images[:2]):
            admin.add_sample(name, f"hela-{number}", image, sequence="hela")
    return name


@pytest.fixture(scope="session")
def web_tree(tmp_path_factory):
    """A copy of web/ after ``npm ci`` (its devDependencies: the bundler, the
    type checker, puppeteer-core for Firefox), beside an empty
    client/web/static/ for the bundle: the copy's root."""
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("Node.js and npm are not on this machine")
    tree = tmp_path_factory.mktemp("web-build")
    shutil.copytree(Path(__file__).parents[1] / "web", tree / "web", ignore=shutil.ignore_patterns("node_modules"))
    (tree / "client" / "web" / "static").mkdir(parents=True)
    installed = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=tree / "web", capture_output=True,
                               text=True, timeout=300, env={**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1"})
    if installed.returncode != 0:  # the npm registry out of reach: nothing to build or drive Firefox with
        pytest.skip(f"npm ci failed: {installed.stderr.strip()[-300:]}")
    return tree
