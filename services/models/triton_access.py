"""Who may use Triton: a secret shared by the services and the Triton they call.

Triton's model-control calls (``load_model`` with a ``model.py`` in the
request runs the caller's Python) and its inference take no credentials by
default, so anyone who reaches it could run code in it or unload the U-Net.
The local Triton of ``labelassist up`` listens on a Unix socket only this
user can reach (:mod:`labelassist.models.tritonserver`); a Triton on the
network restricts protocols to callers that send a header
(``--grpc-restricted-protocol``, :func:`restricted_protocol_flag`), and
every connection made here sends it.

The secret comes from ``LABELASSIST_TRITON_SECRET_FILE`` (a file holding it)
or ``LABELASSIST_TRITON_SECRET``, set for the services and the trainer where
Triton is deployed (docs/deployment.md).
"""

from __future__ import annotations

import functools
from pathlib import Path

from labelassist.proto.wire.addresses import env
from labelassist.proto.wire.channel import BALANCED_CONFIG, BALANCED_SCHEMES, replica_target

# tritonclient's own limit: a batch of tiles is never refused for its size.
MAX_MESSAGE_BYTES = 2**31 - 1
# The header Triton checks; over gRPC it expects it prefixed, as below.
HEADER_KEY = "labelassist-key"
GRPC_HEADER = f"triton-grpc-protocol-{HEADER_KEY}"
# Everything but health (liveness and readiness carry nothing and let probes and
# `labelassist status` look without the secret).
RESTRICTED_PROTOCOLS = ("inference", "metadata", "model-repository", "model-config", "shared-memory",
                        "statistics", "trace", "logging")


def read_secret(path: Path) -> str:
    return Path(path).read_text().strip()


def secret_from_environment() -> str | None:
    """The secret ``LABELASSIST_TRITON_SECRET_FILE`` or ``LABELASSIST_TRITON_SECRET`` gives, if any."""
    path = env("TRITON_SECRET_FILE")
    if path:
        return read_secret(Path(path))
    return env("TRITON_SECRET") or None


def restricted_protocol_flag(secret: str) -> str:
    """The tritonserver option that admits only callers sending ``secret``
    (for a Triton of one's own: it puts the secret on that server's command line)."""
    return f"--grpc-restricted-protocol={','.join(RESTRICTED_PROTOCOLS)}:{HEADER_KEY}={secret}"


def headers(secret: str | None) -> dict[str, str] | None:
    return {GRPC_HEADER: secret} if secret else None


def is_refusal(error) -> bool:
    """Whether a tritonclient error is Triton refusing a call without the right secret."""
    return "protocol is restricted" in str(error)


class AuthorizedClient:
    """A tritonclient gRPC client whose every call carries the secret header."""

    def __init__(self, client, secret: str | None):
        self._client, self._headers = client, headers(secret)

    def __getattr__(self, name):
        attribute = getattr(self._client, name)
        if self._headers is None or not callable(attribute) or name.startswith("_") or name == "close":
            return attribute
        return functools.partial(attribute, headers=self._headers)


def channel_arguments(url: str) -> list[tuple[str, object]]:
    """gRPC channel options for the Triton(s) at ``url``: messages of any
    size, and calls spread round-robin over the replicas that Triton's own
    health service reports SERVING when ``url`` names several."""
    arguments: list[tuple[str, object]] = [("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                                           ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]
    if replica_target(url).startswith(BALANCED_SCHEMES):
        arguments.append(("grpc.service_config", BALANCED_CONFIG))
    return arguments


def connect(url: str, secret: str | None = None) -> AuthorizedClient:
    """A client of the Triton at ``url`` sending ``secret`` (default: the
    environment's). ``url`` may name several replicas (``host:port,host:port``
    or ``dns:///name:port``): calls then go to each healthy one in turn."""
    import tritonclient.grpc as triton  # tritonclient only where a Triton is used

    return AuthorizedClient(triton.InferenceServerClient(replica_target(url), channel_args=channel_arguments(url)),
                            secret if secret is not None else secret_from_environment())
