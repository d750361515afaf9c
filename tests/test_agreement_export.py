"""A double-labelled project leaves the service whole: every annotator's
label, the consensus and a manifest naming who made which version from
what, through a real selector and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import tifffile
from conftest import address_env
from test_agreement_overlap import MISSES_TWO, REFERENCE, SHAPE

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.imaging.agreement import pair_agreement

def test_export_with_all_annotators_round_trips_each_label_and_names_the_consensus_sources(start_service, tmp_path):
    service = start_service("selector")
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


def test_every_annotators_export_replaces_planted_links_and_never_writes_through_them(start_service, tmp_path):
    service = start_service("selector")
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
