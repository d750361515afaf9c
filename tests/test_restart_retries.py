"""The SDK across a selector restart, through real processes: submits made
while the selector is down and starting again wait for it within their
deadline and each stores one version; a service that never answered is
still reported at once."""

from __future__ import annotations

import signal
import socket
import threading
import time

import numpy as np
import pytest
from conftest import ServiceProcess

from labelassist.client.errors import ServiceUnavailableError
from labelassist.client.sdk import LabelAssistClient, ServiceAddresses


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_submits_during_a_selector_restart_all_succeed_once(tmp_path):
    port = _free_port()
    selector = ServiceProcess("selector", tmp_path, "--port", str(port))
    addresses = ServiceAddresses(selector=selector.address)
    with LabelAssistClient(addresses, timeout=30, backoff=0.05) as client:
        client.create_project("restart")
        ids = [client.add_sample("restart", f"s{i}", np.full((16, 16), i, np.uint8)) for i in range(40)]
        errors, done = [], []

        def submit_all():
            for sample_id in ids:
                try:
                    client.submit_label(sample_id, "ann", np.eye(16, dtype=np.uint8))
                    done.append(sample_id)
                except Exception as error:  # noqa: BLE001 - what the test counts
                    errors.append(repr(error))
                time.sleep(0.05)

        worker = threading.Thread(target=submit_all)
        worker.start()
        time.sleep(0.5)
        selector.process.send_signal(signal.SIGKILL)  # a crash, as the supervisor then restarts it
        selector.process.wait()
        time.sleep(1.5)
        selector = ServiceProcess("selector", tmp_path, "--port", str(port))
        worker.join(timeout=120)
        try:
            assert errors == [] and done == ids
            assert all(len(client.label_history(sample_id)) == 1 for sample_id in ids)
        finally:
            selector.stop()


def test_a_selector_that_never_answered_is_reported_without_waiting_out_the_deadline():
    addresses = ServiceAddresses(selector=f"127.0.0.1:{_free_port()}")
    with LabelAssistClient(addresses, timeout=60, retries=2, backoff=0.05) as client:
        started = time.monotonic()
        with pytest.raises(ServiceUnavailableError):
            client.list_projects()
        assert time.monotonic() - started < 5
