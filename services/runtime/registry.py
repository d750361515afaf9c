"""Registries of named, parameterised functions.

Assist operations, selection strategies and inspection criteria are each one
registry: the API's List* calls, the CLI and the benchmarks all list and build
them from here, and adding one is a function plus its decorator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from labelassist.proto.v1 import common_pb2
from labelassist.proto.wire.values import value_from_proto, value_to_proto

_PROTO_TYPE = {
    int: common_pb2.PARAMETER_TYPE_INTEGER,
    float: common_pb2.PARAMETER_TYPE_NUMBER,
    bool: common_pb2.PARAMETER_TYPE_FLAG,
    str: common_pb2.PARAMETER_TYPE_TEXT,
}


_TYPE_BY_PROTO = {common_pb2.PARAMETER_TYPE_INTEGER: int, common_pb2.PARAMETER_TYPE_NUMBER: float,
                  common_pb2.PARAMETER_TYPE_FLAG: bool, common_pb2.PARAMETER_TYPE_TEXT: str,
                  common_pb2.PARAMETER_TYPE_CHOICE: str}


@dataclass(frozen=True)
class Parameter:
    name: str
    type: type
    default: Any
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    def coerce(self, value: Any, owner: str) -> Any:
        """Check one value against its type and bounds; ValueError names both."""
        where = f"{owner}: parameter '{self.name}'"
        if self.type is bool:
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
                value = value.lower() in ("true", "1", "yes")
            if not isinstance(value, bool):
                raise ValueError(f"{where} must be true or false, got {value!r}")
        elif self.type is int:
            if isinstance(value, str):
                try:
                    value = int(value)
                except ValueError:
                    raise ValueError(f"{where} must be an integer, got {value!r}") from None
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{where} must be an integer, got {value!r}")
        elif self.type is float:
            if isinstance(value, str):
                try:
                    value = float(value)
                except ValueError:
                    raise ValueError(f"{where} must be a number, got {value!r}") from None
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{where} must be a number, got {value!r}")
            value = float(value)
            if not math.isfinite(value):
                raise ValueError(f"{where} must be finite, got {value}")
        else:
            if not isinstance(value, str):
                raise ValueError(f"{where} must be text, got {value!r}")
            if self.choices and value not in self.choices:
                raise ValueError(f"{where} must be one of {', '.join(self.choices)}; got {value!r}")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"{where} = {value} is below the minimum {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"{where} = {value} is above the maximum {self.maximum}")
        return value

    @classmethod
    def from_proto(cls, spec: common_pb2.ParameterSpec) -> Parameter:
        """The parameter another service described in a ``List*`` answer."""
        kind = _TYPE_BY_PROTO.get(spec.type, str)
        default = value_from_proto(spec.default_value) if spec.default_value.WhichOneof("kind") else None
        return cls(spec.name, kind, default, spec.description,
                   spec.minimum if spec.HasField("minimum") else None,
                   spec.maximum if spec.HasField("maximum") else None, tuple(spec.choices))

    def to_proto(self) -> common_pb2.ParameterSpec:
        spec = common_pb2.ParameterSpec(
            name=self.name,
            type=common_pb2.PARAMETER_TYPE_CHOICE if self.choices else _PROTO_TYPE[self.type],
            description=self.description,
            default_value=value_to_proto(self.default),
            choices=self.choices,
        )
        if self.minimum is not None:
            spec.minimum = self.minimum
        if self.maximum is not None:
            spec.maximum = self.maximum
        return spec


@dataclass(frozen=True)
class Entry:
    name: str
    family: str
    function: Callable[..., Any]
    parameters: tuple[Parameter, ...]
    description: str
    # What the function needs beyond its parameters (a strategy's "scores",
    # "embeddings", ...), so callers load only that.
    needs: frozenset[str] = frozenset()

    def bind(self, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults overlaid with ``values``, each checked; unknown names rejected."""
        known = {p.name: p for p in self.parameters}
        values = dict(values or {})
        unknown = sorted(set(values) - set(known))
        if unknown:
            allowed = ", ".join(known) or "none"
            raise ValueError(f"{self.name}: unknown parameter(s) {', '.join(unknown)} (allowed: {allowed})")
        return {name: p.coerce(values[name], self.name) if name in values else p.default
                for name, p in known.items()}

    def to_proto(self) -> common_pb2.NamedSpec:
        return common_pb2.NamedSpec(
            name=self.name, family=self.family, description=self.description,
            parameters=[p.to_proto() for p in self.parameters])


@dataclass
class Registry:
    """Name -> entry; ``kind`` words the error for an unknown name."""

    kind: str
    families: tuple[str, ...] = ()
    _entries: dict[str, Entry] = field(default_factory=dict)

    def register(self, name: str, family: str, parameters: Iterable[Parameter] = (),
                 description: str | None = None, needs: Iterable[str] = ()) -> Callable:
        if self.families and family not in self.families:
            raise ValueError(f"unknown {self.kind} family {family!r}")

        def decorate(function):
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            doc = description or (function.__doc__ or "").strip().split("\n\n")[0]
            self._entries[name] = Entry(name, family, function, tuple(parameters),
                                        " ".join(doc.split()), frozenset(needs))
            return function

        return decorate

    @classmethod
    def from_specs(cls, kind: str, specs) -> Registry:
        """A registry of another service's entries from its ``List*`` answer:
        names and parameters to check values against, no functions."""
        registry = cls(kind)
        for spec in specs:
            registry._entries[spec.name] = Entry(spec.name, spec.family, None,
                                                 tuple(Parameter.from_proto(p) for p in spec.parameters),
                                                 spec.description)
        return registry

    def get(self, name: str, family: str | None = None) -> Entry:
        entry = self._entries.get(name)
        if entry is None or (family is not None and entry.family != family):
            choices = ", ".join(e.name for e in self.entries(family))
            where = f" {family}" if family else ""
            raise ValueError(f"unknown{where} {self.kind} {name!r} (known: {choices})")
        return entry

    def entries(self, family: str | None = None) -> list[Entry]:
        if family and self.families and family not in self.families:
            raise ValueError(f"unknown {self.kind} family {family!r} "
                             f"(known: {', '.join(self.families)})")
        return [e for e in self._entries.values() if not family or e.family == family]

    def __contains__(self, name: str) -> bool:
        return name in self._entries
