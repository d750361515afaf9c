"""Classes in the browser: the gateway sends a project's class schema with
the sample and the class model's guesses with the label to start from, and
stores a submitted label's classes through the SDK, all in framed bodies
(every answer's headers stay under a proxy's 4 KB header buffer); in a real
Chromium the annotator sees the guesses, re-classes an object and submits."""

from __future__ import annotations

import json
import struct
import time

import httpx
import numpy as np
import pytest
from shapes import two_kinds
from web_page import browser, new_page, open_next, page_label, sign_in, submit, tap_image, touch_stroke  # noqa: F401

from labelassist.client.sdk import LabelAssistClient
from labelassist.client.web.arrays import FRAMED_TYPE, framed, unframed

pytestmark = pytest.mark.slow


@pytest.fixture
def classes_project(web_stack) -> str:
    """A project with object classes big/small and image classes bright/dark,
    three labels with classes and one sample "new" to label: its name."""
    name, rng = f"web-classes-{np.random.default_rng().integers(1 << 30)}", np.random.default_rng(41)
    with LabelAssistClient(web_stack.addresses, token=web_stack.tokens["admin"]) as admin:
        admin.create_project(name)
        admin.set_class_schema(name, ["big", "small"], ["bright", "dark"])
        for index in range(3):
            image, mask, classes = two_kinds(rng)
            admin.submit_label(admin.add_sample(name, f"labelled-{index}", image), "admin", mask,
                               object_classes=classes)
        admin.add_sample(name, "new", two_kinds(rng)[0])
    return name


# nginx's proxy_buffer_size (and an ingress's) holds a response's whole header block: 4 KB by default.
PROXY_HEADER_BUFFER = 4096


def header_block_fits_a_proxy(response: httpx.Response) -> None:
    block = sum(len(name) + len(value) + 4 for name, value in response.headers.raw)
    assert block <= PROXY_HEADER_BUFFER, f"{response.url}: {block} bytes of headers"


@pytest.fixture
def http(web_stack):
    with httpx.Client(base_url=web_stack.web_url, timeout=120, event_hooks={"response": [header_block_fits_a_proxy]},
                      headers={"authorization": f"Bearer {web_stack.tokens['anna']}"}) as session:
        yield session


def described(answer: httpx.Response) -> tuple[dict | None, np.ndarray]:
    """The JSON a framed answer carries (None for a raw one) and its array."""
    assert answer.status_code == 200, answer.text
    description, values = None, answer.content
    if answer.headers["content-type"] == FRAMED_TYPE:
        description, values = unframed(answer.content)
    shape = tuple(int(n) for n in answer.headers["x-array-shape"].split(","))
    dtype = np.dtype(answer.headers["x-array-dtype"]).newbyteorder("<")
    return description, np.frombuffer(values, dtype).reshape(shape)


def raw_label(answer: httpx.Response) -> np.ndarray:
    return described(answer)[1]


def post_label(http, sample_id: int, label: np.ndarray, classes: dict | None, **headers: str) -> httpx.Response:
    values = label.astype("<u2").tobytes()
    sent = {"x-array-shape": ",".join(map(str, label.shape)), "x-array-dtype": "uint16",
            "content-type": "application/octet-stream" if classes is None else FRAMED_TYPE, **headers}
    return http.post(f"/api/samples/{sample_id}/label?annotator=anna",
                     content=values if classes is None else framed(classes, values), headers=sent)


def test_the_sample_brings_its_schema_and_the_mask_the_class_models_guesses(http, classes_project):
    answer = http.post(f"/api/projects/{classes_project}/next", json={"annotator": "anna", "view": True})
    assert answer.status_code == 200, answer.text
    sample, _ = described(answer)
    schema = sample["classes"]
    assert [c["name"] for c in schema["object_classes"]] == ["big", "small"]
    assert [c["name"] for c in schema["image_classes"]] == ["bright", "dark"] and not schema["multi_label"]
    assert all(c["colour"].startswith("#") and len(c["colour"]) == 7 for c in schema["object_classes"])

    mask = http.get(f"/api/samples/{sample['sample_id']}/mask")
    assert mask.headers["x-mask-source"] == "computed"
    guesses, label = described(mask)
    assert guesses["guessed"] and guesses["model"] == "classes@1"
    assert {int(i) for i in guesses["objects"]} == set(np.unique(label).tolist()) - {0}
    assert all(name in ("big", "small") and 0.5 <= confidence <= 1
               for name, confidence in guesses["objects"].values())


def test_a_submitted_labels_classes_are_stored_through_the_sdk_and_come_back_with_it(http, web_stack,
                                                                                       classes_project):
    sample_id = http.post(f"/api/projects/{classes_project}/next", json={"annotator": "anna"}).json()["sample_id"]
    label = raw_label(http.get(f"/api/samples/{sample_id}/mask"))
    ids = sorted(set(np.unique(label).tolist()) - {0})
    classes = {"objects": {"big": ids[:2], "small": ids[2:]}, "image": ["bright"]}
    stored = post_label(http, sample_id, label, classes)
    assert stored.status_code == 200 and stored.json()["stored_now"], stored.text
    with LabelAssistClient(web_stack.addresses, token=web_stack.tokens["admin"]) as admin:
        newest = admin.label_history(sample_id)[-1]
    assert newest.object_classes == {**{i: "big" for i in ids[:2]}, **{i: "small" for i in ids[2:]}}
    assert newest.image_classes == ("bright",)

    retried = post_label(http, sample_id, label, classes, **{"x-submit-retry": "1"})
    assert retried.json() == {"version": stored.json()["version"], "stored_now": False}
    reclassed = post_label(http, sample_id, label, {**classes, "image": ["dark"]}, **{"x-submit-retry": "1"})
    assert reclassed.json()["stored_now"], "the same mask with other classes is a new version"

    again = http.get(f"/api/samples/{sample_id}/mask")
    assert again.headers["x-mask-source"] == "label"
    assert described(again)[0] == {
        "guessed": False, "objects": {str(i): [newest.object_classes[i], 1.0] for i in ids}, "image": ["dark"],
        "model": "", "note": ""}


def test_label_classes_that_do_not_fit_are_refused_by_name(http, classes_project):
    sample_id = http.post(f"/api/projects/{classes_project}/next", json={"annotator": "anna"}).json()["sample_id"]
    label = raw_label(http.get(f"/api/samples/{sample_id}/mask"))
    twice = post_label(http, sample_id, label, {"objects": {"big": [1], "small": [1]}})
    assert twice.status_code == 400 and "object 1 two classes" in twice.json()["error"]
    not_json = http.post(f"/api/samples/{sample_id}/label?annotator=anna",
                         content=struct.pack("<I", 5) + b"big=1" + label.astype("<u2").tobytes(),
                         headers={"x-array-shape": ",".join(map(str, label.shape)), "x-array-dtype": "uint16",
                                  "content-type": FRAMED_TYPE})
    assert not_json.status_code == 400 and "its JSON does not parse" in not_json.json()["error"]
    cut_short = http.post(f"/api/samples/{sample_id}/label?annotator=anna", content=struct.pack("<I", 99) + b"{}",
                          headers={"x-array-shape": "1,1", "x-array-dtype": "uint8", "content-type": FRAMED_TYPE})
    assert cut_short.status_code == 400 and "says 99 bytes of JSON, the body holds 2" in cut_short.json()["error"]
    not_grouped = post_label(http, sample_id, label, {"objects": {"big": 1}})
    assert not_grouped.status_code == 400 and "must be a list of object ids" in not_grouped.json()["error"]
    unknown = post_label(http, sample_id, label, {"objects": {"huge": [1]}})
    assert unknown.status_code == 400 and "huge" in unknown.json()["error"]


def test_click_to_segment_takes_the_current_class(http, classes_project):
    sample_id = http.post(f"/api/projects/{classes_project}/next", json={"annotator": "anna"}).json()["sample_id"]
    outlined = http.post(f"/api/samples/{sample_id}/segment", json={"clicks": [[21, 21, True]], "object_class": "big"})
    assert outlined.status_code == 200 and int(outlined.headers["x-object-area"]) > 0, outlined.text
    unknown = http.post(f"/api/samples/{sample_id}/segment", json={"clicks": [[21, 21, True]], "object_class": "huge"})
    assert unknown.status_code == 404 and "no object class 'huge'" in unknown.json()["error"]


def test_a_segmentation_projects_sample_has_an_empty_schema_and_its_mask_no_classes(http, web_project):
    answer = http.post(f"/api/projects/{web_project}/next", json={"annotator": "anna", "view": True})
    sample, _ = described(answer)
    assert sample["classes"] == {"object_classes": [], "image_classes": [], "multi_label": False}
    mask = http.get(f"/api/samples/{sample['sample_id']}/mask")
    assert mask.headers["content-type"] == "application/octet-stream", "a segmentation mask stays raw"
    assert described(mask)[0] is None


def test_a_label_of_2000_classed_objects_round_trips_with_small_headers(http, web_stack):
    name = f"web-crowded-{np.random.default_rng().integers(1 << 30)}"
    label = np.zeros((200, 200), np.uint16)
    for index in range(2000):
        row, col = divmod(index, 50)
        label[4 * row:4 * row + 2, 4 * col:4 * col + 2] = index + 1
    ids = list(range(1, 2001))
    with LabelAssistClient(web_stack.addresses, token=web_stack.tokens["admin"]) as admin:
        admin.create_project(name)
        admin.set_class_schema(name, ["big", "small"], ["bright", "dark"])
        admin.add_sample(name, "crowded", np.random.default_rng(3).normal(500.0, 40.0, label.shape).astype(np.uint16))
    sample_id = http.post(f"/api/projects/{name}/next", json={"annotator": "anna"}).json()["sample_id"]
    classes = {"objects": {"big": ids[::2], "small": ids[1::2]}, "image": ["dark"]}

    stored = post_label(http, sample_id, label, classes)
    assert stored.status_code == 200 and stored.json()["stored_now"], stored.text
    with LabelAssistClient(web_stack.addresses, token=web_stack.tokens["admin"]) as admin:
        newest = admin.label_history(sample_id)[-1]
    assert newest.object_classes == {i: "big" if i % 2 else "small" for i in ids}
    assert newest.image_classes == ("dark",)
    mask = http.get(f"/api/samples/{sample_id}/mask", headers={"accept-encoding": "gzip"})
    assert mask.headers["content-encoding"] == "gzip", "compressed as any array answer"
    classes_back, label_back = described(mask)
    np.testing.assert_array_equal(label_back, label)
    assert classes_back == {"guessed": False, "objects": {str(i): ["big" if i % 2 else "small", 1.0] for i in ids},
                            "image": ["dark"], "model": "", "note": ""}
    assert len(json.dumps(classes_back)) > 2 * PROXY_HEADER_BUFFER, "more than a proxy's header buffers hold"


# -- in Chromium ---------------------------------------------------------------------


@pytest.fixture
def ipad(browser):
    page = new_page(browser, "ipad-landscape")
    yield page
    page.context.close()


def centre_of(label: np.ndarray, object_id: int) -> tuple[int, int]:
    rows, cols = np.nonzero(label == object_id)
    return int(np.median(rows)), int(np.median(cols))


def test_an_annotator_corrects_the_class_guesses_on_an_ipad_and_the_selector_stores_them(web_stack, classes_project,
                                                                                          ipad):
    sign_in(ipad, web_stack.web_url, web_stack.tokens["anna"], classes_project)
    opened = open_next(ipad)
    label = page_label(ipad)
    shown = ipad.evaluate("window.labelAssist.classes()")
    ids = set(np.unique(label).tolist()) - {0}
    assert {int(i) for i in shown["objects"]} == ids
    assert all(c["source"] == "guessed" and c["name"] in ("big", "small") for c in shown["objects"].values())
    assert ipad.is_visible("#classes-panel") and ipad.inner_text("[data-class=big] kbd") == "1"
    confidence = {int(i): c["confidence"] for i, c in shown["objects"].items()}

    # Least sure next selects the least confident guess; the other class's button corrects it.
    ipad.tap("#least-sure")
    least = min(confidence, key=lambda i: (confidence[i], i))
    assert ipad.evaluate("window.labelAssist.classes().selected") == least
    guessed = shown["objects"][str(least)]["name"]
    other = "small" if guessed == "big" else "big"
    ipad.tap(f"#object-classes [data-class={other}]")
    assert ipad.evaluate("window.labelAssist.classes()")["objects"][str(least)] == {
        "name": other, "source": "set", "confidence": 1}

    # In select mode a tapped object is selected, and a class button re-classes it.
    ipad.tap("#fit")
    tapped = next(i for i in sorted(ids) if i != least)
    ipad.tap("[data-tool=select]")
    tap_image(ipad, *centre_of(label, tapped))
    assert ipad.evaluate("window.labelAssist.classes().selected") == tapped
    flipped = "small" if shown["objects"][str(tapped)]["name"] == "big" else "big"
    ipad.tap(f"#object-classes [data-class={flipped}]")
    assert ipad.inner_text("#selected-object").startswith(f"Object {tapped}: {flipped} (set by you)")

    # A new object drawn by touch gets the current class; the image class is a toggle.
    ipad.tap("[data-tool=brush]")
    rows, cols = np.nonzero(label == 0)
    row, col = int(rows[0]) + 2, int(cols[0]) + 2
    touch_stroke(ipad, [(row, col), (row, col + 3)])
    drawn = int(page_label(ipad)[row, col])
    assert drawn not in ids
    ipad.tap("#image-classes [data-class=dark]")
    assert ipad.get_attribute("#image-classes [data-class=dark]", "aria-checked") == "true"

    stored_on_page = submit(ipad)
    expected = {**{i: shown["objects"][str(i)]["name"] for i in ids}, least: other, tapped: flipped, drawn: flipped}
    assert {i: name for i, name, _, _ in stored_on_page["classes"]["objects"]} == expected
    with LabelAssistClient(web_stack.addresses, token=web_stack.tokens["admin"]) as admin:
        newest = admin.label_history(opened["sample_id"])[-1]
        np.testing.assert_array_equal(admin.get_sample(opened["sample_id"], with_image=False).require("label"),
                                      np.array(stored_on_page["values"]).reshape(label.shape))
    assert newest.object_classes == expected and newest.image_classes == ("dark",)


DRAFT_HAS_CLASS = """([sampleId, objectId, name]) => new Promise((resolve) => {
  const opening = indexedDB.open("labelassist");
  opening.onsuccess = () => {
    const read = opening.result.transaction("labels").objectStore("labels").get(`draft:${sampleId}`);
    read.onsuccess = () => resolve((read.result?.classes?.objects || []).some(
      ([id, kept, source]) => id === objectId && kept === name && source === "set"));
    opening.result.close();
  };
})"""


def test_a_reload_keeps_the_classes_decided_with_the_drawing(web_stack, classes_project, ipad):
    sign_in(ipad, web_stack.web_url, web_stack.tokens["anna"], classes_project)
    opened = open_next(ipad)
    ipad.tap("#least-sure")
    least = ipad.evaluate("window.labelAssist.classes().selected")
    guessed = ipad.evaluate("window.labelAssist.classes()")["objects"][str(least)]
    other = "small" if guessed["name"] == "big" else "big"
    ipad.tap(f"#object-classes [data-class={other}]")
    deadline = time.monotonic() + 10
    while not ipad.evaluate(DRAFT_HAS_CLASS, [opened["sample_id"], least, other]):
        assert time.monotonic() < deadline, "the draft keeps the class set"
        time.sleep(0.1)

    ipad.reload()
    sign_in(ipad, web_stack.web_url, web_stack.tokens["anna"], classes_project)
    assert open_next(ipad)["sample_id"] == opened["sample_id"], "given back on reload, the only one to label"
    kept = ipad.evaluate("window.labelAssist.classes()")["objects"]
    assert kept[str(least)] == {"name": other, "source": "set", "confidence": 1}
    assert all(c["source"] == "guessed" for i, c in kept.items() if int(i) != least), "the other guesses stay guesses"
    ipad.tap("#release")


def test_class_keys_re_class_the_selected_object_and_one_image_class_at_most_is_ticked(web_stack, classes_project,
                                                                                        browser):
    page = new_page(browser, "desktop-mouse")
    try:
        sign_in(page, web_stack.web_url, web_stack.tokens["anna"], classes_project)
        open_next(page)
        page.click("#least-sure")
        least = page.evaluate("window.labelAssist.classes().selected")
        for key, name in (("2", "small"), ("1", "big")):
            page.keyboard.press(key)
            shown = page.evaluate("window.labelAssist.classes()")
            assert (shown["current"], shown["objects"][str(least)]["name"]) == (name, name)
        for tapped, ticked in (("bright", ["bright"]), ("dark", ["dark"]), ("dark", [])):
            page.click(f"#image-classes [data-class={tapped}]")
            assert page.evaluate("window.labelAssist.classes().image") == ticked
        page.click("#release")
    finally:
        page.context.close()


PUT_WAITING_SUBMIT = """(item) => new Promise((resolve, reject) => {
  const opening = indexedDB.open("labelassist");
  opening.onsuccess = () => {
    const tx = opening.result.transaction("labels", "readwrite");
    tx.objectStore("labels").put({ ...item, data: new Uint16Array(item.data), created: Date.now() });
    tx.oncomplete = () => { opening.result.close(); resolve(true); };
    tx.onerror = () => reject(tx.error);
  };
})"""


def test_a_submit_waiting_in_the_outbox_is_sent_with_its_classes_on_the_next_sign_in(web_stack, classes_project,
                                                                                    ipad):
    sign_in(ipad, web_stack.web_url, web_stack.tokens["anna"], classes_project)
    opened = open_next(ipad)
    label = page_label(ipad)
    ids = sorted(set(np.unique(label).tolist()) - {0})
    waiting = {"key": f"submit:{opened['sample_id']}:1", "kind": "submit", "sample_id": opened["sample_id"],
               "project": classes_project, "annotator": "anna", "origin": "manual", "shape": list(label.shape),
               "data": label.ravel().tolist(), "attempts": 1,
               "classes": {"objects": [[i, "small", "set", 1] for i in ids], "image": ["bright"]}}
    ipad.evaluate(PUT_WAITING_SUBMIT, waiting)

    ipad.reload()
    sign_in(ipad, web_stack.web_url, web_stack.tokens["anna"], classes_project)
    ipad.wait_for_function("() => window.labelAssist.lastStored() !== null", timeout=30000)
    with LabelAssistClient(web_stack.addresses, token=web_stack.tokens["admin"]) as admin:
        newest = admin.label_history(opened["sample_id"])[-1]
        np.testing.assert_array_equal(admin.get_sample(opened["sample_id"], with_image=False).require("label"), label)
    assert newest.object_classes == {i: "small" for i in ids} and newest.image_classes == ("bright",)
