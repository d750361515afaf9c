"""The SDK's exceptions: one type per family of gRPC status, each carrying
the status code, the server's message, and which service at which address
answered. They are also ``grpc.RpcError`` (``.code()``, ``.details()``) and
the matching built-in exception (``ValueError``, ``LookupError``,
``PermissionError``, ``ConnectionError``, ``TimeoutError``), so callers can
catch what they mean."""

from __future__ import annotations

import grpc


class LabelAssistError(grpc.RpcError):
    """A call the services answered with an error.

    Attributes
    ----------
    status : grpc.StatusCode
        The status code.
    message : str
        The server's message (what went wrong and what to do).
    service, address : str
        Which service was called, and where.
    """

    def __init__(self, status: grpc.StatusCode, message: str, service: str = "", address: str = ""):
        super().__init__(message)
        self.status, self.message, self.service, self.address = status, message, service, address

    def __reduce__(self):
        # Rebuilt from its fields, so an error crosses process boundaries (multiprocessing).
        return type(self), (self.status, self.message, self.service, self.address)

    def code(self) -> grpc.StatusCode:
        return self.status

    def details(self) -> str:
        return self.message

    def __str__(self) -> str:
        where = f"{self.service} at {self.address}: " if self.service else ""
        return f"{where}{self.status.name}: {self.message}"


class InvalidArgumentError(LabelAssistError, ValueError):
    """The request is wrong (INVALID_ARGUMENT, OUT_OF_RANGE): fix it and call again."""


class NotFoundError(LabelAssistError, LookupError):
    """No such project, sample, operation or job (NOT_FOUND)."""


class AlreadyExistsError(LabelAssistError):
    """The thing to create exists already (ALREADY_EXISTS)."""


class PermissionDeniedError(LabelAssistError, PermissionError):
    """The token is missing or invalid, or its identity may not do this
    (UNAUTHENTICATED, PERMISSION_DENIED)."""


class ResourceExhaustedError(LabelAssistError):
    """Over a limit: array size, work budget, streams per caller (RESOURCE_EXHAUSTED)."""


class FailedPreconditionError(LabelAssistError):
    """The state does not allow it now: a lease held by another, no selector (FAILED_PRECONDITION, ABORTED)."""


class ServiceUnavailableError(LabelAssistError, ConnectionError):
    """No service answers at the address, or it is busy or restarting (UNAVAILABLE), after the retries."""


class DeadlineExceededError(LabelAssistError, TimeoutError):
    """The call ran past its deadline (DEADLINE_EXCEEDED); raise the client's ``timeout``."""


class CancelledError(LabelAssistError):
    """The call was cancelled (CANCELLED)."""


class ServerError(LabelAssistError):
    """A bug in the service (INTERNAL, UNKNOWN, DATA_LOSS, UNIMPLEMENTED): the message has an incident id."""


ERROR_BY_STATUS: dict[grpc.StatusCode, type[LabelAssistError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.UNAUTHENTICATED: PermissionDeniedError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.ABORTED: FailedPreconditionError,
    grpc.StatusCode.UNAVAILABLE: ServiceUnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
    grpc.StatusCode.CANCELLED: CancelledError,
}


def error_from_rpc(error: grpc.RpcError, service: str = "", address: str = "", hint: str = "") -> LabelAssistError:
    """The SDK exception for a failed gRPC call; ``hint`` is added to the message."""
    if isinstance(error, LabelAssistError):
        return error
    status = error.code() if callable(getattr(error, "code", None)) else grpc.StatusCode.UNKNOWN
    message = (error.details() if callable(getattr(error, "details", None)) else None) or str(error)
    return ERROR_BY_STATUS.get(status, ServerError)(status, message + hint, service, address)
