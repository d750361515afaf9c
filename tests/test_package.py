"""The package as users install it: the sdist and the wheel built from this
tree, checked as PyPI would check them, and the wheel installed into fresh
environments outside the tree, one per role (an annotator's ``[client]``, a
server's ``[services,triton]``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

import labelassist
from labelassist.stack import local_triton_available

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
# What an annotator's machine runs: the SDK, the desktop client, the CLI, and
# the floors they stand on. The napari plugin is the napari extra's, the
# browser gateway the web extra's (it runs beside the services, not on a laptop).
CLIENT_ROLE = ("labelassist.cli", "labelassist.client", "labelassist.io", "labelassist.proto")
NOT_IN_CLIENT_ROLE = ("labelassist.client.napari_plugin", "labelassist.client.web")
# Programs Triton's Python backend runs (they import its triton_python_backend_utils);
# the demo has Triton load them from the installed wheel.
TRITON_PROGRAMS = ("labelassist.triton_template.",)
# Alembic's environment script runs inside Alembic (alembic.context is set only
# there); a selector's start runs it from the installed wheel in the demo.
ALEMBIC_SCRIPTS = ("labelassist.selector.migrations.env",)
# Where this tree's built stack already lies, to lend to the services role.
DEPENDENCY_PATHS = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]


@dataclass
class Built:
    sdist: Path
    wheel: Path
    output: str


@dataclass
class Installed:
    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def run(self, *args: str, cwd: Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
        """A command of this environment, from outside the source tree and with nothing of it on the path."""
        clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        clean["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{clean.get('PATH', '')}"
        return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=timeout,
                              env={**clean, "QT_QPA_PLATFORM": "offscreen", **env})


def wheel_path(source: Path) -> str | None:
    """Where a file of the source tree lies in the wheel, or None when it is no part of the package."""
    relative = source.relative_to(ROOT).as_posix()
    if "__pycache__" in relative:
        return None
    for package, folder in PACKAGE_DIR.items():
        if relative.startswith(f"{folder}/"):
            return package.replace(".", "/") + "/" + relative.removeprefix(f"{folder}/")
    return None


def source_files() -> set[str]:
    """Every file of the folders package-dir maps, as wheel paths."""
    return {found for folder in PACKAGE_DIR.values() for path in (ROOT / folder).rglob("*") if path.is_file()
            if (found := wheel_path(path))}


def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return {name for name in archive.namelist() if name.startswith("labelassist/")}


def module_name(wheel_file: str) -> str:
    return wheel_file.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def build(source: Path, out: Path) -> subprocess.CompletedProcess:
    # Our build's warnings are errors; DeprecationWarnings come from build plugins
    # of other packages in this environment (npe2's, importing pydantic).
    return subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONWARNINGS": "error,ignore::DeprecationWarning"})


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    """The sdist, and the wheel built from that sdist (as ``python -m build`` does)."""
    out = tmp_path_factory.mktemp("dist")
    left_before = (ROOT / "label_assistant.egg-info").exists()
    run = build(ROOT, out)
    if not left_before:
        shutil.rmtree(ROOT / "label_assistant.egg-info", ignore_errors=True)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    [sdist], [wheel] = out.glob("*.tar.gz"), out.glob("*.whl")
    return Built(sdist, wheel, run.stdout + run.stderr)


def fresh_venv(path: Path) -> Installed:
    # No pip inside: this interpreter's pip installs into it (--python), which
    # saves seeding a pip into every environment.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    return Installed(path)


def pip_into(installed: Installed, *args: str) -> None:
    run = subprocess.run([sys.executable, "-m", "pip", "--python", str(installed.python), "install", "--quiet",
                          *args], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]


@pytest.fixture(scope="module")
def client_role(network_jobs) -> Installed:
    """``pip install label-assistant[client]`` with its dependencies resolved for real."""
    code, log = network_jobs.installs["client-role"].wait()
    assert code == 0, log[-3000:]
    return network_jobs.client_role


@pytest.fixture(scope="module")
def services_role(built, tmp_path_factory) -> Installed:
    """The wheel in a fresh environment, with the services' and Triton's stack lent.

    Resolving and installing ``[services,triton]`` for real (torch, the Triton
    bundle: 1.6 GB) takes over five minutes here; the wheel goes in without
    dependencies and a path line lends this environment's site-packages. A path
    line does not run the .pth files of the folder it names, so the editable
    install's finder stays out and every ``labelassist`` module comes from the wheel.
    """
    installed = fresh_venv(tmp_path_factory.mktemp("services-role") / "venv")
    pip_into(installed, "--no-deps", str(built.wheel))
    [site_packages] = installed.venv.glob("lib/python*/site-packages")
    (site_packages / "zz_lent_dependencies.pth").write_text("".join(f"{p}\n" for p in DEPENDENCY_PATHS))
    return installed


class Job:
    """A slow command started now, waited for where its result is needed."""

    def __init__(self, command: list[str], log: Path, report: Path | None = None):
        self.log, self.report = log, report
        with open(log, "w") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, text=True)

    def wait(self, timeout: float = 600) -> tuple[int, str]:
        code = self.process.wait(timeout=timeout)
        return code, self.log.read_text()


def manylinux(glibc_minor: int, arch: str) -> list[str]:
    """The wheel platforms a Linux with glibc 2.<glibc_minor> runs (pip takes no minimum for --platform)."""
    return [f"manylinux_2_{minor}_{arch}" for minor in range(glibc_minor, 4, -1)] + [f"manylinux2014_{arch}"]


# The annotator platforms README.md's Install section promises.
PLATFORMS = {
    "windows-x86_64": ["win_amd64"],
    "macos-arm64": ["macosx_11_0_arm64"],
    "macos-x86_64": ["macosx_11_0_x86_64"],
    "linux-aarch64": manylinux(31, "aarch64"),
    "linux-x86_64": manylinux(31, "x86_64"),
}


def resolve_for(platform_tags: list[str], requirement: str, target: Path) -> list[str]:
    """pip's resolution of ``requirement`` on another machine: binary wheels only, as there."""
    return [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--only-binary=:all:",
            *[f"--platform={tag}" for tag in platform_tags], "--python-version=3.11", "--implementation=cp",
            f"--target={target}", f"--report={target}.json", "--quiet", requirement]


@dataclass
class NetworkJobs:
    client_role: Installed
    installs: dict[str, Job]


@pytest.fixture(scope="module", autouse=True)
def network_jobs(built, tmp_path_factory):
    """The installs that wait on the package index, started at once so they overlap the other tests.

    No network means these fail, loudly: the claims they check are about the public index.
    """
    work = tmp_path_factory.mktemp("network")
    client_role = fresh_venv(work / "client-role")
    installs = {"client-role": Job([sys.executable, "-m", "pip", "--python", str(client_role.python), "install",
                                    "--quiet", f"{built.wheel}[client]"], work / "client-role.log")}
    for name, tags in PLATFORMS.items():
        installs[name] = Job(resolve_for(tags, f"{built.wheel}[client]", work / name), work / f"{name}.log",
                             work / f"{name}.json")
    yield NetworkJobs(client_role, installs)
    for job in installs.values():
        if job.process.poll() is None:
            job.process.kill()
            job.process.wait()


def import_every(installed: Installed, modules: list[str], cwd: Path) -> dict[str, str]:
    """The modules that fail to import in ``installed``, with the error, after checking where they come from."""
    probe = ("import importlib, json, sys, labelassist\n"
             f"assert labelassist.__file__.startswith({str(installed.venv)!r}), labelassist.__file__\n"
             "failed = {}\n"
             f"for name in {modules!r}:\n"
             "    try:\n"
             "        importlib.import_module(name)\n"
             "    except Exception as error:\n"
             "        failed[name] = f'{type(error).__name__}: {error}'\n"
             "print(json.dumps(failed))\n")
    run = installed.run(installed.python, "-c", probe, cwd=cwd, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.splitlines()[-1])


def importable_modules(built: Built) -> list[str]:
    # __main__ modules start a service when imported; the demo runs them.
    return sorted(module_name(f) for f in wheel_files(built.wheel) if f.endswith(".py")
                  and not f.endswith("/__main__.py") and not module_name(f).startswith(TRITON_PROGRAMS)
                  and module_name(f) not in ALEMBIC_SCRIPTS)


# -- the artefacts ----------------------------------------------------------------------------------------------


def test_building_prints_no_warnings(built):
    assert "Warning" not in built.output and "deprecated" not in built.output.lower(), built.output[-3000:]


def test_twine_accepts_the_sdist_and_the_wheel(built):
    run = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(built.sdist), str(built.wheel)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("PASSED") == 2


def test_the_wheel_holds_every_module_of_the_source_folders(built):
    expected = {f for f in source_files() if f.endswith(".py")}
    shipped = {f for f in wheel_files(built.wheel) if f.endswith(".py")}
    assert sorted(expected - shipped) == [] and sorted(shipped - expected) == []


def test_the_wheel_holds_every_data_file_of_the_source_folders(built):
    expected = {f for f in source_files() if not f.endswith(".py")}
    assert {"labelassist/data/hela_sample.tif", "labelassist/proto/v1/assist.proto",
            "labelassist/client/napari_plugin/napari.yaml", "labelassist/triton_template/unet/config.pbtxt"} <= expected
    shipped = {f for f in wheel_files(built.wheel) if not f.endswith(".py")}
    assert sorted(expected - shipped) == [] and sorted(shipped - expected) == []


def test_the_wheel_carries_the_apache_2_license_and_the_version_of_the_source(built):
    with zipfile.ZipFile(built.wheel) as archive:
        dist_info = f"label_assistant-{labelassist.__version__}.dist-info"
        metadata = archive.read(f"{dist_info}/METADATA").decode()
        license_text = archive.read(f"{dist_info}/licenses/LICENSE").decode()
    assert "License-Expression: Apache-2.0" in metadata and "License-File: LICENSE" in metadata
    assert license_text == (ROOT / "LICENSE").read_text() and "Version 2.0, January 2004" in license_text


def test_the_dockerfile_copies_everything_the_build_reads(built, tmp_path):
    context = tmp_path / "image"
    context.mkdir()
    for line in (ROOT / "deploy" / "Dockerfile").read_text().splitlines():
        if not line.startswith("COPY "):
            continue
        *sources, target = line.split()[1:]
        for source in sources:
            destination = context / target if target != "./" else context / source
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, destination, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(ROOT / source, destination)
    assert "pip install \".[" in (ROOT / "deploy" / "Dockerfile").read_text()
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir",
                          str(tmp_path / "wheel"), str(context)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Warning" not in run.stdout + run.stderr, (run.stdout + run.stderr)[-3000:]
    [image_wheel] = (tmp_path / "wheel").glob("*.whl")
    with zipfile.ZipFile(image_wheel) as image, zipfile.ZipFile(built.wheel) as released:
        assert sorted(image.namelist()) == sorted(released.namelist())


# -- a server's install: label-assistant[services,triton] -----------------------------------------------------


def test_the_services_role_prints_its_version_and_help(services_role, tmp_path):
    version = services_role.run("labelassist", "--version", cwd=tmp_path)
    assert version.stdout == f"labelassist {labelassist.__version__}\n", version.stderr
    usage = services_role.run("labelassist", "--help", cwd=tmp_path)
    assert usage.returncode == 0 and "usage: labelassist" in usage.stdout, usage.stderr


def test_the_services_role_imports_every_module(built, services_role, tmp_path):
    assert import_every(services_role, importable_modules(built), tmp_path) == {}


@pytest.mark.timeout(600)
def test_the_services_role_runs_the_demo_end_to_end(services_role, tmp_path):
    run = services_role.run("labelassist", "demo", "--base-port", "0", "--no-keep-running", cwd=tmp_path,
                            timeout=540, LABELASSIST_DATA_DIR=str(tmp_path / "data"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert re.search(r"median Dice of the submitted labels against the reference masks: 0\.9\d\d", run.stdout)
    assert "labelassist gui --project hela-demo" in run.stdout
    if local_triton_available():
        # Triton served the wheel's model templates (config.pbtxt and model.py).
        log = (tmp_path / "data" / "logs" / "tritonserver.log").read_text()
        assert "successfully loaded 'unet'" in log and "successfully loaded 'clicknet'" in log


# -- an annotator's install: label-assistant[client] ----------------------------------------------------------


def test_the_client_role_prints_its_version(client_role, tmp_path):
    run = client_role.run("labelassist", "--version", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"labelassist {labelassist.__version__}\n"


def test_the_client_role_prints_its_help(client_role, tmp_path):
    run = client_role.run("labelassist", "--help", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "usage: labelassist" in run.stdout and "project" in run.stdout


def test_the_client_role_imports_the_sdk_the_desktop_client_and_the_cli(built, client_role, tmp_path):
    modules = [m for m in importable_modules(built)
               if m.startswith(CLIENT_ROLE) and not m.startswith(NOT_IN_CLIENT_ROLE)]
    assert "labelassist.io.formats.coco" in modules and "labelassist.client.gui.app" in modules
    assert import_every(client_role, modules, tmp_path) == {}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_client_role_resolves_to_binary_wheels_on(platform, network_jobs):
    resolution = network_jobs.installs[platform]
    code, log = resolution.wait()
    assert code == 0, f"label-assistant[client] does not install on {platform}:\n{log[-3000:]}"
    report = json.loads(resolution.report.read_text())
    resolved = {canonicalize_name(item["metadata"]["name"]) for item in report["install"]}
    assert {"label-assistant", "grpcio", "numpy", "pyside6-essentials", "pyqtgraph"} <= resolved
