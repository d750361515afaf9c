"""``labelassist up`` keeps its stack serving through crashes: each child
killed again and again under load is started once per exit, on its port,
and ``up`` itself keeps running."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import numpy as np
import pytest

from labelassist.client.errors import LabelAssistError
from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from test_first_run import _cli, _free_base_port, _wait_for

pytestmark = pytest.mark.slow
KILLS_PER_SERVICE = 3
SERVICES = ("selector", "assist", "inspect")


def _pid(stack_json, name: str, not_this: int | None = None) -> int:
    """The pid the stack file records for ``name`` once it differs from ``not_this``."""
    def recorded():
        try:
            return json.loads(stack_json.read_text())["services"][name]["pid"]
        except (OSError, ValueError, KeyError):
            return None
    _wait_for(lambda: recorded() not in (None, not_this), 60, f"{name}'s new pid was not recorded")
    return recorded()


def _load(addresses: ServiceAddresses, done: threading.Event) -> None:
    """Calls to every service until ``done``; failures while a service restarts are expected."""
    image = (np.arange(4096) % 251).reshape(64, 64).astype(np.uint16)
    with LabelAssistClient(addresses, retries=0, timeout=5) as client:
        while not done.is_set():
            for call in (client.list_projects, lambda: client.prelabel(image, method="otsu"),
                         client.list_criteria):
                try:
                    call()
                except (LabelAssistError, ConnectionError, OSError):
                    pass


def test_each_service_killed_again_and_again_under_load_is_serving_again_and_up_keeps_running(tmp_path):
    base = _free_base_port()
    up = _cli("up", "--triton-url", "none", "--base-port", str(base), data_dir=tmp_path)
    stack_json = tmp_path / "run" / "stack.json"
    addresses = ServiceAddresses(*(f"127.0.0.1:{base + i}" for i in range(3)))
    done = threading.Event()
    loaders = [threading.Thread(target=_load, args=(addresses, done)) for _ in range(2)]
    try:
        _wait_for(stack_json.exists, 90, "the stack did not start")
        for loader in loaders:
            loader.start()
        with LabelAssistClient(addresses, retries=0, timeout=5) as client:
            # All three in each round, so that their restart backoffs (1, 2, 4 s) run side by side.
            pids = {name: _pid(stack_json, name) for name in SERVICES}
            for kill in range(KILLS_PER_SERVICE):
                for name in SERVICES:
                    os.kill(pids[name], signal.SIGKILL)
                for name in SERVICES:
                    pids[name] = _pid(stack_json, name, not_this=pids[name])
                    _wait_for(lambda: client.health()[name] == "SERVING", 60, f"{name} not serving after kill {kill}")
                assert up.poll() is None, f"up stopped after kill {kill}"
                time.sleep(0.6)  # a second restart of the same exit would come within the supervise period
                health = client.health()
                assert [health[name] for name in SERVICES] == ["SERVING"] * len(SERVICES), health
            client.create_project("after-the-kills")
            assert "after-the-kills" in [p.name for p in client.list_projects()]
    finally:
        done.set()
        for loader in loaders:
            if loader.is_alive():
                loader.join(timeout=30)
        up.send_signal(signal.SIGTERM)
        out, err = up.communicate(timeout=60)
    assert up.returncode == 0, err
    for name in SERVICES:
        assert err.count(f"{name} exited with code -9; starting it again") == KILLS_PER_SERVICE, err
    assert "port" not in err.lower() or "in use" not in err.lower(), err
