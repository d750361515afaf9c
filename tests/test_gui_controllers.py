"""The desktop client's Qt-free controllers (projects, transfer, review)
driven directly against the real stack, as a script would."""

from __future__ import annotations

import os

import numpy as np
import pytest

from labelassist.client.gui.projects_controller import ProjectsController
from labelassist.client.session import LabellingSession
from labelassist.client.gui.transfer_controller import TransferController, import_summary
from labelassist.client.gui.versions import ReviewController
from labelassist.io.bundled import hela_sample


def _name(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{np.random.default_rng().integers(1 << 30)}"


@pytest.fixture
def labelled_project(client):
    images, _ = hela_sample()
    name = _name("controllers")
    client.create_project(name, strategy="sequential")
    mask = (images[0] > np.percentile(images[0], 85)).astype(np.uint8)
    client.add_sample(name, "frame0", images[0], label=mask)
    client.add_sample(name, "frame1", images[1])
    return name, images, mask


def test_the_catalogue_lists_the_projects_operations_and_strategies(client, labelled_project):
    name, _, _ = labelled_project
    controller = ProjectsController(client, wanted=name)
    catalogue = controller.load_call()()
    assert name in catalogue.projects and "sequential" in catalogue.strategies
    assert {"preprocess", "prelabel", "refine", "postprocess"} <= set(catalogue.operations)
    assert "fill_holes" in {spec.name for spec in catalogue.operations["postprocess"]}
    assert controller.loaded(catalogue, "") == (name, None)


def test_a_wanted_project_that_does_not_exist_is_named_and_dropped(client):
    controller = ProjectsController(client, wanted="no-such-project-anywhere")
    assert controller.loaded(controller.load_call()(), "") == (None, "no-such-project-anywhere")
    assert controller.wanted is None


def test_creating_from_a_folder_without_images_fails_before_the_project_exists(client, tmp_path):
    name = _name("empty-folder")
    with pytest.raises(ValueError, match="no images in"):
        ProjectsController(client).create_call(name, folder=tmp_path)(lambda _: None)
    assert name not in {p.name for p in client.list_projects()}


def test_progress_is_worded_with_the_labelled_count(client, labelled_project):
    name, _, _ = labelled_project
    summary = ProjectsController(client).progress_call(name)()
    assert (summary.labeled, summary.total) == (1, 2) and summary.text.startswith("1 / 2")


def test_saved_assist_settings_are_what_the_settings_call_loads(client, labelled_project):
    name, _, _ = labelled_project
    controller = ProjectsController(client)
    controller.save_assist_call(name, [], "otsu", [])()
    settings, operations = controller.assist_settings_call(name)()
    assert settings.method.name == "otsu" and "prelabel" in operations


def test_export_then_import_round_trips_the_labels(client, labelled_project, tmp_path):
    name, _, mask = labelled_project
    controller = TransferController(client)
    written: list[int] = []
    exported = controller.export_call(name, tmp_path / "out", "coco")(written.append)
    assert exported.samples == 1 and written == [1]
    copy = _name("imported")
    report = controller.import_call(copy, tmp_path / "out", "coco", create=True)(lambda _: None)
    assert report.added == 1 and report.created
    assert import_summary(report, copy, "coco").startswith(f"Imported 1 samples into {copy} (coco)")


def test_a_review_shows_the_verdict_and_a_comparison_counts_the_changes(client, labelled_project):
    name, _, mask = labelled_project
    session = LabellingSession(client, "rita")
    first = client.list_samples(name)[0]
    session.show(session.open_call(first.sample_id)())
    changed = mask.copy()
    changed[:10, :10] = 1
    session.store_call(changed)()
    review = ReviewController(session)
    assert [v.version for v in review.history_call()()] == [1, 2]
    _, counts = review.compare_call(changed, 1)()
    assert counts["added"] == int((changed > 0).sum() - (mask > 0).sum())
    info = review.review_call(False, "too much at the corner")()
    assert (info.review, info.review_comment, info.reviewer) == ("rejected", "too much at the corner", "rita")


def test_an_import_summary_names_what_was_left_out_of_an_item():
    from labelassist.client.transfer_calls import TransferReport

    report = TransferReport("cvat", added=2, notes=[("Train-img0", "skipped 1 <box>")])
    summary = import_summary(report, "p", "cvat")
    assert summary.startswith("Imported 2 samples into p (cvat)") and "left out of 1: Train-img0: skipped 1 <box>" in summary
