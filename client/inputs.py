"""What the SDK's public methods take, checked before anything is sent: a
wrong kind of value is a ``TypeError`` or ``ValueError`` that names the
argument and what it accepts, never a protobuf or gRPC internal (an error
inside a request stream would reach the caller as ``UNKNOWN``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from labelassist.proto.v1 import selector_pb2

# Array kinds the contract carries: bool, signed and unsigned integers, floats.
NUMERIC_KINDS = "biuf"


def enum_value(enum, value: str | int, prefix: str, what: str) -> int:
    """A contract enum's number from its documented name (``"manual"``, any
    case), its full name (``"LABEL_ORIGIN_MANUAL"``) or its number.

    Raises
    ------
    ValueError
        Naming ``what`` and the accepted names.
    """
    names = [name.removeprefix(prefix).lower() for name in enum.keys() if not name.endswith("_UNSPECIFIED")]
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and int(value) in enum.values():
        return int(value)
    if isinstance(value, str):
        name = value.strip().upper()
        name = name if name.startswith(prefix) else prefix + name
        if name in enum.keys() and not name.endswith("_UNSPECIFIED"):
            return enum.Value(name)
    raise ValueError(f"{what} {value!r} is not one of {', '.join(names)}")


def choice(value: str, choices: Mapping[str, Any], what: str) -> Any:
    """``choices[value]``, or a ValueError naming ``what`` and the choices."""
    if isinstance(value, str) and value.strip().lower() in choices:
        return choices[value.strip().lower()]
    raise ValueError(f"{what} {value!r} is not one of {', '.join(choices)}")


def names(value, what: str) -> list[str]:
    """A list of names; one name alone counts as a list of one."""
    items = [value] if isinstance(value, str) else list(value)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{what} are names (str), not {type(item).__name__} {item!r}")
    return items


def checked_array(name: str, value):
    """``value`` as an array the contract carries: an ndarray or an
    ``AxisImage`` (left lazy) of numbers; nested lists of numbers become an
    array.

    Raises
    ------
    TypeError
        A path, a string or any other object, naming the argument.
    """
    if value is None:
        return None
    if isinstance(value, (str, bytes, os.PathLike)):
        raise TypeError(f"{name} must be an array of pixels, not the {type(value).__name__} {value!r}: read the "
                        "file first, e.g. labelassist.io.images.read_image(path)")
    given = value
    data = value.data if hasattr(value, "axes") and hasattr(value, "data") else value
    if not hasattr(data, "dtype") or not hasattr(data, "shape"):
        try:
            data = value = np.asarray(value)
        except (TypeError, ValueError):
            data = np.asarray(None)
    if np.dtype(data.dtype).kind not in NUMERIC_KINDS:
        raise TypeError(f"{name} must be an array of numbers (numpy ndarray or AxisImage), not "
                        f"{type(given).__name__}" + (f" of {data.dtype}" if hasattr(given, "dtype") else ""))
    return value


def flag(value, what: str) -> bool:
    """A yes/no argument: a bool, never a string whose truth is its length."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{what} is True or False, not {type(value).__name__} {value!r}")


def checked_arrays(arrays: Mapping[str, Any]) -> dict[str, Any]:
    """Each named array checked by :func:`checked_array`."""
    return {name: checked_array(name, value) for name, value in arrays.items()}


def checked_clicks(clicks) -> list[tuple[float, float, bool]]:
    """Clicks as (row, column, positive); a ValueError showing the form otherwise."""
    found = []
    for number, click in enumerate(clicks, start=1):
        try:
            y, x, positive = click
            found.append((float(y), float(x), bool(positive)))
        except (TypeError, ValueError):
            raise ValueError(f"click {number} is {click!r}; each click is (row, column, positive), "
                             "e.g. (40, 52, True)") from None
    return found


def as_origin(origin: Mapping[str, Any] | None) -> selector_pb2.SampleOrigin | None:
    """A sample's origin for the contract, from a mapping (see ``Region.as_dict``)."""
    if origin is None:
        return None
    known = {f.name for f in selector_pb2.SampleOrigin.DESCRIPTOR.fields}
    return selector_pb2.SampleOrigin(**{k: v for k, v in origin.items() if k in known})
