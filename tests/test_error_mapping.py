"""The shared error mapping, on a server started by the shared bootstrap."""

import errno

import grpc
import pytest

from labelassist.runtime import server as runtime_server
from labelassist.proto.wire.channel import open_channel
from labelassist.runtime.config import ServiceConfig
from labelassist.runtime.errors import NotFoundError

RAISED = {
    "Bug": RuntimeError("secret internal detail"),
    "BadInput": ValueError("parameter 'sigma' must be positive"),
    "Missing": NotFoundError("no sample 'abc' in project 'p'"),
    "KeyMissing": KeyError("no such key"),
    "DiskFull": OSError(errno.ENOSPC, "No space left on device", "/data/blobs/ab/cd.npy"),
    "NameTooLong": OSError(errno.ENAMETOOLONG, "File name too long", "/data/" + "x" * 300),
}


def _register(server: grpc.Server, config: ServiceConfig) -> None:
    def raiser(error):
        def behavior(request, context):
            raise error
        return grpc.unary_unary_rpc_method_handler(behavior)

    def stream_raiser(error):
        def behavior(request, context):
            yield b"first"
            raise error
        return grpc.unary_stream_rpc_method_handler(behavior)

    handlers = {name: raiser(error) for name, error in RAISED.items()}
    handlers["StreamBug"] = stream_raiser(RuntimeError("secret"))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Faulty", handlers),))


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    definition = runtime_server.ServiceDefinition("faulty", "test.Faulty", _register)
    running = runtime_server.start(definition, ServiceConfig(service="faulty", data_dir=tmp_path_factory.mktemp("d")))
    yield running.address
    running.stop(grace=0)


def call(address, method):
    with open_channel(address) as channel:
        return channel.unary_unary(f"/test.Faulty/{method}")(b"", timeout=10)


def test_a_bug_is_internal_with_an_incident_id_and_no_detail(faulty):
    with pytest.raises(grpc.RpcError) as caught:
        call(faulty, "Bug")
    assert caught.value.code() == grpc.StatusCode.INTERNAL
    assert caught.value.details().startswith("internal error (incident ")
    assert "secret" not in caught.value.details() and "Traceback" not in caught.value.details()


def test_a_bug_midway_through_a_stream_is_internal(faulty):
    with open_channel(faulty) as channel:
        responses = channel.unary_stream("/test.Faulty/StreamBug")(b"", timeout=10)
        with pytest.raises(grpc.RpcError) as caught:
            list(responses)
    assert caught.value.code() == grpc.StatusCode.INTERNAL and "secret" not in caught.value.details()


@pytest.mark.parametrize("method, code, message", [
    ("BadInput", grpc.StatusCode.INVALID_ARGUMENT, "parameter 'sigma' must be positive"),
    ("Missing", grpc.StatusCode.NOT_FOUND, "no sample 'abc' in project 'p'"),
    ("KeyMissing", grpc.StatusCode.INTERNAL, None),
    ("DiskFull", grpc.StatusCode.RESOURCE_EXHAUSTED, "the server's disk is full; free space and retry"),
    ("NameTooLong", grpc.StatusCode.INVALID_ARGUMENT, "a path or name is too long for the file system"),
])
def test_expected_errors_keep_their_message(faulty, method, code, message):
    with pytest.raises(grpc.RpcError) as caught:
        call(faulty, method)
    assert caught.value.code() == code
    if message:
        assert caught.value.details() == message
