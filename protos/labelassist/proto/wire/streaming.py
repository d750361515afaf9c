"""Streams of ``oneof part { <Params|Result> ...; ArrayChunk array; }`` messages.

Every array-carrying RPC uses that one message shape, in both directions, so
these two functions serve every service and the SDK alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from labelassist.proto.v1 import common_pb2
from labelassist.proto.wire.axes import array_axes, as_plane
from labelassist.proto.wire.codec import DEFAULT_MAX_ARRAY_BYTES, ArrayAssembler, array_header, chunk_payloads

ARRAY_FIELD = "array"


@dataclass
class Envelope:
    """The non-array part of a stream (params or result) and its named
    arrays, each as one plane when its sender named its axes."""

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
    admit: Callable[[Any], None] | None = None,
) -> Envelope:
    """Collect a stream into its params/result message and its arrays.

    ``admit(message)`` runs as soon as the message arrives and before any
    array is accepted (role checks, project lookups): a caller who may not
    make the call is turned away before a byte of array data is held. With
    ``admit``, the message must come first.
    """
    reader = _EnvelopeReader(message_field, max_array_bytes, allowed_arrays)
    for part in parts:
        kind = part.WhichOneof("part")
        if kind == message_field:
            if reader.message is not None:
                raise ValueError(f"'{message_field}' sent twice in one stream")
            reader.message = getattr(part, message_field)
            if admit is not None:
                admit(reader.message)
        elif admit is not None and reader.message is None:
            raise ValueError(f"send '{message_field}' first, before any array")
        else:
            reader.add(part)
    return reader.finish(message_type)


class _EnvelopeReader:
    """One envelope's message and arrays, validated part by part."""

    def __init__(self, message_field: str, max_array_bytes: int, allowed_arrays: Iterable[str] | None):
        self.message_field = message_field
        self.allowed = set(allowed_arrays) if allowed_arrays is not None else None
        self.assembler = ArrayAssembler(max_array_bytes=max_array_bytes)
        self.message = None

    def add(self, part: Any) -> None:
        if part.WhichOneof("part") != ARRAY_FIELD:
            raise ValueError("empty stream message: set either "
                             f"'{self.message_field}' or '{ARRAY_FIELD}'")
        chunk = part.array
        if self.allowed is not None and chunk.HasField("header") and chunk.name and chunk.name not in self.allowed:
            raise ValueError(f"unexpected array '{chunk.name}' (expected: {', '.join(sorted(self.allowed))})")
        self.assembler.add(chunk)

    def finish(self, message_type: type) -> Envelope:
        arrays = self.assembler.finish()
        for name, axes in self.assembler.axes.items():
            arrays[name] = as_plane(arrays[name], axes, name)
        return Envelope(message=self.message if self.message is not None else message_type(), arrays=arrays)


def write_stream(
    part_type: type,
    message_field: str,
    message: Any,
    arrays: Mapping[str, np.ndarray],
    compression: int = common_pb2.COMPRESSION_NONE,
) -> Iterator[Any]:
    """Yield the params/result message first, then each array's chunks.
    An array goes with its axes: those of an ``AxisImage``, else "YX" or
    "YXC" by its dimensions (see ``labelassist.proto.wire.axes``)."""
    yield part_type(**{message_field: message})
    for name, value in arrays.items():
        if value is None:
            continue
        array, axes = array_axes(value)
        header = array_header(array, compression, axes)
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
    admit: Callable[[Any], None] | None = None,
) -> Iterator[Envelope]:
    """A stream of several envelopes, each a ``message_field`` part followed by
    its arrays; yields each envelope as soon as the next one starts.

    Chunks are validated and decoded as they arrive, so the stream never
    holds more than one envelope's arrays, and the per-call limit applies to
    each envelope. ``admit(message)`` runs on each message as it arrives,
    before any of its arrays is accepted (as in :func:`read_stream`).
    """
    reader = None
    for part in parts:
        kind = part.WhichOneof("part")
        if kind == message_field:
            if reader is not None:
                yield reader.finish(type(reader.message))
            message = getattr(part, message_field)
            if admit is not None:
                admit(message)
            reader = _EnvelopeReader(message_field, max_array_bytes, allowed_arrays)
            reader.message = message
        elif reader is None:
            raise ValueError(f"each item must start with '{message_field}'")
        else:
            reader.add(part)
    if reader is not None:
        yield reader.finish(type(reader.message))
