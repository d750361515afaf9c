"""A store of values kept by content, least recently used out first and
bounded in bytes: sample images a service fetched (:mod:`image_cache`),
label measurements a class model learns from."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class BoundedCache(Generic[V]):
    """Least recently used out first, bounded in bytes; safe across threads.

    Parameters
    ----------
    max_bytes
        The most bytes kept; 0 keeps nothing (every call misses).
    size
        A value's size in bytes (default: its ``nbytes``).
    """

    def __init__(self, max_bytes: int, size: Callable[[V], int] = lambda value: value.nbytes):
        self.max_bytes = max(0, int(max_bytes))
        self.hits = self.misses = 0
        self._size = size
        self._values: OrderedDict[str, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, key: str) -> V | None:
        """The value kept under ``key``, or None; counts a hit or a miss."""
        with self._lock:
            kept = self._values.get(key) if key else None
            if kept is None:
                self.misses += 1
                return None
            self._values.move_to_end(key)
            self.hits += 1
            return kept[0]

    def put(self, key: str, value: V) -> V:
        """Keep ``value`` under ``key`` and return what is kept there (the
        first value wins). A value larger than the whole cache is not kept."""
        size = self._size(value)
        if not key or size > self.max_bytes:
            return value
        with self._lock:
            if key in self._values:
                return self._values[key][0]
            self._values[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._values.popitem(last=False)
                self._bytes -= dropped
        return value

    def add_named_gauges(self, metrics, prefix: str, what: str) -> None:
        """``PREFIX_hits``, ``_misses`` and ``_bytes`` of the values (``what``) kept here."""
        if metrics is None:
            return
        metrics.gauge(f"{prefix}_hits", f"{what.capitalize()} served from this replica's cache since start",
                      lambda: self.hits)
        metrics.gauge(f"{prefix}_misses", f"{what.capitalize()} not in this replica's cache since start",
                      lambda: self.misses)
        metrics.gauge(f"{prefix}_bytes", f"Bytes of {what} held in the cache", lambda: self._bytes)
