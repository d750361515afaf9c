"""The one server bootstrap all services share: interceptors, health,
reflection, limits, TLS, ready file and graceful shutdown on SIGTERM."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2, reflection_pb2_grpc

from labelassist.runtime import logs
from labelassist.proto.wire.memory import tune_allocator
from labelassist.runtime.config import ServiceConfig, add_server_arguments, config_from_args
from labelassist.runtime.paths import PRIVATE_UMASK, private_data_dir
from labelassist.proto.wire.addresses import format_address
from labelassist.runtime.calls import CallGuard
from labelassist.runtime.interceptors import AuthInterceptor, ErrorMappingInterceptor

logger = logging.getLogger("labelassist.server")


@dataclass(frozen=True)
class ServiceDefinition:
    """What a service contributes to the shared bootstrap."""

    name: str  # "assist"
    full_name: str  # "labelassist.v1.AssistService", from the proto descriptor
    # Builds the servicer from the configuration, adds it to the server and returns it.
    register: Callable[[grpc.Server, ServiceConfig], object]
    # Adds the service's own flags; their values arrive in ServiceConfig.options.
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None

    @classmethod
    def of(cls, name: str, service_descriptor, servicer_factory: Callable[[ServiceConfig], object],
           add_to_server: Callable[[object, grpc.Server], None],
           add_arguments: Callable[[argparse.ArgumentParser], None] | None = None) -> ServiceDefinition:
        """The definition from what grpcio-tools generates for a service."""
        def register(server: grpc.Server, config: ServiceConfig):
            servicer = servicer_factory(config)
            add_to_server(servicer, server)
            return servicer

        return cls(name, service_descriptor.full_name, register, add_arguments)

    def main(self, argv: list[str] | None = None) -> int:
        return main(self, argv)


# How often a servicer's ``health_problem()`` (its dependencies) is asked.
HEALTH_PROBE_SECONDS = 2.0


class RunningServer:
    def __init__(self, server: grpc.Server, health_servicer, port: int, config: ServiceConfig):
        self.server = server
        self.health = health_servicer
        self.port = port
        self.config = config
        self.stopped = threading.Event()

    @property
    def address(self) -> str:
        return format_address(self.config.host, self.port)

    def stop(self, grace: float | None = None) -> None:
        """Report NOT_SERVING, let calls in flight finish, then stop."""
        self.stopped.set()
        self.health.enter_graceful_shutdown()
        self.server.stop(self.config.grace_seconds if grace is None else grace).wait()


def _server_credentials(config: ServiceConfig) -> grpc.ServerCredentials:
    key = Path(config.tls_key).read_bytes()
    chain = Path(config.tls_cert).read_bytes()
    return grpc.ssl_server_credentials([(key, chain)])


class PortInUseError(SystemExit):
    """The service's address is taken: a clean exit (code 2) with the reason."""

    def __init__(self, message: str):
        super().__init__(2)
        self.message = message


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def exposure_warnings(config: ServiceConfig) -> list[str]:
    """What is unsafe about serving beyond this machine with this configuration."""
    warnings = []
    metrics_on = int((config.options or {}).get("metrics_port", -1)) >= 0
    if metrics_on and not _is_loopback(_metrics_host(config)):
        warnings.append(f"metrics served on {_metrics_host(config)} without authentication: anyone who reaches "
                        "the metrics port sees every call's method, count and latency (--metrics-host 127.0.0.1 "
                        "keeps them on this machine)")
    if _is_loopback(config.host):
        return warnings
    if not config.identities:
        warnings.append(f"bound to {config.host} without authentication: anyone who reaches this port may "
                        "read and change every project (give --roles-file or --token-file)")
    if not config.tls:
        warnings.append(f"bound to {config.host} without TLS: tokens, images and labels cross the network "
                        "in the clear (give --tls-cert and --tls-key)")
    return warnings


REFLECTION_V1 = "grpc.reflection.v1.ServerReflection"


def enable_reflection(server: grpc.Server, service_names: tuple[str, ...]) -> None:
    """Server reflection as ``v1`` and ``v1alpha``: current clients (grpcurl,
    Postman, grpcui) ask for v1 first. The two versions' messages are the
    same on the wire, so one servicer answers both."""
    names = (*service_names, reflection.SERVICE_NAME, REFLECTION_V1)
    servicer = reflection.ReflectionServicer(names)
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(servicer, server)
    handler = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        REFLECTION_V1, {"ServerReflectionInfo": handler}),))


def _watch_health(health_servicer, service_name: str, probe: Callable[[], str | None], interval: float,
                  stopped: threading.Event) -> None:
    """NOT_SERVING while ``probe`` names a problem (a dependency is unreachable), SERVING again after."""
    problem = None
    while not stopped.wait(interval):
        try:
            now = probe()
        except Exception as error:  # noqa: BLE001 - a failing probe is a problem to report, not a crash
            now = f"{type(error).__name__}: {error}"
        if now != problem:
            status = health_pb2.HealthCheckResponse.NOT_SERVING if now else health_pb2.HealthCheckResponse.SERVING
            for name in ("", service_name):
                health_servicer.set(name, status)
            logs.log_fields(logger, logging.WARNING if now else logging.INFO,
                            "not serving" if now else "serving again", reason=now or "")
            problem = now


def _first_problem(probes: list[Callable[[], str | None]]) -> Callable[[], str | None]:
    """One probe that names the first problem any of ``probes`` names."""
    def probe() -> str | None:
        return next((problem for problem in (p() for p in probes) if problem), None)
    return probe


def _metrics(service: str, config: ServiceConfig):
    """The service's Prometheus metrics, served on ``--metrics-port`` (off when negative)."""
    from labelassist.runtime.metrics import NoMetrics, ServiceMetrics

    port = int(config.options.get("metrics_port", -1) if config.options else -1)
    if port < 0:
        return NoMetrics()
    metrics = ServiceMetrics(service)
    metrics.port = metrics.serve(_metrics_host(config), port)
    return metrics


def _metrics_host(config: ServiceConfig) -> str:
    return (config.options or {}).get("metrics_host") or "127.0.0.1"


def _is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def start(definition: ServiceDefinition, config: ServiceConfig) -> RunningServer:
    tune_allocator()
    interceptors = []
    if config.identities:
        interceptors.append(AuthInterceptor(config.identities))
        if not len(config.identities):
            logs.log_fields(logger, logging.WARNING, "the roles file lists no identities: every call is refused "
                            "until identities are added to it", roles_file=str(config.identities.path))
    metrics = _metrics(definition.name, config)
    interceptors.append(ErrorMappingInterceptor(metrics))
    guard = CallGuard(config.workers, config.streams_per_caller, config.stream_idle_seconds, config.min_upload_rate)
    interceptors.append(guard)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=config.workers,
                                   thread_name_prefix=f"{definition.name}-rpc"),
        interceptors=interceptors,
        options=[
            ("grpc.max_receive_message_length", config.max_message_bytes),
            ("grpc.max_send_message_length", config.max_message_bytes),
            ("grpc.so_reuseport", 0),
        ],
    )
    # Bind before the servicer exists: a taken port then ends the process
    # before any thread, database or Triton connection was started.
    try:
        if config.tls:
            port = server.add_secure_port(config.bind_address, _server_credentials(config))
        else:
            port = server.add_insecure_port(config.bind_address)
    except RuntimeError:
        port = 0
    if port == 0:
        server.stop(None)
        raise PortInUseError(f"{definition.name}: cannot listen on {config.bind_address}: the port is in use "
                             f"(or the address is not this machine's); choose another with --port or "
                             f"LABELASSIST_{definition.name.upper()}_PORT")
    config.options["metrics"] = metrics  # servicers add their own gauges
    servicer = definition.register(server, config)
    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    enable_reflection(server, (definition.full_name, health.SERVICE_NAME))
    server.start()
    for name in ("", definition.full_name):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    running = RunningServer(server, health_servicer, port, config)
    probes = [probe for probe in (guard.health_problem, getattr(servicer, "health_problem", None)) if probe]
    threading.Thread(target=_watch_health, name="health-probe", daemon=True,
                     args=(health_servicer, definition.full_name, _first_problem(probes), HEALTH_PROBE_SECONDS,
                           running.stopped)).start()
    if getattr(metrics, "port", None) is not None:
        running.metrics_port = metrics.port
    logs.log_fields(logger, logging.INFO, "serving", address=running.address,
                    tls=config.tls, auth=bool(config.identities), pid=os.getpid(),
                    metrics_port=getattr(running, "metrics_port", None))
    for warning in exposure_warnings(config):
        logs.log_fields(logger, logging.WARNING, warning)
    return running


def _write_ready_file(path: Path, running: RunningServer, definition: ServiceDefinition) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(path.suffix + ".tmp")
    staging.write_text(json.dumps({"service": definition.name, "address": running.address,
                                   "pid": os.getpid(), "tls": running.config.tls,
                                   "metrics_port": getattr(running, "metrics_port", None)}))
    os.replace(staging, path)  # readers never see a half-written file


def _force_exit() -> None:
    logs.log_fields(logger, logging.ERROR, "shutdown overran its grace period; exiting hard")
    logging.shutdown()
    os._exit(1)


def main(definition: ServiceDefinition, argv: list[str] | None = None) -> int:
    """Entry point of ``python -m labelassist.<service>``."""
    parser = argparse.ArgumentParser(prog=f"labelassist-{definition.name}",
                                     description=f"Label Assistant {definition.name} service")
    add_server_arguments(parser, definition.name)
    if definition.add_arguments:
        definition.add_arguments(parser)
    config = config_from_args(definition.name, parser.parse_args(argv))
    os.umask(PRIVATE_UMASK)  # the database, its journal, jobs and files written later: this user's alone
    private_data_dir(config.data_dir)
    logs.configure(definition.name, config.log_level)
    try:
        running = start(definition, config)
    except PortInUseError as error:
        logs.log_fields(logger, logging.ERROR, error.message)
        print(error.message, file=sys.stderr, flush=True)
        raise

    received: list[int] = []

    def request_stop(signum, _frame):
        # Only a list append here: taking a lock (logging, Event.set) inside a
        # signal handler can deadlock with the interrupted main thread.
        received.append(signum)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    if config.ready_file:
        _write_ready_file(config.ready_file, running, definition)
    while not received:
        time.sleep(0.1)
    logs.log_fields(logger, logging.INFO, "stopping", signal=signal.Signals(received[0]).name)
    # A call that ignores cancellation must not keep the process alive forever.
    watchdog = threading.Timer(config.grace_seconds + 10.0, _force_exit)
    watchdog.daemon = True
    watchdog.start()
    running.stop()
    if config.ready_file:
        config.ready_file.unlink(missing_ok=True)
    logs.log_fields(logger, logging.INFO, "stopped")
    return 0
