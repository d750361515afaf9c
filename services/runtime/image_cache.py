"""Sample images that a service fetched from the selector, kept by their
content digest so that ten clicks on one sample fetch its image once.

The key is the digest the selector stores the image under (SHA-256 over
dtype, shape and bytes), never the sample id alone: a cached image can
only ever be the sample's own. The caller still asks the selector for the
sample's description on every call, so the selector checks the caller's
roles each time; only the image's bytes are saved."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

DEFAULT_MIB = 512


class ImageCache:
    """Least recently used out first, bounded in bytes; safe across threads.

    Parameters
    ----------
    max_bytes
        The most bytes of images kept; 0 keeps nothing (every call fetches).
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max(0, int(max_bytes))
        self.hits = self.misses = 0
        self._images: OrderedDict[str, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, digest: str) -> np.ndarray | None:
        """The image stored under ``digest`` (read-only), or None; counts a hit or a miss."""
        with self._lock:
            image = self._images.get(digest) if digest else None
            if image is None:
                self.misses += 1
                return None
            self._images.move_to_end(digest)
            self.hits += 1
            return image

    def put(self, digest: str, image: np.ndarray) -> np.ndarray:
        """Keep ``image`` under ``digest``; returns it read-only, so no caller
        can change what the next one is given. An image larger than the
        whole cache is not kept."""
        image.flags.writeable = False
        if not digest or image.nbytes > self.max_bytes:
            return image
        with self._lock:
            if digest in self._images:
                return self._images[digest]
            self._images[digest] = image
            self._bytes += image.nbytes
            while self._bytes > self.max_bytes:
                _, dropped = self._images.popitem(last=False)
                self._bytes -= dropped.nbytes
        return image

    def add_gauges(self, metrics, service: str) -> None:
        """Hits, misses and bytes held, on the service's metrics endpoint."""
        if metrics is None:
            return
        prefix = f"labelassist_{service}_image_cache"
        metrics.gauge(f"{prefix}_hits", "Sample images served from this replica's cache since start",
                      lambda: self.hits)
        metrics.gauge(f"{prefix}_misses", "Sample images fetched from the selector since start", lambda: self.misses)
        metrics.gauge(f"{prefix}_bytes", "Bytes of sample images held in the cache", lambda: self._bytes)
