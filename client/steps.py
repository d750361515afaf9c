"""How the SDK takes a step of a pipeline or a strategy: "name",
("name", {parameters}) or the contract's NamedCall."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from labelassist.proto.v1 import common_pb2, selector_pb2
from labelassist.proto.wire.values import call_to_proto

StepLike = str | tuple[str, Mapping[str, Any]] | common_pb2.NamedCall


def inspection_settings(criteria: Iterable[StepLike] = (), disabled: Iterable[str] = (), min_confidence: float = 0.0
                        ) -> selector_pb2.InspectionSettings:
    return selector_pb2.InspectionSettings(criteria=[as_call(c) for c in criteria], disabled=list(disabled),
                                           min_confidence=min_confidence)


def assist_settings(preprocess: Iterable[StepLike] = (), method: StepLike | None = None,
                    postprocess: Iterable[StepLike] = ()) -> selector_pb2.AssistSettings:
    settings = selector_pb2.AssistSettings(preprocess=[as_call(s) for s in preprocess],
                                           postprocess=[as_call(s) for s in postprocess])
    if method is not None:
        settings.method.CopyFrom(as_call(method))
    return settings


def as_call(step: StepLike) -> common_pb2.NamedCall:
    if isinstance(step, common_pb2.NamedCall):
        return step
    if isinstance(step, str):
        return call_to_proto(step)
    name, parameters = step
    return call_to_proto(name, parameters)
