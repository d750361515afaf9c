"""A project's inspection settings as inspect applies them: parameters for
named criteria and the criteria that do not apply. The selector keeps them
with the project (checked against this service's criteria when it can ask
for them); inspect checks them again when a call names the project."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labelassist.inspect.criteria import CRITERIA
from labelassist.proto.wire.values import call_from_proto


@dataclass(frozen=True)
class InspectionSettings:
    criteria: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    # Warnings and errors less certain than this are reported as info.
    min_confidence: float = 0.0

    def check(self) -> InspectionSettings:
        """The settings with each value converted to its parameter's type;
        ValueError naming an unknown criterion or a bad parameter, so a broken
        setting is refused when it is set, not at every inspection."""
        names = [name for name, _ in self.criteria]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"criteria listed more than once: {', '.join(repeated)}")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"'min_confidence' is {self.min_confidence}; it must lie between 0 and 1")
        for name in self.disabled:
            CRITERIA.get(name)
        converted = []
        for name, parameters in self.criteria:
            bound = CRITERIA.get(name).bind(parameters)
            converted.append((name, {key: bound[key] for key in parameters}))
        return InspectionSettings(converted, list(dict.fromkeys(self.disabled)), float(self.min_confidence))

    @classmethod
    def from_proto(cls, message) -> InspectionSettings:
        return cls([call_from_proto(c) for c in message.criteria], list(message.disabled), message.min_confidence)
