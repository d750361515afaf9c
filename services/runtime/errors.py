"""Errors the cores raise, and how each maps to a gRPC status code.

The cores raise plain Python exceptions (``ValueError`` for bad input, as
scikit-image does); the server interceptor turns them into a status with the
message intact, so a client never sees a stack trace.
"""

from __future__ import annotations

import errno
from collections.abc import Callable

import grpc

from labelassist.proto.wire.codec import TooLargeError  # noqa: F401 - raised by the codec, mapped here


class NotFoundError(LookupError):
    """An unknown sample, project, operation or job."""


class PermissionDeniedError(PermissionError):
    """An authenticated caller without the right to do this."""


class ConflictError(RuntimeError):
    """A request that contradicts the current state (a lease held by another)."""


class AlreadyExistsError(ConflictError):
    """The name asked for is taken (a project created or renamed to an existing name)."""


class UnavailableError(RuntimeError):
    """A backend this call needs (Triton, the database) cannot be reached
    right now, or the service is too busy to take the call: retry."""


class QuotaError(RuntimeError):
    """The caller holds more of a shared resource than one caller may."""


class CancelledError(RuntimeError):
    """The client went away (cancelled, or its deadline passed): the work stops."""


# Order matters: the first matching class wins, so subclasses come first.
STATUS_BY_EXCEPTION: tuple[tuple[type[BaseException], grpc.StatusCode], ...] = (
    (TooLargeError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (NotFoundError, grpc.StatusCode.NOT_FOUND),
    (PermissionDeniedError, grpc.StatusCode.PERMISSION_DENIED),
    (AlreadyExistsError, grpc.StatusCode.ALREADY_EXISTS),
    (PermissionError, grpc.StatusCode.PERMISSION_DENIED),  # a path outside its roots, a file the server may not read
    (ConflictError, grpc.StatusCode.FAILED_PRECONDITION),
    (UnavailableError, grpc.StatusCode.UNAVAILABLE),
    (QuotaError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (CancelledError, grpc.StatusCode.CANCELLED),
    (ValueError, grpc.StatusCode.INVALID_ARGUMENT),
    (TypeError, grpc.StatusCode.INVALID_ARGUMENT),
    (MemoryError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (NotImplementedError, grpc.StatusCode.UNIMPLEMENTED),
)


# Operating-system errors that are the input's or the machine's state, not a bug.
STATUS_BY_ERRNO = {
    errno.ENOSPC: (grpc.StatusCode.RESOURCE_EXHAUSTED, "the server's disk is full; free space and retry"),
    errno.EDQUOT: (grpc.StatusCode.RESOURCE_EXHAUSTED, "the server's disk quota is used up; free space and retry"),
    errno.ENAMETOOLONG: (grpc.StatusCode.INVALID_ARGUMENT, "a path or name is too long for the file system"),
}

# Errors of a service's own backends (its database driver), added by the
# service: exception type -> (code, function that words the message).
BACKEND_ERRORS: list[tuple[type[BaseException], grpc.StatusCode, Callable[[BaseException], str]]] = []


def register_backend_error(exception_type: type[BaseException], code: grpc.StatusCode,
                           describe_error: Callable[[BaseException], str]) -> None:
    """Map a backend library's exception (which the runtime cannot import) to a status."""
    BACKEND_ERRORS.append((exception_type, code, describe_error))


def status_for(error: BaseException) -> grpc.StatusCode | None:
    """The status code for an expected error, or None for a bug."""
    for exception_type, code in STATUS_BY_EXCEPTION:
        if isinstance(error, exception_type):
            return code
    for exception_type, code, _ in BACKEND_ERRORS:
        if isinstance(error, exception_type):
            return code
    if isinstance(error, OSError) and error.errno in STATUS_BY_ERRNO:
        return STATUS_BY_ERRNO[error.errno][0]
    return None


def describe(error: BaseException) -> str:
    """A one-line message for the client; KeyError's repr quoting is dropped."""
    for exception_type, _, describe_error in BACKEND_ERRORS:
        if isinstance(error, exception_type):
            return describe_error(error)
    if isinstance(error, OSError) and error.errno in STATUS_BY_ERRNO:
        return STATUS_BY_ERRNO[error.errno][1]
    if isinstance(error, KeyError) and error.args:
        return str(error.args[0])
    return str(error) or type(error).__name__
