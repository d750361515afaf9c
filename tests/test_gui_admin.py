"""Project ▸ Rename project…, Delete project… and Delete sample… in the
desktop client, through Qt (offscreen) against the real services: each
change reaches the selector only past its confirmation, and the window
follows it (new name, no project, the next sample)."""

from __future__ import annotations

import os
import uuid

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox  # noqa: E402

from conftest import write_roles  # noqa: E402
from labelassist.client.gui.app import MainWindow  # noqa: E402
from labelassist.client.gui.connection import Connection  # noqa: E402
from labelassist.client.gui.dialogs import TypeNameToDeleteDialog  # noqa: E402
from labelassist.client.gui.project_admin import sample_after  # noqa: E402
from labelassist.client.sdk import LabelAssistClient, ServiceAddresses  # noqa: E402
from test_gui import WAIT_MS, _open_window, _wait_idle  # noqa: E402


def _project_action(window: MainWindow, text: str):
    """The Project menu's action, as a person picks it."""
    return next(action for action in dict(window.menus)["Project"] if action.text() == text)


def _answer(kind, respond) -> None:
    """Answer the dialog of ``kind`` once it is open (its ``exec`` blocks the caller)."""
    def find_and_respond() -> None:
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
        if not dialogs:
            QTimer.singleShot(50, find_and_respond)
            return
        respond(dialogs[0])
    QTimer.singleShot(100, find_and_respond)


def _project_with_samples(client, rng, count: int) -> tuple[str, list[int]]:
    name = f"gui-admin-{uuid.uuid4().hex[:12]}"  # rng is seeded alike for every test
    client.create_project(name)
    ids = [client.add_sample(name, f"frame{i}", rng.integers(0, 255, (32, 40)).astype(np.uint8))
           for i in range(count)]
    return name, ids


def test_renaming_the_project_in_the_window_renames_it_for_everyone(qtbot, stack, client, gui_project):
    project, _ = gui_project
    window = _open_window(qtbot, stack, project)
    window.panel.auto_prelabel.setChecked(False)
    new_name = f"{project}-renamed"

    def type_new_name(dialog: QInputDialog) -> None:
        dialog.setTextValue(new_name)
        dialog.accept()

    _answer(QInputDialog, type_new_name)
    with qtbot.waitSignal(window.project_renamed, timeout=WAIT_MS):
        _project_action(window, "Rename project…").trigger()
    qtbot.waitUntil(lambda: window.project == new_name, timeout=WAIT_MS)
    _wait_idle(qtbot, window)
    names = {p.name for p in client.list_projects()}
    assert new_name in names and project not in names
    assert new_name in window.windowTitle() and window.browser.project == new_name
    with qtbot.waitSignal(window.sample_shown, timeout=WAIT_MS):  # later calls use the new name
        window.next_sample()
    assert window.sample.stem == "hela-0"
    window.close()


def test_deleting_the_project_in_the_window_after_typing_its_name_deletes_it(qtbot, stack, client, rng):
    project, _ = _project_with_samples(client, rng, 2)
    window = _open_window(qtbot, stack, project)
    window.panel.auto_prelabel.setChecked(False)
    with qtbot.waitSignal(window.sample_shown, timeout=WAIT_MS):
        window.next_sample()

    def type_the_name(dialog: TypeNameToDeleteDialog) -> None:
        dialog.name.setText(project)
        dialog.ok.click()

    _answer(TypeNameToDeleteDialog, type_the_name)
    with qtbot.waitSignal(window.project_deleted, timeout=WAIT_MS):
        _project_action(window, "Delete project…").trigger()
    _wait_idle(qtbot, window)
    assert project not in {p.name for p in client.list_projects()}
    assert window.project == "" and window.sample is None
    assert project not in [window.panel.project_combo.itemText(i) for i in range(window.panel.project_combo.count())]
    assert window.browser.table.rowCount() == 0
    window.close()


def test_a_wrongly_typed_name_keeps_the_project(qtbot, stack, client, rng):
    project, ids = _project_with_samples(client, rng, 1)
    window = _open_window(qtbot, stack, project)
    seen = {}

    def mistype(dialog: TypeNameToDeleteDialog) -> None:
        dialog.name.setText(project + "x")
        seen["ok enabled"] = dialog.ok.isEnabled()
        dialog.ok.click()
        dialog.accept()  # Enter in the field
        seen["still open"] = dialog.isVisible()
        dialog.reject()

    _answer(TypeNameToDeleteDialog, mistype)
    _project_action(window, "Delete project…").trigger()
    _wait_idle(qtbot, window)
    assert seen == {"ok enabled": False, "still open": True}
    assert project in {p.name for p in client.list_projects()}
    assert [s.sample_id for s in client.list_samples(project)] == ids
    assert window.project == project
    window.close()


def test_deleting_the_opened_sample_removes_it_and_shows_the_next_in_the_list(qtbot, stack, client, rng):
    project, ids = _project_with_samples(client, rng, 3)
    window = _open_window(qtbot, stack, project)
    window.panel.auto_prelabel.setChecked(False)
    qtbot.waitUntil(lambda: len(window.browser.listed()) == 3, timeout=WAIT_MS)
    _, opened, following = window.browser.listed()
    with qtbot.waitSignal(window.sample_shown, timeout=WAIT_MS):
        window.open_sample(opened)
    stem = window.sample.stem
    asked = {}

    def say_yes(box: QMessageBox) -> None:
        asked["text"] = box.text()
        box.button(QMessageBox.StandardButton.Yes).click()

    _answer(QMessageBox, say_yes)
    with qtbot.waitSignal(window.sample_deleted, timeout=WAIT_MS):
        _project_action(window, "Delete sample…").trigger()
    qtbot.waitUntil(lambda: window.sample is not None, timeout=WAIT_MS)
    _wait_idle(qtbot, window)
    assert stem in asked["text"]
    assert sorted(s.sample_id for s in client.list_samples(project)) == sorted(set(ids) - {opened})
    assert window.sample.sample_id == following
    assert opened not in window.browser.listed()
    window.close()


def test_deleting_a_leased_sample_leases_the_next_one(qtbot, stack, client, rng):
    project, ids = _project_with_samples(client, rng, 2)
    window = _open_window(qtbot, stack, project)
    window.panel.auto_prelabel.setChecked(False)
    with qtbot.waitSignal(window.sample_shown, timeout=WAIT_MS):
        window.next_sample()
    leased = window.sample.sample_id
    _answer(QMessageBox, lambda box: box.button(QMessageBox.StandardButton.Yes).click())
    with qtbot.waitSignal(window.sample_shown, timeout=WAIT_MS):
        _project_action(window, "Delete sample…").trigger()
    _wait_idle(qtbot, window)
    assert [s.sample_id for s in client.list_samples(project)] == [i for i in ids if i != leased]
    assert window.sample.sample_id != leased and window.session.current.leased


def test_a_non_admin_reads_that_only_a_project_admin_may_rename_or_delete(qtbot, stack, start_service, tmp_path):
    roles = write_roles(tmp_path / "roles.toml", {"root": ("root-token", {"*": "admin"}),
                                                  "ann": ("ann-token", {"p": "annotator"})})
    selector = start_service("selector", "--roles-file", str(roles))
    with LabelAssistClient(ServiceAddresses(selector=selector.address), token="root-token", retries=0) as root:
        root.create_project("p")
    window = MainWindow(Connection(selector.address, stack.addresses.assist, stack.addresses.inspect,
                                   token="ann-token"), annotator="ann", project="p")
    qtbot.addWidget(window)
    window.show()
    _wait_idle(qtbot, window)
    window.admin.rename_project("p", "q")
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=WAIT_MS)
    assert "PERMISSION_DENIED" in window.last_error  # the details keep the status and the server's words
    assert window.statusBar().currentMessage() == (
        "Rename project failed: Only a project admin can delete or rename a project.")
    window.admin.delete_project("p")
    qtbot.waitUntil(lambda: window.last_error.startswith("Delete project"), timeout=WAIT_MS)
    assert window.statusBar().currentMessage() == (
        "Delete project failed: Only a project admin can delete or rename a project.")
    with LabelAssistClient(ServiceAddresses(selector=selector.address), token="root-token", retries=0) as root:
        assert [p.name for p in root.list_projects()] == ["p"]
    window.close()


def test_a_rename_to_no_name_or_the_same_name_is_refused_without_a_call(qtbot, stack, client, rng):
    project, _ = _project_with_samples(client, rng, 1)
    window = _open_window(qtbot, stack, project)
    for typed, said in (("  ", "type the project's new name"), (project, "already called")):
        window.admin.rename_project(project, typed)
        assert said in window.statusBar().currentMessage() and window.calls.in_flight == 0
    assert project in {p.name for p in client.list_projects()} and window.project == project
    window.close()


def test_the_sample_after_a_deleted_one_is_its_list_neighbour_or_the_next_lease():
    assert sample_after([4, 5, 6], 5, leased=False) == 6
    assert sample_after([4, 5, 6], 6, leased=False) == 5  # the last one: the one before it
    assert sample_after([5], 5, leased=False) is None  # the list is empty now: lease
    assert sample_after([4, 5, 6], 9, leased=False) is None  # not listed (filtered out): lease
    assert sample_after([4, 5, 6], 5, leased=True) is None  # labelling goes on with the next lease
