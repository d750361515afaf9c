"""Calls from one service to the selector on the caller's behalf: assist
fetches sample images, inspect reads a project's inspection settings."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

import grpc

from labelassist.runtime.auth import caller_token
from labelassist.runtime.config import env
from labelassist.runtime.errors import ConflictError, NotFoundError, PermissionDeniedError, UnavailableError

# The selector's answer, raised again as this service's own error: same code, "selector: " before the message.
UPSTREAM_ERRORS = {grpc.StatusCode.NOT_FOUND: NotFoundError, grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
                   grpc.StatusCode.UNAVAILABLE: UnavailableError, grpc.StatusCode.INVALID_ARGUMENT: ValueError,
                   grpc.StatusCode.UNAUTHENTICATED: PermissionDeniedError}


def add_selector_argument(parser: argparse.ArgumentParser, use: str) -> None:
    parser.add_argument("--selector-address", default=env("SELECTOR_ADDRESS"),
                        help=f"the selector: {use} (env LABELASSIST_SELECTOR_ADDRESS)")


class SelectorLink:
    """The selector as seen from ``service``; each call carries the caller's
    own token, so the selector checks the caller's roles, not ours."""

    def __init__(self, address: str | None, service: str):
        self.address, self.service = address, service

    @contextmanager
    def client(self) -> Iterator[object]:
        from labelassist.client.sdk import LabelAssistClient, ServiceAddresses

        if not self.address:
            raise ConflictError(f"{self.service} has no selector to ask: start it with --selector-address "
                                "(`labelassist up` does)")
        with LabelAssistClient(ServiceAddresses(selector=self.address), token=caller_token(), retries=2) as client:
            try:
                yield client
            except grpc.RpcError as error:
                raise UPSTREAM_ERRORS.get(error.code(), RuntimeError)(f"selector: {error.details()}") from None
