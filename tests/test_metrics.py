"""Prometheus metrics (``--metrics-port``): every call counted by method and
status code, with its latency, read back over HTTP and parsed as Prometheus
does."""

from __future__ import annotations

import json
import urllib.request

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from labelassist.client.errors import InvalidArgumentError
from labelassist.client.sdk import LabelAssistClient, ServiceAddresses


def scrape(port: int) -> dict:
    """Every sample of the endpoint: {(name, frozenset(labels)): value}."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


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


def test_the_selector_reports_its_scorer_and_a_service_without_the_flag_serves_none(start_service):
    selector = start_service("selector", "--metrics-port", "0")
    port = json.loads(selector.ready_file.read_text())["metrics_port"]
    names = {name for name, _ in scrape(port)}
    assert {"labelassist_selector_scored_per_second", "labelassist_selector_ranking_builds"} <= names
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
    exported = {name for name, _ in scrape(json.loads(selector.ready_file.read_text())["metrics_port"])}
    assert wanted and wanted <= exported, wanted - exported
    assert {"nv_inference_count", "nv_inference_queue_duration_us"} <= {
        name for expr in exprs for name in re.findall(r"\bnv_[a-z_]+", expr)}
