"""Prometheus metrics (``--metrics-port``): every call counted by method and
status code, with its latency, read back over HTTP and parsed as Prometheus
does."""

from __future__ import annotations

import json
import urllib.request

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from labelassist.client.errors import InvalidArgumentError, ServiceUnavailableError
from labelassist.client.sdk import LabelAssistClient, ServiceAddresses


def scrape(port: int) -> dict:
    """Every sample of the endpoint: {(name, frozenset(labels)): value}."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def _dead_port() -> int:
    """A loopback port nobody listens on."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_calls_are_counted_by_method_and_status_with_their_latency(start_service):
    assist = start_service("assist", "--metrics-port", "0")
    port = json.loads(assist.ready_file.read_text())["metrics_port"]
    with LabelAssistClient(ServiceAddresses(assist=assist.address), timeout=30) as client:
        for _ in range(3):
            client.preprocess(np.ones((32, 32), np.uint16), ["stretch"])
        with pytest.raises(InvalidArgumentError):
            client.preprocess(np.ones((32, 32), np.uint16), ["no_such_step"])
        client.list_operations()
    samples = scrape(port)
    method = "/labelassist.v1.AssistService/Preprocess"

    def value(name, **labels):
        return samples[(name, frozenset({"service": "assist", **labels}.items()))]

    assert value("labelassist_calls_total", method=method, code="OK") == 3
    assert value("labelassist_calls_total", method=method, code="INVALID_ARGUMENT") == 1
    assert value("labelassist_call_seconds_count", method=method) == 4
    assert value("labelassist_call_seconds_bucket", method=method, le="+Inf") == 4
    assert value("labelassist_calls_in_flight", method=method) == 0
    assert value("labelassist_calls_total", method="/labelassist.v1.AssistService/ListOperations", code="OK") == 1
    # Message bytes: each request carried a 32 x 32 uint16 image (2 KiB) and its header.
    assert 4 * 2048 < value("labelassist_received_bytes_total", method=method) < 4 * 2048 + 4096
    assert value("labelassist_sent_bytes_total", method=method) > 3 * 2048


def test_calls_to_triton_are_timed_and_failures_counted_by_reason(start_service):
    """The U-Net's Triton gone: each pre-label's call to it is timed and
    counted as a failure with Triton's status, and the call still answers UNAVAILABLE."""
    assist = start_service("assist", "--metrics-port", "0", "--triton-url", f"127.0.0.1:{_dead_port()}")
    port = json.loads(assist.ready_file.read_text())["metrics_port"]
    with LabelAssistClient(ServiceAddresses(assist=assist.address), timeout=60, retries=0) as client:
        for _ in range(2):
            with pytest.raises(ServiceUnavailableError, match="unreachable"):
                client.prelabel(np.ones((64, 64), np.uint16), "unet")
    samples = scrape(port)
    failures = {dict(labels)["reason"]: value for (name, labels), value in samples.items()
                if name == "labelassist_upstream_failures_total" and dict(labels)["model"] == "unet"}
    assert sum(failures.values()) == 2 and "UNAVAILABLE" in failures
    timed = samples[("labelassist_upstream_call_seconds_count",
                     frozenset({"service": "assist", "target": "triton", "model": "unet"}.items()))]
    assert timed == 2


def test_the_selector_reports_its_scorer_and_a_service_without_the_flag_serves_none(start_service):
    selector = start_service("selector", "--metrics-port", "0")
    port = json.loads(selector.ready_file.read_text())["metrics_port"]
    names = {name for name, _ in scrape(port)}
    assert {"labelassist_selector_scored_per_second", "labelassist_selector_ranking_builds",
            "labelassist_selector_rebuilds_waiting", "labelassist_selector_scoring_backlog"} <= names
    plain = start_service("inspect")
    assert json.loads(plain.ready_file.read_text())["metrics_port"] is None


def test_the_grafana_dashboard_reads_only_metrics_the_services_export(start_service):
    """Every labelassist_* series the dashboard's queries name is one a
    running service exports (Triton's nv_* series are Triton's own)."""
    import re
    from pathlib import Path

    dashboard = json.loads((Path(__file__).parents[1] / "deploy" / "grafana" / "labelassist.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert len(exprs) >= 8 and all(panel["datasource"]["uid"] == "${datasource}" for panel in dashboard["panels"])
    wanted = {name for expr in exprs for name in re.findall(r"\blabelassist_[a-z_]+", expr)}
    selector = start_service("selector", "--metrics-port", "0")
    with LabelAssistClient(ServiceAddresses(selector=selector.address), timeout=30) as client:
        client.list_strategies()  # a call, so the per-method series exist
        client.create_project("double")  # a sample two annotators labelled, so the agreement series exist
        sample_id = client.add_sample("double", "s0", np.ones((32, 32), np.uint16))
        for annotator in ("alice", "bob"):
            client.submit_label(sample_id, annotator, np.pad(np.ones((8, 8), np.uint8), 12))
    exported = {name for name, _ in scrape(json.loads(selector.ready_file.read_text())["metrics_port"])}
    # Calls to Triton are recorded once one is made: an assist whose Triton is gone makes one.
    assist = start_service("assist", "--metrics-port", "0", "--triton-url", f"127.0.0.1:{_dead_port()}")
    with LabelAssistClient(ServiceAddresses(assist=assist.address), timeout=60, retries=0) as client:
        with pytest.raises(ServiceUnavailableError):
            client.prelabel(np.ones((64, 64), np.uint16), "unet")
    exported |= {name for name, _ in scrape(json.loads(assist.ready_file.read_text())["metrics_port"])}
    assert wanted and wanted <= exported, wanted - exported
    assert {"nv_inference_count", "nv_inference_queue_duration_us"} <= {
        name for expr in exprs for name in re.findall(r"\bnv_[a-z_]+", expr)}


def _listening_hosts(port: int) -> set[str]:
    """The IPv4 addresses a TCP port of this machine listens on, from /proc/net/tcp."""
    import socket

    hosts = set()
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if int(hex_port, 16) == port and state == "0A":  # LISTEN
            hosts.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return hosts


def test_metrics_stay_on_this_machine_when_the_service_listens_on_every_address(start_service):
    exposed = start_service("assist", "--host", "0.0.0.0", "--metrics-port", "0")
    port = json.loads(exposed.ready_file.read_text())["metrics_port"]
    assert _listening_hosts(port) == {"127.0.0.1"}
    assert "metrics served on" not in exposed.log_file.read_text()


def test_metrics_on_another_address_are_named_in_the_exposure_warning(start_service):
    exposed = start_service("assist", "--metrics-port", "0", "--metrics-host", "0.0.0.0")
    port = json.loads(exposed.ready_file.read_text())["metrics_port"]
    assert _listening_hosts(port) == {"0.0.0.0"}
    assert "metrics served on 0.0.0.0 without authentication" in exposed.log_file.read_text()
