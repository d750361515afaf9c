"""Label Studio JSON, both ways: one task per image (``data.image`` a
local-files URL, ``/data/local-files/?d=images/NAME.png``, relative to the
export folder as Label Studio's LOCAL_FILES_DOCUMENT_ROOT, which Label
Studio serves from the annotator's disk without uploading), each object a
``brushlabels`` result in Label Studio's own brush run-length encoding,
encoded and decoded by Label Studio's converter (the format its ML
backends exchange). Import also reads ``polygonlabels``
(points in percent of the image) and takes a task's predictions when it
has no annotation; a task without either becomes an unlabelled sample.

Label Studio shows the export with this labelling config (written beside
it as ``label_config.xml``)::

    <View>
      <Image name="image" value="$image"/>
      <BrushLabels name="tag" toName="image"><Label value="object"/></BrushLabels>
    </View>

A project with classes adds a ``<Label>`` per object class (each object's
``brushlabels`` is its class, "object" without one) and its image classes
as ``<Choices name="image_class">`` (a ``choices`` result per task), and
import reads both back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import quoteattr

import numpy as np
from PIL import Image, ImageDraw

from labelassist.io.formats import class_table
from labelassist.io.formats import (ITEM_ERRORS, UNCLASSIFIED, LabelFormat, LabelledImage, describe_export,
                                    describe_import_error, entry_classes, export_image, imported_entry,
                                    manifest_schema, named_schema, needs, object_masks, read_json, writable_folder,
                                    write_replacing)

LABEL = UNCLASSIFIED
LABEL_CONFIG = ('<View>\n  <Image name="image" value="$image"/>\n  <BrushLabels name="tag" toName="image">'
                f'<Label value="{LABEL}"/></BrushLabels>\n</View>\n')
IMAGE_CLASSES = "image_class"


def label_config(schema: Mapping | None = None) -> str:
    """The labelling config: a brush label per object class and "object",
    and the image classes as choices (several when multi-label)."""
    if not schema:
        return LABEL_CONFIG
    labels = "".join(f'\n    <Label value={quoteattr(c["name"])} background={quoteattr(c.get("colour", ""))}/>'
                     for c in schema.get("object", []))
    lines = ['<View>', '  <Image name="image" value="$image"/>',
             f'  <BrushLabels name="tag" toName="image">{labels}\n    <Label value="{LABEL}"/>\n  </BrushLabels>']
    if schema.get("image"):
        choices = "".join(f"\n    <Choice value={quoteattr(c['name'])}/>" for c in schema["image"])
        lines.append(f'  <Choices name="{IMAGE_CLASSES}" toName="image" '
                     f'choice="{"multiple" if schema.get("multi_label") else "single"}">{choices}\n  </Choices>')
    return "\n".join(lines + ["</View>", ""])


def _brush():
    # The converter's package import pulls in its whole toolbox; only the brush codec is used.
    return needs("label_studio_converter.brush")


def to_results(label: np.ndarray, classes: Mapping | None = None) -> list[dict]:
    """Each object of a label image as one ``brushlabels`` result, its
    class (from ``classes``, as the selector stores them) its label; the
    image classes as one ``choices`` result."""
    brush = _brush()
    classes = classes or {}
    objects = classes.get("objects", {})
    height, width = label.shape
    results = []
    for object_id, mask in object_masks(label):
        # Label Studio's brush layer is RGBA, the mask in every channel.
        rgba = np.repeat(mask.ravel().astype(np.uint8) * 255, 4)
        results.append({"id": f"o{object_id}", "type": "brushlabels", "from_name": "tag", "to_name": "image",
                        "original_width": width, "original_height": height, "image_rotation": 0,
                        "value": {"format": "rle", "rle": [int(v) for v in brush.encode_rle(rgba)],
                                  "brushlabels": [objects.get(str(object_id), LABEL)]}})
    if classes.get("image"):
        results.append({"id": "image", "type": "choices", "from_name": IMAGE_CLASSES, "to_name": "image",
                        "value": {"choices": list(classes["image"])}})
    return results


def result_classes(results: list[dict]) -> tuple[dict[int, str], list[str]]:
    """The classes of a task's results: object id (as :func:`from_results`
    numbers them) -> its brush or polygon label, and the choices made."""
    objects, image = {}, []
    for result in _mask_results(results):
        names = result.get("value", {}).get("brushlabels") or result.get("value", {}).get("polygonlabels") or []
        objects[len(objects) + 1] = str(names[0]) if names else ""
    for result in results:
        if isinstance(result, dict) and result.get("type", "").lower() == "choices":
            image += [str(name) for name in result.get("value", {}).get("choices", [])]
    return objects, image


def _mask_results(results: list[dict]) -> list[dict]:
    """The results that are objects' masks: brushes with an RLE and polygons with points."""
    found = []
    for result in results:
        value = result.get("value", {}) if isinstance(result, dict) else {}
        kind = result.get("type", "").lower() if isinstance(result, dict) else ""
        if (kind in ("brushlabels", "brush") and ("rle" in value or "rle" in result)) or (
                kind in ("polygonlabels", "polygon") and value.get("points")):
            found.append(result)
    return found


def declared_shape(results: list[dict]) -> tuple[int, int] | None:
    """The image size (height, width) a task's results declare, if any does."""
    return next(((r.get("original_height"), r.get("original_width")) for r in results
                 if isinstance(r, dict) and r.get("original_height")), None)


def brush_mask(rle: list[int], height: int, width: int) -> np.ndarray:
    """A brush result's mask, its RLE's declared length checked against the
    image (an RGBA layer, 4 values a pixel) before anything is decoded."""
    if not isinstance(rle, list) or len(rle) < 4:
        raise ValueError("its brush RLE is not a list of bytes")
    declared = int.from_bytes(bytes(int(v) & 0xFF for v in rle[:4]), "big")  # the codec's 32-bit value count
    if declared != 4 * height * width:
        raise ValueError(f"its brush RLE declares {declared} values, its {width}x{height} image needs "
                         f"{4 * height * width}")
    if len(rle) > 8 * declared + 64:  # more bytes than any encoding of that many values
        raise ValueError(f"its brush RLE holds {len(rle)} bytes for {declared} values")
    return np.reshape(_brush().decode_rle(rle), (height, width, 4))[:, :, 3] > 0


def from_results(results: list[dict], height: int, width: int) -> np.ndarray:
    """A label image (ids 1..n in result order) from brush and polygon
    results over a ``height`` x ``width`` image."""
    label = np.zeros((height, width), np.uint32)
    for object_id, result in enumerate(_mask_results(results), 1):  # boxes, keypoints, choices: not masks
        value = result.get("value", {})
        try:
            if result.get("type", "").lower() in ("brushlabels", "brush"):
                mask = brush_mask(value.get("rle", result.get("rle")), height, width)
            else:
                canvas = Image.new("1", (width, height))
                ImageDraw.Draw(canvas).polygon([(x * width / 100, y * height / 100) for x, y in value["points"]],
                                               fill=1, outline=1)
                mask = np.asarray(canvas, dtype=bool)
        except (ValueError, TypeError, IndexError) as error:
            raise ValueError(f"result {results.index(result) + 1}: {error}") from None
        label[mask] = object_id
    return label


LOCAL_FILES = "/data/local-files/?d="
HOW_TO_OPEN = ("`tasks.json` holds one Label Studio task per image, its `data.image` a local-files URL "
               f"(`{LOCAL_FILES}images/NAME.png`) relative to this folder. Start Label Studio with "
               "`LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=true` and `LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT` set to "
               "this folder; in the project, paste `label_config.xml` as the labelling interface, add a Local "
               "files source storage with this folder's `images/` as its absolute path (no sync needed), then "
               "import `tasks.json`.")


def local_file_url(name: str) -> str:
    """Label Studio's URL of a file under its LOCAL_FILES_DOCUMENT_ROOT."""
    return LOCAL_FILES + quote(name, safe="/")


def write(samples: Iterable[LabelledImage], folder: Path, schema: Mapping | None = None) -> list[Path]:
    """``folder/tasks.json`` (one task per sample, its label as the
    annotation, its image a local-files URL Label Studio serves), the images
    in ``folder/images``, ``label_config.xml`` (with a class ``schema``,
    its classes), ``classes.csv`` with a schema and the export's README and
    manifest."""
    folder = writable_folder(folder)
    tasks, exported, classified = [], [], []
    for number, sample in enumerate(samples, 1):
        exported.append(export_image(folder, sample.stem, sample.image))
        classified.append((sample.stem, sample.classes or {}))
        tasks.append({"id": number, "data": {"image": local_file_url(exported[-1].shown)},
                      "annotations": [{"result": to_results(np.asarray(sample.label), sample.classes)}]})
    config = label_config(schema)
    write_replacing(folder / "tasks.json", lambda path: path.write_text(json.dumps(tasks)))
    write_replacing(folder / "label_config.xml", lambda path: path.write_text(config))
    return [folder / "tasks.json", folder / "label_config.xml", *class_table.write_beside(classified, folder, schema),
            *describe_export(folder, "Label Studio JSON", HOW_TO_OPEN, exported, dict(schema or {}))]


def read(source: Path, images: Path | None) -> Iterator[dict]:
    """Samples of a Label Studio JSON export (a folder with ``tasks.json``,
    or the file): a task's first annotation that was not cancelled, else
    its first prediction. The file is read (and a broken one refused)
    before the first sample."""
    tasks_file = source / "tasks.json" if source.is_dir() else source
    tasks = read_json(tasks_file)
    return (_task_entry(task, tasks_file.parent, images) for task in (tasks if isinstance(tasks, list) else [tasks]))


def _task_entry(task: dict, folder: Path, images: Path | None) -> dict:
    """One task's ``add_samples`` entry, or an error entry naming it."""
    try:
        data = task.get("data", {})
        reference = data.get("image") or next((v for v in data.values() if isinstance(v, str)), "")
        done = [a for a in task.get("annotations", []) if not a.get("was_cancelled")] or task.get("predictions", [])
        results = done[0].get("result") if done else None
    except ITEM_ERRORS as error:
        name = task.get("id", "?") if isinstance(task, dict) else "?"
        return {"stem": str(name), "error": f"task {name}: {describe_import_error(error)}"}
    if not results:
        entry = imported_entry(reference, None, None, folder, images)
        if "image" in entry and done:  # annotated as empty
            entry["label"] = np.zeros(entry["image"].shape[:2], np.uint32)
        return entry
    entry = imported_entry(reference, declared_shape(results), lambda shape: from_results(results, *shape), folder,
                           images)
    if "error" in entry:
        entry["error"] = f"task {task.get('id')}: {entry['error']}"
    elif entry.get("label") is not None:
        try:
            entry.update(entry_classes(*result_classes(results), entry["label"]))
        except ITEM_ERRORS as error:
            return {"stem": entry["stem"],
                    "error": f"task {task.get('id')}: its labels: {describe_import_error(error)}"}
    return entry


def class_schema(source: Path) -> dict:
    """The class schema of a Label Studio export: the manifest's (Label
    Assistant's exports), else the brush and polygon labels but "object"
    and the choices its tasks use."""
    folder = source if source.is_dir() else source.parent
    kept = manifest_schema(folder)
    if kept is not None:
        return kept
    tasks = read_json(source / "tasks.json" if source.is_dir() else source)
    objects, images, multi = [], [], False
    for task in tasks if isinstance(tasks, list) else [tasks]:
        for done in (task.get("annotations") or task.get("predictions") or [])[:1] if isinstance(task, dict) else []:
            found_objects, found_images = result_classes(done.get("result") or [])
            objects += found_objects.values()
            images += found_images
            multi = multi or len(found_images) > 1
    return named_schema(objects, images, multi)


FORMAT = LabelFormat("label-studio", "Label Studio JSON: DIR/tasks.json (brush RLE per object, its label its "
                     "class; image classes as choices), DIR/images/ and the labelling config", write, read,
                     options=("schema",), class_schema=class_schema)
