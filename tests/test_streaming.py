"""Arrays through a real server: size, integrity and rejection of bad streams."""

import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from labelassist.proto.v1 import assist_pb2, assist_pb2_grpc, common_pb2
from labelassist.proto.wire.channel import open_channel
from labelassist.proto.wire.codec import encode_array
from labelassist.proto.wire.streaming import read_stream

pytestmark = pytest.mark.slow


def preprocess_parts(chunks, params=None):
    yield assist_pb2.PreprocessRequest(params=params or assist_pb2.PreprocessParams())
    for chunk in chunks:
        yield assist_pb2.PreprocessRequest(array=chunk)


def call(address, chunks):
    with open_channel(address) as channel:
        responses = assist_pb2_grpc.AssistServiceStub(channel).Preprocess(preprocess_parts(chunks), timeout=120)
        return read_stream(responses, "result", assist_pb2.PreprocessResult)


def assert_serving(address):
    with open_channel(address) as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert response.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize("compression", [common_pb2.COMPRESSION_NONE, common_pb2.COMPRESSION_ZSTD])
def test_8192_square_uint16_image_streams_through_and_back_bit_identical(stack, compression):
    rng = np.random.default_rng(7)
    image = rng.integers(0, 2**16, size=(8192, 8192), dtype=np.uint16)
    received = call(stack.addresses.assist, encode_array("image", image, compression))
    echoed = received.require("image")
    assert echoed.dtype == np.uint16 and echoed.shape == (8192, 8192)
    assert np.array_equal(echoed, image)


def test_truncated_array_is_invalid_argument_and_server_stays_healthy(stack):
    chunks = list(encode_array("image", np.ones((2048, 2048), np.uint16)))
    with pytest.raises(grpc.RpcError) as caught:
        call(stack.addresses.assist, chunks[:-1])
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "array 'image' is truncated" in caught.value.details()
    assert_serving(stack.addresses.assist)


def test_shape_that_does_not_match_the_bytes_is_invalid_argument(stack):
    chunks = list(encode_array("image", np.ones((100, 100), np.uint16)))
    chunks[0].header.shape[:] = [100, 99]
    with pytest.raises(grpc.RpcError) as caught:
        call(stack.addresses.assist, chunks)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "more bytes than shape (100, 99)" in caught.value.details()
    assert_serving(stack.addresses.assist)


def test_array_over_the_limit_is_resource_exhausted(stack):
    header = common_pb2.ArrayHeader(dtype=common_pb2.DTYPE_FLOAT64, shape=[1 << 20, 1 << 20])
    with pytest.raises(grpc.RpcError) as caught:
        call(stack.addresses.assist, [common_pb2.ArrayChunk(name="image", header=header)])
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "array 'image'" in caught.value.details()


def test_missing_array_is_invalid_argument_naming_it(stack):
    with pytest.raises(grpc.RpcError) as caught:
        call(stack.addresses.assist, [])
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == "missing array 'image' (sent: none)"


def test_unexpected_array_name_is_invalid_argument(stack):
    with pytest.raises(grpc.RpcError) as caught:
        call(stack.addresses.assist, encode_array("imgae", np.ones((4, 4), np.uint8)))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "unexpected array 'imgae' (expected: image)" in caught.value.details()


def test_message_over_the_size_limit_is_refused_by_grpc(stack):
    oversized = common_pb2.ArrayChunk(name="image", header=common_pb2.ArrayHeader(
        dtype=common_pb2.DTYPE_UINT8, shape=[5 << 20]), data=bytes(5 << 20))
    with pytest.raises(grpc.RpcError) as caught:
        call(stack.addresses.assist, [oversized])
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert_serving(stack.addresses.assist)
