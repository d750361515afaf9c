"""What the gateway does to every request before a route sees it and to
every answer: the security headers, the body bound, the bearer token, and
the services' errors as HTTP statuses with their messages."""

from __future__ import annotations

import grpc
from starlette.requests import Request
from starlette.responses import JSONResponse

from labelassist.client.errors import LabelAssistError

# The browser app loads its own script and style and talks only to this origin;
# images are drawn from blobs it makes itself.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
                           "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; "
                           "frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
# Each gRPC status as the HTTP status a browser or script expects for it.
HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.CANCELLED: 503,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


class BodyTooLarge(Exception):
    """A request body past the gateway's bound."""

    def __init__(self, limit: int):
        super().__init__(f"the request body is larger than {limit} bytes, the gateway's limit "
                         "(LABELASSIST_WEB_MAX_BODY_BYTES)")


class HttpProblem(Exception):
    """A request the gateway refuses itself: an HTTP status and a message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Guard:
    """ASGI middleware: security headers on every answer, and request bodies
    bounded to ``max_body_bytes`` whether or not they declare a length."""

    def __init__(self, app, max_body_bytes: int):
        self.app, self.max_body_bytes = app, max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.decode("latin-1").lower() not in SECURITY_HEADERS]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            response = problem_response(413, str(BodyTooLarge(self.max_body_bytes)), "RESOURCE_EXHAUSTED")
            return await response(scope, receive, send_with_headers)
        received = 0

        async def bounded_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                raise BodyTooLarge(self.max_body_bytes)
            return message

        await self.app(scope, bounded_receive, send_with_headers)


def bearer_token(request: Request) -> str | None:
    """The token of ``Authorization: Bearer …``; None without the header."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HttpProblem(401, "the Authorization header must be 'Bearer <token>'")
    return token.strip()


def problem_response(status: int, message: str, code: str) -> JSONResponse:
    headers = {"www-authenticate": 'Bearer realm="labelassist"'} if status == 401 else None
    return JSONResponse({"error": message, "status": code}, status_code=status, headers=headers)


async def service_error(_request: Request, error: LabelAssistError) -> JSONResponse:
    """A service's refusal, with the service's own message."""
    return problem_response(HTTP_STATUS.get(error.status, 500), error.message, error.status.name)


async def gateway_problem(_request: Request, error: HttpProblem) -> JSONResponse:
    return problem_response(error.status, str(error), "INVALID_ARGUMENT" if error.status == 400 else str(error.status))


async def bad_body(_request: Request, error: ValueError) -> JSONResponse:
    return problem_response(400, str(error), "INVALID_ARGUMENT")


async def too_large(_request: Request, error: Exception) -> JSONResponse:
    return problem_response(413, str(error), "RESOURCE_EXHAUSTED")


EXCEPTION_HANDLERS = {
    LabelAssistError: service_error,
    HttpProblem: gateway_problem,
    BodyTooLarge: too_large,
    OverflowError: too_large,
    ValueError: bad_body,
}
