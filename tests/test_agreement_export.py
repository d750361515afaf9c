"""A double-labelled project leaves the service whole: every annotator's
label, the consensus and a manifest naming who made which version from
what, through a real selector and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import numpy as np
import tifffile
from conftest import address_env
from test_agreement_overlap import MISSES_TWO, REFERENCE, SHAPE

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.imaging.agreement import pair_agreement

def test_export_with_all_annotators_round_trips_each_label_and_names_the_consensus_sources(module_service, tmp_path):
    service = module_service("selector")
    with LabelAssistClient(ServiceAddresses(selector=service.address), retries=0) as client:
        client.create_project("many")
        shared = client.add_sample("many", "shared", np.full(SHAPE, 500, np.uint16))
        single = client.add_sample("many", "single", np.full(SHAPE, 500, np.uint16))
        client.submit_label(shared, "alice", MISSES_TWO)  # replaced by alice's next label
        client.submit_label(shared, "alice", REFERENCE)
        client.submit_label(shared, "bob/extern", MISSES_TWO)
        client.submit_label(single, "alice", REFERENCE)
        client.build_consensus("many")
    output = tmp_path / "export"
    done = subprocess.run([sys.executable, "-m", "labelassist.cli", "project", "export", "many", "-o", str(output),
                           "--format", "coco", "--all-annotators"], capture_output=True, text=True,
                          env=address_env(ServiceAddresses(selector=service.address)), timeout=120)
    assert done.returncode == 0, done.stderr
    assert "wrote 4 annotators' and consensus labels of 2 samples" in done.stdout
    manifest = json.loads((output / "annotators" / "manifest.json").read_text())
    rows = {(r["sample"], r["annotator"], r["version"], r["origin"], r["newest"]): r for r in manifest["labels"]}
    assert sorted(rows) == [("shared", "alice", 2, "manual", False), ("shared", "bob/extern", 3, "manual", False),
                            ("shared", "consensus", 4, "consensus", True), ("single", "alice", 1, "manual", True)]
    consensus = rows[("shared", "consensus", 4, "consensus", True)]
    assert [(s["version"], s["annotator"]) for s in consensus["sources"]] == [(2, "alice"), (3, "bob/extern")]
    read = {key[:2]: tifffile.imread(output / "annotators" / row["file"]) for key, row in rows.items()}
    assert rows[("shared", "bob/extern", 3, "manual", False)]["file"] == "shared/v3-bob_extern.tif"
    assert np.array_equal(read[("shared", "alice")], REFERENCE)
    assert np.array_equal(read[("shared", "bob/extern")], MISSES_TWO)
    assert np.array_equal(read[("single", "alice")], REFERENCE)
    assert pair_agreement(read[("shared", "consensus")], read[("shared", "alice")]).matched >= 2
    coco = json.loads((output / "annotations-all-annotators.json").read_text())
    assert sorted(image["file_name"] for image in coco["images"]) == ["shared.png", "single.png"]
    assert all((output / "images" / image["file_name"]).exists() for image in coco["images"])
    objects = [(a["image_id"], a["attributes"]["annotator"], a["attributes"]["version"]) for a in coco["annotations"]]
    shared_id = next(image["id"] for image in coco["images"] if image["file_name"] == "shared.png")
    assert sorted(objects).count((shared_id, "alice", 2)) == 4 and objects.count((shared_id, "bob/extern", 3)) == 2
    assert {a["attributes"]["origin"] for a in coco["annotations"]} == {"manual", "consensus"}


def test_every_annotators_export_replaces_planted_links_and_never_writes_through_them(module_service, tmp_path):
    service = module_service("selector")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    output = tmp_path / "annotators"
    (output / "shared").mkdir(parents=True)
    (output / "manifest.json").symlink_to(victim)
    (output / "shared" / "v1-alice.tif").symlink_to(victim)
    with LabelAssistClient(ServiceAddresses(selector=service.address), retries=0) as client:
        client.create_project("links")
        shared = client.add_sample("links", "shared", np.full(SHAPE, 500, np.uint16))
        client.submit_label(shared, "alice", REFERENCE)
        client.download_annotator_labels("links", output)
    assert victim.read_text() == "keep me"
    assert not (output / "manifest.json").is_symlink() and not (output / "shared" / "v1-alice.tif").is_symlink()
    assert np.array_equal(tifffile.imread(output / "shared" / "v1-alice.tif"), REFERENCE)
    assert json.loads((output / "manifest.json").read_text())["labels"][0]["annotator"] == "alice"


def _classified_project(client: LabelAssistClient, name: str) -> None:
    """A shared sample two annotators labelled with classes, and its consensus."""
    client.create_project(name)
    client.set_class_schema(name, ["mitotic", "interphase"])
    shared = client.add_sample(name, "shared", np.full(SHAPE, 500, np.uint16))
    client.submit_label(shared, "alice", REFERENCE, object_classes={1: "mitotic", 2: "interphase"})
    client.submit_label(shared, "bob/extern", MISSES_TWO, object_classes={1: "mitotic", 2: "mitotic"})
    client.build_consensus(name)


def test_a_cvat_export_with_all_annotators_is_a_project_with_a_task_and_job_per_annotator(module_service, tmp_path):
    from labelassist.io.formats.cvat import read_tasks

    service = module_service("selector")
    with LabelAssistClient(ServiceAddresses(selector=service.address), retries=0) as client:
        _classified_project(client, "cvat-many")
    output = tmp_path / "export"
    done = subprocess.run([sys.executable, "-m", "labelassist.cli", "project", "export", "cvat-many", "-o",
                           str(output), "--format", "cvat", "--all-annotators"], capture_output=True, text=True,
                          env=address_env(ServiceAddresses(selector=service.address)), timeout=120)
    assert done.returncode == 0, done.stderr
    root = ElementTree.parse(output / "annotations-all-annotators.xml").getroot()
    assert root.findtext("meta/project/name") == "cvat-many"
    declared = {label.findtext("name"): [a.findtext("name") for a in label.iter("attribute")]
                for label in root.iter("label")}
    assert declared == {name: ["annotator", "version", "origin"] for name in ("mitotic", "interphase", "object")}
    tasks = {task.findtext("name"): (task.findtext("id"), [(s.findtext("start"), s.findtext("stop"))
                                                           for s in task.iter("segment")],
                                     task.findtext("assignee/username"))
             for task in root.iter("task")}
    assert tasks == {"alice": ("1", [("0", "0")], "alice"), "bob/extern": ("2", [("0", "0")], "bob/extern"),
                     "consensus": ("3", [("0", "0")], "consensus")}
    images = [(image.get("subset"), image.get("name"), image.get("task_id")) for image in root.iter("image")]
    assert [(subset, name) for subset, name, _ in images] == [("alice", "shared.png"), ("bob/extern", "shared.png"),
                                                              ("consensus", "shared.png")]
    assert {task_id for *_, task_id in images} == {tasks[name][0] for name in tasks}
    assert (output / "images" / "shared.png").exists()
    attributes = {a.get("name"): a.text for a in next(root.iter("mask")).iter("attribute")}
    assert attributes == {"annotator": "alice", "version": "1", "origin": "manual"}
    read_back = read_tasks(output / "annotations-all-annotators.xml")
    alice, alice_classes = read_back["alice"]["shared.png"]
    bob, bob_classes = read_back["bob/extern"]["shared.png"]
    assert np.array_equal(alice, REFERENCE) and np.array_equal(bob, MISSES_TWO)
    assert alice_classes == {"object_classes": {1: "mitotic", 2: "interphase"}}
    assert bob_classes == {"object_classes": {1: "mitotic", 2: "mitotic"}}
    consensus, consensus_classes = read_back["consensus"]["shared.png"]
    assert sorted(consensus_classes["object_classes"].values()) == ["interphase", "mitotic"]


def test_an_ome_zarr_export_with_all_annotators_holds_a_label_image_per_annotator(module_service, tmp_path):
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Label, Reader

    service = module_service("selector")
    with LabelAssistClient(ServiceAddresses(selector=service.address), retries=0) as client:
        _classified_project(client, "zarr-many")
        output = tmp_path / "export"
        client.download_labels("zarr-many", output, format="ome-zarr")
        report = client.download_annotator_labels("zarr-many", output / "annotators",
                                                  ome_zarr=output / "annotators-ome-zarr")
        assert output / "annotators-ome-zarr" / "shared.ome.zarr" in report.files
        imported = client.import_labels("zarr-copy", output / "annotators-ome-zarr", format="ome-zarr", create=True)
        assert (imported.added, imported.failed) == (1, [])
        copy = next(iter(client.iter_samples("zarr-copy")))
        newest = client.label_history(copy.sample_id)[-1]
        assert newest.object_classes == client.label_history(next(iter(client.iter_samples("zarr-many"))).sample_id
                                                             )[-1].object_classes
    nodes = list(Reader(parse_url(str(output / "annotators-ome-zarr" / "shared.ome.zarr")))())
    labels = {node.metadata["name"]: node for node in nodes if any(isinstance(s, Label) for s in node.specs)}
    assert sorted(labels) == ["objects", "v1-alice", "v2-bob_extern", "v3-consensus"]
    assert np.array_equal(np.asarray(labels["v1-alice"].data[0]), REFERENCE)
    assert np.array_equal(np.asarray(labels["v2-bob_extern"].data[0]), MISSES_TWO)
    properties = labels["v2-bob_extern"].metadata["properties"]
    assert properties == {1: {"class": "mitotic", "annotator": "bob/extern", "version": 2, "origin": "manual"},
                          2: {"class": "mitotic", "annotator": "bob/extern", "version": 2, "origin": "manual"}}
    assert labels["v1-alice"].metadata["properties"][3] == {"annotator": "alice", "version": 1, "origin": "manual"}


def test_an_all_annotators_ome_zarr_and_cvat_export_replace_planted_links(module_service, tmp_path):
    service = module_service("selector")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    stores = tmp_path / "stores"
    stores.mkdir()
    (stores / "shared.ome.zarr").symlink_to(victim)
    (tmp_path / "all.xml").symlink_to(victim)
    with LabelAssistClient(ServiceAddresses(selector=service.address), retries=0) as client:
        _classified_project(client, "links-many")
        client.download_annotator_labels("links-many", tmp_path / "annotators", cvat=tmp_path / "all.xml",
                                         ome_zarr=stores)
    assert victim.read_text() == "keep me"
    assert not (stores / "shared.ome.zarr").is_symlink() and (stores / "shared.ome.zarr").is_dir()
    assert not (tmp_path / "all.xml").is_symlink()
    assert len(list(ElementTree.parse(tmp_path / "all.xml").getroot().iter("mask"))) >= 6
