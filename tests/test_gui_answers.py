"""Answering inspection findings in the desktop client, through Qt
(offscreen) against the real stack: "Not an error" records the answer
under the annotator's name and shows the finding dismissed, so it no
longer holds the submit; submit records what became of the other
warnings (corrected or kept)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")
from PySide6.QtCore import Qt  # noqa: E402

from test_gui import WAIT_MS, _open_window, _wait_idle  # noqa: E402


def small_square(mask: np.ndarray, row: int, col: int, side: int = 5) -> tuple[np.ndarray, int]:
    """``mask`` with a new ``side``² px object (below object_size's 40 px) and its id."""
    mask = mask.copy()
    new = int(mask.max()) + 1
    mask[row:row + side, col:col + side] = new
    return mask, new


def row_of(window, criterion: str, object_id: int) -> int:
    return next(i for i, f in enumerate(window.findings) if f.criterion == criterion and object_id in f.object_ids)


def test_not_an_error_dismisses_a_warning_and_submit_records_the_others(qtbot, stack, client, gui_project):
    project, _ = gui_project
    window = _open_window(qtbot, stack, project)
    with qtbot.waitSignal(window.prelabel_shown, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_N)
    _wait_idle(qtbot, window)
    sample_id = window.session.sample_id
    background = np.argwhere(window.canvas.editor.mask == 0)
    free = next((r, c) for r, c in background[::97] if r + 12 < window.canvas.editor.mask.shape[0]
                and c + 12 < window.canvas.editor.mask.shape[1]
                and not window.canvas.editor.mask[r - 2:r + 14, c - 2:c + 14].any() and r > 2 and c > 2)
    mask, dismissed_id = small_square(window.canvas.editor.mask, *free)
    window.canvas.replace_mask(mask)
    with qtbot.waitSignal(window.inspected, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_I)
    _wait_idle(qtbot, window)
    assert not window.panel.not_an_error.isEnabled()  # nothing selected yet

    window.panel.warnings.setCurrentRow(row_of(window, "object_size", dismissed_id))
    assert window.panel.not_an_error.isEnabled()
    with qtbot.waitSignal(window.panel.not_an_error.answered, timeout=WAIT_MS) as answered:
        window.panel.not_an_error.click()
    _wait_idle(qtbot, window)
    answer = answered.args[0]
    assert (answer.annotator, answer.sample_id, answer.criterion, answer.outcome) == \
        ("qt-test", sample_id, "object_size", "not_an_error")
    assert dismissed_id in answer.object_ids
    item = window.panel.warnings.item(row_of(window, "object_size", dismissed_id))
    assert item.text().startswith("[not an error]") and item.font().strikeOut()
    assert not window.panel.not_an_error.isEnabled()

    # A slip: a 16 px object; the annotator sees the warning, removes it and submits: it was corrected.
    slipped, slip_id = small_square(mask, free[0] + 8, free[1] + 8, side=4)
    window.canvas.replace_mask(slipped)
    with qtbot.waitSignal(window.inspected, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_I)
    _wait_idle(qtbot, window)
    assert not window.panel.warnings.item(row_of(window, "object_size", slip_id)).text().startswith("[not an error]")
    window.canvas.replace_mask(mask)
    with qtbot.waitSignal(window.inspected, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key.Key_I)
    _wait_idle(qtbot, window)
    still = window.panel.warnings.item(row_of(window, "object_size", dismissed_id))
    assert still.text().startswith("[not an error]")  # dismissed answers stay dismissed on re-inspection
    with qtbot.waitSignal(window.submitted, timeout=WAIT_MS):
        window.submit()  # the annotator has seen the inspection of exactly this label
    _wait_idle(qtbot, window)

    answers = {(a.outcome, tuple(a.object_ids)): a for a in client.finding_answers(project)}
    outcomes = {outcome for outcome, ids in answers if dismissed_id in ids or slip_id in ids}
    assert outcomes == {"not_an_error", "corrected"}
    [fix] = [a for (outcome, ids), a in answers.items() if outcome == "corrected" and slip_id in ids]
    assert fix.label_version == 1 and fix.sample_id == sample_id and fix.annotator == "qt-test"
    assert all(a.outcome != "kept" or a.label_version == 1 for a in answers.values())
    window.close()
