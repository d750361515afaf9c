"""The shapes of a call over the contract's stubs: one message each way,
arrays streamed up, down or both, each with a deadline and retried while
the service is UNAVAILABLE.

The SDK's transport (:mod:`labelassist.client.transport`) and the links
between services (:mod:`labelassist.runtime.links`) both make their calls
through :class:`CallShapes`, so a request stream, a deadline or a retry
reads the same whoever calls; each adds only how it names a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from labelassist.proto.v1 import common_pb2
from labelassist.proto.wire.channel import call_with_retries
from labelassist.proto.wire.streaming import Envelope, read_stream, write_stream


class CallShapes:
    """Deadlines, retries, compression and metadata for the calls made on
    one or more stubs.

    Parameters
    ----------
    timeout : float
        Seconds each call may take; a call may ask for another.
    retries, backoff : int, float
        Tries after the first while the service is UNAVAILABLE, and the
        first wait between them in seconds (it doubles, jittered).
    compression : int
        ``common_pb2.Compression`` of the arrays sent up.
    metadata : sequence of (key, value)
        Sent with every call (a batch priority, say).
    """

    def __init__(self, timeout: float = 120.0, retries: int = 2, backoff: float = 0.2,
                 compression: int = common_pb2.COMPRESSION_NONE, metadata: Sequence[tuple[str, str]] = ()):
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.compression = compression
        self.metadata = tuple(metadata)

    def retried(self, call: Callable[[], Any], method=None) -> Any:
        """``call()`` retried while its service is UNAVAILABLE (``method``
        names the stub method, for a subclass that names the service in an error)."""
        return call_with_retries(call, self.retries, self.backoff)

    def checked(self, arrays: Mapping[str, np.ndarray | None]) -> dict[str, np.ndarray]:
        """The arrays to send: those that are not None."""
        return {name: array for name, array in arrays.items() if array is not None}

    def _options(self, timeout: float | None) -> dict:
        return {"timeout": self.timeout if timeout is None else timeout, "metadata": self.metadata or None}

    def unary(self, method, request, timeout: float | None = None):
        """One message up, one down."""
        return self.retried(lambda: method(request, **self._options(timeout)), method)

    def upload(self, method, request_type, params, arrays: Mapping[str, np.ndarray | None],
               timeout: float | None = None):
        """Params and arrays streamed up (None arrays left out), one message
        down; the request stream is rebuilt for each attempt."""
        arrays = self.checked(arrays)
        return self.retried(lambda: method(self.parts(request_type, params, arrays), **self._options(timeout)),
                            method)

    def exchange(self, method, request_type, params, arrays: Mapping[str, np.ndarray | None], result_type,
                 timeout: float | None = None) -> Envelope:
        """Arrays up and arrays down: the response stream read into an Envelope."""
        arrays = self.checked(arrays)
        return self.retried(lambda: read_stream(method(self.parts(request_type, params, arrays),
                                                       **self._options(timeout)), "result", result_type), method)

    def download(self, method, request, message_field: str, message_type, timeout: float | None = None) -> Envelope:
        """One request up, a message and arrays streamed down."""
        return self.retried(lambda: read_stream(method(request, **self._options(timeout)), message_field,
                                                message_type), method)

    def parts(self, request_type, params, arrays: Mapping[str, np.ndarray]) -> Iterator:
        """The chunked request messages of one item of a stream."""
        return write_stream(request_type, "params", params, arrays, self.compression)


__all__ = ["CallShapes"]
