"""Parameter values and named calls (``name:k=v,...``) to and from the
contract's ``ParameterValue`` and ``NamedCall``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labelassist.proto.v1 import common_pb2


def value_to_proto(value: Any) -> common_pb2.ParameterValue:
    if isinstance(value, bool):
        return common_pb2.ParameterValue(flag=value)
    if isinstance(value, int):
        return common_pb2.ParameterValue(integer=value)
    if isinstance(value, float):
        return common_pb2.ParameterValue(number=value)
    if value is None:
        return common_pb2.ParameterValue()
    return common_pb2.ParameterValue(text=str(value))


def value_from_proto(value: common_pb2.ParameterValue) -> Any:
    kind = value.WhichOneof("kind")
    if kind is None:
        raise ValueError("parameter value is empty")
    return getattr(value, kind)


def call_from_proto(call: common_pb2.NamedCall) -> tuple[str, dict[str, Any]]:
    return call.name, {k: value_from_proto(v) for k, v in call.parameters.items()}


def call_to_proto(name: str, parameters: Mapping[str, Any] | None = None) -> common_pb2.NamedCall:
    return common_pb2.NamedCall(
        name=name, parameters={k: value_to_proto(v) for k, v in (parameters or {}).items()})


def call_text(call: common_pb2.NamedCall) -> str:
    """A NamedCall as typed, ``name:key=value,…``: what :func:`parse_call` reads."""
    values = ",".join(f"{k}={value_from_proto(v)}" for k, v in sorted(call.parameters.items()))
    return call.name + (f":{values}" if values else "")


def parse_call(text: str) -> tuple[str, dict[str, str]]:
    """``gaussian:sigma=2,truncate=3`` -> ("gaussian", {"sigma": "2", ...}),
    as typed on a command line or in the client; the server converts and
    checks the values against the entry's parameters."""
    name, _, rest = text.partition(":")
    parameters = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"bad parameter {item!r} in {text!r}; expected key=value")
        parameters[key.strip()] = value.strip()
    if not name.strip():
        raise ValueError(f"no name in {text!r}")
    return name.strip(), parameters
