"""What became of the inspection findings an annotator was shown, without
Qt: the desktop client and the napari widget both keep one per sample.

A warning the annotator answers "not an error" is recorded at once; at
submit every other warning shown for the sample is recorded as
"corrected" when the annotator changed what it points at, else as "kept"
(a reviewer's verdict on the label later says whether it was an error).
The project learns from these answers which of its warnings to believe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from labelassist.client.errors import LabelAssistError
from labelassist.client.results import Finding, Severity

log = logging.getLogger(__name__)
Call = Callable[[], Any]


def finding_key(finding: Finding) -> tuple:
    """One finding across inspections of the same sample: its criterion and objects."""
    return finding.criterion, tuple(int(i) for i in finding.object_ids)


def covers(key: tuple, finding: Finding) -> bool:
    """Whether the finding known as ``key`` already said what ``finding``
    says: the same criterion about the same objects or more of them (a
    criterion lists every object it flags in one finding, so fixing one
    leaves a finding about the others)."""
    criterion, ids = key
    if criterion != finding.criterion:
        return False
    return set(finding.object_ids) <= set(ids) if finding.object_ids else not ids


def finding_changed(finding: Finding, before: np.ndarray, after: np.ndarray) -> bool:
    """Whether the annotator changed what ``finding`` points at from
    ``before`` to ``after``: the pixels inside its boxes, else its objects'
    pixels, else (a finding about the whole label) any pixel."""
    before, after = np.asarray(before), np.asarray(after)
    if before.shape != after.shape:
        return True
    boxes = [b for b in finding.boxes if len(b.start) >= 2]
    if boxes:
        return any(not np.array_equal(before[b.start[0]:b.stop[0], b.start[1]:b.stop[1]],
                                      after[b.start[0]:b.stop[0], b.start[1]:b.stop[1]]) for b in boxes)
    if finding.object_ids:
        ids = list(finding.object_ids)
        region = np.isin(before, ids) | np.isin(after, ids)
        return not np.array_equal(before[region], after[region])
    return not np.array_equal(before, after)


@dataclass
class ShownFinding:
    finding: Finding
    mask: np.ndarray  # the label it was first found on
    answer: Any = None  # its "not an error" answer, once recorded


class FindingAnswers:
    """The findings shown for one sample and the answers given to them.

    Parameters
    ----------
    client : LabelAssistClient
        Records the answers (``answer_finding``).
    """

    def __init__(self, client):
        self.client = client
        self.sample_id = 0
        self.shown: dict[tuple, ShownFinding] = {}

    def start(self, sample_id: int | None) -> None:
        """A new sample (None: none) is on screen: nothing shown for it yet."""
        self.sample_id, self.shown = int(sample_id or 0), {}

    def show(self, findings, mask: np.ndarray) -> None:
        """Remember the warnings of an inspection of ``mask`` (the first
        inspection that showed a finding is what submit compares with)."""
        for finding in findings:
            if finding.severity >= Severity.WARNING and not any(covers(key, finding) for key in self.shown):
                self.shown[finding_key(finding)] = ShownFinding(finding, np.array(mask, copy=True))

    def is_dismissed(self, finding: Finding) -> bool:
        """Answered "not an error", itself or a finding that covers it (see :func:`covers`)."""
        return any(entry.answer is not None and covers(key, finding) for key, entry in self.shown.items())

    def dismiss_call(self, project: str, finding: Finding, annotator: str = "") -> Call:
        """Answer ``finding`` "not an error"; the recorded answer. Pass it to
        :meth:`dismissed` on the thread that owns this object."""
        client, sample_id = self.client, self.sample_id
        return lambda: client.answer_finding(project, finding, sample_id=sample_id, annotator=annotator)

    def dismissed(self, finding: Finding, answer) -> None:
        entry = self.shown.setdefault(finding_key(finding), ShownFinding(finding, np.zeros((0, 0))))
        entry.answer = answer

    def dismiss(self, project: str, finding: Finding, annotator: str = ""):
        """Synchronous :meth:`dismiss_call` for scripts and tests."""
        answer = self.dismiss_call(project, finding, annotator)()
        self.dismissed(finding, answer)
        return answer

    def outcomes(self, submitted: np.ndarray) -> list[tuple[Finding, str]]:
        """Each warning shown and not dismissed, with "corrected" when the
        submitted label changed what it points at, else "kept"."""
        return [(entry.finding, "corrected" if finding_changed(entry.finding, entry.mask, submitted) else "kept")
                for entry in self.shown.values() if entry.answer is None]

    def submit_call(self, project: str, mask: np.ndarray, annotator: str = "") -> Callable[[Any], Any]:
        """A function of the stored label version that records the outcomes
        of the warnings shown (see :meth:`outcomes`) and returns the version.
        A selector that cannot record them does not undo the submit: the
        failure is logged."""
        client, sample_id, outcomes = self.client, self.sample_id, self.outcomes(mask)

        def record(version):
            for finding, outcome in outcomes if project else ():
                try:
                    client.answer_finding(project, finding, sample_id=sample_id, annotator=annotator,
                                          outcome=outcome, label_version=int(version.version))
                except LabelAssistError as error:
                    log.warning("could not record that a %s finding was %s: %s", finding.criterion, outcome, error)
            return version
        return record


__all__ = ["FindingAnswers", "covers", "finding_changed", "finding_key"]
