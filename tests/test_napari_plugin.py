"""The napari plugin against the real stack, in a real napari on a virtual
screen: its npe2 manifest is found, and its dock widget takes a sample
from Next to Submit, storing exactly the Labels layer, with one warning
answered "not an error" on the way; in a project with classes, its class
palette re-classes a guess and Submit stores the classes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import address_env
from labelassist.client.sdk import LabelAssistClient
from labelassist.io.bundled import hela_sample

SESSION = Path(__file__).parent / "napari_session" / "napari_widget_session.py"
CLASSES = Path(__file__).parent / "napari_session" / "napari_classes_session.py"
CLASS_LIST = Path(__file__).parent / "napari_session" / "napari_class_list_session.py"


def run_in_napari(session_file: Path, addresses, project: str, out: Path) -> None:
    """Run ``session_file`` in a real napari on a virtual screen against ``addresses``, for ``project``;
    what it saves goes to ``out``. Skipped without napari or Xvfb."""
    pytest.importorskip("napari")
    if shutil.which("xvfb-run") is None:
        pytest.skip("needs Debian's xvfb (make system-packages)")
    env = {**address_env(addresses), "QT_QPA_PLATFORM": "xcb", "LA_NAPARI_PROJECT": project,
           "LA_NAPARI_OUT": str(out)}
    session = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", sys.executable, "-m", "pytest",
                              "-q", "-p", "no:cacheprovider", "--disable-warnings", "--tb=short", str(session_file)],
                             capture_output=True, text=True, env=env, timeout=600, cwd=out.parent)
    assert session.returncode == 0, session.stdout[-6000:] + session.stderr[-3000:]


def test_the_plugin_manifest_names_the_widget():
    npe2 = pytest.importorskip("npe2")
    manifest = npe2.PluginManifest.from_distribution("label-assistant")
    [widget] = manifest.contributions.widgets
    [command] = [c for c in manifest.contributions.commands if c.id == widget.command]
    assert command.python_name == "labelassist.client.napari_plugin.widget:LabelAssistWidget"


def test_napari_takes_a_sample_from_next_to_submit(generalist_stack, tmp_path):
    pytest.importorskip("napari")
    images, _ = hela_sample()
    project = f"napari-{os.getpid()}"
    with LabelAssistClient(generalist_stack.addresses, timeout=120) as client:
        client.create_project(project)
        client.add_sample(project, "frame0", images[0])
        out = tmp_path / "submitted.npy"
        run_in_napari(SESSION, generalist_stack.addresses, project, out)
        [info] = client.list_samples(project)
        assert info.labeled and info.label_version == 1
        stored = client.get_sample(info.sample_id).require("label")
        answers = client.finding_answers(project)
    assert np.array_equal(stored, np.load(out))
    dismissed = [a for a in answers if a.outcome == "not_an_error"]
    assert len(dismissed) == 1 and dismissed[0].criterion == "object_size" and dismissed[0].sample_id == info.sample_id
    assert all(a.label_version == 1 for a in answers if a.outcome in ("kept", "corrected"))


def test_napari_labels_classes_from_the_palette(stack, tmp_path):
    pytest.importorskip("napari")
    from test_class_prelabels import labelled_project

    project = f"napari-classes-{os.getpid()}"
    with LabelAssistClient(stack.addresses, timeout=120) as client:
        new = labelled_project(client, project, seed=41)
        out = tmp_path / "classes.json"
        run_in_napari(CLASSES, stack.addresses, project, out)
        stored = client.label_history(new["sample_id"])[-1].object_classes
    assert stored == {int(k): v for k, v in json.loads(out.read_text()).items()}


def test_napari_filters_the_sample_list_by_class_and_reclasses_several_objects(stack, tmp_path):
    pytest.importorskip("napari")
    from shapes import two_kinds
    from test_class_prelabels import labelled_project

    project = f"napari-class-list-{os.getpid()}"
    with LabelAssistClient(stack.addresses, timeout=120) as client:
        labelled_project(client, project, seed=43)
        image, mask, classes = two_kinds(np.random.default_rng(44))
        partial = client.add_sample(project, "partial", image)
        client.submit_label(partial, "ann", mask, object_classes={i: c for i, c in classes.items() if i != 1})
        out = tmp_path / "class_list.json"
        run_in_napari(CLASS_LIST, stack.addresses, project, out)
        [opened] = [info for info in client.list_samples(project) if info.stem == "labelled-0"]
        history = client.label_history(opened.sample_id)
    submitted = json.loads(out.read_text())
    assert len(history) == 2 and history[-1].object_classes == {int(k): v for k, v in submitted["classes"].items()}
    assert all(history[-1].object_classes[i] == "small" for i in submitted["reclassed"])
    assert all(history[0].object_classes[i] == "big" for i in submitted["reclassed"])
