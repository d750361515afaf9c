"""Only the services reach Triton. The stack's own Triton listens on a Unix
socket in a directory only its user may enter, with no secret on any
command line; a Triton on the network admits only callers sending the
deployment's secret. Pre-labels through the stack still use the U-Net."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import grpc
import numpy as np
import pytest

pytest.importorskip("tritonclient")
from tritonclient.utils import InferenceServerException  # noqa: E402

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses  # noqa: E402
from labelassist.models.triton_access import connect, restricted_protocol_flag  # noqa: E402
from labelassist.models.tritonserver import LocalTriton  # noqa: E402

pytestmark = pytest.mark.slow
NOBODY = 65534
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")
SECRET = "a-deployment-secret-0123456789"


@pytest.fixture(scope="module")
def triton_url(generalist_stack):
    if not generalist_stack.triton_url:
        pytest.skip(f"the stack runs no Triton here: {generalist_stack.triton_problem}")
    return generalist_stack.triton_url


def _socket_path(url: str) -> Path:
    return Path(url.removeprefix("unix:"))


def _tcp_listening_inodes() -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                inodes.add(fields[9])
    return inodes


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(descriptor)
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    return inodes


def _as_nobody(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` as another local user (the machine's ``nobody``), with
    the system's Python: this environment's may be private to its owner."""
    return subprocess.run([SYSTEM_PYTHON, "-c", code], user=NOBODY, group=NOBODY, capture_output=True, text=True,
                          timeout=60, cwd="/")


def test_the_stacks_triton_listens_only_on_a_socket_in_a_private_directory(generalist_stack, triton_url):
    socket = _socket_path(triton_url)
    assert triton_url.startswith("unix:") and stat.S_ISSOCK(socket.stat().st_mode)
    assert stat.S_IMODE(socket.parent.stat().st_mode) == 0o700 and socket.parent.stat().st_uid == os.getuid()
    process = generalist_stack.local_triton.process
    assert not _socket_inodes(process.pid) & _tcp_listening_inodes(), "tritonserver listens on a TCP port"


def test_no_secret_is_on_the_command_line_of_any_process_of_the_stack(generalist_stack, triton_url):
    seen = 0
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if str(generalist_stack.data_dir) in argv:  # tritonserver, its stubs, the services
            seen += 1
            assert "restricted-protocol" not in argv and "labelassist-key" not in argv, argv.replace("\0", " ")
    assert seen >= 4


def test_the_services_load_and_run_models_without_a_secret(triton_url):
    services = connect(triton_url, secret="")
    services.load_model("unet")
    assert services.is_model_ready("unet")
    assert any(m["name"] == "unet" for m in services.get_model_repository_index(as_json=True)["models"])


def test_unet_prelabels_through_the_stack_still_work(generalist_stack, triton_url):
    image = np.full((128, 128), 300, np.uint16)
    image[30:60, 30:60] = 2000
    with LabelAssistClient(generalist_stack.addresses, timeout=120) as client:
        outcome = client.prelabel(image, method="unet")
    assert outcome.method == "unet" and outcome.mask.shape == image.shape


@pytest.fixture(scope="module")
def open_parent_triton(generalist_stack):
    """A local Triton whose run directory sits in a folder every user may
    enter: only the socket directory's own mode keeps others out."""
    if os.geteuid() != 0 or SYSTEM_PYTHON is None:
        pytest.skip("acting as another local user needs root and a system Python")
    parent = Path(tempfile.mkdtemp(prefix="triton-access-"))
    parent.chmod(0o755)
    server = LocalTriton(generalist_stack.model_repository, parent / "run")
    try:
        server.start(models=["unet"])
        yield server
    finally:
        server.stop()
        shutil.rmtree(parent, ignore_errors=True)


def test_another_local_user_cannot_connect_so_cannot_load_or_unload_models(open_parent_triton):
    socket = _socket_path(open_parent_triton.url)
    connecting = f"import socket; socket.socket(socket.AF_UNIX).connect({str(socket)!r})"
    answer = _as_nobody(connecting)
    assert answer.returncode != 0 and "PermissionError" in answer.stderr, answer.stderr
    assert subprocess.run([SYSTEM_PYTHON, "-c", connecting], timeout=60).returncode == 0  # its owner can
    assert connect(open_parent_triton.url).is_model_ready("unet")


@pytest.fixture(scope="module")
def network_triton(generalist_stack):
    """A Triton on TCP restricted to a deployment's secret, as in deploy/."""
    server = LocalTriton(generalist_stack.model_repository, generalist_stack.data_dir.parent / "network-triton",
                         tcp=True, options=(restricted_protocol_flag(SECRET),))
    try:
        server.start(models=["unet"])
        yield server.url
    finally:
        server.stop()


def refused(call) -> bool:
    try:
        call()
    except InferenceServerException as error:
        return "restricted" in str(error)
    return False


@pytest.mark.parametrize("call", ["load_model", "unload_model"])
def test_model_control_on_the_network_without_the_secret_is_refused(network_triton, call):
    stranger = connect(network_triton, secret="")
    assert refused(lambda: getattr(stranger, call)("unet"))
    assert connect(network_triton, SECRET).is_model_ready("unet")


def test_a_model_file_sent_without_the_secret_is_not_run(network_triton, tmp_path):
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').write('x')\nclass TritonPythonModel:\n    pass\n"
    stranger = connect(network_triton, secret="wrong")
    assert refused(lambda: stranger.load_model("intruder", config='{"backend": "python"}',
                                               files={"file:1/model.py": code.encode()}))
    assert not marker.exists()
    assert refused(lambda: stranger.get_model_repository_index())


def test_a_service_without_the_secret_is_told_which_variable_to_set(start_service, network_triton):
    from labelassist.client.errors import LabelAssistError

    assist = start_service("assist", "--triton-url", network_triton)
    image = np.full((64, 64), 300, np.uint16)
    with LabelAssistClient(ServiceAddresses(assist.address, assist.address, assist.address), retries=0,
                           timeout=60) as client:
        with pytest.raises(LabelAssistError) as raised:
            client.prelabel(image, method="unet")
    assert raised.value.status == grpc.StatusCode.FAILED_PRECONDITION
    assert "LABELASSIST_TRITON_SECRET_FILE" in raised.value.message


def test_a_service_with_the_secret_in_its_environment_uses_the_network_triton(start_service, network_triton,
                                                                              monkeypatch):
    monkeypatch.setenv("LABELASSIST_TRITON_SECRET", SECRET)
    assist = start_service("assist", "--triton-url", network_triton)
    image = np.full((64, 64), 300, np.uint16)
    with LabelAssistClient(ServiceAddresses(assist.address, assist.address, assist.address), timeout=120) as client:
        assert client.prelabel(image, method="unet").method == "unet"


def test_a_run_directory_too_long_for_a_socket_gets_a_private_temporary_one(tmp_path):
    run_dir = tmp_path / ("deep-" * 20) / "run"
    server = LocalTriton(tmp_path / "models", run_dir)
    (tmp_path / "models").mkdir()
    try:
        server.start()
        socket = _socket_path(server.url)
        assert not socket.is_relative_to(run_dir) and stat.S_IMODE(socket.parent.stat().st_mode) == 0o700
        assert connect(server.url).is_server_live()
    finally:
        server.stop()
    assert not socket.parent.exists()
