"""The browser app's committed bundle (client/web/static/app.js) is what a
fresh ``npm ci && npm run build`` of web/ makes, and its TypeScript checks,
as the committed gRPC stubs are what protos/generate.py makes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = Path("client/web/static/app.js")


def test_the_committed_bundle_is_a_fresh_builds(web_tree):
    run = subprocess.run(["npm", "run", "build"], cwd=web_tree / "web", capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert (web_tree / BUNDLE).read_bytes() == (ROOT / BUNDLE).read_bytes(), (
        "client/web/static/app.js differs from a fresh build of web/: run `npm ci && npm run build` in web/ "
        "and commit the bundle")


def test_the_typescript_checks(web_tree):
    run = subprocess.run(["npm", "run", "check"], cwd=web_tree / "web", capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout + run.stderr
