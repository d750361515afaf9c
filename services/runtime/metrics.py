"""Prometheus metrics of a service (``--metrics-port``): calls by method and
status code, their latency, message bytes in and out, calls in flight,
calls the service makes to Triton (latency and failures, as the service
sees them), and whatever gauges the servicer adds (the selector's scoring
and queues). Served over HTTP by ``prometheus_client`` on its own port,
off unless asked for."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily

# Seconds: a health check takes a millisecond, a 2048² pipeline a second or more.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class ServiceMetrics:
    """One service's metrics in a registry of its own."""

    counts_bytes = True

    def __init__(self, service: str):
        self.service = service
        self.registry = CollectorRegistry()
        self.calls = Counter("labelassist_calls", "Calls answered, by method and status code",
                             ["service", "method", "code"], registry=self.registry)
        self.latency = Histogram("labelassist_call_seconds", "Time to answer a call, by method",
                                 ["service", "method"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.in_flight = Gauge("labelassist_calls_in_flight", "Calls being answered, by method",
                               ["service", "method"], registry=self.registry)
        self.received_bytes = Counter("labelassist_received_bytes", "Request message bytes received (before gRPC "
                                      "compression), by method", ["service", "method"], registry=self.registry)
        self.sent_bytes = Counter("labelassist_sent_bytes", "Response message bytes sent (before gRPC compression), "
                                  "by method", ["service", "method"], registry=self.registry)
        self._lock = threading.Lock()
        UPSTREAM.bind(self.registry, service)

    def received(self, method: str, size: int) -> None:
        self.received_bytes.labels(self.service, method).inc(size)

    def sent(self, method: str, size: int) -> None:
        self.sent_bytes.labels(self.service, method).inc(size)

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

    def gauge_family(self, name: str, description: str, label_names: list[str],
                     read: Callable[[], Mapping[tuple[str, ...], float]]) -> None:
        """Gauges whose label values are known only when Prometheus scrapes
        (one per project): ``read`` gives label values -> value."""
        self.registry.register(_ReadGauges(name, description, label_names, self.service, read))

    def serve(self, host: str, port: int) -> int:
        """Start the HTTP endpoint; the port it listens on."""
        server, _ = start_http_server(port, addr=host, registry=self.registry)
        return server.server_port


class _ReadGauges:
    """A collector of one gauge family read at each scrape."""

    def __init__(self, name: str, description: str, label_names: list[str], service: str,
                 read: Callable[[], Mapping[tuple[str, ...], float]]):
        self.name, self.description, self.label_names = name, description, ["service", *label_names]
        self.service, self.read = service, read

    def describe(self) -> list[GaugeMetricFamily]:
        return [GaugeMetricFamily(self.name, self.description, labels=self.label_names)]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(self.name, self.description, labels=self.label_names)
        for values, value in self.read().items():
            family.add_metric([self.service, *values], value)
        yield family


class UpstreamCalls:
    """Calls this process makes to other servers (Triton), timed and their
    failures counted by reason, once a service's metrics are bound; the
    model layer records them without knowing whether anyone listens."""

    def __init__(self):
        self._latency = self._failures = None
        self._service = ""

    def bind(self, registry: CollectorRegistry, service: str) -> None:
        self._service = service
        self._latency = Histogram("labelassist_upstream_call_seconds", "Calls to Triton as this service sees "
                                  "them (queueing, transfer, inference), by target and model",
                                  ["service", "target", "model"], buckets=LATENCY_BUCKETS, registry=registry)
        self._failures = Counter("labelassist_upstream_failures", "Calls to Triton that failed, by target, model "
                                 "and reason (the status Triton or the network gave)",
                                 ["service", "target", "model", "reason"], registry=registry)

    @contextmanager
    def timed(self, target: str, model: str) -> Iterator[None]:
        """Time a call; an exception that leaves it counts as a failure
        with its status (``error.status()`` where it has one) as the reason."""
        started = time.perf_counter()
        try:
            yield
        except Exception as error:
            if self._failures is not None:
                status = getattr(error, "status", None)
                reason = (status() if callable(status) else None) or type(error).__name__
                self._failures.labels(self._service, target, model, str(reason).removeprefix("StatusCode.")).inc()
            raise
        finally:
            if self._latency is not None:
                self._latency.labels(self._service, target, model).observe(time.perf_counter() - started)


UPSTREAM = UpstreamCalls()


class NoMetrics:
    """What a service without ``--metrics-port`` records: nothing."""

    counts_bytes = False

    def started(self, method: str) -> None:
        pass

    def finished(self, method: str, code: str, seconds: float) -> None:
        pass

    def gauge(self, *args, **kwargs) -> None:
        pass

    def gauge_family(self, *args, **kwargs) -> None:
        pass
