"""The desktop client's "Not an error" button: the annotator answers that
the selected inspection finding is wrong; the project records it (who,
when, which finding) and the finding shows as dismissed, no longer
holding a submit. What it records and how submit reports the other
warnings lives in :mod:`labelassist.client.finding_answers`."""

from __future__ import annotations

from collections.abc import Callable

from labelassist.client.finding_answers import FindingAnswers
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QPushButton

DISMISSED = "[not an error] "


class NotAnErrorButton(QPushButton):
    """Answers the finding selected in ``findings_list`` "not an error".

    Parameters
    ----------
    answers : FindingAnswers
        The sample's findings and answers.
    findings_list : QListWidget
        Shows the findings, row i for ``findings()[i]``.
    findings, project, annotator : callables
        The findings shown, the project and who answers, read at each click.
    run : callable
        ``run(what, call, on_done)`` runs ``call`` off the UI thread.
    """

    answered = Signal(object)  # the FindingAnswer recorded

    def __init__(self, answers: FindingAnswers, findings_list: QListWidget, findings: Callable[[], list],
                 project: Callable[[], str], annotator: Callable[[], str], run: Callable):
        super().__init__("Not an error")
        self.setToolTip("The selected warning is wrong: the project records your answer, learns which warnings to "
                        "believe, and this one no longer holds the submit")
        self.answers, self.findings_list, self.findings = answers, findings_list, findings
        self.project, self.annotator, self.run = project, annotator, run
        self.clicked.connect(self.dismiss_selected)
        findings_list.currentRowChanged.connect(self._enable)
        self._enable(findings_list.currentRow())

    def _selected(self):
        row, findings = self.findings_list.currentRow(), self.findings()
        return findings[row] if 0 <= row < len(findings) else None

    def _enable(self, _row: int = -1) -> None:
        finding = self._selected()
        self.setEnabled(finding is not None and not self.answers.is_dismissed(finding))

    def dismiss_selected(self) -> None:
        finding, project = self._selected(), self.project()
        if finding is None or not project:
            return
        sample_id = self.answers.sample_id

        def recorded(answer) -> None:
            if self.answers.sample_id == sample_id:  # the annotator may have moved on meanwhile
                self.answers.dismissed(finding, answer)
                self.mark()
            self.answered.emit(answer)

        self.setEnabled(False)
        self.run("Not an error", self.answers.dismiss_call(project, finding, self.annotator()), recorded)

    def mark(self) -> None:
        """Show the dismissed findings of the list as dismissed."""
        for row, finding in enumerate(self.findings()):
            item = self.findings_list.item(row)
            if item is None or not self.answers.is_dismissed(finding):
                continue
            if not item.text().startswith(DISMISSED):
                item.setText(DISMISSED + item.text())
            item.setForeground(Qt.GlobalColor.gray)
            font = item.font()
            font.setStrikeOut(True)
            item.setFont(font)
        self._enable()
