"""The estimated probability that a finding is an error, from the
criterion's own score and the project's history of that criterion's
findings (a Beta prior on its precision): the core functions directly."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from labelassist.inspect.criteria import Finding
from labelassist.inspect.precision import (
    PRIOR,
    answer_verdict,
    estimated_probability,
    judge_findings,
    outcome_counts,
)


def answer(criterion="object_size", outcome="not_an_error", review="", undone_by=""):
    return SimpleNamespace(criterion=criterion, outcome=outcome, review=review, undone_by=undone_by)


@pytest.mark.parametrize("score", [0.5, 0.7, 0.93, 1.0])
def test_without_history_the_probability_is_the_criterions_score(score):
    assert estimated_probability(score, 0, 0) == score


def test_false_alarms_lower_the_probability_and_confirmations_raise_it():
    base = estimated_probability(0.8, 0, 0)
    assert estimated_probability(0.8, 0, 5) < estimated_probability(0.8, 0, 1) < base
    assert estimated_probability(0.8, 5, 0) > estimated_probability(0.8, 1, 0) > base
    # As many confirmed as false alarms: the prior's 50 % precision stands, the score is unchanged.
    assert estimated_probability(0.8, 7, 7) == pytest.approx(0.8)


def test_the_probability_follows_the_beta_posterior_mean_as_odds():
    a, b = PRIOR
    posterior = (a + 2) / (a + b + 2 + 10)
    odds = 0.75 / 0.25 * posterior / (1 - posterior) / (a / b)
    assert estimated_probability(0.75, 2, 10) == pytest.approx(odds / (1 + odds))


def test_a_finding_its_criterion_is_sure_of_can_still_be_learnt_down():
    assert estimated_probability(1.0, 0, 20) < estimated_probability(0.99, 0, 0) < 1.0


@pytest.mark.parametrize("args, named", [((1.5, 0, 0), "'score'"), ((0.7, -1, 0), "counts"),
                                         ((0.7, 0, 1, (0.0, 1.0)), "'prior'")])
def test_bad_arguments_are_named(args, named):
    with pytest.raises(ValueError, match=named):
        estimated_probability(*args)


def test_outcomes_count_as_the_reviewer_judged_them():
    assert answer_verdict("not_an_error") == answer_verdict("") == "false_alarm"
    assert answer_verdict("corrected") == "confirmed"
    assert answer_verdict("kept") is None  # not reviewed yet: says nothing
    assert answer_verdict("kept", "accepted") == "false_alarm" and answer_verdict("kept", "rejected") == "confirmed"
    counts = outcome_counts([answer(), answer(outcome="corrected"), answer(outcome="kept"),
                             answer(outcome="kept", review="accepted"), answer(undone_by="rev"),
                             answer("fragments", outcome="kept", review="rejected")])
    assert counts == {"object_size": (1, 2), "fragments": (1, 0)}


def test_warnings_below_the_projects_precision_become_hints():
    def findings():
        return [Finding("object_size", "warning", "small", 25.0, 40.0, confidence=0.6),
                Finding("object_size", "error", "tiny", 2.0, 40.0, confidence=0.99),
                Finding("fragments", "warning", "pieces", 3.0, 1.0, confidence=0.6)]
    unchanged = findings()
    judge_findings(unchanged, {}, 0.0)
    assert [f.severity for f in unchanged] == ["warning", "error", "warning"]
    assert [f.confidence for f in unchanged] == [0.6, 0.99, 0.6]

    judged = findings()
    judge_findings(judged, {"object_size": (0, 10)}, 0.0)
    assert [f.severity for f in judged] == ["info", "error", "warning"]
    assert "10 false alarms" in judged[0].message and judged[2].confidence == 0.6
    strict = findings()
    judge_findings(strict, {}, 0.7)
    assert [f.severity for f in strict] == ["info", "error", "info"]
