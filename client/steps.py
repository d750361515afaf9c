"""How the SDK takes a step of a pipeline or a strategy: "name",
("name", {parameters}) or the contract's NamedCall."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from labelassist.client.inputs import names
from labelassist.proto.v1 import common_pb2, selector_pb2
from labelassist.proto.wire.values import call_to_proto

StepLike = str | tuple[str, Mapping[str, Any]] | common_pb2.NamedCall


def inspection_settings(criteria: Iterable[StepLike] = (), disabled: Iterable[str] = (), min_confidence: float = 0.0
                        ) -> selector_pb2.InspectionSettings:
    return selector_pb2.InspectionSettings(criteria=as_calls(criteria), disabled=names(disabled, "disabled criteria"),
                                           min_confidence=min_confidence)


def assist_settings(preprocess: Iterable[StepLike] = (), method: StepLike | None = None,
                    postprocess: Iterable[StepLike] = ()) -> selector_pb2.AssistSettings:
    settings = selector_pb2.AssistSettings(preprocess=as_calls(preprocess), postprocess=as_calls(postprocess))
    if method is not None:
        settings.method.CopyFrom(as_call(method))
    return settings


STEP_FORMS = "a step is 'name', ('name', {parameters}) or a NamedCall"


def _is_step(value) -> bool:
    return isinstance(value, (str, common_pb2.NamedCall)) or (
        isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], Mapping))


def as_call(step: StepLike) -> common_pb2.NamedCall:
    """A step for the contract; a TypeError saying the accepted forms for anything else."""
    if isinstance(step, common_pb2.NamedCall):
        return step
    if isinstance(step, str):
        return call_to_proto(step)
    if not _is_step(step):
        raise TypeError(f"{STEP_FORMS}; got {type(step).__name__} {step!r}")
    name, parameters = step
    return call_to_proto(name, parameters)


def as_calls(steps: StepLike | Iterable[StepLike]) -> list[common_pb2.NamedCall]:
    """A pipeline or a list of criteria: steps in order; one step alone
    (``"fragments"``, ``("gaussian", {"sigma": 2})``) is a list of one."""
    if _is_step(steps):
        return [as_call(steps)]
    try:
        items = list(steps)
    except TypeError:
        raise TypeError(f"expected steps in a list ({STEP_FORMS}); got {type(steps).__name__} {steps!r}") from None
    return [as_call(step) for step in items]
