"""Prometheus metrics of a service (``--metrics-port``): calls by method and
status code, their latency, calls in flight, and whatever gauges the
servicer adds (the selector's pool and scoring). Served over HTTP by
``prometheus_client`` on its own port, off unless asked for."""

from __future__ import annotations

import threading
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

# Seconds: a health check takes a millisecond, a 2048² pipeline a second or more.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class ServiceMetrics:
    """One service's metrics in a registry of its own."""

    def __init__(self, service: str):
        self.service = service
        self.registry = CollectorRegistry()
        self.calls = Counter("labelassist_calls", "Calls answered, by method and status code",
                             ["service", "method", "code"], registry=self.registry)
        self.latency = Histogram("labelassist_call_seconds", "Time to answer a call, by method",
                                 ["service", "method"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.in_flight = Gauge("labelassist_calls_in_flight", "Calls being answered, by method",
                               ["service", "method"], registry=self.registry)
        self._lock = threading.Lock()

    def started(self, method: str) -> None:
        self.in_flight.labels(self.service, method).inc()

    def finished(self, method: str, code: str, seconds: float) -> None:
        self.in_flight.labels(self.service, method).dec()
        self.calls.labels(self.service, method, code).inc()
        self.latency.labels(self.service, method).observe(seconds)

    def gauge(self, name: str, description: str, read: Callable[[], float], labels: dict[str, str] | None = None
              ) -> None:
        """A value read when Prometheus scrapes, e.g. a pool's size."""
        names = sorted(labels or {})
        with self._lock:
            gauge = Gauge(name, description, ["service", *names], registry=self.registry)
        gauge.labels(self.service, *[labels[n] for n in names]).set_function(read)

    def serve(self, host: str, port: int) -> int:
        """Start the HTTP endpoint; the port it listens on."""
        server, _ = start_http_server(port, addr=host, registry=self.registry)
        return server.server_port


class NoMetrics:
    """What a service without ``--metrics-port`` records: nothing."""

    def started(self, method: str) -> None:
        pass

    def finished(self, method: str, code: str, seconds: float) -> None:
        pass

    def gauge(self, *args, **kwargs) -> None:
        pass
