"""Streams of ``oneof part { <Params|Result> ...; ArrayChunk array; }`` messages.

Every array-carrying RPC uses that one message shape, in both directions, so
these two functions serve every service and the SDK alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from labelassist.proto.v1 import common_pb2
from labelassist.runtime.codec import DEFAULT_MAX_ARRAY_BYTES, ArrayAssembler, array_header, chunk_payloads

ARRAY_FIELD = "array"


@dataclass
class Envelope:
    """The non-array part of a stream (params or result) and its named arrays."""

    message: Any
    arrays: dict[str, np.ndarray]

    def require(self, name: str) -> np.ndarray:
        try:
            return self.arrays[name]
        except KeyError:
            sent = ", ".join(sorted(self.arrays)) or "none"
            raise ValueError(f"missing array '{name}' (sent: {sent})") from None


def read_stream(
    parts: Iterable[Any],
    message_field: str,
    message_type: type,
    max_array_bytes: int = DEFAULT_MAX_ARRAY_BYTES,
    allowed_arrays: Iterable[str] | None = None,
) -> Envelope:
    """Collect a stream into its params/result message and its arrays."""
    allowed = set(allowed_arrays) if allowed_arrays is not None else None
    assembler = ArrayAssembler(max_array_bytes=max_array_bytes)
    message = None
    for part in parts:
        kind = part.WhichOneof("part")
        if kind == message_field:
            if message is not None:
                raise ValueError(f"'{message_field}' sent twice in one stream")
            message = getattr(part, message_field)
        elif kind == ARRAY_FIELD:
            chunk = part.array
            if allowed is not None and chunk.HasField("header") and chunk.name and chunk.name not in allowed:
                raise ValueError(
                    f"unexpected array '{chunk.name}' (expected: {', '.join(sorted(allowed))})"
                )
            assembler.add(chunk)
        else:
            raise ValueError("empty stream message: set either "
                             f"'{message_field}' or '{ARRAY_FIELD}'")
    return Envelope(message=message if message is not None else message_type(),
                    arrays=assembler.finish())


def write_stream(
    part_type: type,
    message_field: str,
    message: Any,
    arrays: Mapping[str, np.ndarray],
    compression: int = common_pb2.COMPRESSION_NONE,
) -> Iterator[Any]:
    """Yield the params/result message first, then each array's chunks."""
    yield part_type(**{message_field: message})
    for name, array in arrays.items():
        if array is None:
            continue
        array = np.asarray(array)
        header = array_header(array, compression)
        for index, data in enumerate(chunk_payloads(array, compression)):
            # Filled in place: wrapping a finished ArrayChunk would copy its data again.
            part = part_type()
            chunk = getattr(part, ARRAY_FIELD)
            chunk.name = name
            if index == 0:
                chunk.header.CopyFrom(header)
            chunk.data = data
            yield part


def split_stream(
    parts: Iterable[Any],
    message_field: str,
    max_array_bytes: int = DEFAULT_MAX_ARRAY_BYTES,
    allowed_arrays: Iterable[str] | None = None,
) -> Iterator[Envelope]:
    """A stream of several envelopes, each a ``message_field`` part followed by
    its arrays; yields each envelope as soon as the next one starts."""
    current: list[Any] = []
    for part in parts:
        if part.WhichOneof("part") == message_field and current:
            yield read_stream(current, message_field, type(getattr(current[0], message_field)),
                              max_array_bytes, allowed_arrays)
            current = []
        if not current and part.WhichOneof("part") != message_field:
            raise ValueError(f"each item must start with '{message_field}'")
        current.append(part)
    if current:
        yield read_stream(current, message_field, type(getattr(current[0], message_field)),
                          max_array_bytes, allowed_arrays)
