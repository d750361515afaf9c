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
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import quote

import numpy as np
from PIL import Image, ImageDraw

from labelassist.io.formats import (LabelFormat, LabelledImage, describe_export, export_image, imported_entry, needs,
                                    object_masks)

LABEL = "object"
LABEL_CONFIG = ('<View>\n  <Image name="image" value="$image"/>\n  <BrushLabels name="tag" toName="image">'
                f'<Label value="{LABEL}"/></BrushLabels>\n</View>\n')


def _brush():
    # The converter's package import pulls in its whole toolbox; only the brush codec is used.
    return needs("label_studio_converter.brush")


def to_results(label: np.ndarray) -> list[dict]:
    """Each object of a label image as one ``brushlabels`` result."""
    brush = _brush()
    height, width = label.shape
    results = []
    for object_id, mask in object_masks(label):
        # Label Studio's brush layer is RGBA, the mask in every channel.
        rgba = np.repeat(mask.ravel().astype(np.uint8) * 255, 4)
        results.append({"id": f"o{object_id}", "type": "brushlabels", "from_name": "tag", "to_name": "image",
                        "original_width": width, "original_height": height, "image_rotation": 0,
                        "value": {"format": "rle", "rle": [int(v) for v in brush.encode_rle(rgba)],
                                  "brushlabels": [LABEL]}})
    return results


def from_results(results: list[dict], height: int | None = None, width: int | None = None) -> np.ndarray:
    """A label image (ids 1..n in result order) from brush and polygon results."""
    shapes = [(r.get("original_height"), r.get("original_width")) for r in results if r.get("original_height")]
    height, width = (height, width) if height else shapes[0] if shapes else (None, None)
    if height is None:
        raise ValueError("the task's results do not say the image's size (original_width/original_height)")
    label = np.zeros((height, width), np.uint32)
    object_id = 0
    for result in results:
        value = result.get("value", {})
        kind = result.get("type", "").lower()
        if kind in ("brushlabels", "brush") and ("rle" in value or "rle" in result):
            rgba = _brush().decode_rle(value.get("rle", result.get("rle")))
            mask = np.reshape(rgba, (height, width, 4))[:, :, 3] > 0
        elif kind in ("polygonlabels", "polygon") and value.get("points"):
            canvas = Image.new("1", (width, height))
            ImageDraw.Draw(canvas).polygon([(x * width / 100, y * height / 100) for x, y in value["points"]],
                                           fill=1, outline=1)
            mask = np.asarray(canvas, dtype=bool)
        else:
            continue  # boxes, keypoints, choices: not masks
        object_id += 1
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


def write(samples: Iterable[LabelledImage], folder: Path) -> list[Path]:
    """``folder/tasks.json`` (one task per sample, its label as the
    annotation, its image a local-files URL Label Studio serves), the images
    in ``folder/images``, ``label_config.xml`` and the export's README and
    manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    tasks, exported = [], []
    for number, sample in enumerate(samples, 1):
        exported.append(export_image(folder, sample.stem, sample.image))
        tasks.append({"id": number, "data": {"image": local_file_url(exported[-1].shown)},
                      "annotations": [{"result": to_results(np.asarray(sample.label))}]})
    (folder / "tasks.json").write_text(json.dumps(tasks))
    (folder / "label_config.xml").write_text(LABEL_CONFIG)
    return [folder / "tasks.json", folder / "label_config.xml",
            *describe_export(folder, "Label Studio JSON", HOW_TO_OPEN, exported)]


def read(source: Path, images: Path | None) -> Iterator[dict]:
    """Samples of a Label Studio JSON export (a folder with ``tasks.json``,
    or the file): a task's first annotation that was not cancelled, else
    its first prediction."""
    tasks_file = source / "tasks.json" if source.is_dir() else source
    tasks = json.loads(tasks_file.read_text())
    for task in tasks if isinstance(tasks, list) else [tasks]:
        data = task.get("data", {})
        reference = data.get("image") or next((v for v in data.values() if isinstance(v, str)), "")
        done = [a for a in task.get("annotations", []) if not a.get("was_cancelled")] or task.get("predictions", [])
        try:
            label = from_results(done[0].get("result", [])) if done and done[0].get("result") else None
        except (ValueError, KeyError, TypeError) as error:
            yield {"stem": str(reference or task.get("id")), "error": f"task {task.get('id')}: {error}"}
            continue
        entry = imported_entry(reference, label, tasks_file.parent, images)
        if "image" in entry and done and label is None:  # annotated as empty
            entry["label"] = np.zeros(entry["image"].shape[:2], np.uint32)
        yield entry


FORMAT = LabelFormat("label-studio", "Label Studio JSON: DIR/tasks.json (brush RLE per object), DIR/images/ and "
                     "the labelling config", write, read)
