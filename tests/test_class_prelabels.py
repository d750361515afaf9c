"""Class pre-labels through real processes: a project's class model learns
from the labels submitted with classes, is trained again as labels arrive,
and pre-labels the objects of new samples; click-to-segment checks the
class the new object gets (tests/test_click_segment.py segments with one)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import tifffile

from labelassist.client.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from shapes import two_kinds


def labelled_project(client, name: str, samples: int = 3, seed: int = 0, image_classes=()) -> dict:
    """A project with object classes big/small and ``samples`` labels that
    carry them; its unlabelled sample "new" with its true classes."""
    rng = np.random.default_rng(seed)
    client.create_project(name)
    client.set_class_schema(name, ["big", "small"], list(image_classes))
    for index in range(samples):
        image, mask, classes = two_kinds(rng)
        sample_id = client.add_sample(name, f"labelled-{index}", image)
        client.submit_label(sample_id, "ann", mask, object_classes=classes)
    image, mask, classes = two_kinds(rng)
    return {"sample_id": client.add_sample(name, "new", image), "image": image, "mask": mask, "classes": classes}


def test_predicted_classes_of_a_new_sample_follow_the_labelled_objects(client):
    new = labelled_project(client, "classes-predict")
    guesses = client.assist.predict_classes("classes-predict", new["image"], new["mask"])
    assert guesses.model == "classes@1" and guesses.trained_objects == 24
    assert {i: g.predicted_class for i, g in guesses.objects.items()} == new["classes"]
    assert all(g.confidence > 0.8 and set(g.probabilities) == {"big", "small"} for g in guesses.objects.values())
    assert (guesses.image_probabilities, guesses.note) == ({}, "")


def test_the_class_model_is_trained_again_only_when_labels_arrive(client):
    new = labelled_project(client, "classes-retrain", seed=1)
    first = client.assist.predict_classes(sample_id=new["sample_id"], mask=new["mask"])
    assert client.assist.predict_classes(sample_id=new["sample_id"], mask=new["mask"]).model == first.model
    client.submit_label(new["sample_id"], "ann", new["mask"], object_classes=new["classes"])
    again = client.assist.predict_classes(sample_id=new["sample_id"])  # its label now: no mask sent
    assert (first.model, again.model) == ("classes@1", "classes@2")
    assert again.trained_objects == first.trained_objects + len(new["classes"])


def test_class_models_are_plain_arrays_kept_private_in_assists_data_directory(client, stack):
    new = labelled_project(client, "classes-private", seed=16)
    client.assist.predict_classes("classes-private", new["image"], new["mask"])
    kept = [path for path in (stack.data_dir / "classes").rglob("*")]
    assert {oct(path.stat().st_mode & 0o077) for path in kept} | {oct(stack.data_dir.stat().st_mode & 0o077)} == \
        {"0o0"}
    stored = [path for path in kept if path.name.endswith("-objects.npz")]
    assert stored
    with np.load(stored[0], allow_pickle=False) as arrays:
        assert {"classes", "left", "right", "feature", "threshold", "proba"} <= set(arrays.files)


def test_a_prelabel_of_a_classes_project_carries_a_class_per_object(client):
    new = labelled_project(client, "classes-prelabel", seed=2)
    outcome = client.assist.prelabel(None, sample_id=new["sample_id"])
    assert outcome.classes is not None and outcome.classes.model == "classes@1"
    assert set(outcome.classes.objects) == set(np.unique(outcome.mask[outcome.mask > 0]).tolist())
    guesses = outcome.classes.objects.values()
    assert all(g.predicted_class in ("big", "small") and 0.5 <= g.confidence <= 1 for g in guesses)


def test_a_prelabel_asked_without_classes_is_the_mask_alone(client):
    from labelassist.proto.v1 import assist_pb2

    new = labelled_project(client, "classes-mask-only", seed=18)
    assist = client.assist
    params = assist_pb2.PrelabelParams(sample_id=new["sample_id"], without_classes=True)
    out = assist.transport.exchange(assist.stub.Prelabel, assist_pb2.PrelabelRequest, params, {},
                                    assist_pb2.PrelabelResult)
    assert out.require("mask").any() and not out.message.HasField("classes")


def test_a_prelabel_of_a_project_without_classes_carries_none(client):
    rng = np.random.default_rng(3)
    client.create_project("classes-none")
    image, _, _ = two_kinds(rng)
    sample_id = client.add_sample("classes-none", "plain", image)
    assert client.assist.prelabel(None, sample_id=sample_id).classes is None


def test_image_classes_are_predicted_beside_object_classes(client):
    rng = np.random.default_rng(4)
    client.create_project("classes-images")
    client.set_class_schema("classes-images", ["big", "small"], ["bright", "dark"])
    for index in range(6):
        image, mask, classes = two_kinds(rng)
        kind = "bright" if index % 2 else "dark"
        sample_id = client.add_sample("classes-images", f"image-{index}", image if kind == "bright" else image // 8)
        client.submit_label(sample_id, "ann", mask, object_classes=classes, image_classes=[kind])
    image, mask, _ = two_kinds(rng)
    guesses = client.assist.predict_classes("classes-images", image // 8, mask)
    assert guesses.trained_images == 6 and guesses.image_classes == ("dark",)
    assert guesses.image_probabilities["dark"] > 0.5


def test_a_project_without_classes_has_no_class_model(client):
    client.create_project("classes-absent")
    image, mask, _ = two_kinds(np.random.default_rng(5))
    with pytest.raises(FailedPreconditionError, match="has no class schema"):
        client.assist.predict_classes("classes-absent", image, mask)


def test_too_few_labelled_objects_say_what_to_label(client):
    new = labelled_project(client, "classes-few", samples=0, seed=6)
    with pytest.raises(FailedPreconditionError, match="no class model yet \\(object classes: .*at least 2 classes"):
        client.assist.predict_classes("classes-few", new["image"], new["mask"])


def test_a_prelabel_before_enough_labels_says_what_its_classes_wait_for(client):
    new = labelled_project(client, "classes-few-prelabel", samples=0, seed=14)
    classes = client.assist.prelabel(None, sample_id=new["sample_id"]).classes
    assert (classes.model, classes.objects) == ("", {})
    assert classes.note.startswith("object classes: a class model needs labelled objects of at least 2 classes")


def test_predictions_need_a_mask_or_a_labelled_sample(client):
    new = labelled_project(client, "classes-unlabelled", samples=1, seed=7)
    with pytest.raises(FailedPreconditionError, match="has no label yet"):
        client.assist.predict_classes(sample_id=new["sample_id"])
    with pytest.raises(InvalidArgumentError, match="send 'image', 'mask' and 'project'"):
        client.assist.predict_classes("classes-unlabelled", new["image"])


def test_a_mask_that_does_not_fit_the_image_is_invalid_argument_and_named(client):
    new = labelled_project(client, "classes-bad-mask", samples=1, seed=17)
    with pytest.raises(InvalidArgumentError, match="'mask' shape \\(64, 64\\) does not match the image's"):
        client.assist.predict_classes("classes-bad-mask", new["image"], new["mask"][:64, :64])


def test_segment_refuses_a_class_the_project_does_not_have(client):
    new = labelled_project(client, "classes-segment", samples=0, seed=8)
    row, column = np.argwhere(new["mask"] == 1)[0]
    with pytest.raises(NotFoundError, match="no object class 'huge' in project 'classes-segment'.*big, small"):
        client.assist.segment(None, [(row, column, True)], sample_id=new["sample_id"], object_class="huge")


def test_segment_with_a_class_needs_a_project_with_object_classes(client):
    client.create_project("classes-segment-none")
    image, mask, _ = two_kinds(np.random.default_rng(9))
    sample_id = client.add_sample("classes-segment-none", "plain", image)
    with pytest.raises(FailedPreconditionError, match="has no object classes"):
        client.assist.segment(None, [(10, 10, True)], sample_id=sample_id, object_class="big")
    with pytest.raises(InvalidArgumentError, match="'object_class' needs the 'project'"):
        client.assist.segment(image, [(10, 10, True)], object_class="big")


def test_a_renamed_class_is_predicted_under_its_new_name(client):
    new = labelled_project(client, "classes-renamed", seed=10)
    assert client.assist.predict_classes("classes-renamed", new["image"], new["mask"]).model == "classes@1"
    client.set_class_schema("classes-renamed", ["large", "small"], migrate={"big": "large"})
    renamed = client.assist.predict_classes("classes-renamed", new["image"], new["mask"])
    assert renamed.model == "classes@2"
    expected = {i: "large" if kind == "big" else kind for i, kind in new["classes"].items()}
    assert {i: g.predicted_class for i, g in renamed.objects.items()} == expected


def test_the_cli_prints_each_objects_class_and_confidence(cli_env, client, tmp_path):
    new = labelled_project(client, "classes-cli-predict", seed=11)
    tifffile.imwrite(tmp_path / "image.tif", new["image"])
    tifffile.imwrite(tmp_path / "mask.tif", new["mask"].astype(np.uint16))
    run = subprocess.run([sys.executable, "-m", "labelassist.cli", "predict-classes", "classes-cli-predict",
                          "--image", str(tmp_path / "image.tif"), "--mask", str(tmp_path / "mask.tif")],
                         env=cli_env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("classes@1: trained on 24 objects and 0 images")
    for object_id, kind in new["classes"].items():
        assert f"object {object_id:<6} {kind:<24} " in run.stdout
    missing = subprocess.run([sys.executable, "-m", "labelassist.cli", "predict-classes", "classes-cli-predict",
                              "--image", str(tmp_path / "image.tif")],
                             env=cli_env, capture_output=True, text=True, timeout=120)
    assert missing.returncode != 0 and "--image needs --mask" in missing.stderr


def test_the_labelling_session_keeps_its_prelabels_class_guesses_for_the_window(client):
    from labelassist.client.gui.wording import class_guesses_text
    from labelassist.client.session import OPENED, LabellingSession, fetched

    new = labelled_project(client, "classes-session", seed=12)
    session = LabellingSession(client, "ann")
    session.show(fetched(client.get_sample(new["sample_id"]), OPENED))
    session.accept_prelabel(session.prelabel_call()())
    guesses = session.class_guesses
    assert guesses is not None and set(guesses.objects) == set(np.unique(session.prelabel).tolist()) - {0}
    status, per_object = class_guesses_text(guesses)
    assert status.startswith("classes by classes@1: ") and "least sure: object " in status
    assert per_object.splitlines() == [f"object {i}: {g.predicted_class} {g.confidence:.0%}"
                                       for i, g in sorted(guesses.objects.items())]


def test_multi_label_image_classes_are_each_present_or_absent():
    from labelassist.assist.class_models import fit_project_model, measure, predict

    rng = np.random.default_rng(15)
    schema = {"object": [{"name": "big"}, {"name": "small"}], "image": [{"name": "bright"}, {"name": "busy"}],
              "multi_label": True}
    samples = []
    for index in range(8):
        bright, busy = index % 2 == 1, index % 4 >= 2
        image, mask, classes = two_kinds(rng, per_kind=8 if busy else 2)
        samples.append(measure(image if bright else image // 8, mask, classes,
                               [name for name, present in (("bright", bright), ("busy", busy)) if present]))
    model = fit_project_model(1, samples, schema)
    image, mask, _ = two_kinds(rng, per_kind=8)
    prediction = predict(model, image, mask)
    assert prediction.image_classes == ("bright", "busy")
    assert prediction.predicted_image_classes() == ["bright", "busy"]
    assert predict(model, image // 8, mask).predicted_image_classes() == ["busy"]
