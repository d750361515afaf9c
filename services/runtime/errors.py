"""Errors the cores raise, and how each maps to a gRPC status code.

The cores raise plain Python exceptions (``ValueError`` for bad input, as
scikit-image does); the server interceptor turns them into a status with the
message intact, so a client never sees a stack trace.
"""

from __future__ import annotations

import grpc


class NotFoundError(LookupError):
    """An unknown sample, project, operation or job."""


class TooLargeError(ValueError):
    """An input over a configured size limit."""


class PermissionDeniedError(PermissionError):
    """An authenticated caller without the right to do this."""


class ConflictError(RuntimeError):
    """A request that contradicts the current state (a lease held by another)."""


class UnavailableError(RuntimeError):
    """A backend this call needs (Triton) cannot be reached right now."""


# Order matters: the first matching class wins, so subclasses come first.
STATUS_BY_EXCEPTION: tuple[tuple[type[BaseException], grpc.StatusCode], ...] = (
    (TooLargeError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (NotFoundError, grpc.StatusCode.NOT_FOUND),
    (PermissionDeniedError, grpc.StatusCode.PERMISSION_DENIED),
    (ConflictError, grpc.StatusCode.FAILED_PRECONDITION),
    (UnavailableError, grpc.StatusCode.UNAVAILABLE),
    (ValueError, grpc.StatusCode.INVALID_ARGUMENT),
    (TypeError, grpc.StatusCode.INVALID_ARGUMENT),
    (MemoryError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (NotImplementedError, grpc.StatusCode.UNIMPLEMENTED),
)


def status_for(error: BaseException) -> grpc.StatusCode | None:
    """The status code for an expected error, or None for a bug."""
    for exception_type, code in STATUS_BY_EXCEPTION:
        if isinstance(error, exception_type):
            return code
    return None


def describe(error: BaseException) -> str:
    """A one-line message for the client; KeyError's repr quoting is dropped."""
    if isinstance(error, KeyError) and error.args:
        return str(error.args[0])
    return str(error) or type(error).__name__
