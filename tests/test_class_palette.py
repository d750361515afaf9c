"""The class palette without Qt: keys from the schema, the current class
for new objects, re-classing the selected object, image classes single or
multi-label, the least sure guess first; and through the real stack, a
leased sample's class pre-labels accepted by Submit with one corrected."""

from __future__ import annotations

import numpy as np
import pytest

from labelassist.client.class_palette import (DEFAULT, GUESSED, SET, ClassPalette, ObjectCentres, class_keys,
                                             object_centres)
from labelassist.client.results import ClassDefinition, ClassPrelabels, ClassSchema, ObjectClassGuess
from labelassist.client.session import LabellingSession
from test_class_bounds import frame, project
from test_class_prelabels import labelled_project

SCHEMA = ClassSchema((ClassDefinition("mitotic", "#ff0000", "m"), ClassDefinition("interphase", "#00ff00"),
                      ClassDefinition("artefact", "#0000ff")),
                     (ClassDefinition("in-focus", "#ffffff", "f"), ClassDefinition("blurred", "#000000")))


def _guesses(confidences: dict[int, tuple[str, float]], image=()) -> ClassPrelabels:
    objects = {i: ObjectClassGuess(i, name, sure, {name: sure}) for i, (name, sure) in confidences.items()}
    return ClassPrelabels("classes@1", 1, objects, {}, tuple(image), 10, 2, "")


def test_keys_are_the_schemas_then_digits_for_object_classes_without_one():
    assert class_keys(SCHEMA) == {"m": ("object", "mitotic"), "f": ("image", "in-focus"),
                                  "1": ("object", "interphase"), "2": ("object", "artefact")}


def test_keys_the_client_uses_are_left_to_the_client():
    assert class_keys(SCHEMA, taken=["M", "1"]) == {"f": ("image", "in-focus"), "2": ("object", "mitotic"),
                                                    "3": ("object", "interphase"), "4": ("object", "artefact")}


def test_new_objects_get_the_current_class_and_the_newest_is_selected():
    palette = ClassPalette(SCHEMA)
    assert palette.current == "mitotic"
    palette.choose("interphase")
    assert palette.appeared([0, 3, 2]) == [2, 3]
    assert palette.selected == 3 and palette.objects[3].name == "interphase" and palette.objects[3].source == DEFAULT
    palette.choose("artefact")
    assert palette.appeared([2, 4]) == [4]  # object 2 keeps its class
    assert palette.class_of(2) == "interphase" and palette.class_of(99) == "artefact"
    with pytest.raises(ValueError, match="no object class 'cell'; the project's object classes: mitotic, "):
        palette.choose("cell")


def test_a_class_key_reclasses_the_selected_object_and_becomes_current():
    palette = ClassPalette(SCHEMA)
    palette.accept_guesses(_guesses({1: ("mitotic", 0.9), 2: ("mitotic", 0.55)}))
    palette.selected = 2
    assert palette.press("1") == ("object", "interphase")
    assert palette.objects[2].name == "interphase" and palette.objects[2].source == SET
    assert palette.current == "interphase" and palette.objects[1].source == GUESSED
    assert palette.press("x") is None


def test_single_label_image_classes_keep_one_and_multi_label_keeps_each():
    palette = ClassPalette(SCHEMA)
    palette.press("f")
    palette.toggle_image_class("blurred", True)
    assert palette.image == ["blurred"]
    palette.toggle_image_class("blurred", False)
    assert palette.image == []
    multi = ClassPalette(ClassSchema(SCHEMA.object_classes, SCHEMA.image_classes, multi_label=True))
    multi.toggle_image_class("blurred", True)
    multi.press("f")
    assert multi.image == ["in-focus", "blurred"]  # in the schema's order
    with pytest.raises(ValueError, match="no image class 'sharp'"):
        multi.toggle_image_class("sharp", True)


def test_least_sure_goes_through_the_undecided_guesses_least_confident_first():
    palette = ClassPalette(SCHEMA)
    palette.accept_guesses(_guesses({1: ("mitotic", 0.9), 2: ("interphase", 0.4), 3: ("mitotic", 0.6),
                                     4: ("mitotic", 0.1)}))
    mask = np.array([[1, 2, 3]])  # object 4 was erased
    assert palette.least_sure(mask) == 2
    assert palette.least_sure(mask, after=2) == 3
    palette.assign("interphase", 3)
    assert palette.least_sure(mask, after=3) == 1
    assert palette.least_sure(mask, after=1) == 2  # round again
    palette.assign("mitotic", 1)
    palette.assign("mitotic", 2)
    assert palette.least_sure(mask) == 0


def test_one_key_re_classes_every_object_selected_with_shift():
    palette = ClassPalette(SCHEMA)
    palette.start({1: "mitotic", 2: "mitotic", 3: "mitotic", 4: "mitotic"})
    palette.select(1)
    palette.select(3, add=True)
    palette.select(4, add=True)
    assert palette.selection == [1, 3, 4] and palette.selected == 4
    assert palette.press("1") == ("object", "interphase")
    assert {i: c.name for i, c in palette.objects.items()} == {1: "interphase", 2: "mitotic", 3: "interphase",
                                                              4: "interphase"}
    assert {palette.objects[i].source for i in (1, 3, 4)} == {SET}


def test_a_shift_click_on_a_selected_object_takes_it_out_and_a_plain_click_selects_one():
    palette = ClassPalette(SCHEMA)
    palette.start({1: "mitotic", 2: "mitotic", 3: "mitotic"})
    palette.select(1)
    palette.select(2, add=True)
    palette.select(1, add=True)
    assert palette.selection == [2]
    palette.select(3, add=True)
    palette.select(1)
    assert palette.selection == [1]
    palette.select(0)
    assert palette.selection == [] and palette.assign("artefact") == 0
    assert palette.objects[1].name == "mitotic"


def test_submitted_classes_are_those_of_the_objects_in_the_mask():
    palette = ClassPalette(SCHEMA)
    palette.start({1: "mitotic", 5: "artefact"}, ["in-focus"])
    palette.appeared([2])
    assert palette.submitted(np.array([[0, 1, 2]])) == ({1: "mitotic", 2: "mitotic"}, ["in-focus"])
    assert palette.counts(np.array([[0, 1, 2]])) == {"mitotic": 2, "interphase": 0, "artefact": 0}


def test_objects_are_coloured_by_class_and_captioned_with_id_class_and_doubt():
    palette = ClassPalette(SCHEMA)
    palette.accept_guesses(_guesses({1: ("interphase", 0.62)}))
    palette.assign("artefact", 2)
    lookup = palette.colour_lookup(4)
    assert lookup[:, :3].tolist() == [[0, 0, 0], [0, 255, 0], [0, 0, 255], [200, 200, 200]]
    mask = np.zeros((5, 6), np.uint32)
    mask[1:3, 1:3], mask[3:5, 4:6] = 1, 2
    assert palette.captions(object_centres(mask)) == {1: ("1 interphase 62%?", (1.5, 1.5)), 2: ("2 artefact", (3.5, 4.5))}
    assert object_centres(np.zeros((3, 3), int)) == {}


def test_a_leased_class_prelabel_is_accepted_by_submit_with_one_class_corrected(client):
    new = labelled_project(client, "classes-palette", seed=21)
    session = LabellingSession(client, "ann")
    session.use_project(client.class_schema("classes-palette"))
    leased = session.lease_call("classes-palette", prelabel=True)()
    assert leased.sample_id == new["sample_id"] and leased.class_guesses is not None
    session.show(leased)
    guessed = {i: g.predicted_class for i, g in leased.class_guesses.objects.items()}
    assert guessed and {i: c.name for i, c in session.classes.objects.items()} == guessed
    least = session.classes.least_sure(session.prelabel)
    corrected = "small" if guessed[least] == "big" else "big"
    session.classes.assign(corrected)
    version = session.submit(session.prelabel, inspect_first=False).version
    assert version.object_classes == {**guessed, least: corrected}
    assert client.get_sample(leased.sample_id).info.object_classes == version.object_classes


def test_a_stored_labels_classes_come_back_when_it_is_opened(client):
    new = labelled_project(client, "classes-palette-open", seed=22)
    client.submit_label(new["sample_id"], "ann", new["mask"], object_classes=new["classes"])
    session = LabellingSession(client, "ann")
    session.show(session.open_call(new["sample_id"])())
    assert session.classes.submitted(new["mask"]) == (new["classes"], [])


def test_the_inspection_before_submit_judges_each_object_by_its_class(client):
    labels, images, classes = project(np.random.default_rng(0))
    client.create_project("classes-inspect")
    client.set_class_schema("classes-inspect", ["mitotic", "interphase"])
    for index, (label, image, named) in enumerate(zip(labels, images, classes)):
        client.submit_label(client.add_sample("classes-inspect", f"frame-{index:02d}", image), "ann", label,
                            object_classes=named)
    label, image, _ = frame(np.random.default_rng(1), [(64, 64)], [(30, 30)])  # object 1 small, object 2 large
    client.add_sample("classes-inspect", "new", image)
    session = LabellingSession(client, "ann")
    session.use_project(client.class_schema("classes-inspect"))
    session.next("classes-inspect")
    session.classes.assign("interphase", 1)
    session.classes.assign("interphase", 2)
    held = session.submit(label, "classes-inspect")
    sizes = [f for f in session.findings if f.criterion == "object_size"]
    assert [tuple(f.object_ids) for f in sizes] == [(1,)] and "'interphase' objects" in sizes[0].message
    assert not held.stored and sizes[0] in held.held
    session.classes.assign("mitotic", 1)
    as_small = session.inspect_call(label, "classes-inspect")()
    assert [f for f in as_small.findings if f.criterion == "object_size"] == []


def test_centres_kept_from_the_edited_boxes_are_those_of_the_whole_mask():
    rng = np.random.default_rng(5)
    mask = rng.integers(0, 6, (40, 50)).astype(np.uint32)
    centres = ObjectCentres()
    centres.update(mask)
    for _ in range(20):
        top, left = rng.integers(0, 35), rng.integers(0, 45)
        window = (slice(top, top + rng.integers(1, 6)), slice(left, left + rng.integers(1, 6)))
        mask[window] = rng.integers(0, 9)
        centres.update(mask, window)
        expected = object_centres(mask)
        assert set(centres.centres()) == set(expected)
        assert all(np.allclose(centres.centres()[i], expected[i]) for i in expected)
        assert centres.next_id() == int(mask.max()) + 1
    mask[:] = 0
    centres.update(mask, (slice(0, 40), slice(0, 50)))
    assert centres.centres() == {} and centres.next_id() == 1


def test_the_object_being_drawn_takes_the_current_class_colour():
    palette = ClassPalette(SCHEMA)
    palette.choose("interphase")
    lookup = palette.colour_lookup(4, drawing=3)
    assert tuple(lookup[3]) == (0, 255, 0, 255) and tuple(lookup[2]) == (200, 200, 200, 255)
