"""A new user's first run: busy ports, two stacks started at once, an SDK
with no stack, the demo run twice and the CLI's small promises (the install
itself: tests/test_package.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import numpy as np
import pytest

from labelassist.client.errors import NotFoundError, ServiceUnavailableError
from labelassist.client.sdk import LabelAssistClient, ServiceAddresses


def _free_base_port() -> int:
    """A port P with P, P+1, P+2 free right now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base < 65000 and all(_free(base + i) for i in range(3)):
            return base
    raise RuntimeError("no three free ports in a row")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _cli(*args: str, data_dir: Path, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "LABELASSIST_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "labelassist.cli", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def test_up_on_a_busy_port_names_it_and_how_to_choose_others(tmp_path):
    base = _free_base_port()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", base + 1))
        squatter.listen()
        run = _cli("up", "--triton-url", "none", "--base-port", str(base), data_dir=tmp_path)
        out, err = run.communicate(timeout=60)
    assert run.returncode == 2
    assert f"port {base + 1} (assist) on 127.0.0.1 is in use" in err
    assert "--base-port" in err and "LABELASSIST_BASE_PORT" in err
    assert "Traceback" not in out + err


def test_two_stacks_started_at_once_on_the_same_ports_give_one_stack_and_one_clean_error(tmp_path):
    base = _free_base_port()
    first = _cli("up", "--triton-url", "none", "--base-port", str(base), data_dir=tmp_path / "a")
    second = _cli("up", "--triton-url", "none", "--base-port", str(base), data_dir=tmp_path / "b")
    try:
        deadline = time.monotonic() + 90
        while first.poll() is None and second.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        loser = first if first.poll() is not None else second
        winner = second if loser is first else first
        _, err = loser.communicate(timeout=60)
        assert loser.returncode == 2, err
        assert "in use" in err or "could not listen" in err
        assert "Traceback" not in err and "-6" not in err and "SIGABRT" not in err
        with LabelAssistClient(ServiceAddresses(*(f"127.0.0.1:{base + i}" for i in range(3)))) as client:
            deadline = time.monotonic() + 60
            while set(client.health().values()) != {"SERVING"}:
                assert winner.poll() is None and time.monotonic() < deadline
                time.sleep(0.3)
    finally:
        for run in (first, second):
            if run.poll() is None:
                run.send_signal(signal.SIGTERM)
                run.communicate(timeout=60)
    assert winner.returncode == 0


def test_a_service_on_a_taken_port_exits_2_with_one_line_and_no_abort(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        run = subprocess.run([sys.executable, "-m", "labelassist.selector", "--port", str(port),
                              "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert f"selector: cannot listen on 127.0.0.1:{port}: the port is in use" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_sdk_without_a_stack_raises_a_connection_error_naming_the_address_and_its_source(monkeypatch, tmp_path):
    monkeypatch.setenv("LABELASSIST_DATA_DIR", str(tmp_path))
    port = _free_base_port()
    monkeypatch.setenv("LABELASSIST_SELECTOR_ADDRESS", f"127.0.0.1:{port}")
    with LabelAssistClient(retries=2, backoff=0.05, timeout=5) as client:
        assert f"selector=127.0.0.1:{port} (environment LABELASSIST_SELECTOR_ADDRESS)" in repr(client)
        assert "assist=127.0.0.1:50052 (default port)" in repr(client)
        with pytest.raises(ConnectionError) as caught:
            client.list_projects()
    error = caught.value
    assert isinstance(error, ServiceUnavailableError) and isinstance(error, grpc.RpcError)
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert f"selector at 127.0.0.1:{port}, from environment LABELASSIST_SELECTOR_ADDRESS; 3 tries" in str(error)
    assert "labelassist up" in str(error)


def test_sdk_errors_are_typed_by_status_family_and_carry_the_servers_message(client):
    with pytest.raises(NotFoundError) as caught:
        client.get_project("no-such-project")
    assert isinstance(caught.value, LookupError)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND and "no-such-project" in caught.value.details()
    with pytest.raises(ValueError, match="unknown preprocess operation"):
        client.preprocess(np.zeros((8, 8), np.uint8), ["no-such-step"])


def test_status_says_where_each_address_came_from(stack, tmp_path):
    env = {**os.environ, "LABELASSIST_DATA_DIR": str(stack.data_dir)}
    run = subprocess.run([sys.executable, "-m", "labelassist.cli", "status"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    for name, address in stack.addresses.as_dict().items():
        assert f"{name:<9} {address}" in run.stdout
    assert run.stdout.count(f"(address from the running stack ({stack.data_dir / 'run' / 'stack.json'}))") == 3


def test_model_list_with_no_model_says_so(tmp_path):
    run = subprocess.run([sys.executable, "-m", "labelassist.cli", "--data-dir", str(tmp_path), "model", "list"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0
    assert "no U-Net version published yet" in run.stdout and "labelassist train" in run.stdout


def test_the_demo_run_twice_says_what_is_next_and_then_that_it_is_done(first_demo):
    data_dir, first = first_demo
    env = {**os.environ, "LABELASSIST_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "labelassist.cli", "demo", "--base-port", "0", "--no-keep-running"]
    assert first.returncode == 0, first.stderr
    assert "labelassist gui --project hela-demo" in first.stdout
    assert "findings: what inspection flagged" in first.stdout
    second = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert second.returncode == 0, second.stderr
    assert "project 'hela-demo' is labelled already" in second.stdout
    assert "labelassist demo --project hela-demo-2" in second.stdout


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_up_starts_a_crashed_service_again_on_its_port(tmp_path):
    import json

    base = _free_base_port()
    up = _cli("up", "--triton-url", "none", "--base-port", str(base), data_dir=tmp_path)
    stack_json = tmp_path / "run" / "stack.json"
    try:
        _wait_for(stack_json.exists, 90, "the stack did not start")
        pid = json.loads(stack_json.read_text())["services"]["selector"]["pid"]
        os.kill(pid, signal.SIGKILL)
        addresses = ServiceAddresses(*(f"127.0.0.1:{base + i}" for i in range(3)))
        with LabelAssistClient(addresses, retries=8, backoff=0.5) as client:
            _wait_for(lambda: client.health()["selector"] == "SERVING" and up.poll() is None, 60,
                      "the selector was not started again")
            client.create_project("after-restart")
            assert [p.name for p in client.list_projects()] == ["after-restart"]
    finally:
        up.send_signal(signal.SIGTERM)
        out, err = up.communicate(timeout=60)
    assert up.returncode == 0
    assert "selector exited with code -9; starting it again in 1 s (restart 1)" in err


def test_with_tls_the_services_reach_each_other_without_extra_settings(tmp_path, certificate):
    cert, key = certificate
    base = _free_base_port()
    env_free = {k: v for k, v in os.environ.items() if k != "LABELASSIST_TLS_ROOT"}
    up = subprocess.Popen([sys.executable, "-m", "labelassist.cli", "up", "--triton-url", "none", "--base-port",
                           str(base), "--tls-cert", str(cert), "--tls-key", str(key)], text=True,
                          env={**env_free, "LABELASSIST_DATA_DIR": str(tmp_path)},
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for((tmp_path / "run" / "stack.json").exists, 90, "the TLS stack did not start")
        addresses = ServiceAddresses(*(f"127.0.0.1:{base + i}" for i in range(3)))
        with LabelAssistClient(addresses, tls_root=cert) as client:
            client.create_project("tls")
            sample_id = client.add_sample("tls", "a", (np.arange(4096) % 97).reshape(64, 64).astype(np.uint16))
            # assist fetches the image from the selector itself, over TLS
            outcome = client.prelabel(None, method="otsu", sample_id=sample_id)
            assert outcome.mask.shape == (64, 64)
    finally:
        up.send_signal(signal.SIGTERM)
        up.communicate(timeout=60)


def test_prelabel_shows_the_seconds_of_a_long_call(stack, tmp_path):
    import tifffile

    image_path, mask_path = tmp_path / "big.tif", tmp_path / "big_mask.png"
    tifffile.imwrite(image_path, (np.arange(1024 * 1024) % 4001).reshape(1024, 1024).astype(np.uint16))
    env = {**os.environ, "LABELASSIST_DATA_DIR": str(stack.data_dir), "LABELASSIST_PROGRESS_AFTER": "0"}
    run = subprocess.run([sys.executable, "-m", "labelassist.cli", "prelabel", str(image_path), "-o",
                          str(mask_path)], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert f"pre-labelling {image_path} (1024x1024): 00:0" in run.stderr
    assert mask_path.exists()


def test_bench_prelabel_works_on_a_folder_with_one_labelled_image(tmp_path):
    import tifffile

    dataset = tmp_path / "one"
    (dataset / "images").mkdir(parents=True)
    (dataset / "labels").mkdir()
    image = np.full((64, 64), 100, np.uint16)
    image[20:40, 20:40] = 3000
    tifffile.imwrite(dataset / "images" / "a.tif", image)
    tifffile.imwrite(dataset / "labels" / "a.tif", (image > 1000).astype(np.uint8))
    run = subprocess.run([sys.executable, "-m", "labelassist.cli", "bench", "prelabel", "--dataset", str(dataset),
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out" / "results.md").exists() and "otsu" in run.stdout


def test_inspection_settings_print_whole_lines(stack):
    with LabelAssistClient(stack.addresses) as client:
        client.create_project("lines")
    env = {**os.environ, "LABELASSIST_DATA_DIR": str(stack.data_dir)}
    run = subprocess.run([sys.executable, "-m", "labelassist.cli", "inspection", "lines"], capture_output=True,
                         text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.endswith("\n") and "inspection settings of project 'lines'" in run.stdout


def test_prelabel_writes_one_uint16_id_per_object_or_a_0_255_mask(stack, tmp_path):
    import tifffile
    from PIL import Image

    image = np.full((64, 64), 100, np.uint16)
    image[5:20, 5:20] = image[40:60, 30:50] = 3000
    tifffile.imwrite(tmp_path / "two.tif", image)
    env = {**os.environ, "LABELASSIST_DATA_DIR": str(stack.data_dir)}
    command = [sys.executable, "-m", "labelassist.cli", "prelabel", str(tmp_path / "two.tif"), "--method", "otsu"]
    ids = subprocess.run([*command, "-o", str(tmp_path / "ids.png")], capture_output=True, text=True, env=env,
                         timeout=120)
    assert ids.returncode == 0, ids.stderr
    written = np.asarray(Image.open(tmp_path / "ids.png"))
    assert written.dtype == np.uint16 and sorted(np.unique(written).tolist()) == [0, 1, 2]
    assert "written as instance ids (uint16)" in ids.stdout
    binary = subprocess.run([*command, "-o", str(tmp_path / "mask.png"), "--binary"], capture_output=True, text=True,
                            env=env, timeout=120)
    assert binary.returncode == 0, binary.stderr
    assert sorted(np.unique(np.asarray(Image.open(tmp_path / "mask.png"))).tolist()) == [0, 255]
