"""Every client finds the services the same way: addresses given over
``LABELASSIST_<SERVICE>_ADDRESS`` over the running stack recorded in the
data directory over ``LABELASSIST_BASE_PORT`` over the default ports, and
``labelassist status`` says which stack answered or that none of this data
directory's did. Through the real CLI and a real stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.proto.wire.addresses import free_port

CLI = [sys.executable, "-m", "labelassist.cli"]


def _env(data_dir, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABELASSIST_")}
    return {**env, "LABELASSIST_DATA_DIR": str(data_dir), **extra}


def run(env, *args, timeout=120):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=timeout)


def test_status_with_no_stack_of_ones_own_uses_labelassist_base_port_and_says_no_stack_answered(tmp_path):
    port = free_port()
    status = run(_env(tmp_path, LABELASSIST_BASE_PORT=str(port)), "status")
    assert status.returncode == 1
    assert f"no stack recorded in {tmp_path}" in status.stdout
    assert "may be another stack" in status.stdout
    for offset, name in enumerate(("selector", "assist", "inspect")):
        assert f"{name:<9} 127.0.0.1:{port + offset}" in status.stdout
    assert status.stdout.count(f"(address from LABELASSIST_BASE_PORT={port})") == 3


def test_project_create_with_ones_stack_stopped_goes_to_labelassist_base_port_not_the_default(tmp_path):
    port = free_port()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "a.png")
    made = run(_env(tmp_path, LABELASSIST_BASE_PORT=str(port)), "--timeout", "5", "project", "create", "p",
               "--images", str(tmp_path))
    assert made.returncode != 0
    assert f"127.0.0.1:{port}" in made.stderr and "50051" not in made.stderr


def test_status_names_the_data_directory_of_the_stack_that_answered(stack):
    status = run(_env(stack.data_dir, LABELASSIST_BASE_PORT=str(free_port())), "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"stack     the stack of {stack.data_dir} (recorded in {stack.data_dir / 'run' / 'stack.json'}" \
        in status.stdout
    for name, address in stack.addresses.as_dict().items():
        assert f"{name:<9} {address}" in status.stdout


def test_a_stack_file_left_by_a_stopped_stack_is_not_used_and_status_says_so(tmp_path):
    (tmp_path / "run").mkdir()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    services = {name: {"address": "127.0.0.1:1"} for name in ("selector", "assist", "inspect")}
    (tmp_path / "run" / "stack.json").write_text(json.dumps({"pid": int(gone.stdout), "services": services}))
    port = free_port()
    status = run(_env(tmp_path, LABELASSIST_BASE_PORT=str(port)), "status")
    assert f"has stopped (its process {int(gone.stdout)} is gone)" in status.stdout
    assert f"selector  127.0.0.1:{port}" in status.stdout and "127.0.0.1:1 " not in status.stdout


def test_the_sdk_finds_the_services_as_the_cli_does(stack, monkeypatch):
    monkeypatch.setenv("LABELASSIST_DATA_DIR", str(stack.data_dir))
    monkeypatch.setenv("LABELASSIST_BASE_PORT", "40000")
    for name in ("SELECTOR", "ASSIST", "INSPECT"):
        monkeypatch.delenv(f"LABELASSIST_{name}_ADDRESS", raising=False)
    with LabelAssistClient() as client:
        assert client.addresses == stack.addresses and client.addresses.stack == stack.data_dir
        assert set(client.health().values()) == {"SERVING"}
    given = ServiceAddresses.discover(stack.data_dir, selector="127.0.0.1:7")
    assert given.selector == "127.0.0.1:7" and given.source("selector") == "given"
    assert given.assist == stack.addresses.assist


def test_labelassist_base_port_that_is_not_a_port_is_refused_with_its_name(tmp_path):
    status = run(_env(tmp_path, LABELASSIST_BASE_PORT="fifty"), "status")
    assert status.returncode == 2
    assert "LABELASSIST_BASE_PORT: 'fifty' is not a port" in status.stderr and "Traceback" not in status.stderr


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.1:", ":50051", "127.0.0.1:port", "127.0.0.1:70000"])
def test_an_address_that_is_not_host_and_port_is_a_value_error_saying_the_form(address):
    with pytest.raises(ValueError, match="host:port|is not a port"):
        LabelAssistClient(address)


def test_a_port_whose_server_was_killed_is_free_while_its_connections_wait_out_time_wait():
    import socket

    from labelassist.proto.wire.addresses import port_is_free

    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    assert not port_is_free("127.0.0.1", port)
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server's side closes first, as a killed server's does: TIME_WAIT on its port
    server.close()
    client.close()
    assert port_is_free("127.0.0.1", port)  # a new server binds it at once, as `up` restarts one
