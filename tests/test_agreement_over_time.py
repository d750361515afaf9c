"""Agreement over time: per calendar week or per N labels, for the project
and each annotator, through a real selector, the SDK and the CLI; an
annotator sees the project's and their own, never another's."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import address_env
from test_agreement_overlap import MISSES_TWO, REFERENCE, TOKENS, image, with_roles  # noqa: F401 (fixture)

from labelassist.client.errors import InvalidArgumentError, PermissionDeniedError
from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.selector.agreement_over_time import Measured, windowed

HALF = pytest.approx(2 * 2 / (4 + 2))  # matched-object F1 of a label missing two of four objects


def test_weeks_are_calendar_weeks_in_utc_oldest_first():
    monday = datetime.datetime(2026, 11, 30, tzinfo=datetime.timezone.utc).timestamp()
    day = 86400.0
    found = windowed([Measured(monday + 8 * day, 1.0, 1.0, 1.0), Measured(monday - 1, 0.5, 0.25, 0.5),
                      Measured(monday + 6.9 * day, 0.5, 0.5, 0.5), Measured(monday, 1.0, 1.0, 1.0)])
    assert [(w["name"], w["labels"], w["f1"], w["boundary_f1"]) for w in found] == [
        ("2026-W48", 1, 0.5, 0.25), ("2026-W49", 2, 0.75, 0.75), ("2026-W50", 1, 1.0, 1.0)]
    assert found[1]["start"] == monday and found[1]["f1_low"] <= 0.75 <= found[1]["f1_high"]


def test_windows_of_n_labels_are_named_by_the_labels_they_hold():
    found = windowed([Measured(float(t), 1.0, 1.0, 1.0) for t in range(5)], "labels", 2)
    assert [(w["name"], w["labels"]) for w in found] == [("1-2", 2), ("3-4", 2), ("5-5", 1)]


def test_unknown_windows_are_refused_naming_the_choices():
    with pytest.raises(ValueError, match="'window' must be one of week, labels, all, got 'month'"):
        windowed([], "month")


@pytest.fixture(scope="module")
def improving(module_service):
    """Four shared samples: bob misses two objects on the first two, none on the last two (the
    module's tests only read them)."""
    service = module_service("selector")
    with LabelAssistClient(ServiceAddresses(selector=service.address), retries=0) as client:
        client.create_project("time")
        for index in range(4):
            sample_id = client.add_sample("time", f"s{index}", image(index))
            client.submit_label(sample_id, "alice", REFERENCE)
            client.submit_label(sample_id, "bob", MISSES_TWO if index < 2 else REFERENCE)
        yield service, client


def test_the_window_all_is_the_projects_agreement_with_intervals_for_f1_boundary_f1_and_pq(improving):
    _, client = improving
    answer = client.agreement_over_time("time", "all")
    (whole,) = answer.project
    # Two samples where bob missed two of four objects (F1 and PQ 2/3: the two he drew match exactly), two alike.
    assert (whole.name, whole.labels) == ("all", 4)
    assert whole.f1 == pytest.approx(5 / 6) and whole.panoptic_quality == pytest.approx(5 / 6)
    assert whole.f1_low == pytest.approx(2 / 3) and whole.f1_high == pytest.approx(1.0)
    assert whole.panoptic_quality_low <= whole.panoptic_quality <= whole.panoptic_quality_high
    assert whole.boundary_f1_low <= whole.boundary_f1 <= whole.boundary_f1_high == 1.0
    assert [(s.annotator, len(s.windows)) for s in answer.annotators] == [("alice", 1), ("bob", 1)]


def test_agreement_per_n_labels_shows_an_annotator_improving(improving):
    _, client = improving
    answer = client.agreement_over_time("time", "labels", 2)
    assert answer.window == "labels"
    assert [(w.name, w.labels, w.f1) for w in answer.project] == [("1-2", 2, HALF), ("3-4", 2, 1.0)]
    series = {s.annotator: [(w.name, w.f1) for w in s.windows] for s in answer.annotators}
    assert series == {"alice": [("1-2", HALF), ("3-4", 1.0)], "bob": [("1-2", HALF), ("3-4", 1.0)]}
    (week,) = client.agreement_over_time("time").project
    assert (week.labels, week.f1) == (4, pytest.approx((2 * 2 / 3 + 2) / 4))
    assert week.start <= week.end
    with pytest.raises(InvalidArgumentError, match="'labels_per_window' must be 1 to 10000"):
        client.agreement_over_time("time", "labels", 20_000)


def test_the_cli_prints_and_writes_agreement_over_time(improving, tmp_path):
    service, _ = improving
    report = tmp_path / "over-time.json"
    done = subprocess.run([sys.executable, "-m", "labelassist.cli", "agreement", "time", "--over-time", "labels:2",
                           "-o", str(report)], capture_output=True, text=True,
                          env=address_env(ServiceAddresses(selector=service.address)), timeout=120)
    assert done.returncode == 0, done.stderr
    assert [line.split()[:3] for line in done.stdout.splitlines()[1:7]] == [
        ["project", "1-2", "2"], ["project", "3-4", "2"], ["alice", "1-2", "2"], ["alice", "3-4", "2"],
        ["bob", "1-2", "2"], ["bob", "3-4", "2"]]
    written = json.loads(report.read_text())
    assert [w["f1"] for w in written["annotators"][1]["windows"]] == [pytest.approx(2 / 3), 1.0]


def test_an_annotator_sees_the_project_and_their_own_series_only(with_roles):  # noqa: F811
    admin, alice, bob = (with_roles[n] for n in ("admin", "alice", "bob"))
    admin.create_project("gold")
    sample_id = admin.add_sample("gold", "s0", image(0))
    alice.submit_label(sample_id, "alice", REFERENCE)
    bob.submit_label(sample_id, "bob", MISSES_TWO)
    assert [s.annotator for s in admin.agreement_over_time("gold").annotators] == ["alice", "bob"]
    own = bob.agreement_over_time("gold")
    assert [s.annotator for s in own.annotators] == ["bob"] and own.project[0].f1 == HALF
    with pytest.raises(PermissionDeniedError, match="'bob' may see only their own quality"):
        bob.agreement_over_time("gold", annotator="alice")
