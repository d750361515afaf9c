"""Throughput of streaming a 64 MiB array through a service and back on
loopback, against a plain TCP socket echo of the same bytes in the same run.

    python benchmarks/bench_streaming.py [--repeats 7] [--mib 64]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import footer, machine, median_seconds, write_results  # noqa: E402

from labelassist.client.sdk import LabelAssistClient, ServiceAddresses  # noqa: E402
from labelassist.stack import Stack  # noqa: E402


def socket_echo_round_trip(payload: bytes) -> None:
    """Send ``payload`` to an echo server over loopback TCP and read it all back."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def echo():
        connection, _ = server.accept()
        with connection:
            remaining = len(payload)
            while remaining:
                data = connection.recv(1 << 20)
                connection.sendall(data)
                remaining -= len(data)

    thread = threading.Thread(target=echo)
    thread.start()
    received = bytearray()
    with socket.create_connection(("127.0.0.1", port)) as client:
        sender = threading.Thread(target=client.sendall, args=(payload,))
        sender.start()
        while len(received) < len(payload):
            received += client.recv(1 << 20)
        sender.join()
    thread.join()
    server.close()
    assert len(received) == len(payload)


def socket_baseline(mib: int, repeats: int, tuned: bool) -> float:
    """Median socket echo in a fresh process, with or without the allocator
    tuning the SDK applies, so the baseline is the socket at its best."""
    env = {**os.environ, "LABELASSIST_TUNE_MALLOC": "1" if tuned else "0"}
    out = subprocess.run([sys.executable, __file__, "--socket-only", "--mib", str(mib), "--repeats", str(repeats)],
                         env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.splitlines()[-1])["median"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--socket-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, default=Path("benchmarks/out/stack"))
    args = parser.parse_args()
    if args.socket_only:
        from labelassist.proto.wire.memory import tune_allocator

        tune_allocator()
        payload = bytes(args.mib << 20)
        print(json.dumps({"median": median_seconds(lambda: socket_echo_round_trip(payload), args.repeats)[0]}))
        return 0

    rng = np.random.default_rng(0)
    array = rng.integers(0, 2**16, size=(args.mib << 20) // 2, dtype=np.uint16).reshape(-1, 4096)
    stack = Stack(data_dir=args.data_dir, base_port=0)
    stack.start()
    try:
        addresses: ServiceAddresses = stack.wait_until_serving()
        rows = {}
        with LabelAssistClient(addresses) as client:
            def through_grpc():
                echoed, _ = client.preprocess(array)
                assert echoed.nbytes == array.nbytes

            untuned = socket_baseline(args.mib, args.repeats, tuned=False)
            tuned = socket_baseline(args.mib, args.repeats, tuned=True)
            rows["socket echo (faster of plain and tuned allocator)"] = (min(untuned, tuned), [untuned, tuned])
            rows["gRPC assist.Preprocess (empty pipeline)"] = median_seconds(through_grpc, args.repeats)
    finally:
        stack.stop()
    baseline = next(iter(rows.values()))[0]
    lines = [f"# Streaming {args.mib} MiB through a service and back (loopback)", "",
             f"Median of {args.repeats} round trips; throughput counts the bytes one way "
             f"({args.mib} MiB) per round trip.", "",
             "| path | median s | MiB/s | vs socket |", "|---|---:|---:|---:|"]
    for name, (median, _) in rows.items():
        lines.append(f"| {name} | {median:.3f} | {args.mib / median:.0f} | {baseline / median:.2f} |")
    info = machine()
    lines += footer(info, "python benchmarks/bench_streaming.py")
    table = "\n".join(lines)
    write_results("streaming", {"mib": args.mib, "repeats": args.repeats, "machine": info,
                                "median_seconds": {k: v[0] for k, v in rows.items()},
                                "samples": {k: v[1] for k, v in rows.items()}}, table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
