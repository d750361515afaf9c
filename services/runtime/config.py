"""Service configuration from command-line flags, falling back to the
environment, falling back to defaults that work on one laptop."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from labelassist.proto.wire.addresses import (DEFAULT_HOST, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_PORTS,
                                              default_data_dir, env, format_address)
from labelassist.proto.wire.codec import DEFAULT_MAX_ARRAY_BYTES


def add_triton_argument(parser: argparse.ArgumentParser, use: str) -> None:
    """``--triton-url``, the same flag and variable in every service; ``use``
    says what this service does with the U-Net."""
    parser.add_argument("--triton-url", default=env("TRITON_URL"),
                        help=f"Triton's gRPC endpoint, host:port (several: a comma list or dns:///name:port; "
                             f"a local socket: unix:PATH): {use} (env LABELASSIST_TRITON_URL)")


def tokens_from(values: list[str] | None, token_file: str | None) -> tuple[str, ...]:
    """Accepted bearer tokens: flags, ``LABELASSIST_TOKEN`` (comma-separated),
    and one token per line of a token file."""
    tokens = list(values or [])
    if not tokens and env("TOKEN"):
        tokens = [t for t in env("TOKEN").split(",")]
    token_file = token_file or env("TOKEN_FILE")
    if token_file:
        lines = Path(token_file).read_text().splitlines()
        tokens += [line for line in lines if line.strip() and not line.startswith("#")]
    return tuple(t.strip() for t in tokens if t.strip())


@dataclass(frozen=True)
class ServiceConfig:
    service: str
    host: str = DEFAULT_HOST
    port: int = 0
    data_dir: Path = field(default_factory=default_data_dir)
    # Plain tokens and the roles file as an auth.IdentitySource; authentication
    # is on whenever either is configured (an empty roles file refuses everyone).
    identities: object = ()
    tls_cert: Path | None = None
    tls_key: Path | None = None
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    max_array_bytes: int = DEFAULT_MAX_ARRAY_BYTES
    workers: int = 32
    # Upload streams one caller may have open at once, and how long a stream
    # may wait between messages before it is ended.
    streams_per_caller: int = 16
    stream_idle_seconds: float = 30.0
    # Bytes per second of waiting an upload must average once it has waited
    # stream_idle_seconds, so trickled bytes cannot hold a worker (0: no minimum).
    min_upload_rate: float = 16384.0
    grace_seconds: float = 5.0
    ready_file: Path | None = None
    log_level: str = "INFO"
    # Service-specific settings (e.g. the selector's database URL).
    options: dict = field(default_factory=dict)

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    @property
    def bind_address(self) -> str:
        return format_address(self.host, self.port)


def add_server_arguments(parser: argparse.ArgumentParser, service: str) -> None:
    upper = service.upper()
    parser.add_argument("--host", default=env("HOST", DEFAULT_HOST),
                        help="address to bind (env LABELASSIST_HOST)")
    parser.add_argument("--port", type=int,
                        default=int(env(f"{upper}_PORT", str(DEFAULT_PORTS[service]))),
                        help=f"port; 0 picks a free one (env LABELASSIST_{upper}_PORT)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where data lives (env LABELASSIST_DATA_DIR)")
    parser.add_argument("--token", action="append", default=None,
                        help="accept this bearer token; repeatable (env LABELASSIST_TOKEN)")
    parser.add_argument("--token-file", default=None,
                        help="file with one accepted token per line (env LABELASSIST_TOKEN_FILE)")
    parser.add_argument("--roles-file", default=env("ROLES_FILE"),
                        help="TOML file of identities: token hash and role per project (env LABELASSIST_ROLES_FILE)")
    parser.add_argument("--tls-cert", type=Path, default=env("TLS_CERT"),
                        help="PEM certificate chain; enables TLS (env LABELASSIST_TLS_CERT)")
    parser.add_argument("--tls-key", type=Path, default=env("TLS_KEY"),
                        help="PEM private key (env LABELASSIST_TLS_KEY)")
    parser.add_argument("--max-array-bytes", type=int,
                        default=int(env("MAX_ARRAY_BYTES", str(DEFAULT_MAX_ARRAY_BYTES))),
                        help="largest array accepted (env LABELASSIST_MAX_ARRAY_BYTES)")
    parser.add_argument("--workers", type=int, default=int(env("WORKERS", "32")),
                        help="threads for calls; data calls may use all but two (env LABELASSIST_WORKERS)")
    parser.add_argument("--streams-per-caller", type=int, default=int(env("STREAMS_PER_CALLER", "16")),
                        help="upload streams one caller (identity, or connection without auth) may have open at once "
                             "(env LABELASSIST_STREAMS_PER_CALLER)")
    parser.add_argument("--stream-idle-seconds", type=float, default=float(env("STREAM_IDLE_SECONDS", "30")),
                        help="end a stream that sends nothing for this long (env LABELASSIST_STREAM_IDLE_SECONDS)")
    parser.add_argument("--min-upload-rate", type=float, default=float(env("MIN_UPLOAD_RATE", "16384")),
                        help="bytes per second an upload stream must average once it has waited "
                             "--stream-idle-seconds for the client; slower streams are ended; 0: no minimum "
                             "(env LABELASSIST_MIN_UPLOAD_RATE)")
    parser.add_argument("--ready-file", type=Path, default=None,
                        help="write {address, pid} here as JSON once serving")
    parser.add_argument("--metrics-port", type=int, default=int(env("METRICS_PORT", "-1")),
                        help="serve Prometheus metrics over HTTP on this port (0: any free port; "
                             "env LABELASSIST_METRICS_PORT; default: off)")
    parser.add_argument("--metrics-host", default=env("METRICS_HOST", "127.0.0.1"),
                        help="the address the metrics listen on; unauthenticated, so this machine only unless "
                             "set (env LABELASSIST_METRICS_HOST; default 127.0.0.1)")
    parser.add_argument("--log-level", default=env("LOG_LEVEL", "INFO"),
                        help="DEBUG, INFO, WARNING (env LABELASSIST_LOG_LEVEL)")


def config_from_args(service: str, args: argparse.Namespace) -> ServiceConfig:
    if (args.tls_cert is None) != (args.tls_key is None):
        raise SystemExit("--tls-cert and --tls-key must be given together")
    from labelassist.runtime.auth import IdentitySource, RolesError

    try:
        identities = IdentitySource(args.roles_file, tokens_from(args.token, args.token_file))
    except RolesError as error:
        raise SystemExit(str(error)) from None

    return ServiceConfig(
        service=service,
        host=args.host,
        port=args.port,
        data_dir=args.data_dir or default_data_dir(),
        identities=identities,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        max_array_bytes=args.max_array_bytes,
        workers=args.workers,
        streams_per_caller=args.streams_per_caller,
        stream_idle_seconds=args.stream_idle_seconds,
        min_upload_rate=args.min_upload_rate,
        ready_file=args.ready_file,
        log_level=args.log_level.upper(),
        options=dict(vars(args)),
    )
