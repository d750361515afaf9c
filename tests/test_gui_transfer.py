"""File ▸ Export labels… and Import labels… in the desktop client, through
Qt (offscreen) against the real stack: the current project's labels leave
as COCO for this machine's disk and come back as a new project."""

from __future__ import annotations

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from labelassist.client.gui.dialogs import TransferDialog  # noqa: E402
from test_gui import WAIT_MS, _open_window, _wait_idle  # noqa: E402


def test_the_file_menu_exports_and_imports_labels(qtbot, stack, client, tmp_path, rng):
    name = f"gui-transfer-{os.getpid()}-{rng.integers(1 << 30)}"
    client.create_project(name)
    label = np.zeros((40, 48), np.uint8)
    label[5:15, 5:15], label[5:15, 15:30] = 1, 2
    image = rng.integers(0, 255, (40, 48)).astype(np.uint8)
    client.add_sample(name, "touching", image, label=label)
    window = _open_window(qtbot, stack, name)
    _wait_idle(qtbot, window)
    assert "Export labels…" in [a.text() for a in window.menuBar().actions()[0].menu().actions()]

    out = tmp_path / "coco"

    def fill_export() -> None:  # the dialog as the annotator fills it
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, TransferDialog) and w.isVisible())
        dialog.formats.setCurrentText("coco")
        dialog.location.setText(str(out))
        dialog.accept()

    QTimer.singleShot(200, fill_export)
    with qtbot.waitSignal(window.transferred, timeout=WAIT_MS) as exported:
        window.transfer.open_export_labels()
    assert exported.args[0].samples == 1
    assert len(json.loads((out / "annotations.json").read_text())["annotations"]) == 2

    copy = f"{name}-copy"

    def fill_import() -> None:
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, TransferDialog) and w.isVisible())
        dialog.formats.setCurrentText("coco")
        dialog.location.setText(str(out))
        dialog.project_name.setText(copy)
        dialog.create_box.setChecked(True)
        dialog.accept()

    QTimer.singleShot(200, fill_import)
    with qtbot.waitSignal(window.transferred, timeout=WAIT_MS) as imported:
        window.transfer.open_import_labels()
    assert imported.args[0].added == 1 and not imported.args[0].failed
    qtbot.waitUntil(lambda: window.project == copy, timeout=WAIT_MS)
    [info] = client.list_samples(copy)
    back = client.get_sample(info.sample_id).require("label")
    assert len(np.unique(back)) == 3 and np.array_equal(back > 0, label > 0)
