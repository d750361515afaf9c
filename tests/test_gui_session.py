"""The Qt-free labelling session of the desktop client and the napari
widget, driven directly against the real stack: lease, pre-label,
inspect-before-submit, skip, a late result."""

from __future__ import annotations

import os

import numpy as np
import pytest

from labelassist.client.gui.session import LabellingSession
from labelassist.client.results import Severity
from labelassist.io.bundled import hela_sample
from labelassist.proto.v1 import selector_pb2


@pytest.fixture
def two_sample_project(client):
    images, _ = hela_sample()
    name = f"session-{os.getpid()}-{np.random.default_rng().integers(1 << 30)}"
    client.create_project(name)
    client.add_sample(name, "hela-0", images[0], sequence="a")
    client.add_sample(name, "hela-1", images[1], sequence="b")
    return name, images


def _blob_on_background(mask: np.ndarray) -> np.ndarray:
    """``mask`` with a square object painted where the image is background."""
    painted = mask.copy()
    rows, cols = np.nonzero(mask == 0)
    row, col = rows[len(rows) // 2], cols[len(cols) // 2]
    painted[max(row - 4, 0):row + 4, max(col - 4, 0):col + 4] = painted.max() + 1
    return painted


def test_a_session_labels_a_sample_with_inspection_before_submit(client, two_sample_project):
    project, images = two_sample_project
    session = LabellingSession(client, "session-test")
    leased = session.next(project)
    assert leased is not None and leased.shown_mask is None
    assert any(np.array_equal(leased.image, image) for image in images)

    outcome = session.prelabel_call()()
    session.accept_prelabel(outcome)
    assert outcome.object_count > 0 and session.origin == "edited_prelabel"

    painted = _blob_on_background(outcome.mask)
    held = session.submit(painted, project)
    assert not held.stored and held.held
    assert all(f.severity >= Severity.WARNING for f in held.held)
    assert "background_intensity" in {f.criterion for f in held.held}
    assert client.label_history(leased.sample_id) == []  # nothing stored while warnings hold it

    stored = session.submit(painted, project)  # the annotator has seen the warnings: store as is
    assert stored.stored and stored.version.version == 1
    assert np.array_equal(client.get_sample(leased.sample_id, with_image=False).require("label"), painted)
    [version] = client.label_history(leased.sample_id)
    assert version.annotator == "session-test" and version.origin == selector_pb2.LABEL_ORIGIN_EDITED_PRELABEL


def test_a_skipped_sample_goes_back_and_a_late_result_is_recognised(client, two_sample_project):
    project, _ = two_sample_project
    session = LabellingSession(client, "skipper")
    first = session.next(project)
    late_prelabel = session.prelabel_call()  # made for the first sample
    assert session.release_call(skip=True, reason="out of focus")()
    session.forget()
    second = session.next(project)
    assert second is not None and second.sample_id != first.sample_id
    late_prelabel()  # still answers, but for a sample that is no longer current
    assert not session.is_current(first.sample_id) and session.is_current(second.sample_id)
    session.store_call((second.image > np.median(second.image)).astype(np.uint8))()
    again = session.next(project)  # a skipped sample comes back once the others are done
    assert again is not None and again.sample_id == first.sample_id
    session.store_call(np.zeros_like(again.image, dtype=np.uint8))()
    assert session.next(project) is None and session.current is None
    with pytest.raises(LookupError, match="Next first"):
        session.inspect_call(np.zeros((4, 4), np.uint8))


def test_only_the_holder_renews_a_live_lease(client, two_sample_project):
    project, _ = two_sample_project
    session = LabellingSession(client, "holder")
    leased = session.next(project)
    assert 0 < session.lease_left() <= leased.leased_for
    renewed = session.renew_call()()
    assert renewed is not None and renewed >= leased.expires_at
    assert client.renew_lease(leased.sample_id, "someone-else") is None  # not theirs
    session.release_call(skip=False)()
    assert session.renew_call()() is None  # given back: nothing to renew


def test_a_lease_can_bring_the_servers_prelabel_in_the_same_call(client, two_sample_project):
    project, _ = two_sample_project
    session = LabellingSession(client, "session-prelabel")
    leased = session.lease_call(project, prelabel=True)()
    session.show(leased)
    assert leased.label is None and leased.prelabel_error == ""
    assert leased.prelabel.shape == leased.image.shape[:2] and leased.prelabel.max() > 0
    assert session.prelabel is leased.prelabel and session.origin == "edited_prelabel"
    expected = client.assist.prelabel(None, sample_id=leased.sample_id).mask
    assert np.array_equal(leased.prelabel, expected)
