"""The selector's Prometheus gauges for projects several annotators label:
agreement, adjudication still to do and the spread of annotator accuracy,
per project and never per annotator name, read back over HTTP after a
double-labelled sample."""

from __future__ import annotations

import json
import time

import pytest
from test_agreement_overlap import MISSES_TWO, REFERENCE, image
from test_metrics import scrape

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses


def test_metrics_show_agreement_adjudication_and_accuracy_spread_per_project(start_service):
    selector = start_service("selector", "--metrics-port", "0")
    port = json.loads(selector.ready_file.read_text())["metrics_port"]
    with LabelAssistClient(ServiceAddresses(selector=selector.address), retries=0) as client:
        client.create_project("double")
        client.create_project("single")
        shared = client.add_sample("double", "s0", image(0))
        agreed = client.add_sample("double", "s1", image(1))
        client.submit_label(client.add_sample("single", "s0", image(0)), "alice", REFERENCE)
        client.submit_label(shared, "alice", REFERENCE)
        client.submit_label(shared, "bob", MISSES_TWO)
        client.submit_label(agreed, "alice", REFERENCE)
        client.submit_label(agreed, "bob", REFERENCE)

        def value(name, **labels):
            return scrape(port)[(name, frozenset({"service": "selector", "project": "double", **labels}.items()))]

        assert value("labelassist_selector_project_agreement") == pytest.approx((2 * 2 / 6 + 1) / 2)
        assert value("labelassist_selector_adjudication_waiting") == 2
        assert value("labelassist_selector_annotators") == 2
        quality = {q.annotator: q.accuracy for q in client.annotator_quality("double")}
        assert value("labelassist_selector_annotator_accuracy", statistic="min") == pytest.approx(min(quality.values()))
        assert value("labelassist_selector_annotator_accuracy", statistic="max") == pytest.approx(max(quality.values()))
        client.adjudicate(shared, 1, comment="bob missed two")
        deadline = time.monotonic() + 20  # measured again once ten times the last measuring's time passed
        while value("labelassist_selector_adjudication_waiting") != 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert value("labelassist_selector_adjudication_waiting") == 1
    samples = scrape(port)
    assert not any(dict(labels).get("project") == "single" for _, labels in samples)  # nothing to agree on
    assert not any("annotator" in dict(labels) or "alice" in dict(labels).values() for _, labels in samples)
