"""The assist operation registry and the pipeline that chains its entries."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from labelassist.imaging.checks import check_image, check_mask
from labelassist.runtime.calls import raise_if_cancelled
from labelassist.runtime.errors import TooLargeError
from labelassist.runtime.registry import Parameter, Registry

FAMILIES = ("preprocess", "prelabel", "refine", "postprocess")
OPERATIONS = Registry("operation", families=FAMILIES)
register = OPERATIONS.register

__all__ = ["OPERATIONS", "Parameter", "register", "run_pipeline", "check_image", "check_mask", "check_steps",
           "cost_model"]

# The most steps one call may chain, over all its pipelines.
MAX_STEPS = 16
# The most elementary operations (pixels x neighbourhood) one step may cost:
# tens of seconds on one core. A call over it is refused before any work.
WORK_BUDGET = 2e10
# All steps of one call together: a call of many steps each just under the
# step budget would still hold a worker for minutes.
CALL_WORK_BUDGET = 2 * WORK_BUDGET
# What a step without a cost model costs per pixel (a pass or two over the image).
DEFAULT_WORK_PER_PIXEL = 20
# name -> cost(shape, **parameters) -> (operations, what to reduce), for the
# operations whose cost grows with a parameter, not only with the image.
COSTS: dict[str, Callable[..., tuple[float, str]]] = {}


def cost_model(name: str):
    """Declare what an operation costs, so an over-budget call is refused up front."""
    def decorate(cost):
        COSTS[name] = cost
        return cost
    return decorate


def check_steps(shape: tuple[int, ...], bound: Sequence[tuple[Any, Mapping[str, Any]]]) -> None:
    """TooLargeError for a call with too many steps or a step over the work budget."""
    if len(bound) > MAX_STEPS:
        raise TooLargeError(f"{len(bound)} steps in one call; at most {MAX_STEPS}: split the work into "
                            "several calls")
    total = 0.0
    for entry, values in bound:
        if entry.name in COSTS:
            work, reduce = COSTS[entry.name](shape, **values)
            if work > WORK_BUDGET:
                raise TooLargeError(f"{entry.name} on an image of {shape[0]}x{shape[1]} would cost {work:.2g} "
                                    f"operations, over the budget of {WORK_BUDGET:.0e} for one step: {reduce}")
        else:
            work = float(np.prod(shape[:2])) * DEFAULT_WORK_PER_PIXEL
        total += work
    if total > CALL_WORK_BUDGET:
        raise TooLargeError(f"{len(bound)} steps on an image of {shape[0]}x{shape[1]} would cost {total:.2g} "
                            f"operations together, over the budget of {CALL_WORK_BUDGET:.0e} for one call: "
                            "use fewer or cheaper steps, split them over several calls, or send a smaller image")


def run_pipeline(
    data: np.ndarray,
    steps: Iterable[tuple[str, Mapping[str, Any]]],
    family: str,
    **context: Any,
) -> tuple[np.ndarray, list[str]]:
    """Apply named operations of one family in order.

    All steps are bound (and so validated) before the first one runs, so a
    typo in the last step fails fast instead of after minutes of work.
    ``context`` passes extra arrays (the image, for post-processing) to the
    operations that declare them as keyword arguments.
    """
    bound = []
    for name, values in steps:
        entry = OPERATIONS.get(name, family)
        bound.append((entry, entry.bind(values)))
    check_steps(np.shape(data), bound)
    applied = []
    for entry, kwargs in bound:
        raise_if_cancelled()
        extra = {k: v for k, v in context.items() if k in entry.function.__code__.co_varnames}
        data = entry.function(data, **kwargs, **extra)
        applied.append(entry.name)
    return data, applied
