"""``python -m labelassist.client.web``: the gateway under uvicorn, started
by ``labelassist up`` like the services (ready file, exit code 2 when its
port is taken) or on its own in front of any stack."""

from __future__ import annotations

import argparse
import errno
import json
import os
import socket
import sys
from pathlib import Path

from labelassist.client.addresses import ServiceAddresses
from labelassist.proto.wire.addresses import env, format_address

DEFAULT_WEB_PORT = 8080
EXIT_PORT_IN_USE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=env("WEB_HOST", "127.0.0.1"),
                        help="the address to listen on (env LABELASSIST_WEB_HOST)")
    parser.add_argument("--port", type=int, default=int(env("WEB_PORT", str(DEFAULT_WEB_PORT))),
                        help="the port (0: any free port; env LABELASSIST_WEB_PORT)")
    for name in ("selector", "assist", "inspect"):
        parser.add_argument(f"--{name}", help=f"{name} address host:port (default: the running stack's)")
    parser.add_argument("--data-dir", type=Path, default=None, help="the stack whose services to use")
    parser.add_argument("--tls-root", type=Path, default=env("TLS_ROOT"),
                        help="the certificate the services' TLS is checked against")
    parser.add_argument("--tls-cert", type=Path, default=env("WEB_TLS_CERT"), help="serve HTTPS with this certificate")
    parser.add_argument("--tls-key", type=Path, default=env("WEB_TLS_KEY"), help="and this key")
    parser.add_argument("--max-body-bytes", type=int, default=int(env("WEB_MAX_BODY_BYTES", str(80 << 20))),
                        help="largest request body, and largest label it may unpack to (env "
                             "LABELASSIST_WEB_MAX_BODY_BYTES)")
    parser.add_argument("--metrics-port", type=int, default=int(env("WEB_METRICS_PORT", "-1")),
                        help="serve Prometheus metrics on this port (0: any free port; -1: off)")
    parser.add_argument("--metrics-host", default=env("METRICS_HOST", "127.0.0.1"),
                        help="the address the metrics listen on; unauthenticated, so this machine only by default")
    parser.add_argument("--ready-file", type=Path, help="write the address here once listening")


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound, listening socket; OSError(EADDRINUSE) when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it: without it an answer's small body waits for the
    # browser's delayed acknowledgement of its headers (Nagle), 40 ms on Linux.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    from labelassist.client.web.app import create_app
    from labelassist.client.web.metrics import GatewayMetrics

    parser = argparse.ArgumentParser(prog="labelassist-web", description="Label Assistant in the browser")
    add_arguments(parser)
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    addresses = ServiceAddresses.discover(args.data_dir, selector=args.selector, assist=args.assist,
                                          inspect=args.inspect)
    try:
        sock = listening_socket(args.host, args.port)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        print(f"web cannot listen on {format_address(args.host, args.port)}: the port is in use; choose another "
              "with --web-port N or LABELASSIST_WEB_PORT=N", file=sys.stderr, flush=True)
        return EXIT_PORT_IN_USE
    port = sock.getsockname()[1]
    scheme = "https" if args.tls_cert else "http"
    url = f"{scheme}://{format_address(args.host, port)}/"
    collected = {}

    def metrics(app):
        collected["metrics"] = GatewayMetrics(app)
        return collected["metrics"]

    app = create_app(addresses, args.tls_root, args.max_body_bytes,
                     metrics if args.metrics_port >= 0 else None)
    metrics_port = collected["metrics"].serve(args.metrics_host, args.metrics_port) if collected else None
    config = uvicorn.Config(app, log_level="info", access_log=False, server_header=False, date_header=False,
                            ssl_certfile=args.tls_cert, ssl_keyfile=args.tls_key, timeout_graceful_shutdown=10,
                            forwarded_allow_ips=env("WEB_FORWARDED_ALLOW_IPS", "127.0.0.1"))

    class ReadyServer(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets)
            if args.ready_file and not self.should_exit:
                staging = args.ready_file.with_suffix(".tmp")
                staging.write_text(json.dumps({"address": format_address(args.host, port), "url": url,
                                               "pid": os.getpid(), "metrics_port": metrics_port}))
                os.replace(staging, args.ready_file)
            print(f"web serving {url}", file=sys.stderr, flush=True)

        async def shutdown(self, sockets=None):
            # Before the connections close: uvicorn then ends the process by the signal that stopped it.
            if args.ready_file:
                args.ready_file.unlink(missing_ok=True)
            await super().shutdown(sockets)

    ReadyServer(config).run(sockets=[sock])
    return 0
