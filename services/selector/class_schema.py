"""A project's class schema and the classes of its labels, as plain
values: checked once here, so the store keeps only what a schema allows.

Schema, stored as JSON: {"object": [{"name", "colour", "key"}, ...],
"image": [...], "multi_label": bool}; {} for segmentation only.
A label's classes: {"objects": {"<object id>": name}, "image": [name, ...]};
{} when it carries none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from labelassist.runtime.errors import ConflictError

Schema = dict[str, Any]
Classes = dict[str, Any]
KINDS = ("object", "image")
MAX_CLASSES = 256
MAX_NAME = 100
# Distinct on a dark image and for the common colour blindnesses (Okabe & Ito, 2008).
PALETTE = ("#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7", "#999999")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def check_schema(schema: Mapping) -> Schema:
    """The schema with colours filled in from :data:`PALETTE`; ``ValueError``
    naming an empty, long or repeated name, a bad colour or a key used twice."""
    checked: Schema = {}
    keys: list[str] = []
    for kind in KINDS:
        classes = list(schema.get(kind, []))
        if len(classes) > MAX_CLASSES:
            raise ValueError(f"{len(classes)} {kind} classes; at most {MAX_CLASSES}")
        names = [str(c.get("name", "")).strip() for c in classes]
        for name in names:
            if not name or len(name) > MAX_NAME or "," in name or "=" in name:
                raise ValueError(f"{kind} class name {name[:MAX_NAME]!r} must be 1 to {MAX_NAME} characters "
                                 "without ',' or '='")
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"{kind} classes named more than once: {', '.join(repeated)}")
        entries = []
        for index, (name, definition) in enumerate(zip(names, classes)):
            colour = definition.get("colour") or PALETTE[(index + (3 if kind == "image" else 0)) % len(PALETTE)]
            if not COLOUR.match(colour):
                raise ValueError(f"class {name!r}: colour {colour[:20]!r} is not '#rrggbb'")
            key = definition.get("key") or ""
            if len(key) > 1:
                raise ValueError(f"class {name!r}: key {key[:20]!r} must be one character")
            if key:
                keys.append(key)
            entries.append({"name": name, "colour": colour.lower(), "key": key})
        if entries:
            checked[kind] = entries
    repeated_keys = sorted({k for k in keys if keys.count(k) > 1})
    if repeated_keys:
        raise ValueError(f"keys given to more than one class: {', '.join(repeated_keys)}")
    if checked.get("image") and schema.get("multi_label"):
        checked["multi_label"] = True
    return checked


def class_names(schema: Schema, kind: str) -> list[str]:
    return [c["name"] for c in schema.get(kind, [])]


def check_label_classes(schema: Schema, objects: Mapping[int, str], image: Iterable[str],
                        mask: np.ndarray | None) -> Classes:
    """The stored form of a label's classes; ``ValueError`` naming unknown
    class names, object ids not in ``mask`` and several image classes where
    the schema allows one."""
    objects = {int(k): str(v) for k, v in objects.items()}
    image = list(dict.fromkeys(image))
    if not objects and not image:
        return {}
    problems = []
    unknown = sorted({n for n in objects.values() if n not in class_names(schema, "object")})
    if unknown:
        problems.append(f"unknown object class(es) {', '.join(map(repr, unknown))} "
                        f"(the project's: {', '.join(class_names(schema, 'object')) or 'none'})")
    unknown = sorted(n for n in image if n not in class_names(schema, "image"))
    if unknown:
        problems.append(f"unknown image class(es) {', '.join(map(repr, unknown))} "
                        f"(the project's: {', '.join(class_names(schema, 'image')) or 'none'})")
    if mask is not None and objects:
        present = set(np.unique(mask).tolist()) - {0}
        missing = sorted(set(objects) - present)
        if missing:
            problems.append(f"object id(s) {', '.join(map(str, missing[:20]))} are not in the mask")
    if len(image) > 1 and not schema.get("multi_label"):
        problems.append(f"{len(image)} image classes, but the project's image classes are single-label")
    if problems:
        raise ValueError("; ".join(problems) + "; set the classes with `labelassist classes PROJECT`")
    stored: Classes = {}
    if objects:
        stored["objects"] = {str(k): v for k, v in sorted(objects.items())}
    if image:
        stored["image"] = image
    return stored


def names_in(classes: Classes) -> set[tuple[str, str]]:
    """(kind, name) of every class a label's classes use."""
    return {("object", n) for n in classes.get("objects", {}).values()} | {("image", n)
                                                                          for n in classes.get("image", [])}


def check_change(old: Schema, new: Schema, in_use: set[tuple[str, str]], migrate: Mapping[str, str]) -> None:
    """Refuse a schema that drops classes stored labels use unless
    ``migrate`` maps each to a class of the new schema (``ConflictError``
    naming them), and a mapping to a class the new schema lacks."""
    for old_name, new_name in migrate.items():
        kinds = [kind for kind in KINDS if new_name in class_names(new, kind)]
        if not kinds:
            raise ValueError(f"--migrate {old_name}={new_name}: {new_name!r} is not a class of the new schema")
    dropped = sorted(name for kind, name in in_use
                     if name not in class_names(new, kind) and migrate.get(name) not in class_names(new, kind))
    if dropped:
        raise ConflictError(f"class(es) {', '.join(map(repr, dropped))} are used by stored labels and not in the "
                            "new schema; map each to a new class with --migrate OLD=NEW")


def migrated(classes: Classes, migrate: Mapping[str, str]) -> Classes:
    """A label's classes with the names ``migrate`` renames."""
    result: Classes = {}
    if classes.get("objects"):
        result["objects"] = {k: migrate.get(v, v) for k, v in classes["objects"].items()}
    if classes.get("image"):
        result["image"] = list(dict.fromkeys(migrate.get(n, n) for n in classes["image"]))
    return result


def schema_to_proto(schema: Schema, pb):
    def definitions(kind):
        return [pb.ClassDefinition(name=c["name"], colour=c["colour"], key=c["key"]) for c in schema.get(kind, [])]
    return pb.ClassSchema(object_classes=definitions("object"), image_classes=definitions("image"),
                          image_multi_label=bool(schema.get("multi_label")))


def classes_to_proto(classes: Classes, pb):
    return pb.LabelClasses(objects={int(k): v for k, v in classes.get("objects", {}).items()},
                           image=classes.get("image", []))
