"""SDK clients for the gateway's requests: one per bearer token, kept in a
small pool so a busy annotator's requests share their gRPC channels. The
pool is a cache, not state: any replica answers any request."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from labelassist.client.addresses import ServiceAddresses
from labelassist.client.sdk import LabelAssistClient

POOL_SIZE = 64
# The gateway answers a browser waiting on a person: fail within a minute, retry little.
CALL_TIMEOUT, CALL_RETRIES = 60.0, 2


@dataclass
class ClientPool:
    """``client(token)``: the SDK client that carries ``token`` (None: no token)."""
    addresses: ServiceAddresses
    tls_root: Path | None = None
    size: int = POOL_SIZE
    _clients: OrderedDict = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, token: str | None) -> LabelAssistClient:
        # Keyed by the token's hash, so the pool's keys never show a token in a debugger or a dump.
        key = hashlib.sha256((token or "").encode()).hexdigest() if token else ""
        with self._lock:
            found = self._clients.get(key)
            if found is not None:
                self._clients.move_to_end(key)
                return found
            # "" for no token: the SDK would otherwise take LABELASSIST_TOKEN, the gateway's own.
            made = LabelAssistClient(self.addresses, token=token or "", tls_root=self.tls_root,
                                     timeout=CALL_TIMEOUT, retries=CALL_RETRIES)
            self._clients[key] = made
            # An evicted client's channels close when the last request using it lets go.
            while len(self._clients) > self.size:
                self._clients.popitem(last=False)
            return made

    def close(self) -> None:
        with self._lock:
            for made in self._clients.values():
                made.close()
            self._clients.clear()
