"""Projects several annotators label, through a real selector: overlap
leases (k different annotators, never one twice, shared samples between
fresh ones), gold samples whose reference no annotator is sent, consensus
stored as a version naming its sources, the adjudication queue, and
annotator quality that only a project's admins see whole."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import write_roles

from labelassist.client.errors import InvalidArgumentError, PermissionDeniedError
from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.proto.v1 import selector_pb2

SHAPE = (64, 64)


def squares(*boxes) -> np.ndarray:
    """An instance label with one square object per (top, left, size)."""
    label = np.zeros(SHAPE, np.int32)
    for object_id, (top, left, size) in enumerate(boxes, start=1):
        label[top:top + size, left:left + size] = object_id
    return label


REFERENCE = squares((4, 4, 12), (4, 30, 12), (30, 4, 12), (30, 30, 16))
MISSES_TWO = squares((4, 4, 12), (4, 30, 12))


def image(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 4000, SHAPE, dtype=np.uint16)


@pytest.fixture
def selector(module_service):
    """A client of the module's selector; each test works in projects of its own names."""
    service = module_service("selector")
    with LabelAssistClient(ServiceAddresses(selector=service.address), retries=0) as client:
        yield client


def project_with(client: LabelAssistClient, name: str, count: int, annotators: int, share: float = 0.0
                 ) -> list[int]:
    client.create_project(name, strategy="sequential")
    ids = [client.add_sample(name, f"s{i:02d}", image(i)) for i in range(count)]
    assert client.set_overlap(name, annotators, share).project.overlap.annotators == annotators
    return ids


def label_all(client: LabelAssistClient, project: str, annotator: str, mask=REFERENCE, limit: int = 1000
              ) -> list[int]:
    """Lease and submit until the pool has nothing for ``annotator``; the samples in lease order."""
    done = []
    while len(done) < limit:
        leased = client.next_sample(project, annotator)
        if leased.exhausted:
            break
        client.submit_label(leased.sample.sample_id, annotator, mask)
        done.append(leased.sample.sample_id)
    return done


def test_two_annotators_each_label_every_shared_sample_once_and_a_third_gets_none(selector):
    ids = project_with(selector, "twice", 5, annotators=2)
    assert sorted(label_all(selector, "twice", "alice")) == ids
    assert sorted(label_all(selector, "twice", "bob")) == ids
    assert label_all(selector, "twice", "carol") == []
    for sample_id in ids:
        assert sorted(v.annotator for v in selector.label_history(sample_id)) == ["alice", "bob"]


def test_a_sample_two_annotators_hold_goes_to_a_third_as_another_sample(selector):
    ids = project_with(selector, "held", 3, annotators=2)
    first = selector.next_sample("held", "alice").sample.sample_id
    assert selector.next_sample("held", "bob").sample.sample_id == first  # the same sample, at once
    assert selector.next_sample("held", "carol").sample.sample_id == ids[1]
    assert selector.next_sample("held", "alice").sample.sample_id == first  # her own lease, renewed


def test_a_share_of_the_samples_is_labelled_twice_chosen_by_name(selector):
    ids = project_with(selector, "tenth", 40, annotators=2, share=0.25)
    alice, bob = label_all(selector, "tenth", "alice"), label_all(selector, "tenth", "bob")
    assert sorted(alice) == ids
    assert 3 <= len(bob) <= 18 and not set(bob) - set(ids)
    assert label_all(selector, "tenth", "carol") == []
    again = project_with(selector, "tenth-again", 40, annotators=2, share=0.25)
    label_all(selector, "tenth-again", "alice")
    # The same names are shared in another project: the choice depends on the sample alone.
    assert [ids.index(i) for i in bob] == [again.index(i) for i in label_all(selector, "tenth-again", "bob")]


def test_samples_others_labelled_come_between_fresh_ones(selector):
    ids = project_with(selector, "mixed", 12, annotators=2)
    label_all(selector, "mixed", "alice", limit=6)
    order = label_all(selector, "mixed", "bob", limit=8)
    repeats = [sample_id in ids[:6] for sample_id in order]
    assert repeats == [True, False] * 4


def test_overlap_settings_are_checked(selector):
    selector.create_project("checked")
    with pytest.raises(InvalidArgumentError, match="'annotators' must be 1 to 10"):
        selector.set_overlap("checked", 11)
    with pytest.raises(InvalidArgumentError, match="'share' must lie between 0 and 1"):
        selector.set_overlap("checked", 2, 1.5)


def test_the_consensus_is_a_label_version_whose_history_names_its_sources(selector):
    (sample_id,) = project_with(selector, "merged", 1, annotators=3)
    wide = squares((3, 3, 14), (4, 30, 12), (30, 4, 12), (30, 30, 16))
    for annotator, mask in (("alice", REFERENCE), ("bob", MISSES_TWO), ("carol", wide)):
        assert selector.next_sample("merged", annotator).sample.sample_id == sample_id
        selector.submit_label(sample_id, annotator, mask)
    built = selector.build_consensus("merged")
    (version,) = built.built
    assert (version.version, version.origin, version.annotator) == (4, selector_pb2.LABEL_ORIGIN_CONSENSUS,
                                                                    "consensus")
    assert [(s.version, s.annotator) for s in version.sources] == [(1, "alice"), (2, "bob"), (3, "carol")]
    history = selector.label_history(sample_id)
    assert [(s.version, s.annotator) for s in history[-1].sources] == [(1, "alice"), (2, "bob"), (3, "carol")]
    consensus = selector.get_sample(sample_id, with_image=False).arrays["label"]
    assert len(np.unique(consensus[consensus > 0])) == 4
    assert {w.annotator for w in built.weights} == {"alice", "bob", "carol"}
    again = selector.build_consensus("merged", [sample_id])
    assert (len(again.built), again.unchanged) == (0, 1)


def test_the_adjudication_queue_puts_a_planted_disagreement_first_and_a_pick_settles_it(selector):
    calm, disputed, single = project_with(selector, "disputes", 3, annotators=2)
    for sample_id, second in ((calm, REFERENCE), (disputed, MISSES_TWO)):
        selector.submit_label(sample_id, "alice", REFERENCE)
        selector.submit_label(sample_id, "bob", second)
    selector.submit_label(single, "alice", REFERENCE)
    queue = selector.adjudication_queue("disputes")
    assert [item.sample_id for item in queue] == [disputed, calm]
    assert queue[0].disagreement == 0.5  # bob left out two of the four objects
    assert queue[1].disagreement == 0.0
    picked = selector.adjudicate(disputed, 1, "rita", "bob missed the lower two")
    assert (picked.version, picked.origin, [(s.version, s.annotator) for s in picked.sources]) == (
        3, selector_pb2.LABEL_ORIGIN_ADJUDICATED, [(1, "alice")])
    assert selector.adjudication_queue("disputes")[0].review == "accepted"
    assert np.array_equal(selector.get_sample(disputed, with_image=False).arrays["label"], REFERENCE)


def test_annotator_quality_names_the_kinds_of_disagreement(selector):
    ids = project_with(selector, "kinds", 2, annotators=3)
    merged = REFERENCE.copy()
    merged[4:16, 4:42] = 1
    for sample_id in ids:
        for annotator, mask in (("alice", REFERENCE), ("bob", MISSES_TWO), ("carol", merged),
                                ("dina", REFERENCE)):
            selector.submit_label(sample_id, annotator, mask)
    quality = {q.annotator: q for q in selector.annotator_quality("kinds")}
    assert quality["alice"].accuracy == 1.0 and quality["alice"].consensus_samples == 2
    assert (quality["bob"].kinds.missed, quality["bob"].kinds.reference_objects) == (4, 8)
    assert (quality["carol"].kinds.merged, quality["carol"].kinds.missed) == (2, 0)
    assert quality["alice"].accuracy > quality["carol"].accuracy > 0
    assert quality["alice"].accuracy > quality["bob"].accuracy > 0


TOKENS = {"admin": "admin-secret", "alice": "alice-secret", "bob": "bob-secret", "rita": "rita-secret"}


@pytest.fixture
def with_roles(start_service, tmp_path):
    roles = write_roles(tmp_path / "roles.toml", {
        "admin": (TOKENS["admin"], {"*": "admin"}), "alice": (TOKENS["alice"], {"gold": "annotator"}),
        "bob": (TOKENS["bob"], {"gold": "annotator"}), "rita": (TOKENS["rita"], {"gold": "reviewer"})})
    service = start_service("selector", "--roles-file", str(roles))
    clients = {name: LabelAssistClient(ServiceAddresses(selector=service.address), token=token, retries=0)
               for name, token in TOKENS.items()}
    yield clients
    for client in clients.values():
        client.close()


def test_annotators_see_neither_the_gold_label_nor_each_others_labels_nor_others_quality(with_roles):
    admin, alice, bob, rita = (with_roles[n] for n in ("admin", "alice", "bob", "rita"))
    admin.create_project("gold", strategy="sequential")
    gold = admin.add_sample("gold", "g0", image(0), label=REFERENCE, gold=True)
    plain = admin.add_sample("gold", "p0", image(1))
    admin.set_overlap("gold", 2)
    assert admin.get_project("gold").overlap.gold_samples == 1
    assert alice.next_sample("gold", "alice").sample.sample_id == gold
    assert set(alice.get_sample(gold).arrays) == {"image"}  # the reference stays with the selector
    alice.submit_label(gold, "alice", REFERENCE)
    assert bob.next_sample("gold", "bob").sample.sample_id == gold
    assert set(bob.get_sample(gold).arrays) == {"image"}  # alice's label is hers
    bob.submit_label(gold, "bob", MISSES_TWO)
    assert np.array_equal(bob.get_sample(gold).arrays["label"], MISSES_TWO)
    assert np.array_equal(rita.get_sample(gold, annotator="").arrays["label"], MISSES_TWO)  # reviewers read all
    for name, client in (("alice", alice), ("bob", bob)):
        client.submit_label(client.next_sample("gold", name).sample.sample_id, name, REFERENCE)

    everyone = {q.annotator: q for q in admin.annotator_quality("gold")}
    assert sorted(everyone) == ["alice", "bob"]
    assert (everyone["alice"].gold_samples, everyone["alice"].gold_f1) == (1, 1.0)
    assert (everyone["bob"].gold_samples, everyone["bob"].gold_f1) == (1, pytest.approx(4 / 6))
    assert [q.annotator for q in bob.annotator_quality("gold")] == ["bob"]
    assert [q.annotator for q in rita.annotator_quality("gold")] == []
    with pytest.raises(PermissionDeniedError, match="'bob' may see only their own quality"):
        bob.annotator_quality("gold", "alice")
    with pytest.raises(PermissionDeniedError, match="may not review"):
        bob.adjudication_queue("gold")
    with pytest.raises(PermissionDeniedError, match="may not configure"):
        bob.set_overlap("gold", 3)
    assert [item.sample_id for item in rita.adjudication_queue("gold")] == [gold, plain]


def test_the_cli_runs_a_double_labelled_project(start_service):
    import subprocess
    import sys

    from conftest import address_env

    service = start_service("selector")
    environment = address_env(ServiceAddresses(selector=service.address))

    def cli(*arguments: str) -> str:
        done = subprocess.run([sys.executable, "-m", "labelassist.cli", *arguments], capture_output=True, text=True,
                              env=environment, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    with LabelAssistClient(ServiceAddresses(selector=service.address), retries=0) as client:
        client.create_project("cli")
        sample_id = client.add_sample("cli", "s0", image(0))
        assert "2 annotators per shared sample, share 1, 0 gold samples; 1 samples changed" in cli("overlap", "cli",
                                                                                                  "2")
        client.submit_label(sample_id, "alice", REFERENCE)
        client.submit_label(sample_id, "bob", MISSES_TWO)
    assert "1 samples labelled by two or more annotators" in cli("agreement", "cli")
    assert f"sample {sample_id}: consensus v3 from v1 alice" in cli("consensus", "cli")
    assert "v1 alice, v2 bob; consensus v3" in cli("adjudicate", "cli")
    assert f"sample {sample_id}: v4 is the newest and accepted" in cli("adjudicate", "cli", "--pick", str(sample_id),
                                                                       "1")
    quality = cli("quality", "cli")
    assert "alice" in quality and "bob" in quality and "2/0/0/0/0/0 of 4" in quality
