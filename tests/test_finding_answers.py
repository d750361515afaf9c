"""Learning from answers: annotators answer "not an error" to findings,
recorded per project with who and when; after three answers on one side of
a criterion's bound inspect moves that bound for the project, and a
reviewer taking an answer back moves it back. Through the real services."""

from __future__ import annotations

import grpc
import numpy as np
import pytest

from shapes import disc

SHAPE = (96, 96)


def label_with_small_object(area_side: int) -> tuple[np.ndarray, np.ndarray]:
    """Two nuclei and one small square object of ``area_side``² px inside."""
    label = np.zeros(SHAPE, np.uint16)
    label[disc(SHAPE, (25, 25), 12)] = 1
    label[disc(SHAPE, (70, 70), 12)] = 2
    label[45:45 + area_side, 20:20 + area_side] = 3
    image = (np.where(label > 0, 2000, 300) + np.random.default_rng(area_side).normal(0, 30, SHAPE)).astype(np.uint16)
    return image, label


def size_warning(client, project: str, side: int):
    image, label = label_with_small_object(side)
    found = [f for f in client.inspect(label, image=image, project=project).findings
             if f.criterion == "object_size" and f.severity >= 2]
    return found[0] if found else None


def test_three_answers_move_the_bound_and_a_reviewers_undo_moves_it_back(client, rng):
    name = f"answers-{rng.integers(1 << 30)}"
    client.create_project(name)
    answers = []
    for side in (5, 5, 6):  # objects of 25, 25 and 36 px, below the 40 px default
        finding = size_warning(client, name, side)
        assert finding is not None
        answers.append(client.answer_finding(name, finding, annotator="ann"))
        if len(answers) < 3:
            assert size_warning(client, name, 5) is not None  # two answers are not enough

    assert size_warning(client, name, 5) is None  # 25 px objects are this project's convention now
    assert size_warning(client, name, 4) is not None  # a 16 px object is still a warning
    listed = client.finding_answers(name)
    assert [a.answer_id for a in listed] == [a.answer_id for a in reversed(answers)]
    assert all(a.annotator == "ann" and a.criterion == "object_size" and a.answered_at > 0 for a in listed)
    assert listed[-1].measured == 25 and list(listed[-1].object_ids) == [3]

    undone = client.undo_finding_answer(answers[0].answer_id, reviewer="rev")
    assert undone.undone_by == "rev" and undone.undone_at > 0
    assert size_warning(client, name, 5) is not None  # two standing answers: the default bound again


def test_taking_an_answer_back_twice_or_one_that_does_not_exist_is_refused(client, rng):
    name = f"answers-undo-{rng.integers(1 << 30)}"
    client.create_project(name)
    answer = client.answer_finding(name, size_warning(client, name, 5))
    client.undo_finding_answer(answer.answer_id)
    with pytest.raises(grpc.RpcError) as again:
        client.undo_finding_answer(answer.answer_id)
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "already taken back" in again.value.details()
    with pytest.raises(grpc.RpcError) as missing:
        client.undo_finding_answer(10**9)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


def test_annotators_answer_under_their_own_name_and_only_reviewers_take_answers_back(start_service, tmp_path):
    from types import SimpleNamespace

    from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
    from labelassist.runtime.auth import token_hash

    roles = tmp_path / "roles.toml"
    roles.write_text("".join(f"""
[[identity]]
name = "{name}"
token_sha256 = "{token_hash(name + '-secret')}"
projects = {{ {projects} }}
""" for name, projects in (("admin", '"*" = "admin"'), ("alice", 'nuclei = "annotator"'),
                           ("rita", 'nuclei = "reviewer"'), ("bob", 'spheroids = "annotator"'))))
    selector = start_service("selector", "--roles-file", str(roles))
    addresses = ServiceAddresses(selector=selector.address)
    admin, alice, rita, bob = (LabelAssistClient(addresses, token=f"{name}-secret", retries=0)
                               for name in ("admin", "alice", "rita", "bob"))
    admin.create_project("nuclei")
    finding = SimpleNamespace(criterion="object_size", measured=25.0, bound=40.0, object_ids=(3,))

    answer = alice.answer_finding("nuclei", finding)
    assert answer.annotator == "alice"
    for call, code in ((lambda: alice.answer_finding("nuclei", finding, annotator="bob"), "cannot act as 'bob'"),
                       (lambda: bob.answer_finding("nuclei", finding), "may not submit"),
                       (lambda: alice.undo_finding_answer(answer.answer_id), "may not review")):
        with pytest.raises(grpc.RpcError) as denied:
            call()
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED and code in denied.value.details()
    assert rita.undo_finding_answer(answer.answer_id).undone_by == "rita"
    with pytest.raises(grpc.RpcError) as invalid:
        alice.answer_finding("nuclei", SimpleNamespace(criterion="", measured=1.0, bound=2.0, object_ids=()))
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "'criterion'" in invalid.value.details()
    for client in (admin, alice, rita, bob):
        client.close()


def test_answers_are_kept_per_project_on_both_databases(store):
    from labelassist.selector import finding_answers

    one, other = store.create_project("one"), store.create_project("other")
    first = finding_answers.record_answer(store.engine, one.id, 7, "object_size", 25.0, 40.0, [3, 4], "ann")
    finding_answers.record_answer(store.engine, other.id, 0, "fragments", 4.0, 2.0, [], "ann")
    second = finding_answers.record_answer(store.engine, one.id, 8, "irregular_shape", 0.7, 0.8, [], "bea")
    finding_answers.undo_answer(store.engine, first["id"], "rev")
    listed = finding_answers.project_answers(store.engine, one.id)
    assert [row["id"] for row in listed] == [second["id"], first["id"]]
    assert listed[1]["undone_by"] == "rev" and listed[1]["object_ids"] == "3,4" and listed[1]["sample_id"] == 7


def test_a_criterion_dismissed_again_and_again_becomes_a_hint_while_a_corrected_one_stays_a_warning(client, rng):
    """Confidence is the project's estimated probability that a finding is
    an error: twelve "not an error" answers on object_size near its bound
    (the bound itself barely moves) turn a 30 px object's warning into a
    hint; in a project whose object_size findings were corrected as often
    as dismissed the same object still warns."""
    from types import SimpleNamespace

    dismissed, corrected = (f"precision-{kind}-{rng.integers(1 << 30)}" for kind in ("dismissed", "corrected"))
    image, label = label_with_small_object(1)
    label[label == 3] = 0
    label[45:51, 20:25] = 3  # 30 px
    for name in (dismissed, corrected):
        client.create_project(name)
        client.add_sample(name, "frame", image)
        [before] = [f for f in client.inspect(label, image=image, project=name).findings
                    if f.criterion == "object_size"]
        assert before.severity == 2 and before.confidence == pytest.approx(0.5 + 0.5 * (1 - np.exp(-1.0)))
    sample_id = client.list_samples(corrected)[0].sample_id
    version = client.submit_label(sample_id, "ann", label).version
    near_the_bound = SimpleNamespace(criterion="object_size", measured=39.0, bound=40.0, object_ids=(3,))
    for _ in range(12):
        client.answer_finding(dismissed, near_the_bound)
        client.answer_finding(corrected, near_the_bound)
        client.answer_finding(corrected, near_the_bound, sample_id=sample_id, outcome="corrected",
                              label_version=version)

    [hint] = [f for f in client.inspect(label, image=image, project=dismissed).findings
              if f.criterion == "object_size"]
    assert hint.severity == 1 and hint.confidence < 0.5 and "12 false alarms" in hint.message
    [warning] = [f for f in client.inspect(label, image=image, project=corrected).findings
                 if f.criterion == "object_size"]
    assert warning.severity == 2 and warning.confidence > 0.5


def test_a_kept_warning_counts_once_a_reviewer_judges_the_label(client, rng):
    name = f"kept-{rng.integers(1 << 30)}"
    client.create_project(name)
    image, label = label_with_small_object(5)
    client.add_sample(name, "frame", image)
    sample_id = client.list_samples(name)[0].sample_id
    version = client.submit_label(sample_id, "ann", label).version
    finding = size_warning(client, name, 5)
    kept = client.answer_finding(name, finding, sample_id=sample_id, outcome="kept", label_version=version)
    assert (kept.outcome, kept.label_version, kept.review) == ("kept", version, "")
    client.review_label(sample_id, "rev", accept=True)
    [listed] = client.finding_answers(name)
    assert (listed.outcome, listed.review) == ("kept", "accepted")
    with pytest.raises(grpc.RpcError) as unnamed:
        client.answer_finding(name, finding, outcome="corrected")
    assert unnamed.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "'label_version'" in unnamed.value.details()
    with pytest.raises(grpc.RpcError) as unknown:
        client.answer_finding(name, finding, outcome="maybe")
    assert unknown.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "'outcome'" in unknown.value.details()
