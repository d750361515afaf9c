"""A project's assist settings as the selector keeps them: the
pre-processing, pre-label method and post-processing its clients use.
Stored as JSON: {"preprocess": [[name, {parameter: value}], ...],
"method": [name, {...}] or null, "postprocess": [...]}; {} when unset."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from labelassist.proto.wire.values import call_from_proto, call_to_proto
from labelassist.runtime.registry import Registry

Settings = dict[str, Any]
STEP_FAMILIES = (("preprocess", "preprocess"), ("postprocess", "postprocess"))
# Every project's settings travel in each ListProjects answer: one project's
# are at most a call's steps (assist runs at most 16 in one call) and 16 KiB.
MAX_STORED_STEPS = 16
MAX_SETTINGS_BYTES = 16 << 10
# A settings message is refused by its size before any step is decoded. Its
# wire form can be a few times shorter than the JSON kept (a parameter of
# 0 takes 16 bytes on the wire, 8 in JSON), so the bound leaves room above
# MAX_SETTINGS_BYTES for every message whose stored form fits.
MAX_SETTINGS_MESSAGE_BYTES = 4 * MAX_SETTINGS_BYTES


def check_stored_size(stored: Settings, what: str) -> Settings:
    """``stored`` unless its JSON form exceeds :data:`MAX_SETTINGS_BYTES`
    (a ``ValueError`` naming ``what`` and the size)."""
    size = len(json.dumps(stored))
    if size > MAX_SETTINGS_BYTES:
        raise ValueError(f"the {what} settings take {size} bytes; at most {MAX_SETTINGS_BYTES}")
    return stored


def check_message_size(message, what: str, steps: tuple[str, ...] = ()) -> None:
    """Refuse settings by the length of each repeated field in ``steps`` (at
    most :data:`MAX_STORED_STEPS`) and their size on the wire (at most
    :data:`MAX_SETTINGS_MESSAGE_BYTES`) before any step is decoded: a
    ``ValueError`` naming the limit, in milliseconds whatever was sent."""
    for field in steps:
        count = len(getattr(message, field))
        if count > MAX_STORED_STEPS:
            raise ValueError(f"{count} {field} steps; at most {MAX_STORED_STEPS}, as assist runs in one call")
    size = message.ByteSize()
    if size > MAX_SETTINGS_MESSAGE_BYTES:
        raise ValueError(f"the {what} settings take {size} bytes as sent; at most {MAX_SETTINGS_MESSAGE_BYTES}")


def assist_from_proto(message) -> Settings:
    """The stored form of an ``AssistSettings`` message ({} when empty),
    refused first by its counts and size (:func:`check_message_size`)."""
    check_message_size(message, "assist", ("preprocess", "postprocess"))
    preprocess = [list(call_from_proto(call)) for call in message.preprocess]
    postprocess = [list(call_from_proto(call)) for call in message.postprocess]
    method = list(call_from_proto(message.method)) if message.method.name else None
    if not (preprocess or postprocess or method):
        return {}
    return {"preprocess": preprocess, "method": method, "postprocess": postprocess}


def assist_to_proto(stored: Settings, message_type):
    message = message_type(preprocess=[call_to_proto(n, p) for n, p in stored.get("preprocess", [])],
                           postprocess=[call_to_proto(n, p) for n, p in stored.get("postprocess", [])])
    if stored.get("method"):
        message.method.CopyFrom(call_to_proto(*stored["method"]))
    return message


def check_assist(stored: Settings, catalogue: Callable[[], Registry | None]) -> Settings:
    """The settings with each value converted to its parameter's type;
    ``ValueError`` naming an unknown operation, one of the wrong family (a
    threshold among the pre-processing steps) or a bad parameter. Without a
    catalogue (no assist address) they are kept as sent, bounded all the
    same: at most :data:`MAX_SETTINGS_BYTES` in all (the step counts are
    checked on the message, :func:`check_message_size`)."""
    check_stored_size(stored, "assist")
    if not stored or (registry := catalogue()) is None:
        return stored

    def converted(name: str, parameters: dict, family: str) -> list:
        bound = registry.get(name, family).bind(parameters)
        return [name, {key: bound[key] for key in parameters}]

    checked: Settings = {family: [converted(n, p, family) for n, p in stored.get(key, [])]
                         for key, family in STEP_FAMILIES}
    method = stored.get("method")
    checked["method"] = converted(method[0], method[1], "prelabel") if method else None
    return checked
