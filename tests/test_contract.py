"""The .proto files are the contract; the committed stubs must match them."""

import importlib.util
from pathlib import Path

from labelassist.proto.v1 import assist_pb2, inspect_pb2, selector_pb2

ROOT = Path(__file__).resolve().parents[1]


def load_generator():
    spec = importlib.util.spec_from_file_location("generate", ROOT / "protos" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_stubs_match_the_proto_files():
    assert load_generator().stale_files() == []


def test_every_rpc_has_its_own_typed_messages():
    for module in (assist_pb2, inspect_pb2, selector_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                for message in (method.input_type, method.output_type):
                    assert message.full_name.startswith("labelassist.v1."), method.full_name
                    assert message.name.startswith(method.name), (method.full_name, message.name)


def test_no_string_field_carries_structured_data():
    for module in (assist_pb2, inspect_pb2, selector_pb2):
        for message in module.DESCRIPTOR.message_types_by_name.values():
            for field in message.fields:
                assert "json" not in field.name.lower(), f"{message.name}.{field.name}"


def test_every_proto_compiles_from_the_protos_root_alone(tmp_path):
    """What protoc, buf, grpcurl and @grpc/proto-loader need: imports that
    resolve from ``protos/`` with no mapping."""
    from pathlib import Path

    from grpc_tools import protoc

    root = Path(__file__).resolve().parents[1] / "protos"
    include = Path(protoc.__file__).parent / "_proto"
    sources = sorted(str(p.relative_to(root)) for p in root.rglob("*.proto"))
    assert len(sources) == 4
    assert protoc.main(["protoc", f"-I{root}", f"-I{include}", f"--descriptor_set_out={tmp_path / 'set.pb'}",
                        *sources]) == 0
