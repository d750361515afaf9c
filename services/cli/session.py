"""``up``, ``status``, ``demo`` and ``gui``: running the stack on this machine and opening the client."""

from __future__ import annotations

import argparse
import getpass
import signal
import sys
import threading
from pathlib import Path

from labelassist.cli.common import client_for, running_triton
from labelassist.proto.wire.addresses import DEFAULT_BASE_PORT, DEFAULT_HOST, SERVICES, env


def cmd_up(args) -> int:
    import os

    from labelassist.runtime.paths import PRIVATE_UMASK, private_data_dir
    from labelassist.stack import PortsInUseError, Stack

    os.umask(PRIVATE_UMASK)  # the stack's files are its user's alone
    private_data_dir(args.data_dir)

    server_args = []
    if args.tls_cert:
        server_args += ["--tls-cert", str(args.tls_cert), "--tls-key", str(args.tls_key)]
    tokens = list(args.token_list or [])
    if args.token_file_list:
        from labelassist.runtime.config import tokens_from

        tokens += tokens_from([], str(args.token_file_list))
    if tokens:
        server_args += ["--token-file", str(_write_token_file(args.data_dir, tokens))]
    stack = Stack(data_dir=args.data_dir, host=args.host, base_port=args.base_port, server_args=server_args,
                  tls_root=args.tls_cert, token=(tokens or [None])[0],
                  triton=None if args.triton_url == "none" else args.triton_url, generalist=args.generalist,
                  web_port=args.web_port if args.web_port >= 0 else None)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        stack.start()
        addresses = stack.wait_until_serving(
            timeout=args.timeout, progress=lambda name, address: print(f"  {name:<9} starting at {address}",
                                                                       flush=True))
    except PortsInUseError as error:
        print(f"labelassist up: {error}", file=sys.stderr)
        stack.stop()
        return 2
    except (RuntimeError, TimeoutError) as error:
        print(f"labelassist up: {error}", file=sys.stderr)
        stack.stop()
        return 1
    for name, address in addresses.as_dict().items():
        print(f"{name:<9} {address}  SERVING", flush=True)
    if stack.web_url:
        print(f"{'web':<9} {stack.web_url}  SERVING (open it in a browser; sign in with your token)", flush=True)
    elif stack.web_problem:
        print(f"{'web':<9} not started: {stack.web_problem}", flush=True)
    if stack.triton_url:
        print(f"{'triton':<9} {stack.triton_url}  LIVE (model repository {stack.model_repository})", flush=True)
    elif stack.triton_problem:
        print(f"{'triton':<9} not started ({stack.triton_problem}); U-Net pre-labels are unavailable, "
              f"see {args.data_dir / 'logs' / 'tritonserver.log'}", flush=True)
    from labelassist.runtime.server import exposure_warnings
    from labelassist.runtime.config import ServiceConfig

    for warning in exposure_warnings(ServiceConfig("stack", host=args.host, identities=tuple(tokens),
                                                   tls_cert=args.tls_cert)):
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    print(f"logs in {args.data_dir / 'logs'}; Ctrl-C stops everything", flush=True)
    exit_code = 0
    while not stopping.wait(0.5):
        problem = stack.supervise(report=lambda line: print(line, file=sys.stderr, flush=True))
        if problem:
            print(f"labelassist up: stopping: {problem}", file=sys.stderr, flush=True)
            exit_code = 1
            break
    codes = stack.stop()
    print("stopped: " + ", ".join(f"{name} ({code})" for name, code in codes.items()), flush=True)
    return exit_code


def _write_token_file(data_dir: Path, tokens: list[str]) -> Path:
    """The tokens for the services as a file only this user can read: on a
    command line they would show in ``ps``."""
    import os

    path = data_dir / "run" / "tokens"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    os.fchmod(handle, 0o600)  # a file left there by someone else keeps no wider mode
    with os.fdopen(handle, "w") as file:
        file.write("\n".join(tokens) + "\n")
    return path


def cmd_status(args) -> int:
    """Which stack the addresses are from, each service's health, at which
    address, and where that address came from."""
    with client_for(args) as client:
        report = client.health()
        print(f"{'stack':<9} {client.addresses.stack_note}")
        if client.addresses.stack is None:
            print(f"{'':<9} no running stack of this data directory gave these addresses: what answers there "
                  "may be another stack (another user's); `labelassist up` starts yours")
        for name, address in client.addresses.as_dict().items():
            print(f"{name:<9} {address:<22} {report[name]:<12} (address from {client.addresses.source(name)})")
    web = running_web(args)
    if web:
        print(f"{'web':<9} {web:<22} {_web_state(web):<12} (the running stack's browser app)")
    triton_url = running_triton(args)
    if triton_url:
        print(f"{'triton':<9} {triton_url:<22} {_triton_state(triton_url):<12} (the running stack's)")
    return 0 if set(report.values()) == {"SERVING"} else 1


def running_web(args) -> str | None:
    """The browser app's URL, as the running stack recorded it."""
    from labelassist.proto.wire.addresses import read_stack_file

    record = read_stack_file(args.data_dir) or {}
    web = record.get("web")
    return web.get("url") if isinstance(web, dict) else None


def _web_state(url: str) -> str:
    """SERVING when the gateway and the services behind it answer its health check."""
    import json
    import ssl
    import urllib.error
    import urllib.request

    # The stack's own certificate may be self-signed: this asks only whether it answers.
    context = ssl._create_unverified_context() if url.startswith("https") else None  # noqa: S323
    try:
        with urllib.request.urlopen(url + "healthz", timeout=3, context=context) as response:
            return json.loads(response.read()).get("status", "UNKNOWN")
    except urllib.error.HTTPError as error:
        return "NOT_SERVING" if error.code == 503 else f"HTTP_{error.code}"
    except (OSError, ValueError):
        return "UNAVAILABLE"


def _triton_state(url: str) -> str:
    """LIVE, NOT_LIVE or UNAVAILABLE; for several replicas, how many are live."""
    try:
        import tritonclient.grpc as triton
    except ImportError:
        return "UNKNOWN"
    from labelassist.proto.wire.channel import replica_addresses

    def state(address: str) -> str:
        try:
            return "LIVE" if triton.InferenceServerClient(address).is_server_live(client_timeout=2) else "NOT_LIVE"
        except Exception:  # noqa: BLE001 - any failure to answer means it is not up
            return "UNAVAILABLE"

    try:
        states = [state(address) for address in replica_addresses(url)]
    except OSError:  # a dns:/// name that does not resolve
        return "UNAVAILABLE"
    if len(states) == 1:
        return states[0]
    return f"{states.count('LIVE')}/{len(states)} LIVE"


def cmd_demo(args) -> int:
    from labelassist import demo

    return demo.main(args.data_dir, args.base_port, args.keep_running, args.gui, args.project)


def cmd_gui(args) -> int:
    from labelassist.client.sdk import ServiceAddresses

    try:
        from labelassist.client.gui.app import Connection, run_app
    except ImportError as error:
        print(f"labelassist gui needs the client extra (pip install 'label-assistant[client]'): {error}",
              file=sys.stderr)
        return 2
    addresses = ServiceAddresses.discover(args.data_dir, **{name: getattr(args, name)
                                                            for name in SERVICES})
    connection = Connection.from_addresses(addresses, args.token or "", args.tls_root or "")
    # When nothing says where the services are, the last settings are the best guess.
    use_saved = addresses.defaults_only
    return run_app(connection, args.annotator, args.project, use_saved=use_saved, large_targets=args.large_targets)


def register(commands) -> None:
    up = commands.add_parser("up", help="start the services on this machine until Ctrl-C")
    up.add_argument("--host", default=env("HOST", DEFAULT_HOST))
    up.add_argument("--base-port", type=int, default=env("BASE_PORT", str(DEFAULT_BASE_PORT)),
                    help="selector's port; assist and inspect take the next two; 0 picks free ports")
    up.add_argument("--require-token", dest="token_list", action="append",
                    help="services accept only this bearer token (repeatable; it shows in `ps`: prefer "
                         "--require-token-file)")
    up.add_argument("--require-token-file", dest="token_file_list", type=Path,
                    help="services accept only the tokens in this file, one per line")
    up.add_argument("--triton-url", default=env("TRITON_URL", "local"),
                    help="'local' starts the bundled tritonserver; host:port uses an existing Triton; 'none' runs "
                         "without U-Net pre-labels (env LABELASSIST_TRITON_URL)")
    up.add_argument("--tls-cert", type=Path, default=env("TLS_CERT"))
    up.add_argument("--tls-key", type=Path, default=env("TLS_KEY"))
    up.add_argument("--web-port", type=int, default=int(env("WEB_PORT", "8080")),
                    help="serve the browser app on this port (0: any free port; -1: no browser app; "
                         "env LABELASSIST_WEB_PORT)")
    up.add_argument("--generalist", action=argparse.BooleanOptionalAction, default=True,
                    help="publish the bundled generalist U-Net and click model as version 1 of each model "
                         "that has none, so pre-labels and click-to-segment work before any training")
    up.set_defaults(handler=cmd_up)
    commands.add_parser("status", help="each service's health").set_defaults(handler=cmd_status)
    demo = commands.add_parser("demo", help="start the stack and run the workflow on the bundled HeLa sample")
    demo.add_argument("--project", default="hela-demo", help="the demo project's name (a new name starts afresh)")
    demo.add_argument("--base-port", type=int, default=env("BASE_PORT", str(DEFAULT_BASE_PORT)),
                      help="selector's port; assist and inspect take the next two; 0 picks free ports")
    demo.add_argument("--keep-running", action=argparse.BooleanOptionalAction, default=None,
                      help="keep serving after the workflow (default: when run from a terminal)")
    demo.add_argument("--gui", choices=("auto", "yes", "no"), default="no",
                      help="open the desktop client on the demo project (auto: when there is a display)")
    demo.set_defaults(handler=cmd_demo)
    gui = commands.add_parser("gui", help="open the desktop client (addresses: the running stack, or Settings)")
    gui.add_argument("--project", help="project to open")
    gui.add_argument("--annotator", default=env("ANNOTATOR", getpass.getuser()), help="your name on labels")
    gui.add_argument("--large-targets", action="store_true",
                     help="buttons and toolbar icons at least 48 px, for fingers on a tablet (View menu too)")
    for name in SERVICES:
        gui.add_argument(f"--{name}", help=f"{name} address host:port (default: the running stack's)")
    gui.set_defaults(handler=cmd_gui)
