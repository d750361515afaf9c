"""A project's class schema between its message and the plain form the
selector checks and stores and the label formats write:
{"object": [{"name", "colour", "key"}, ...], "image": [...], "multi_label": True},
with empty kinds and a false ``multi_label`` left out ({} without classes)."""

from __future__ import annotations


def schema_from_proto(message) -> dict:
    """A ``ClassSchema`` message in the plain form."""
    schema: dict = {}
    for kind, items in (("object", message.object_classes), ("image", message.image_classes)):
        if items:
            schema[kind] = [{"name": c.name, "colour": c.colour, "key": c.key} for c in items]
    if message.image_multi_label:
        schema["multi_label"] = True
    return schema
