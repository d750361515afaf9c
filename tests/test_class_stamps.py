"""A project's class change stamps: the selector moves them in the
transaction that changes what a class model learns from (labels, reviews,
the class schema, labelled samples deleted), so assist checks whether its
class model is current with the one GetProject it makes anyway, and the
browser gateway reads a project's class schema only when the schema stamp
its samples carry has moved."""

from __future__ import annotations

import json

import numpy as np
import pytest
from shapes import two_kinds
from test_metrics import scrape

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.client.web.classes import SchemaCache


@pytest.fixture
def services(start_service):
    selector = start_service("selector", "--metrics-port", "0")
    assist = start_service("assist", "--selector-address", selector.address, "--metrics-port", "0")
    return selector, assist


def calls(selector, method: str) -> float:
    """How many ``method`` calls the selector has answered."""
    found = scrape(json.loads(selector.ready_file.read_text())["metrics_port"])
    return sum(value for (name, labels), value in found.items()
               if name == "labelassist_calls_total" and dict(labels)["method"].endswith(f"/{method}"))


def gauge(assist, name: str) -> float:
    """A gauge of the assist service."""
    found = scrape(json.loads(assist.ready_file.read_text())["metrics_port"])
    return found[(name, frozenset({"service": "assist"}.items()))]


def labelled(client, name: str, samples: int = 3) -> dict:
    """A project with object classes big/small and ``samples`` labels with classes; a new sample's image and mask."""
    rng = np.random.default_rng(7)
    client.create_project(name)
    client.set_class_schema(name, ["big", "small"])
    ids = []
    for index in range(samples):
        image, mask, classes = two_kinds(rng)
        ids.append(client.add_sample(name, f"labelled-{index}", image))
        client.submit_label(ids[-1], "ann", mask, object_classes=classes)
    image, mask, classes = two_kinds(rng)
    return {"ids": ids, "image": image, "mask": mask, "classes": classes,
            "sample_id": client.add_sample(name, "new", image)}


def test_the_class_model_is_trained_again_when_the_stamp_moves_and_not_otherwise(services):
    selector, assist = services
    with LabelAssistClient(ServiceAddresses(selector=selector.address, assist=assist.address), timeout=120) as client:
        new = labelled(client, "stamped-model")
        models = [client.assist.predict_classes("stamped-model", new["image"], new["mask"]).model for _ in range(5)]
        assert models == ["classes@1"] * 5
        assert calls(selector, "ListSamples") == 1  # the labelled samples were listed for the one training
        client.submit_label(new["sample_id"], "ann", new["mask"], object_classes=new["classes"])
        measured = gauge(assist, "labelassist_assist_class_measurements_misses")
        assert client.assist.predict_classes("stamped-model", new["image"], new["mask"]).model == "classes@2"
        # Training again after one new label measures that label alone; the others' measurements are kept in memory.
        assert gauge(assist, "labelassist_assist_class_measurements_misses") == measured + 1
        assert gauge(assist, "labelassist_assist_class_measurements_hits") >= 3
        client.review_label(new["sample_id"], "rev", accept=False)  # a rejected label leaves the training set
        after_review = client.assist.predict_classes("stamped-model", new["image"], new["mask"])
        assert after_review.model == "classes@3" and after_review.trained_objects == 24
        assert client.assist.predict_classes("stamped-model", new["image"], new["mask"]).model == "classes@3"
        assert calls(selector, "ListSamples") == 3


def test_the_class_stamp_moves_with_labels_reviews_schema_and_deletions_the_schema_stamp_with_the_schema(services):
    selector, _ = services
    with LabelAssistClient(ServiceAddresses(selector=selector.address), timeout=60) as client:
        new = labelled(client, "stamped-moves", samples=2)
        stamps = [(client.get_project("stamped-moves").class_stamp, client.get_project("stamped-moves")
                   .class_schema_stamp)]

        def moved(change) -> tuple[bool, bool]:
            change()
            project = client.get_project("stamped-moves")
            stamps.append((project.class_stamp, project.class_schema_stamp))
            return stamps[-1][0] > stamps[-2][0], stamps[-1][1] > stamps[-2][1]

        assert moved(lambda: client.submit_label(new["sample_id"], "ann", new["mask"],
                                                 object_classes=new["classes"])) == (True, False)
        assert moved(lambda: client.review_label(new["ids"][0], "rev", accept=True)) == (True, False)
        assert moved(lambda: client.add_sample("stamped-moves", "unlabelled", new["image"])) == (False, False)
        assert moved(lambda: client.set_class_schema("stamped-moves", ["big", "small", "huge"])) == (True, True)
        assert moved(lambda: client.delete_sample(new["ids"][1])) == (True, False)
        # Each sample carries its project's schema stamp.
        assert client.get_sample(new["ids"][0], False).message.class_schema_stamp == stamps[-1][1]
        # A project deleted and created again under its name starts past the old one's stamps.
        client.delete_project("stamped-moves")
        client.create_project("stamped-moves")
        again = client.get_project("stamped-moves")
        assert again.class_stamp > stamps[-1][0] and again.class_schema_stamp > stamps[-1][1]


def test_the_gateway_reads_a_projects_schema_again_only_when_its_schema_stamp_moves(services):
    selector, _ = services
    cache = SchemaCache()
    with LabelAssistClient(ServiceAddresses(selector=selector.address), timeout=60) as client:
        new = labelled(client, "stamped-views", samples=1)
        before = calls(selector, "GetProject")
        views = [cache.schema(client, client.get_sample(new["sample_id"], False).message) for _ in range(5)]
        assert [[c.name for c in schema.object_classes] for schema in views] == [["big", "small"]] * 5
        assert calls(selector, "GetProject") == before + 1
        client.submit_label(new["sample_id"], "ann", new["mask"], object_classes=new["classes"])
        cache.schema(client, client.get_sample(new["sample_id"], False).message)  # a label leaves the schema as it was
        assert calls(selector, "GetProject") == before + 1
        client.set_class_schema("stamped-views", ["big", "small", "huge"])
        schema = cache.schema(client, client.get_sample(new["sample_id"], False).message)
        assert [c.name for c in schema.object_classes] == ["big", "small", "huge"]
        assert calls(selector, "GetProject") == before + 2
