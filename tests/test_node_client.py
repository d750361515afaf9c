"""The contract from another language: a Node.js client built from the
.proto files alone (@grpc/grpc-js and @grpc/proto-loader) lists the
operations and streams a chunked image through a real assist service."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("@grpc/grpc-js@1", "@grpc/proto-loader@0.8")


@pytest.fixture(scope="module")
def node_modules(tmp_path_factory):
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("Node.js and npm are not on this machine")
    folder = tmp_path_factory.mktemp("node")
    installed = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(folder), *PACKAGES],
                               capture_output=True, text=True, timeout=300)
    if installed.returncode != 0:  # the npm registry out of reach: nothing to test the client with
        pytest.skip(f"npm install failed: {installed.stderr.strip()[-300:]}")
    return folder / "node_modules"


def test_a_node_client_streams_an_image_through_assist(node_modules, stack):
    run = subprocess.run(["node", str(ROOT / "tests" / "node" / "prelabel.js"), str(ROOT / "protos"),
                          stack.addresses.assist], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "NODE_PATH": str(node_modules)})
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["operations"] > 20 and summary["method"] == "otsu"
    assert summary["objects"] == 1 and summary["maskBytes"] == 1024 * 1024
