"""Reviews through a real selector with roles: a reviewer accepts or rejects
a label version with a comment, annotators see the verdict, a new version
clears it, and whoever may not review is told so."""

from __future__ import annotations

import grpc
import numpy as np

from conftest import status_of, write_roles
from labelassist.client.sdk import LabelAssistClient, ServiceAddresses

IMAGE = np.arange(64, dtype=np.uint16).reshape(8, 8)
TOKENS = {"boss": "boss-token", "ann": "ann-token", "rita": "rita-token"}


def test_reviews_are_recorded_shown_and_cleared_by_a_new_version(start_service, tmp_path):
    roles = write_roles(tmp_path / "roles.toml", {"boss": (TOKENS["boss"], {"*": "admin"}),
                                                   "ann": (TOKENS["ann"], {"cells": "annotator"}),
                                                   "rita": (TOKENS["rita"], {"cells": "reviewer"})})
    selector = start_service("selector", "--roles-file", str(roles))
    address = ServiceAddresses(selector=selector.address)
    with LabelAssistClient(address, token=TOKENS["boss"]) as boss, \
            LabelAssistClient(address, token=TOKENS["ann"], retries=0) as ann, \
            LabelAssistClient(address, token=TOKENS["rita"], retries=0) as rita:
        boss.create_project("cells")
        first = boss.add_sample("cells", "a", IMAGE)
        second = boss.add_sample("cells", "b", IMAGE)
        assert status_of(lambda: rita.review_label(first, "rita", False)).code() == grpc.StatusCode.FAILED_PRECONDITION
        ann.submit_label(first, "ann", np.ones((8, 8), np.uint8))
        ann.submit_label(second, "ann", np.ones((8, 8), np.uint8))

        denied = status_of(lambda: ann.review_label(first, "ann", True))
        assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
        missing = status_of(lambda: rita.review_label(first, "rita", True, version=5))
        assert missing.code() == grpc.StatusCode.NOT_FOUND and "versions 1 to 1" in missing.details()

        reviewed = rita.review_label(first, "rita", False, "the top nucleus is missing")
        assert (reviewed.review, reviewed.review_comment, reviewed.reviewer) == (
            "rejected", "the top nucleus is missing", "rita")
        rita.review_label(second, "rita", True)
        seen = {info.stem: info.review for info in ann.list_samples("cells")}
        assert seen == {"a": "rejected", "b": "accepted"}

        ann.submit_label(first, "ann", np.zeros((8, 8), np.uint8))  # version 2: not reviewed yet
        assert {info.stem: info.review for info in ann.list_samples("cells")} == {"a": "", "b": "accepted"}
