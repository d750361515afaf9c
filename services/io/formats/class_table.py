"""A project's classes as a table: one row per classified object
(``sample,object_id,class``) and one per image class (object id empty),
for spreadsheets and pandas. Written beside an export of a project with
classes; the masks travel in the export itself."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from pathlib import Path

from labelassist.io.formats import write_replacing

HEADER = ("sample", "object_id", "class")
FILE_NAME = "classes.csv"


def class_rows(samples: Iterable[tuple[str, Mapping]]) -> list[tuple[str, str, str]]:
    """Rows of ``(stem, classes)`` pairs, classes as the selector stores them
    ({"objects": {id: name}, "image": [name, ...]}), objects in id order."""
    rows = []
    for stem, classes in samples:
        objects = classes.get("objects", {})
        rows += [(stem, str(object_id), objects[object_id]) for object_id in sorted(objects, key=int)]
        rows += [(stem, "", name) for name in classes.get("image", [])]
    return rows


def write(samples: Iterable[tuple[str, Mapping]], path: Path) -> Path:
    """``path`` (a CSV file with :data:`HEADER`) of the samples' classes."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(class_rows(samples))
    write_replacing(path, lambda target: target.write_text(text.getvalue()))
    return path


def write_beside(samples: Iterable[tuple[str, Mapping]], folder: Path, schema: Mapping | None) -> list[Path]:
    """``folder/classes.csv`` of an export of a project with a class
    ``schema`` (nothing without one): the files written."""
    return [write(samples, folder / FILE_NAME)] if schema else []


def read(path: Path) -> dict[str, dict]:
    """Each sample's classes from such a CSV file (``ValueError`` for another table)."""
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows or tuple(rows[0]) != HEADER:
        raise ValueError(f"{path.name} is not a class table: its first row must be {','.join(HEADER)}")
    found: dict[str, dict] = {}
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != 3:
            raise ValueError(f"{path.name} row {number} has {len(row)} fields, not 3")
        stem, object_id, name = row
        classes = found.setdefault(stem, {})
        if object_id:
            classes.setdefault("objects", {})[str(int(object_id))] = name
        else:
            classes.setdefault("image", []).append(name)
    return found
