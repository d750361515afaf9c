"""The shared runtime as every service gets it: reflection, health, auth, TLS."""


import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses
from labelassist.proto.v1 import assist_pb2, assist_pb2_grpc
from labelassist.proto.wire.channel import open_channel

SERVICE_OF = {"selector": "labelassist.v1.SelectorService", "assist": "labelassist.v1.AssistService",
              "inspect": "labelassist.v1.InspectService"}


def test_reflection_lists_each_of_the_three_services(stack):
    for name, address in stack.addresses.as_dict().items():
        with open_channel(address) as channel:
            services = set(ProtoReflectionDescriptorDatabase(channel).get_services())
        assert SERVICE_OF[name] in services
        assert "grpc.health.v1.Health" in services


def test_reflection_describes_the_array_chunk_message(stack):
    with open_channel(stack.addresses.assist) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        proto = database.FindFileContainingSymbol("labelassist.v1.ArrayChunk")
    assert proto.name == "labelassist/proto/v1/common.proto"


def test_health_reports_each_service_by_name(stack):
    for name, address in stack.addresses.as_dict().items():
        with open_channel(address) as channel:
            status = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=SERVICE_OF[name]), timeout=5).status
        assert status == health_pb2.HealthCheckResponse.SERVING


def list_operations(address, token=None, tls_root=None):
    with open_channel(address, token=token, tls_root=tls_root) as channel:
        return assist_pb2_grpc.AssistServiceStub(channel).ListOperations(
            assist_pb2.ListOperationsRequest(), timeout=10)


@pytest.fixture
def authed_assist(module_service):
    """The module's assist that asks every caller for its token (the tests only make calls)."""
    return module_service("assist", "--token", "s3cret-token")


def test_call_without_token_is_unauthenticated(authed_assist):
    with pytest.raises(grpc.RpcError) as caught:
        list_operations(authed_assist.address)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "bearer token" in caught.value.details()


def test_call_with_wrong_token_is_unauthenticated(authed_assist):
    with pytest.raises(grpc.RpcError) as caught:
        list_operations(authed_assist.address, token="s3cret-tokem")
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_call_with_right_token_succeeds(authed_assist):
    assert len(list_operations(authed_assist.address, token="s3cret-token").operations) > 20


def test_streaming_call_with_wrong_token_is_unauthenticated(authed_assist):
    sdk = LabelAssistClient(ServiceAddresses(assist=authed_assist.address), token="wrong", retries=0)
    with pytest.raises(grpc.RpcError) as caught:
        sdk.preprocess(np.ones((8, 8), np.uint8))
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_health_answers_without_a_token(authed_assist):
    with open_channel(authed_assist.address) as channel:
        status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5).status
    assert status == health_pb2.HealthCheckResponse.SERVING


def test_tls_service_serves_a_client_that_trusts_its_certificate(start_service, certificate):
    cert, key = certificate
    service = start_service("assist", "--tls-cert", str(cert), "--tls-key", str(key))
    assert len(list_operations(service.address, tls_root=cert).operations) > 20


def test_tls_service_refuses_plaintext(start_service, certificate):
    cert, key = certificate
    service = start_service("assist", "--tls-cert", str(cert), "--tls-key", str(key))
    with pytest.raises(grpc.RpcError) as caught:
        list_operations(service.address)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


def test_sigterm_stops_a_service_cleanly(start_service):
    service = start_service("inspect")
    assert service.stop() == 0
    assert not service.ready_file.exists()


def test_reflection_answers_v1_clients_too(stack):
    from grpc_reflection.v1alpha import reflection_pb2

    with grpc.insecure_channel(stack.addresses.assist) as channel:
        call = channel.stream_stream("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                                     request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
                                     response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
        [answer] = list(call(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10))
    names = {service.name for service in answer.list_services_response.service}
    assert {"labelassist.v1.AssistService", "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection"} <= names
