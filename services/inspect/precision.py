"""How likely a finding is a real error in one project.

A criterion's own score says how far a measurement lies beyond its bound;
whether such findings are errors in *this* project is what its history
says: findings whose objects the annotator changed before submitting were
errors, findings answered "not an error" or submitted unchanged and
accepted by a reviewer were false alarms. Each criterion's precision in the
project gets a Beta prior and is updated by those counts; a finding's
probability is its score with the criterion's base rate moved from the
prior mean to the posterior mean (the prior-shift correction of Saerens,
Latinne & Decaestecker, "Adjusting the outputs of a classifier to new a
priori probabilities", Neural Computation 14, 2002). Without history the
probability is the score itself, so the default precision (0.5) keeps
every finding as its criterion rates it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from labelassist.inspect.criteria import Finding

# A project's min_confidence when unset (0). A criterion's score is 0.5 at its bound: a finding there is a coin
# toss, and on accepted labels the calibrated bounds sit at the project's own tail. Findings less than about an
# eighth of a scale beyond the bound are hints until the project's answers raise them. Chosen leaving sets out:
# on dsb2018-fluo-small and dsb2018-histology, warnings on the clean test labels scored 0.50-0.55 and every
# planted error found scored 0.56 or more; checked on dsb2018-fluo-large, dsb2018-brightfield and HeLa
# (benchmarks/README.md, "Label inspection on image sets it was not tuned on").
DEFAULT_MIN_CONFIDENCE = 0.56
PRIOR = (5.0, 5.0)  # Beta(a, b) on a criterion's precision: mean 0.5, worth ten findings of history
# Criterion -> its own prior, where experience says its precision differs from PRIOR's.
PRIORS: dict[str, tuple[float, float]] = {}
SCORE_LIMIT = 0.99  # scores are held inside (0.01, 0.99) so history can always move them

# What each recorded outcome says about the finding, by the reviewer's verdict on the submitted label.
VERDICTS = {
    ("not_an_error", ""): "false_alarm", ("not_an_error", "accepted"): "false_alarm",
    ("not_an_error", "rejected"): "false_alarm",
    ("corrected", ""): "confirmed", ("corrected", "accepted"): "confirmed", ("corrected", "rejected"): "confirmed",
    ("kept", "accepted"): "false_alarm", ("kept", "rejected"): "confirmed",
}


def answer_verdict(outcome: str, review: str = "") -> str | None:
    """"confirmed", "false_alarm", or None while it says nothing yet (a kept
    finding before a review). An empty ``outcome`` is "not_an_error"."""
    return VERDICTS.get((outcome or "not_an_error", review))


def outcome_counts(answers: Iterable) -> dict[str, tuple[int, int]]:
    """A project's history per criterion.

    Parameters
    ----------
    answers : iterable
        Answers with ``criterion``, ``outcome``, ``review`` and ``undone_by``
        (empty while the answer stands), as the selector lists them.

    Returns
    -------
    dict
        criterion -> (confirmed, false alarms), from standing answers only.
    """
    counts: dict[str, list[int]] = {}
    for answer in answers:
        if answer.undone_by:
            continue
        verdict = answer_verdict(getattr(answer, "outcome", ""), getattr(answer, "review", ""))
        if verdict is not None:
            counts.setdefault(answer.criterion, [0, 0])[verdict == "false_alarm"] += 1
    return {criterion: (confirmed, false_alarms) for criterion, (confirmed, false_alarms) in counts.items()}


def estimated_probability(score: float, confirmed: int, false_alarms: int,
                          prior: tuple[float, float] = PRIOR) -> float:
    """The probability that a finding is a real error.

    Parameters
    ----------
    score : float
        The criterion's confidence in the finding (0.5 at its bound).
    confirmed, false_alarms : int
        The project's history of this criterion's findings.
    prior : (float, float)
        Beta(a, b) prior on the criterion's precision.

    Returns
    -------
    float
        ``score`` with the odds of the criterion's precision moved from the
        prior mean a / (a + b) to the posterior mean
        (a + confirmed) / (a + b + confirmed + false_alarms); ``score``
        itself without history.
    """
    a, b = prior
    if a <= 0 or b <= 0:
        raise ValueError(f"'prior' must be two positive Beta parameters; got {prior}")
    if confirmed < 0 or false_alarms < 0:
        raise ValueError(f"counts must be >= 0; got {confirmed} confirmed, {false_alarms} false alarms")
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"'score' is {score}; it must lie between 0 and 1")
    if not confirmed and not false_alarms:
        return float(score)
    score = min(max(float(score), 1.0 - SCORE_LIMIT), SCORE_LIMIT)
    posterior = (a + confirmed) / (a + b + confirmed + false_alarms)
    odds = score / (1.0 - score) * (posterior / (1.0 - posterior)) / (a / b)
    return odds / (1.0 + odds)


def judge_findings(findings: Sequence[Finding], history: Mapping[str, tuple[int, int]] | None,
                   min_confidence: float = 0.0) -> None:
    """Set each finding's confidence to its estimated probability (see
    :func:`estimated_probability`) and report warnings and errors below
    ``min_confidence`` (0: :data:`DEFAULT_MIN_CONFIDENCE`) as info, so a
    project's warnings keep the precision it asked for."""
    threshold = min_confidence or DEFAULT_MIN_CONFIDENCE
    for finding in findings:
        confirmed, false_alarms = (history or {}).get(finding.criterion, (0, 0))
        finding.confidence = estimated_probability(finding.confidence, confirmed, false_alarms,
                                                   PRIORS.get(finding.criterion, PRIOR))
        if finding.severity in ("warning", "error") and finding.confidence < threshold:
            finding.severity = "info"
            learnt = f"; {confirmed} confirmed, {false_alarms} false alarms here" if confirmed or false_alarms \
                else ""
            finding.message += (f" (probably not an error: {finding.confidence:.2f}{learnt}; below this "
                                f"project's {threshold:g}, shown as a hint, not holding a submit)")
