"""Arrays on the gateway's HTTP wire: an 8-bit view of the image, raw
little-endian values where a tool needs them, and labels back lossless.

A raw body is the array's bytes in row-major order, little-endian, with its
shape and type in two headers (``X-Array-Shape: 512,512``, ``X-Array-Dtype:
uint16``); answers are zstd- or gzip-compressed as the caller accepts, and
requests may be gzip-compressed (``Content-Encoding``). A browser reads it
straight into a typed array, with no decoder of its own.

An array that travels with a description of any size (a sample and its
class schema, a label's classes) goes as a framed body (``FRAMED_TYPE``):
a 4-byte little-endian length, that many bytes of UTF-8 JSON, then the
array's raw bytes. Headers stay small and bounded, so a reverse proxy's
header buffers (4-8 KB by default in nginx) never limit a label's objects.
"""

from __future__ import annotations

import gzip
import json
import struct
import zlib

import numpy as np

SHAPE_HEADER, DTYPE_HEADER = "x-array-shape", "x-array-dtype"
FRAMED_TYPE = "application/vnd.labelassist.framed"
FRAME_LENGTH = struct.Struct("<I")
LABEL_DTYPES = ("uint8", "uint16", "uint32")
# Bodies below this go as they are: compressing them would save next to nothing.
COMPRESS_MIN_BYTES = 1024
# Pixels looked up at once in an 8-bit view's table: their widened indices stay in the cache.
LOOKUP_PIECE = 1 << 16


class WireError(ValueError):
    """A body that does not hold what its headers say; the message names the problem."""


def display_image(image: np.ndarray, low: float = 0.5, high: float = 99.5) -> np.ndarray:
    """An 8-bit view of ``image``: each channel stretched between its ``low``
    and ``high`` percentiles; one channel grey, two or more as RGB (the
    first three).

    Parameters
    ----------
    image : ndarray
        (H, W) or (H, W, C), any numeric type.
    low, high : float
        Percentiles mapped to 0 and 255.

    Returns
    -------
    ndarray
        (H, W) or (H, W, 3) uint8.
    """
    if image.ndim not in (2, 3):
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {image.shape}")
    planes = [image] if image.ndim == 2 else [image[..., c] for c in range(min(3, image.shape[-1]))]
    # The percentiles of a strided sample: the same contrast, a fraction of the time at 2048².
    step = max(1, int(np.sqrt(image.shape[0] * image.shape[1] / 262144)))
    greys = [stretched(plane, *sample_percentiles(plane[::step, ::step], low, high)) for plane in planes]
    if len(greys) == 1:
        return greys[0]
    if len(greys) == 2:
        greys.append(np.zeros_like(greys[0]))
    return np.stack(greys, axis=-1)


def stretched(plane: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``plane`` mapped to 8 bits, ``lo`` to 0 and ``hi`` to 255."""
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    if plane.dtype in (np.uint8, np.uint16):
        # A table of every value's grey: one lookup per pixel instead of float arithmetic.
        levels = np.arange(1 << (8 * plane.dtype.itemsize), dtype=np.float32)
        table = np.clip((levels - lo) * scale, 0, 255).astype(np.uint8)
        values = np.ascontiguousarray(plane).reshape(-1)
        out = np.empty(values.size, np.uint8)
        # np.take widens its indices to 8 bytes each: a piece at a time, not 32 MB of them for a 2048² image.
        for start in range(0, values.size, LOOKUP_PIECE):
            np.take(table, values[start:start + LOOKUP_PIECE], out=out[start:start + LOOKUP_PIECE])
        return out.reshape(plane.shape)
    return np.clip((plane.astype(np.float32) - lo) * scale, 0, 255).astype(np.uint8)


def sample_percentiles(values: np.ndarray, low: float, high: float) -> tuple[float, float]:
    """``np.percentile(values, [low, high])`` (linear interpolation), from a
    histogram for 8- and 16-bit values: a count per value and a cumulative
    sum instead of a sort, the same numbers."""
    if values.dtype not in (np.uint8, np.uint16) or values.size == 0:
        lo, hi = np.percentile(values, [low, high])
        return float(lo), float(hi)
    cumulative = np.cumsum(np.bincount(values.ravel(), minlength=1 << (8 * values.dtype.itemsize)))
    found = []
    for percent in (low, high):
        rank = percent / 100 * (values.size - 1)
        below, above = np.searchsorted(cumulative, [np.floor(rank), np.ceil(rank)], side="right")
        found.append(float(below) + (rank - np.floor(rank)) * float(above - below))
    return found[0], found[1]


def raw_bytes(array: np.ndarray) -> tuple[bytes, dict[str, str]]:
    """The array's little-endian bytes and the headers that describe them."""
    array = np.ascontiguousarray(array)
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return little.tobytes(), {SHAPE_HEADER: ",".join(map(str, array.shape)),
                              DTYPE_HEADER: array.dtype.name}


def framed(description: dict, array_bytes: bytes) -> bytes:
    """``description`` as JSON ahead of ``array_bytes``, behind the JSON's length (see the module)."""
    text = json.dumps(description, separators=(",", ":"), ensure_ascii=False).encode()
    return FRAME_LENGTH.pack(len(text)) + text + array_bytes


def unframed(body: bytes) -> tuple[dict, bytes]:
    """The JSON object and the array bytes of a framed body.

    Raises
    ------
    WireError
        The body is shorter than its length says, or its JSON is not an object.
    """
    shape = "a framed body is a 4-byte little-endian length, that many bytes of JSON (an object), then the array"
    if len(body) < FRAME_LENGTH.size:
        raise WireError(f"{shape}; this one has {len(body)} bytes")
    (length,) = FRAME_LENGTH.unpack_from(body)
    end = FRAME_LENGTH.size + length
    if end > len(body):
        held = len(body) - FRAME_LENGTH.size
        raise WireError(f"{shape}; its length says {length} bytes of JSON, the body holds {held}")
    try:
        description = json.loads(body[FRAME_LENGTH.size:end].decode())
    except ValueError as error:
        raise WireError(f"{shape}; its JSON does not parse: {error}") from None
    if not isinstance(description, dict):
        raise WireError(f"{shape}; its JSON is a {type(description).__name__}")
    return description, body[end:]


def accepted_encodings(accept_encoding: str) -> set[str]:
    """The content codings an Accept-Encoding header accepts (those not given ``q=0``)."""
    accepted = set()
    for item in (accept_encoding or "").lower().split(","):
        name, _, parameters = item.partition(";")
        if parameters.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            accepted.add(name.strip())
    return accepted


def compressed(body: bytes, accept_encoding: str) -> tuple[bytes, dict[str, str]]:
    """``body`` compressed for the caller when it is worth it: zstd (level 1)
    where the caller accepts it (Chromium, Firefox), a tenth of gzip's time
    or less for fewer bytes, else gzip (level 1)."""
    if len(body) < COMPRESS_MIN_BYTES:
        return body, {}
    accepted = accepted_encodings(accept_encoding)
    if "zstd" in accepted:
        import zstandard

        return zstandard.ZstdCompressor(level=1).compress(body), {"content-encoding": "zstd", "vary": "Accept-Encoding"}
    if "gzip" in accepted:
        return gzip.compress(body, compresslevel=1), {"content-encoding": "gzip", "vary": "Accept-Encoding"}
    return body, {}


def decoded_body(body: bytes, encoding: str, limit: int) -> bytes:
    """The body without its content encoding, never more than ``limit`` bytes
    (a small gzip body can unpack to gigabytes)."""
    encoding = (encoding or "identity").strip().lower()
    if encoding == "identity":
        return body
    if encoding != "gzip":
        raise WireError(f"Content-Encoding {encoding!r} is not accepted; send the body as it is or gzip it")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as error:
        raise WireError(f"the gzip body does not decompress: {error}") from None
    if len(out) > limit:
        raise OverflowError(f"the body unpacks to more than {limit} bytes, the gateway's limit")
    if not inflater.eof:
        raise WireError("the gzip body ends early: send the whole label")
    return out


def label_from_body(body: bytes, shape: str | None, dtype: str | None) -> np.ndarray:
    """A label image from a raw body and its headers.

    Parameters
    ----------
    body : bytes
        The values, little-endian, row-major, without content encoding.
    shape : str
        ``"H,W"`` from the X-Array-Shape header.
    dtype : str
        One of uint8, uint16, uint32 from the X-Array-Dtype header.

    Returns
    -------
    ndarray
        (H, W) label image of that type.
    """
    if dtype not in LABEL_DTYPES:
        raise WireError(f"X-Array-Dtype must be one of {', '.join(LABEL_DTYPES)} (one id per object), got {dtype!r}")
    try:
        dims = tuple(int(n) for n in (shape or "").split(","))
    except ValueError:
        raise WireError(f"X-Array-Shape must be 'height,width', got {shape!r}") from None
    if len(dims) != 2 or min(dims) <= 0:
        raise WireError(f"X-Array-Shape must be 'height,width' with both above 0, got {shape!r}")
    expected = dims[0] * dims[1] * np.dtype(dtype).itemsize
    if len(body) != expected:
        raise WireError(f"a {dims[0]}x{dims[1]} {dtype} label is {expected} bytes; the body has {len(body)}")
    return np.frombuffer(body, np.dtype(dtype).newbyteorder("<")).reshape(dims).astype(dtype)
