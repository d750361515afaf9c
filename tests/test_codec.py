"""In-process array codec: chunking, compression and validation."""

import numpy as np
import pytest

from labelassist.proto.v1 import common_pb2
from labelassist.proto.wire.codec import MAX_CHUNK_BYTES, ArrayAssembler, decode_arrays, encode_array
from labelassist.runtime.errors import TooLargeError

DTYPES = ["bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64", "float32", "float64"]
COMPRESSIONS = [common_pb2.COMPRESSION_NONE, common_pb2.COMPRESSION_ZLIB, common_pb2.COMPRESSION_ZSTD]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_every_dtype_round_trips_bit_identical(dtype, compression, rng):
    array = (rng.random((37, 53, 3)) * 100).astype(dtype)
    decoded = decode_arrays(encode_array("image", array, compression))["image"]
    assert decoded.dtype == array.dtype and decoded.shape == array.shape
    assert np.array_equal(decoded, array)


def test_big_endian_input_arrives_as_the_same_values(rng):
    array = rng.integers(0, 60000, (64, 64)).astype(">u2")
    decoded = decode_arrays(encode_array("image", array))["image"]
    assert np.array_equal(decoded, array)


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_no_chunk_exceeds_one_mebibyte_even_for_incompressible_data(compression, rng):
    array = rng.integers(0, 2**16, (2048, 1500), dtype=np.uint16)
    chunks = list(encode_array("image", array, compression))
    assert len(chunks) >= 5
    assert max(len(c.data) for c in chunks) <= MAX_CHUNK_BYTES
    assert chunks[0].HasField("header") and not any(c.HasField("header") for c in chunks[1:])


def test_empty_and_scalar_arrays_round_trip():
    for array in (np.zeros((0, 5), np.uint8), np.array(3.5)):
        decoded = decode_arrays(encode_array("x", array))["x"]
        assert decoded.shape == array.shape and np.array_equal(decoded, array)


def test_truncated_array_is_rejected_naming_it():
    chunks = list(encode_array("image", np.ones((1024, 1024), np.uint16)))
    with pytest.raises(ValueError, match=r"array 'image' is truncated: received 1048576 of 2097152 bytes"):
        decode_arrays(chunks[:1])


def test_more_bytes_than_the_shape_allows_is_rejected():
    chunk = next(encode_array("mask", np.ones((10, 10), np.uint8)))
    chunk.header.shape[:] = [5, 10]
    with pytest.raises(ValueError, match=r"array 'mask': more bytes than shape \(5, 10\)"):
        decode_arrays([chunk])


def test_data_before_its_header_is_rejected():
    chunks = list(encode_array("image", np.ones((1024, 1024), np.uint16)))
    with pytest.raises(ValueError, match="data arrived before its header"):
        decode_arrays(chunks[1:])


def test_array_over_the_size_limit_is_refused_before_allocation():
    header = common_pb2.ArrayHeader(dtype=common_pb2.DTYPE_FLOAT64, shape=[1 << 20, 1 << 20])
    assembler = ArrayAssembler(max_array_bytes=1 << 30)
    with pytest.raises(TooLargeError, match="exceeds the limit"):
        assembler.add(common_pb2.ArrayChunk(name="image", header=header))


def test_unknown_dtype_is_rejected():
    header = common_pb2.ArrayHeader(dtype=99, shape=[2])
    with pytest.raises(ValueError, match="unknown dtype 99"):
        decode_arrays([common_pb2.ArrayChunk(name="image", header=header, data=b"\0\0")])


def test_unsupported_dtype_cannot_be_encoded():
    with pytest.raises(TypeError, match="unsupported array dtype float16"):
        next(encode_array("image", np.zeros(3, np.float16)))
