"""Malformed input across every RPC: each answered with a clear status code
and a message, never a stack trace, and every service healthy afterwards."""

import zlib

import grpc
import numpy as np
import pytest

from labelassist.proto.v1 import (assist_pb2, assist_pb2_grpc, common_pb2, inspect_pb2, inspect_pb2_grpc,
                                  selector_pb2, selector_pb2_grpc)
from labelassist.proto.wire.channel import open_channel
from labelassist.proto.wire.codec import encode_array
from labelassist.proto.wire.values import call_to_proto

INVALID, MISSING, DENIED, TOO_BIG, PRECONDITION = (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
                                                   grpc.StatusCode.PERMISSION_DENIED,
                                                   grpc.StatusCode.RESOURCE_EXHAUSTED,
                                                   grpc.StatusCode.FAILED_PRECONDITION)
IMAGE = np.arange(256, dtype=np.uint16).reshape(16, 16)


def chunks(name, array, compression=common_pb2.COMPRESSION_NONE):
    return list(encode_array(name, array, compression))


def header(name, dtype=common_pb2.DTYPE_UINT8, shape=(4, 4), compression=0, data=b""):
    return common_pb2.ArrayChunk(name=name, header=common_pb2.ArrayHeader(dtype=dtype, shape=shape,
                                                                          compression=compression), data=data)


def stream(request_type, params, array_chunks, params_field="params"):
    parts = [] if params is None else [request_type(**{params_field: params})]
    return parts + [request_type(array=c) for c in array_chunks]


def pre(params=None, arrays=None):
    params = params if params is not None else assist_pb2.PreprocessParams()
    return ("assist", "Preprocess", stream(assist_pb2.PreprocessRequest, params,
                                           chunks("image", IMAGE) if arrays is None else arrays))


def step(name, **parameters):
    return call_to_proto(name, parameters)


def label(params=None, arrays=None):
    params = params if params is not None else assist_pb2.PrelabelParams(method=step("otsu"))
    return ("assist", "Prelabel", stream(assist_pb2.PrelabelRequest, params,
                                         chunks("image", IMAGE) if arrays is None else arrays))


def refine(arrays):
    return ("assist", "Refine", stream(assist_pb2.RefineRequest, assist_pb2.RefineParams(method=step("watershed")),
                                       arrays))


def post(arrays, pipeline=("fill_holes",)):
    return ("assist", "Postprocess", stream(assist_pb2.PostprocessRequest,
                                            assist_pb2.PostprocessParams(pipeline=[step(p) for p in pipeline]), arrays))


def inspect(arrays, criteria=()):
    return ("inspect", "Inspect", stream(inspect_pb2.InspectRequest, inspect_pb2.InspectParams(
        criteria=[step(c, **p) for c, p in criteria], only_listed=bool(criteria)), arrays))


def submit(sample_id, arrays, origin=selector_pb2.LABEL_ORIGIN_MANUAL):
    return ("selector", "SubmitLabel", stream(selector_pb2.SubmitLabelRequest, selector_pb2.SubmitLabelParams(
        sample_id=sample_id, annotator="ann", origin=origin), arrays))


MASK = (IMAGE > 100).astype(np.uint8)
CASES = {
    # assist: streams and arrays
    "no image": (pre(arrays=[]), INVALID, "missing array 'image'"),
    "params twice": (("assist", "Preprocess", [assist_pb2.PreprocessRequest(params=assist_pb2.PreprocessParams())] * 2
                      + [assist_pb2.PreprocessRequest(array=c) for c in chunks("image", IMAGE)]), INVALID, "sent twice"),
    "empty stream message": (("assist", "Preprocess", [assist_pb2.PreprocessRequest()]), INVALID, "empty stream message"),
    "chunk without a name": (pre(arrays=[header("")]), INVALID, "without a name"),
    "data before header": (pre(arrays=[common_pb2.ArrayChunk(name="image", data=b"1234")]), INVALID, "before its header"),
    "array sent twice": (pre(arrays=chunks("image", IMAGE) * 2), INVALID, "sent twice"),
    "unexpected array": (pre(arrays=chunks("image", IMAGE) + chunks("extra", IMAGE)), INVALID, "unexpected array 'extra'"),
    "unknown dtype": (pre(arrays=[header("image", dtype=99, data=bytes(16))]), INVALID, "unknown dtype 99"),
    "unspecified dtype": (pre(arrays=[header("image", dtype=0, data=bytes(16))]), INVALID, "unknown dtype 0"),
    "unknown compression": (pre(arrays=[header("image", compression=7, data=bytes(16))]), INVALID,
                            "unknown compression 7"),
    "truncated": (pre(arrays=[header("image", data=bytes(10))]), INVALID, "truncated"),
    "too many bytes": (pre(arrays=[header("image", data=bytes(20))]), INVALID, "more bytes than shape"),
    "corrupt zlib": (pre(arrays=[header("image", compression=common_pb2.COMPRESSION_ZLIB, data=b"not zlib")]),
                     INVALID, "array 'image': compressed chunk is corrupt"),
    "corrupt zstd": (pre(arrays=[header("image", compression=common_pb2.COMPRESSION_ZSTD, data=b"not zstd")]),
                     INVALID, "array 'image': compressed chunk is corrupt"),
    "zlib bomb": (pre(arrays=[header("image", compression=common_pb2.COMPRESSION_ZLIB,
                                     data=zlib.compress(bytes(1 << 20)))]), INVALID, "larger than the array"),
    "array over the limit": (pre(arrays=[header("image", dtype=common_pb2.DTYPE_FLOAT64, shape=(1 << 20, 1 << 20))]),
                             TOO_BIG, "exceeds the limit"),
    "negative-looking huge shape": (pre(arrays=[header("image", shape=(2**63, 2))]), TOO_BIG, "exceeds the limit"),
    "message over 4 MiB": (pre(arrays=[header("image", shape=(5 << 20,), data=bytes(5 << 20))]), TOO_BIG, None),
    # assist: images and parameters
    "1-D image": (pre(arrays=chunks("image", np.ones(10, np.uint8))), INVALID, "must be 2D"),
    "4-D image": (pre(arrays=chunks("image", np.ones((2, 2, 2, 2), np.uint8))), INVALID, "must be 2D"),
    "empty image": (pre(arrays=chunks("image", np.zeros((0, 5), np.uint8))), INVALID, "is empty"),
    "NaN image": (pre(arrays=chunks("image", np.full((4, 4), np.nan))), INVALID, "NaN or Inf"),
    "bool image": (pre(arrays=chunks("image", np.ones((4, 4), bool))), INVALID, "dtype bool"),
    "unknown operation": (pre(assist_pb2.PreprocessParams(pipeline=[step("sharpen")])), INVALID,
                          "unknown preprocess operation 'sharpen'"),
    "operation of another family": (pre(assist_pb2.PreprocessParams(pipeline=[step("otsu")])), INVALID,
                                    "unknown preprocess operation 'otsu'"),
    "text for a number": (pre(assist_pb2.PreprocessParams(pipeline=[step("gaussian", sigma="wide")])), INVALID,
                          "must be a number"),
    "NaN parameter": (pre(assist_pb2.PreprocessParams(pipeline=[step("gaussian", sigma=float("nan"))])), INVALID,
                      "must be finite"),
    "parameter out of range": (pre(assist_pb2.PreprocessParams(pipeline=[step("median", radius=99)])), INVALID,
                               "above the maximum"),
    "unknown parameter": (pre(assist_pb2.PreprocessParams(pipeline=[step("gaussian", radius=2)])), INVALID,
                          "unknown parameter(s) radius"),
    "empty parameter value": (pre(assist_pb2.PreprocessParams(pipeline=[common_pb2.NamedCall(
        name="gaussian", parameters={"sigma": common_pb2.ParameterValue()})])), INVALID, "parameter value is empty"),
    "even block size": (label(assist_pb2.PrelabelParams(method=step("local", block_size=50))), INVALID,
                        "must be odd"),
    "multichannel threshold": (label(arrays=chunks("image", np.ones((8, 8, 3), np.uint8))), INVALID,
                               "works on one channel, the image has 3 channels"),
    "unknown sample reference": (label(assist_pb2.PrelabelParams(method=step("otsu"), sample_id=999999), arrays=[]),
                                 MISSING, "no sample 999999"),
    "refine without scribbles": (refine(chunks("image", IMAGE)), INVALID, "missing array 'scribbles'"),
    "scribbles of another shape": (refine(chunks("image", IMAGE) + chunks("scribbles", np.ones((4, 4), np.uint8))),
                                   INVALID, "does not match"),
    "scribble value 5": (refine(chunks("image", IMAGE) + chunks("scribbles", np.full((16, 16), 5, np.uint8))),
                         INVALID, "found [5]"),
    "no foreground scribble": (refine(chunks("image", IMAGE) + chunks("scribbles", np.zeros((16, 16), np.uint8))),
                               INVALID, "no foreground"),
    "float mask": (post(chunks("mask", np.ones((4, 4), np.float32))), INVALID, "dtype float32"),
    "negative labels": (post(chunks("mask", np.full((4, 4), -2, np.int32))), INVALID, "negative labels"),
    "mask and image differ": (post(chunks("mask", MASK) + chunks("image", np.ones((8, 8), np.uint8))), INVALID,
                              "does not match"),
    "unknown family": (("assist", "ListOperations", assist_pb2.ListOperationsRequest(family="paint")), INVALID,
                       "unknown operation family"),
    "train with neither path nor project": (("assist", "Train", assist_pb2.TrainRequest()), INVALID,
                                            "exactly one of"),
    "train outside the roots": (("assist", "Train", assist_pb2.TrainRequest(dataset_path="/etc")), DENIED,
                                "outside the dataset roots"),
    "train with a bad tile": (("assist", "Train", assist_pb2.TrainRequest(dataset_path="/nope", tile=100)), DENIED,
                              None),
    "unknown training job": (("assist", "TrainStatus", assist_pb2.TrainStatusRequest(job_id="nope")), MISSING,
                             "no training job"),
    # inspect
    "inspect without a mask": (inspect([]), INVALID, "missing array 'mask'"),
    "inspect a 3-D mask": (inspect(chunks("mask", np.ones((2, 4, 4), np.uint8))), INVALID, "2D label image"),
    "inspect with a mismatched image": (inspect(chunks("mask", MASK) + chunks("image", np.ones((4, 4), np.uint8))),
                                        INVALID, "shape mismatch"),
    "inspect with a mismatched prelabel": (inspect(chunks("mask", MASK) + chunks("prelabel", np.ones((4, 4), np.uint8))),
                                           INVALID, "shape mismatch"),
    "unknown criterion": (inspect(chunks("mask", MASK), [("roundness", {})]), INVALID, "unknown criterion"),
    "bad severity": (inspect(chunks("mask", MASK), [("holes", {"severity": "fatal"})]), INVALID,
                     "must be one of info, warning, error"),
    "batch starting with an array": (("inspect", "InspectBatch", [inspect_pb2.InspectBatchRequest(
        array=c) for c in chunks("mask", MASK)]), INVALID, "must start with 'params'"),
    # selector
    "project without a name": (("selector", "CreateProject", selector_pb2.CreateProjectRequest()), INVALID,
                               "1 to 200 characters"),
    "project with an unknown strategy": (("selector", "CreateProject", selector_pb2.CreateProjectRequest(
        name="x", strategy="oracle")), INVALID, "unknown strategy 'oracle'"),
    "negative lease": (("selector", "CreateProject", selector_pb2.CreateProjectRequest(
        name="neg", lease_seconds=-1)), INVALID, "must be positive"),
    "next in an unknown project": (("selector", "NextSample", selector_pb2.NextSampleRequest(
        project="nope", annotator="a")), MISSING, "no project 'nope'"),
    "unknown sample": (("selector", "GetSample", selector_pb2.GetSampleRequest(sample_id=424242)), MISSING,
                       "no sample 424242"),
    "history of an unknown sample": (("selector", "LabelHistory", selector_pb2.LabelHistoryRequest(sample_id=424242)),
                                     MISSING, "no sample 424242"),
    "submit to an unknown sample": (submit(424242, chunks("mask", MASK)), MISSING, "no sample 424242"),
    "submit without a mask": (submit(1, []), INVALID, "missing array 'mask'"),
    "submit as imported": (submit(1, chunks("mask", MASK), selector_pb2.LABEL_ORIGIN_IMPORTED), INVALID,
                           "'origin' must be"),
    "register outside the roots": (("selector", "RegisterDataset", selector_pb2.RegisterDatasetRequest(
        project="malformed", path="/etc")), DENIED, "outside the dataset roots"),
    "register a traversal": (("selector", "RegisterDataset", selector_pb2.RegisterDatasetRequest(
        project="malformed", path="datasets/../../..")), DENIED, "outside the dataset roots"),
    "export in an unknown format": (("selector", "ExportLabels", selector_pb2.ExportLabelsRequest(
        project="malformed", path="", format="jpg")), INVALID, None),
    "sample without a stem": (("selector", "AddSample", stream(selector_pb2.AddSampleRequest, selector_pb2.AddSampleParams(
        project="malformed"), chunks("image", IMAGE))), INVALID, "'stem' must be set"),
    "progress of an unknown project": (("selector", "Progress", selector_pb2.ProgressRequest(project="nope")),
                                       MISSING, "no project 'nope'"),
}

STUBS = {"assist": assist_pb2_grpc.AssistServiceStub, "inspect": inspect_pb2_grpc.InspectServiceStub,
         "selector": selector_pb2_grpc.SelectorServiceStub}


@pytest.fixture(scope="module")
def prepared(client):
    if "malformed" not in {p.name for p in client.list_projects()}:
        client.create_project("malformed")
        client.add_sample("malformed", "one", IMAGE)
    return client


def test_there_are_at_least_fifty_cases():
    assert len(CASES) >= 50


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_input_gets_a_clear_status(stack, prepared, case):
    (service, method, request), code, message = CASES[case]
    if case == "submit without a mask" or case == "submit as imported":
        sample_id = prepared.list_samples("malformed")[0].sample_id
        request = submit(sample_id, [] if case == "submit without a mask" else chunks("mask", MASK),
                         selector_pb2.LABEL_ORIGIN_MANUAL if case == "submit without a mask"
                         else selector_pb2.LABEL_ORIGIN_IMPORTED)[2]
    with open_channel(getattr(stack.addresses, service)) as channel:
        call = getattr(STUBS[service](channel), method)
        with pytest.raises(grpc.RpcError) as caught:
            response = call(iter(request) if isinstance(request, list) else request, timeout=30)
            if hasattr(response, "__iter__") and not hasattr(response, "ListFields"):
                list(response)
    assert caught.value.code() == code, caught.value.details()
    details = caught.value.details() or ""
    assert details and "Traceback" not in details
    if message:
        assert message in details


def test_every_service_is_healthy_after_the_malformed_suite(client):
    assert set(client.health().values()) == {"SERVING"}
