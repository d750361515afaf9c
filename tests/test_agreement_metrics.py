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


def test_metrics_show_class_agreement_beyond_chance_per_project(start_service):
    from test_class_agreement import FOUR, classes_of

    selector = start_service("selector", "--metrics-port", "0")
    port = json.loads(selector.ready_file.read_text())["metrics_port"]
    with LabelAssistClient(ServiceAddresses(selector=selector.address), retries=0) as client:
        client.create_project("classed")
        client.set_class_schema("classed", ["mitotic", "interphase"], ["in-focus"])
        shared = client.add_sample("classed", "s0", image(0))
        for name, given in (("ana", ("mitotic", "interphase", "interphase", "mitotic")),
                            ("ben", ("mitotic", "interphase", "interphase", "interphase"))):
            classes = {int(k): v for k, v in classes_of(*given)["objects"].items()}
            client.submit_label(shared, name, FOUR, object_classes=classes, image_classes=["in-focus"])
    found = {dict(labels)["of"] + " " + dict(labels)["measure"]: value for (name, labels), value in scrape(port).items()
             if name == "labelassist_selector_class_agreement" and dict(labels)["project"] == "classed"}
    # ana (m, i, i, m) against ben (m, i, i, i): observed 3/4, chance (2*1 + 2*3)/16 = 1/2, kappa 1/2;
    # coincidences o_mi = o_im = 1 of n 8 (m 3, i 5): D_o = 2/8, D_e = (64 - 9 - 25)/56, alpha 1 - 14/30.
    # Both gave the image one class: agreement on it is perfect but not beyond chance, so no gauge.
    assert found == {"objects kappa": pytest.approx(0.5), "objects alpha": pytest.approx(8 / 15)}
