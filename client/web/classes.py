"""Classes on the gateway's HTTP wire: a project's class schema with the
sample, the classes of the label to start from with the mask (the stored
label's, or the class model's guesses with their confidence), and a
submitted label's classes back, as the JSON of framed bodies ahead of the
raw arrays (:func:`labelassist.client.web.arrays.framed`): in the body, a
label of thousands of objects is bounded only by the gateway's body limit.

A submitted label's classes travel grouped by class (``{"objects":
{"mitotic": [3, 7]}, "image": ["in focus"]}``).
"""

from __future__ import annotations

import threading

from labelassist.client.class_results import ClassPrelabels, ClassSchema


class SchemaCache:
    """Each project's class schema as last read, kept by the schema stamp the
    selector sends with every sample (``SampleInfo.class_schema_stamp``): a
    sample view reads the schema again only when an admin has set it since,
    not with one more GetProject per view. The caller's own sample call has
    checked their right to the project already."""

    def __init__(self):
        self._kept: dict[str, tuple[int, ClassSchema]] = {}
        self._lock = threading.Lock()

    def schema(self, client, sample) -> ClassSchema:
        """``sample``'s project's class schema, read with ``client`` when the stamp moved."""
        stamp = int(sample.class_schema_stamp)
        with self._lock:
            kept = self._kept.get(sample.project)
        if stamp and kept is not None and kept[0] == stamp:
            return kept[1]
        schema = client.class_schema(sample.project)
        if stamp:
            with self._lock:
                self._kept[sample.project] = (stamp, schema)
        return schema


def schema_json(schema: ClassSchema) -> dict:
    """The schema as the page reads it (empty lists: segmentation only)."""
    def definitions(items):
        return [{"name": c.name, "colour": c.colour, "key": c.key} for c in items]
    return {"object_classes": definitions(schema.object_classes), "image_classes": definitions(schema.image_classes),
            "multi_label": schema.multi_label}


def stored_classes_json(object_classes: dict[int, str], image_classes) -> dict:
    """A stored label's classes: each object's class, decided (confidence 1)."""
    return {"guessed": False, "objects": {str(i): [name, 1.0] for i, name in object_classes.items()},
            "image": list(image_classes), "model": "", "note": ""}


def guesses_json(guesses: ClassPrelabels) -> dict:
    """A class model's guesses: each object's most probable class and its probability."""
    return {"guessed": True, "objects": {str(i): [g.predicted_class, round(float(g.confidence), 4)]
                                         for i, g in sorted(guesses.objects.items())},
            "image": list(guesses.image_classes), "model": guesses.model, "note": guesses.note}


def submitted_classes(data: dict | None) -> tuple[dict[int, str], list[str]]:
    """A submitted label's classes from the JSON of its framed body (none
    without one): object id -> class, and the image's classes.

    Raises
    ------
    ValueError
        The JSON is not the object described above; the message says what to send.
    """
    if data is None:
        return {}, []
    shape = 'a label\'s classes must be JSON {"objects": {class: [object ids]}, "image": [classes]}'
    if not isinstance(data, dict):
        raise ValueError(shape)
    grouped, image = data.get("objects", {}), data.get("image", [])
    if not isinstance(grouped, dict) or not isinstance(image, list) or not all(isinstance(c, str) for c in image):
        raise ValueError(shape)
    objects: dict[int, str] = {}
    for name, ids in grouped.items():
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i < 1 << 32
                                                for i in ids):
            raise ValueError(f"{shape}; the ids of class {name!r} must be a list of object ids above 0")
        for object_id in ids:
            if objects.setdefault(object_id, name) != name:
                raise ValueError(f"the label's classes give object {object_id} two classes, "
                                 f"{objects[object_id]!r} and {name!r}: give each object one")
    return objects, image


__all__ = ["SchemaCache", "guesses_json", "schema_json", "stored_classes_json", "submitted_classes"]
