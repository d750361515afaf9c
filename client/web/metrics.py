"""Prometheus metrics of the gateway (``--metrics-port``), named as the
services name theirs: requests by route and status, their latency, and
bytes in and out, on a port of their own, off unless asked for; and the
steps of one answer in its own Server-Timing header."""

from __future__ import annotations

import contextlib
import time

# Seconds: a lease renewal takes milliseconds, a 2048² pre-label a second or more.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class GatewayMetrics:
    """ASGI middleware that counts each request under its route's template
    (``/api/samples/{sample_id}/label``), never the ids in it."""

    def __init__(self, app):
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.app = app
        self.registry = CollectorRegistry()
        self.requests = Counter("labelassist_web_requests", "HTTP requests answered, by route and status",
                                ["route", "status"], registry=self.registry)
        self.latency = Histogram("labelassist_web_request_seconds", "Time to answer a request, by route",
                                 ["route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.sent_bytes = Counter("labelassist_web_sent_bytes", "Response body bytes sent, by route", ["route"],
                                  registry=self.registry)
        self.received_bytes = Counter("labelassist_web_received_bytes", "Request body bytes received, by route",
                                      ["route"], registry=self.registry)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status, sent, received = time.perf_counter(), [500], [0], [0]

        async def counting_receive():
            message = await receive()
            received[0] += len(message.get("body", b""))
            return message

        async def counting_send(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "http.response.body":
                sent[0] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counting_receive, counting_send)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", None) or ("/api/other" if scope["path"].startswith("/api/") else "static")
            self.requests.labels(name, str(status[0])).inc()
            self.latency.labels(name).observe(time.perf_counter() - started)
            self.sent_bytes.labels(name).inc(sent[0])
            self.received_bytes.labels(name).inc(received[0])

    def serve(self, host: str, port: int) -> int:
        from prometheus_client import start_http_server

        server, _ = start_http_server(port, addr=host, registry=self.registry)
        return server.server_port


class ServerTiming:
    """A request's steps and their durations, answered in a ``Server-Timing``
    header (``lease;dur=9.1, sample;dur=21.4``): a browser's developer tools
    show it beside the request, and the page's benchmark reads it to say
    where the time of a Next goes."""

    def __init__(self):
        self.steps: list[tuple[str, float]] = []

    @contextlib.contextmanager
    def step(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.steps.append((name, 1e3 * (time.perf_counter() - started)))

    def header(self) -> dict[str, str]:
        return {"server-timing": ", ".join(f"{name};dur={ms:.1f}" for name, ms in self.steps)} if self.steps else {}
