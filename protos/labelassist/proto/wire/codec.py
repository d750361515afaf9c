"""numpy arrays <-> ``ArrayChunk`` streams.

An array travels as consecutive chunks of at most ``MAX_CHUNK_BYTES`` so that
no message comes near gRPC's 4 MiB default, whatever the image size. Each
chunk is compressed on its own, so the receiver decodes into one preallocated
buffer as data arrives and holds the array only once.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import zstandard

from labelassist.proto.v1 import common_pb2


class TooLargeError(ValueError):
    """An input over a configured size limit (the services answer RESOURCE_EXHAUSTED)."""

MAX_CHUNK_BYTES = 1 << 20
# Compressed chunks can grow by a few bytes on incompressible data; slicing
# the raw bytes this much smaller keeps every encoded chunk within the limit.
_COMPRESSED_SLICE_BYTES = MAX_CHUNK_BYTES - (16 << 10)
DEFAULT_MAX_ARRAY_BYTES = 4 << 30

DTYPE_BY_ENUM: dict[int, np.dtype] = {
    common_pb2.DTYPE_BOOL: np.dtype(np.bool_),
    common_pb2.DTYPE_UINT8: np.dtype("<u1"),
    common_pb2.DTYPE_UINT16: np.dtype("<u2"),
    common_pb2.DTYPE_UINT32: np.dtype("<u4"),
    common_pb2.DTYPE_UINT64: np.dtype("<u8"),
    common_pb2.DTYPE_INT8: np.dtype("<i1"),
    common_pb2.DTYPE_INT16: np.dtype("<i2"),
    common_pb2.DTYPE_INT32: np.dtype("<i4"),
    common_pb2.DTYPE_INT64: np.dtype("<i8"),
    common_pb2.DTYPE_FLOAT32: np.dtype("<f4"),
    common_pb2.DTYPE_FLOAT64: np.dtype("<f8"),
}
ENUM_BY_KIND: dict[str, int] = {dt.str[1:]: code for code, dt in DTYPE_BY_ENUM.items()}


class _Codec:
    """Per-chunk compression; zstd contexts are not thread-safe, so one per use."""

    def __init__(self, compression: int):
        self.compression = compression
        if compression == common_pb2.COMPRESSION_ZSTD:
            self._zstd_c = zstandard.ZstdCompressor(level=3)
            self._zstd_d = zstandard.ZstdDecompressor()

    def encode(self, raw: memoryview) -> bytes:
        if self.compression == common_pb2.COMPRESSION_ZLIB:
            return zlib.compress(raw, 1)
        if self.compression == common_pb2.COMPRESSION_ZSTD:
            return self._zstd_c.compress(raw)
        return bytes(raw)

    def decode(self, data: bytes, max_output: int) -> bytes:
        """Decompress one chunk, never to more than ``max_output + 1`` bytes
        (so a compression bomb costs at most that); corrupt data is a ValueError."""
        try:
            if self.compression == common_pb2.COMPRESSION_ZLIB:
                inflater = zlib.decompressobj()
                raw = inflater.decompress(data, max_output + 1)
                if not inflater.eof:
                    raise ValueError("compressed chunk is corrupt or larger than the array")
                return raw
            if self.compression == common_pb2.COMPRESSION_ZSTD:
                # decompress() trusts the frame's declared size and would
                # allocate all of it; a reader stops where we say.
                with self._zstd_d.stream_reader(data) as reader:
                    parts, size = [], 0
                    while size <= max_output and (part := reader.read(max_output + 1 - size)):
                        parts.append(part)
                        size += len(part)
                return b"".join(parts)
        except (zlib.error, zstandard.ZstdError) as error:
            raise ValueError(f"compressed chunk is corrupt ({error})") from None
        return data


def dtype_to_enum(dtype: np.dtype) -> int:
    dtype = np.dtype(dtype)
    key = "b1" if dtype == np.bool_ else dtype.newbyteorder("<").str[1:]
    try:
        return ENUM_BY_KIND[key]
    except KeyError:
        supported = ", ".join(sorted(str(d) for d in DTYPE_BY_ENUM.values()))
        raise TypeError(f"unsupported array dtype {dtype}; supported: {supported}") from None


def array_header(array: np.ndarray, compression: int, axes: str = "") -> common_pb2.ArrayHeader:
    return common_pb2.ArrayHeader(dtype=dtype_to_enum(array.dtype), shape=array.shape,
                                  compression=compression, axes=axes)


def chunk_payloads(array: np.ndarray, compression: int = common_pb2.COMPRESSION_NONE) -> Iterator[bytes]:
    """The encoded data of each chunk, at most ``MAX_CHUNK_BYTES`` each."""
    little_endian = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    raw = memoryview(little_endian.reshape(-1).view(np.uint8))
    codec = _Codec(compression)
    step = MAX_CHUNK_BYTES if compression == common_pb2.COMPRESSION_NONE else _COMPRESSED_SLICE_BYTES
    for start in range(0, max(len(raw), 1), step):
        yield codec.encode(raw[start : start + step])


def encode_array(
    name: str,
    array: np.ndarray,
    compression: int = common_pb2.COMPRESSION_NONE,
) -> Iterator[common_pb2.ArrayChunk]:
    """Yield the chunks of ``array``; the first carries the header."""
    array = np.asarray(array)
    header = array_header(array, compression)
    for index, data in enumerate(chunk_payloads(array, compression)):
        chunk = common_pb2.ArrayChunk(name=name, data=data)
        if index == 0:
            chunk.header.CopyFrom(header)
        yield chunk


@dataclass
class _PartialArray:
    name: str
    buffer: np.ndarray
    codec: _Codec
    received: int = 0

    @property
    def expected(self) -> int:
        return self.buffer.nbytes


@dataclass
class ArrayAssembler:
    """Rebuilds named arrays from their chunks, validating as they arrive.

    Raises ``ValueError`` naming the array for a missing header, an unknown
    dtype, a bad shape, too many bytes, or (in :meth:`finish`) too few;
    ``TooLargeError`` past ``max_array_bytes`` for one array or for all
    arrays of the call together, so several arrays just under the limit
    cannot add up to many times it.
    """

    max_array_bytes: int = DEFAULT_MAX_ARRAY_BYTES
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    axes: dict[str, str] = field(default_factory=dict)  # as the sender named them; absent when not
    _current: _PartialArray | None = None
    _allocated: int = 0

    def add(self, chunk: common_pb2.ArrayChunk) -> None:
        if len(chunk.data) > MAX_CHUNK_BYTES:
            raise TooLargeError(
                f"array '{chunk.name}': chunk of {len(chunk.data)} bytes exceeds {MAX_CHUNK_BYTES}"
            )
        if chunk.HasField("header"):
            self._close_current()
            self._current = self._start(chunk.name, chunk.header)
        elif self._current is None or self._current.name != chunk.name:
            raise ValueError(f"array '{chunk.name}': data arrived before its header")
        self._append(self._current, chunk.data)

    def finish(self) -> dict[str, np.ndarray]:
        self._close_current()
        return self.arrays

    def _start(self, name: str, header: common_pb2.ArrayHeader) -> _PartialArray:
        if not name:
            raise ValueError("array chunk without a name")
        if name in self.arrays:
            raise ValueError(f"array '{name}' sent twice")
        if header.dtype not in DTYPE_BY_ENUM:
            raise ValueError(f"array '{name}': unknown dtype {header.dtype}")
        if header.compression not in common_pb2.Compression.values():
            raise ValueError(f"array '{name}': unknown compression {header.compression}")
        dtype = DTYPE_BY_ENUM[header.dtype]
        shape = tuple(int(n) for n in header.shape)
        nbytes = dtype.itemsize
        for extent in shape:
            nbytes *= extent
            if nbytes > self.max_array_bytes:
                raise TooLargeError(
                    f"array '{name}' of shape {shape} and dtype {dtype} exceeds the "
                    f"limit of {self.max_array_bytes} bytes"
                )
        if self._allocated + nbytes > self.max_array_bytes:
            raise TooLargeError(
                f"array '{name}' brings this call's arrays to {self._allocated + nbytes} bytes, over the "
                f"limit of {self.max_array_bytes} bytes for one call; send fewer or smaller arrays"
            )
        self._allocated += nbytes
        if header.axes:
            self.axes[name] = header.axes
        buffer = np.empty(shape, dtype=dtype)
        return _PartialArray(name=name, buffer=buffer, codec=_Codec(header.compression))

    def _append(self, partial: _PartialArray, data: bytes) -> None:
        remaining = partial.expected - partial.received
        try:
            # No honest chunk decodes to more than MAX_CHUNK_BYTES: a bomb stops there.
            raw = partial.codec.decode(data, min(remaining, MAX_CHUNK_BYTES)) if data else b""
        except ValueError as error:
            raise ValueError(f"array '{partial.name}': {error}") from None
        if len(raw) > MAX_CHUNK_BYTES:
            raise TooLargeError(
                f"array '{partial.name}': a compressed chunk expands beyond {MAX_CHUNK_BYTES} bytes; "
                f"compress each chunk of at most {MAX_CHUNK_BYTES} raw bytes on its own"
            )
        if len(raw) > remaining:
            raise ValueError(
                f"array '{partial.name}': more bytes than shape {partial.buffer.shape} "
                f"x {partial.buffer.dtype} allows ({partial.expected})"
            )
        flat = partial.buffer.reshape(-1).view(np.uint8)
        flat[partial.received : partial.received + len(raw)] = np.frombuffer(raw, np.uint8)
        partial.received += len(raw)

    def _close_current(self) -> None:
        partial, self._current = self._current, None
        if partial is None:
            return
        if partial.received != partial.expected:
            raise ValueError(
                f"array '{partial.name}' is truncated: received {partial.received} of "
                f"{partial.expected} bytes for shape {partial.buffer.shape} x {partial.buffer.dtype}"
            )
        self.arrays[partial.name] = partial.buffer


def decode_arrays(chunks, max_array_bytes: int = DEFAULT_MAX_ARRAY_BYTES) -> dict[str, np.ndarray]:
    assembler = ArrayAssembler(max_array_bytes=max_array_bytes)
    for chunk in chunks:
        assembler.add(chunk)
    return assembler.finish()
