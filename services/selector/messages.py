"""Conversions between the selector's messages and its store's values:
a sample's origin, a submitted label's origin, the position a page token
continues after."""

from __future__ import annotations

from google.protobuf import json_format

from labelassist.proto.v1 import selector_pb2 as pb
from labelassist.selector.records import DERIVED_ORIGINS
from labelassist.selector.server_agreement import ORIGIN_FROM_PROTO
from labelassist.selector.store import row_id


def origin_json(params: pb.AddSampleParams) -> str | None:
    """The sample's origin as the store keeps it (JSON), or None without one."""
    if not params.HasField("origin"):
        return None
    return json_format.MessageToJson(params.origin, preserving_proto_field_name=True, indent=None)


def origin_message(text: str | None) -> pb.SampleOrigin | None:
    return json_format.Parse(text, pb.SampleOrigin()) if text else None


def submitted_origin(params: pb.SubmitLabelParams) -> str:
    """Where a submitted label came from; imports enter through registration, not SubmitLabel."""
    origin = ORIGIN_FROM_PROTO.get(params.origin or pb.LABEL_ORIGIN_MANUAL)
    if origin is None or origin == "imported" or origin in DERIVED_ORIGINS:
        raise ValueError(f"'origin' must be manual, accepted_prelabel or edited_prelabel; got {params.origin}")
    return origin


def page_position(token: str) -> int:
    """The pool position a page token continues after (-1: the first page)."""
    if not token:
        return -1
    kind, _, value = token.partition(":")
    if kind != "after" or not value.isdigit():
        raise ValueError(f"'page_token' {token[:40]!r} is not one this server gave out; "
                         "pass next_page_token from the previous page, or nothing for the first")
    return row_id(int(value), "page_token")
