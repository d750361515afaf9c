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


def check_stored_size(stored: Settings, what: str) -> Settings:
    """``stored`` unless its JSON form exceeds :data:`MAX_SETTINGS_BYTES`
    (a ``ValueError`` naming ``what`` and the size)."""
    size = len(json.dumps(stored))
    if size > MAX_SETTINGS_BYTES:
        raise ValueError(f"the {what} settings take {size} bytes; at most {MAX_SETTINGS_BYTES}")
    return stored


def assist_from_proto(message) -> Settings:
    """The stored form of an ``AssistSettings`` message ({} when empty)."""
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
    same: at most :data:`MAX_STORED_STEPS` steps of each family and
    :data:`MAX_SETTINGS_BYTES` in all."""
    for key, _ in STEP_FAMILIES:
        if len(stored.get(key, [])) > MAX_STORED_STEPS:
            raise ValueError(f"{len(stored[key])} {key} steps; at most {MAX_STORED_STEPS}, as assist runs in one call")
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
