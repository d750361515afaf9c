"""The selector serves the classification strategies, through real
processes on SQLite and on PostgreSQL: its class scorer asks assist for
the class uncertainty of each unlabelled sample (assist pre-labels the
sample and runs the project's class model on those objects), and
NextSample ranks by it; a new class model version scores the pool again."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.proto.wire.addresses import free_port
from conftest import address_env
from shapes import discs_of_kinds, two_kinds


@pytest.fixture(scope="module")
def started_pairs() -> dict:
    return {}


@pytest.fixture(params=["sqlite", "postgresql"])
def services(request, started_pairs):
    """The module's selector and assist that know each other, the selector on ``request.param``
    (each test works in a project of its own)."""
    postgres_url = request.getfixturevalue("module_postgres_url")  # set up first: dropped after the services stop
    if request.param not in started_pairs:
        start = request.getfixturevalue("module_service")
        assist_port = free_port("127.0.0.1")
        database = ["--database-url", postgres_url] if request.param == "postgresql" else []
        selector = start("selector", "--assist-address", f"127.0.0.1:{assist_port}", *database)
        assist = start("assist", "--port", str(assist_port), "--selector-address", selector.address)
        started_pairs[request.param] = ServiceAddresses(selector=selector.address, assist=assist.address)
    with LabelAssistClient(started_pairs[request.param], timeout=120) as sdk:
        yield sdk


def labelled(client, project: str, images) -> None:
    """A project with object classes big/small, each of ``images`` labelled with its classes."""
    client.create_project(project)
    client.set_class_schema(project, ["big", "small"])
    for index, (image, mask, classes) in enumerate(images):
        sample_id = client.add_sample(project, f"labelled-{index}", image)
        client.submit_label(sample_id, "ann", mask, object_classes=classes)


def ask_for(client, project: str, strategy: str) -> None:
    """Ask for a class strategy before any class scores exist: a lease in the
    pool's order (the first unlabelled sample), named so, while the request
    starts the class scorer on the project; given back at once."""
    lease = client.next_sample(project, "first", strategy)
    first = next(info for info in client.list_samples(project) if not info.labeled)
    assert (lease.strategy, lease.sample.stem) == ("sequential", first.stem)
    client.release_sample(lease.sample.sample_id, "first")


def wait_for_class_scores(client, project: str, model: str, scored: int, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while True:
        progress = client.progress(project)
        if (progress.class_model, progress.class_scored) == (model, scored):
            return progress
        assert time.monotonic() < deadline, (f"class scores of {project}: {progress.class_model!r} scored "
                                             f"{progress.class_scored} ({progress.class_scoring_note})")
        time.sleep(0.2)


def test_class_uncertainty_leases_the_sample_with_the_most_ambiguous_objects_first(services):
    client, rng = services, np.random.default_rng(0)
    labelled(client, "ambiguous", [two_kinds(rng) for _ in range(3)])
    for stem in ("clear-1", "clear-2"):
        client.add_sample("ambiguous", stem, two_kinds(rng)[0])
    unsure, unsure_mask, _ = discs_of_kinds(rng, ["middle"] * 8)
    client.add_sample("ambiguous", "unsure", unsure)
    ask_for(client, "ambiguous", "class_uncertainty")
    wait_for_class_scores(client, "ambiguous", "classes@1", 3)
    lease = client.next_sample("ambiguous", "ann", ("class_uncertainty", {"measure": "entropy"}))
    assert (lease.strategy, lease.sample.stem) == ("class_uncertainty", "unsure")
    # Its label (the middle discs called big) makes a new class model, which scores the other two again.
    client.submit_label(lease.sample.sample_id, "ann", unsure_mask, object_classes={i: "big" for i in range(1, 9)})
    wait_for_class_scores(client, "ambiguous", "classes@2", 2)
    assert client.next_sample("ambiguous", "ann", "class_uncertainty").sample.stem.startswith("clear-")


def test_class_balance_leases_the_sample_of_the_rare_class_first(services):
    client, rng = services, np.random.default_rng(1)
    labelled(client, "rare", [discs_of_kinds(rng, rng.permutation(["big"] * 7 + ["small"])) for _ in range(3)])
    # Objects are measured against their own image, so each image holds big discs to be told apart by.
    client.add_sample("rare", "big-only", discs_of_kinds(rng, ["big"] * 8)[0])
    client.add_sample("rare", "few-small", discs_of_kinds(rng, rng.permutation(["big"] * 7 + ["small"]))[0])
    client.add_sample("rare", "many-small", discs_of_kinds(rng, rng.permutation(["big"] * 2 + ["small"] * 6))[0])
    ask_for(client, "rare", "class_balance")
    wait_for_class_scores(client, "rare", "classes@1", 3)
    run = subprocess.run([sys.executable, "-m", "labelassist.cli", "progress", "rare"], capture_output=True,
                         text=True, env=address_env(client.addresses), timeout=120)
    assert "class model classes@1: 3 samples scored for the class strategies" in run.stdout, run.stderr
    assert [client.next_sample("rare", f"ann{i}", "class_balance").sample.stem for i in range(3)] == \
        ["many-small", "few-small", "big-only"]

def test_assist_pre_labels_an_unlabelled_sample_and_summarises_its_class_uncertainty(services):
    client, rng = services, np.random.default_rng(2)
    labelled(client, "summary", [two_kinds(rng) for _ in range(3)])
    sample_id = client.add_sample("summary", "new", two_kinds(rng)[0])
    guesses = client.assist.predict_classes(sample_id=sample_id, prelabel=True, with_uncertainty=True)
    assert guesses.objects_from.startswith("prelabel:") and len(guesses.objects) == 8
    assert sorted(g.predicted_class for g in guesses.objects.values()) == ["big"] * 4 + ["small"] * 4
    assert set(guesses.expected_counts) == {"big", "small"}
    assert sum(guesses.expected_counts.values()) == pytest.approx(8.0)
    assert len(guesses.uncertainty) == 12 and 0 <= guesses.uncertainty["entropy_mean"] < np.log(2)


def test_without_a_class_model_yet_progress_says_what_the_class_scores_wait_for(services):
    client = services
    labelled(client, "early", [])
    client.add_sample("early", "new", two_kinds(np.random.default_rng(3))[0])
    ask_for(client, "early", "class_uncertainty")
    deadline = time.monotonic() + 60
    while not (note := client.progress("early").class_scoring_note):
        assert time.monotonic() < deadline, "no class scoring note"
        time.sleep(0.2)
    assert "no class model yet" in note and "at least 2 classes" in note
    assert client.progress("early").class_model == ""
    ask_for(client, "early", "class_uncertainty")
