"""The browser app's committed bundle (client/web/static/app.js) is what a
fresh ``npm ci && npm run build`` of web/ makes, and its TypeScript checks,
as the committed gRPC stubs are what protos/generate.py makes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = Path("client/web/static/app.js")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    if not shutil.which("npm"):
        pytest.skip("npm is not on this machine")
    tree = tmp_path_factory.mktemp("web-build")
    shutil.copytree(ROOT / "web", tree / "web", ignore=shutil.ignore_patterns("node_modules"))
    (tree / BUNDLE).parent.mkdir(parents=True)
    installed = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=tree / "web", capture_output=True,
                               text=True, timeout=300)
    if installed.returncode != 0:  # the npm registry out of reach: nothing to build with
        pytest.skip(f"npm ci failed: {installed.stderr.strip()[-300:]}")
    return tree


def test_the_committed_bundle_is_a_fresh_builds(built):
    run = subprocess.run(["npm", "run", "build"], cwd=built / "web", capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert (built / BUNDLE).read_bytes() == (ROOT / BUNDLE).read_bytes(), (
        "client/web/static/app.js differs from a fresh build of web/: run `npm ci && npm run build` in web/ "
        "and commit the bundle")


def test_the_typescript_checks(built):
    run = subprocess.run(["npm", "run", "check"], cwd=built / "web", capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout + run.stderr
