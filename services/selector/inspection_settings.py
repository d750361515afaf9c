"""A project's inspection settings as the selector keeps them: parameters
for named criteria and the criteria that do not apply.

The criteria belong to the inspect service. The selector checks settings
against inspect's own catalogue (its ``ListCriteria`` answer, fetched once
over gRPC with ``--inspect-address``), so a typo is refused when it is set;
without that address it keeps the settings as sent and inspect checks them
when it applies them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labelassist.proto.wire.values import call_from_proto, call_to_proto
from labelassist.runtime.registry import Registry
from labelassist.selector.assist_settings import check_message_size, check_stored_size

# Stored as JSON: {"criteria": [[name, {parameter: value}], ...], "disabled": [name, ...], "min_confidence": x}
Settings = dict[str, Any]


def settings_from_proto(message) -> Settings:
    """The stored form of an ``InspectionSettings`` message ({} when empty),
    refused first by its size (:func:`check_message_size`)."""
    check_message_size(message, "inspection")
    criteria = [list(call_from_proto(call)) for call in message.criteria]
    disabled = list(message.disabled)
    if not (criteria or disabled or message.min_confidence):
        return {}
    stored = {"criteria": criteria, "disabled": disabled}
    if message.min_confidence:
        stored["min_confidence"] = message.min_confidence
    return stored


def settings_to_proto(stored: Settings, message_type):
    return message_type(criteria=[call_to_proto(name, parameters) for name, parameters in stored.get("criteria", [])],
                        disabled=list(stored.get("disabled", [])), min_confidence=stored.get("min_confidence", 0.0))


def check_settings(stored: Settings, catalogue: Callable[[], Registry | None]) -> Settings:
    """The settings with each value converted to its parameter's type;
    ``ValueError`` naming a criterion listed twice, an unknown criterion or
    a bad parameter. ``catalogue()`` is asked only for settings that name
    criteria; where it gives None only the structure is checked."""
    check_stored_size(stored, "inspection")
    names = [name for name, _ in stored.get("criteria", [])]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"criteria listed more than once: {', '.join(repeated)}")
    if not 0.0 <= stored.get("min_confidence", 0.0) <= 1.0:
        raise ValueError(f"'min_confidence' is {stored['min_confidence']}; it must lie between 0 and 1")
    names_criteria = stored.get("criteria") or stored.get("disabled")
    if not names_criteria or (catalogue := catalogue()) is None:
        return stored
    for name in stored.get("disabled", []):
        catalogue.get(name)
    converted = []
    for name, parameters in stored.get("criteria", []):
        bound = catalogue.get(name).bind(parameters)
        converted.append([name, {key: bound[key] for key in parameters}])
    return {**stored, "criteria": converted, "disabled": list(dict.fromkeys(stored.get("disabled", [])))}
