"""Resource attacks against a running stack: for each, the answer, the time
to answer, the attacked service's peak memory, whether health answered
throughout, and how long another client's small call took meanwhile.

    python benchmarks/bench_abuse.py [--out benchmarks/results]

Goals: every answer within 2 s; no service above 2 x (the largest array it
legitimately holds + 512 MiB); health answers throughout; another client's
small call completes in under 1 s while the attacks run.

Hostile exports given to ``labelassist project import`` and hostile folders
given to ``project export`` (abuse_files.py) attack the CLI itself: each is
refused by name, nothing outside the import folder is read, nothing behind
a planted link is written, and the CLI stays under 512 MiB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import grpc
import numpy as np
import zstandard

sys.path.insert(0, str(Path(__file__).parent))
import abuse_files  # noqa: E402

from labelassist.client.sdk import LabelAssistClient
from labelassist.evaluation.machine import machine
from labelassist.proto.v1 import assist_pb2, assist_pb2_grpc, common_pb2, selector_pb2, selector_pb2_grpc
from labelassist.stack import Stack

MIB = 1 << 20


def peak_rss_mib(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak(pid: int) -> None:
    """Start the peak-RSS count afresh (Linux: clear_refs 5)."""
    with open(f"/proc/{pid}/clear_refs", "w") as handle:
        handle.write("5")


class Bystander:
    """Health checks of every service and a small call of another client, in a loop."""

    def __init__(self, addresses):
        self.addresses = addresses
        self.health_failures: list[str] = []
        self.small_call_seconds: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        image = np.zeros((32, 32), np.uint8)
        with LabelAssistClient(self.addresses, retries=0, timeout=5) as client:
            while not self.stop.wait(0.2):
                for name, status in client.health(timeout=1.0).items():
                    if status != "SERVING":
                        self.health_failures.append(f"{name}: {status}")
                started = time.perf_counter()
                try:
                    client.preprocess(image, ["invert"])
                    self.small_call_seconds.append(time.perf_counter() - started)
                except grpc.RpcError as error:
                    self.small_call_seconds.append(float("inf"))
                    self.health_failures.append(f"small call: {error.code().name}")

    def close(self):
        self.stop.set()
        self.thread.join()


def answer_of(call) -> str:
    try:
        call()
        return "OK"
    except grpc.RpcError as error:
        return f"{error.code().name}: {error.details()[:120]}"


def bomb(addresses):
    data = zstandard.ZstdCompressor(level=19).compress(bytes(512 * MIB))
    header = common_pb2.ArrayHeader(dtype=common_pb2.DTYPE_UINT8, shape=[512 * MIB],
                                    compression=common_pb2.COMPRESSION_ZSTD)
    parts = [assist_pb2.PreprocessRequest(params=assist_pb2.PreprocessParams()),
             assist_pb2.PreprocessRequest(array=common_pb2.ArrayChunk(name="image", header=header, data=data))]
    with grpc.insecure_channel(addresses.assist) as channel:
        return answer_of(lambda: list(assist_pb2_grpc.AssistServiceStub(channel).Preprocess(iter(parts), timeout=10)))


def idle_streams(addresses, count: int = 32):
    release = threading.Event()

    def parts():
        yield selector_pb2.AddSampleRequest(params=selector_pb2.AddSampleParams(project="abuse", stem="idle"))
        release.wait(60)

    answers = []
    with grpc.insecure_channel(addresses.selector) as channel:
        stub = selector_pb2_grpc.SelectorServiceStub(channel)
        futures = [stub.AddSample.future(parts(), timeout=60) for _ in range(count)]
        for future in futures:
            try:
                future.result()
                answers.append("OK")
            except grpc.RpcError as error:
                answers.append(error.code().name)
        release.set()
    counts = {code: answers.count(code) for code in sorted(set(answers))}
    return ", ".join(f"{n} x {code}" for code, n in counts.items())


def over_budget(addresses):
    with LabelAssistClient(addresses, retries=0, timeout=10) as client:
        return answer_of(lambda: client.preprocess(np.zeros((8192, 8192), np.uint8),
                                                    [("nl_means", {"patch_distance": 25})]))


def huge_label_id(addresses):
    mask = np.zeros((64, 64), np.uint32)
    mask[10:20, 10:20] = 2**26
    with LabelAssistClient(addresses, retries=0, timeout=10) as client:
        return answer_of(lambda: client.inspect(mask))


def large_sample(addresses):
    image = np.random.default_rng(0).integers(0, 65535, (8192, 8192), dtype=np.uint16)  # 128 MiB
    with LabelAssistClient(addresses, retries=0, timeout=60) as client:
        return answer_of(lambda: client.add_sample("abuse", "large", image))


def huge_sample_id(addresses):
    with LabelAssistClient(addresses, retries=0, timeout=10) as client:
        return answer_of(lambda: client.get_sample(2**64 - 1))


def huge_page_token(addresses):
    with grpc.insecure_channel(addresses.selector) as channel:
        stub = selector_pb2_grpc.SelectorServiceStub(channel)
        return answer_of(lambda: stub.ListSamples(selector_pb2.ListSamplesRequest(
            project="abuse", page_token="after:99999999999999999999999"), timeout=10))


def endless_training(addresses):
    with LabelAssistClient(addresses, retries=0, timeout=10) as client:
        return answer_of(lambda: client.train(project="abuse", epochs=2**32 - 1, steps_per_epoch=2**32 - 1,
                                              batch_size=2**32 - 1, tile=2**32 - 1, width=2**32 - 1, depth=64))


def huge_assist_settings(addresses):
    """400,000 steps in one SetAssist, sent as wire bytes so the time is the service's, not the encoding's."""
    from google.protobuf.internal.encoder import _VarintBytes

    steps = selector_pb2.AssistSettings(preprocess=[common_pb2.NamedCall(name="invert")]).SerializeToString() * 400_000
    request = (selector_pb2.SetAssistRequest(project="abuse").SerializeToString()
               + _VarintBytes(2 << 3 | 2) + _VarintBytes(len(steps)) + steps)  # field 2, `assist`
    with grpc.insecure_channel(addresses.selector, options=[("grpc.max_send_message_length", 64 * MIB)]) as channel:
        set_assist = channel.unary_unary("/labelassist.v1.SelectorService/SetAssist",
                                         response_deserializer=selector_pb2.SetAssistResponse.FromString)
        return answer_of(lambda: set_assist(request, timeout=30))


def impossible_learning_curve(addresses):
    with LabelAssistClient(addresses, retries=0, timeout=10) as client:
        return answer_of(lambda: client.record_training("abuse", "unet", 1, 10**15, float("nan")))


def add_samples_unchecked(addresses):
    """A 1 GiB AddSamples stream to a project that does not exist: refused on its first message."""
    params = selector_pb2.AddSampleParams(project="no-such-project", stem="huge")
    header = common_pb2.ArrayHeader(dtype=common_pb2.DTYPE_UINT8, shape=[1 << 15, 1 << 15])
    chunk = bytes(3 * MIB)

    def messages():
        yield selector_pb2.AddSamplesRequest(parts=[selector_pb2.AddSampleRequest(params=params)])
        for offset in range(0, 1 << 30, len(chunk)):
            array = common_pb2.ArrayChunk(name="image", data=chunk, header=header if offset == 0 else None)
            yield selector_pb2.AddSamplesRequest(parts=[selector_pb2.AddSampleRequest(array=array)])

    with grpc.insecure_channel(addresses.selector) as channel:
        return answer_of(lambda: selector_pb2_grpc.SelectorServiceStub(channel).AddSamples(messages(), timeout=60))


def wide_morphology(addresses):
    mask = np.zeros((128, 128), np.uint8)
    mask[20:100, 30:90] = 1
    with LabelAssistClient(addresses, retries=0, timeout=30) as client:
        return answer_of(lambda: client.postprocess(mask, [("opening", {"radius": 50}), ("closing", {"radius": 50})]))


def wide_opening_large_mask(addresses):
    mask = np.zeros((2048, 2048), np.uint8)
    mask[100:1900, 100:1900] = 1
    with LabelAssistClient(addresses, retries=0, timeout=120) as client:
        return answer_of(lambda: client.postprocess(mask, [("opening", {"radius": 50})] * 4))


def wide_segment(addresses):
    image = np.zeros((8192, 8192), np.uint8)
    with LabelAssistClient(addresses, retries=0, timeout=60) as client:
        return answer_of(lambda: client.segment(image, [(10, 10, True), (8180, 8180, True)]))


def propagate_many_objects(addresses):
    label = np.zeros((512, 512), np.int32)
    for index in range(64 * 64):
        row, col = divmod(index, 64)
        label[row * 8 + 2:row * 8 + 6, col * 8 + 2:col * 8 + 6] = index + 1
    image = (500 * (label > 0)).astype(np.uint16)
    with LabelAssistClient(addresses, retries=0, timeout=15) as client:
        return answer_of(lambda: client.prelabel(image, method=("propagate", {"search": 500}),
                                                 reference=(label, image)))


def slow_uploads(addresses, count: int = 30, pause: float = 1.0):
    """``count`` uploads, each on its own loopback connection (one host for
    all, so no per-host cap tells them apart), trickling 1 KiB a second."""
    done = threading.Event()

    def parts():
        yield assist_pb2.PreprocessRequest(params=assist_pb2.PreprocessParams())
        header = common_pb2.ArrayHeader(dtype=common_pb2.DTYPE_UINT8, shape=[4096, 4096])
        chunk = common_pb2.ArrayChunk(name="image", header=header, data=bytes(1024))
        while not done.wait(pause):
            yield assist_pb2.PreprocessRequest(array=chunk)
            chunk = common_pb2.ArrayChunk(name="image", data=bytes(1024))

    channels = [grpc.insecure_channel(addresses.assist, options=[("grpc.use_local_subchannel_pool", 1)])
                for _ in range(count)]
    calls = [assist_pb2_grpc.AssistServiceStub(c).Preprocess(parts(), timeout=120) for c in channels]
    answers = [answer_of(lambda call=call: list(call)).split(":")[0] for call in calls]
    done.set()
    for channel in channels:
        channel.close()
    counts = {code: answers.count(code) for code in sorted(set(answers))}
    return ", ".join(f"{n} x {code}" for code, n in counts.items())


# name, attacked service, the largest array it legitimately holds (MiB), attack
ATTACKS = [
    ("training with every parameter 2^32-1", "assist", 0, endless_training),
    ("400,000 stored assist steps", "selector", 0, huge_assist_settings),
    ("learning-curve point of 10^15 labels, Dice NaN", "selector", 0, impossible_learning_curve),
    ("sample id 2^64-1", "selector", 0, huge_sample_id),
    ("page token after:10^23", "selector", 0, huge_page_token),
    ("compression bomb (16 KB -> 512 MiB)", "assist", 1, bomb),
    ("32 idle upload streams", "selector", 0, idle_streams),
    ("over-budget pipeline (nl_means at 8192²)", "assist", 64, over_budget),
    ("label id 2^26 in a 64x64 mask", "inspect", 0, huge_label_id),
    ("128 MiB AddSample", "selector", 128, large_sample),
    ("1 GiB AddSamples to a project that does not exist", "selector", 0, add_samples_unchecked),
    ("opening and closing, radius 50, on a 128² mask", "assist", 1, wide_morphology),
    ("4 openings, radius 50, on a 2048² mask", "assist", 4, wide_opening_large_mask),
    ("Segment with clicks at opposite corners of 8192²", "assist", 64, wide_segment),
    ("propagate search=500, 4,096 objects on 512²", "assist", 1, propagate_many_objects),
    ("30 uploads trickling 1 KiB/s", "assist", 0, slow_uploads),
]


def chosen(name: str, only: str) -> bool:
    """Whether ``--only`` (comma-separated parts of attack names; empty: all) picks this attack."""
    return not only or any(part in name for part in only.split(","))


def run(out: Path, idle_seconds: float, only: str = "") -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as data_dir:
        stack = Stack(data_dir=Path(data_dir), base_port=0, triton=None,
                      server_args=["--stream-idle-seconds", str(idle_seconds)])
        stack.start()
        try:
            addresses = stack.wait_until_serving(timeout=120)
            with LabelAssistClient(addresses) as client:
                client.create_project("abuse")
            for name, service, legitimate_mib, attack in (a for a in ATTACKS if chosen(a[0], only)):
                pid = stack.children[service].process.pid
                reset_peak(pid)
                bystander = Bystander(addresses)
                started = time.perf_counter()
                answer = attack(addresses)
                seconds = time.perf_counter() - started
                time.sleep(0.5)
                bystander.close()
                peak = peak_rss_mib(pid)
                limit = 2 * (legitimate_mib + 512)
                small = bystander.small_call_seconds
                rows.append({"attack": name, "service": service, "answer": answer, "seconds": round(seconds, 2),
                             "peak_rss_mib": round(peak), "rss_limit_mib": limit,
                             "health_failures": bystander.health_failures,
                             "other_client_median_s": round(statistics.median(small), 3) if small else None,
                             "other_client_max_s": round(max(small), 3) if small else None})
                print(f"{name}: {answer} in {seconds:.2f} s; {service} peak {peak:.0f} MiB (limit {limit}); "
                      f"other client max {rows[-1]['other_client_max_s']} s", flush=True)
            rows += file_attacks(addresses, only)
        finally:
            stack.stop()
    write(kept_rows(out, rows) if only else rows, out, idle_seconds)
    return rows


def kept_rows(out: Path, rows: list[dict]) -> list[dict]:
    """The earlier results with the rows of the attacks run now replaced, in
    the earlier order (a run of a few attacks with ``--only``)."""
    path = out / "abuse.json"
    earlier = json.loads(path.read_text())["rows"] if path.exists() else []
    fresh = {row["attack"]: row for row in rows}
    merged = [fresh.pop(row["attack"], row) for row in earlier]
    return merged + list(fresh.values())


def file_attacks(addresses, only: str = "") -> list[dict]:
    """Hostile exports imported and hostile folders exported through the CLI:
    the attacked process is the CLI itself (limit: 512 MiB)."""
    rows = []
    env = {**os.environ, **{f"LABELASSIST_{name.upper()}_ADDRESS": address
                            for name, address in addresses.as_dict().items()}}
    for name, attack in (a for a in abuse_files.ATTACKS if chosen(a[0], only)):
        bystander = Bystander(addresses)
        started = time.perf_counter()
        answer, peak = attack(env)
        seconds = time.perf_counter() - started
        bystander.close()
        small = bystander.small_call_seconds
        rows.append({"attack": name, "service": "CLI", "answer": answer, "seconds": round(seconds, 2),
                     "peak_rss_mib": round(peak), "rss_limit_mib": 512,
                     "health_failures": bystander.health_failures,
                     "other_client_median_s": round(statistics.median(small), 3) if small else None,
                     "other_client_max_s": round(max(small), 3) if small else None})
        print(f"{name}: {answer} in {seconds:.2f} s; CLI peak {peak:.0f} MiB", flush=True)
    return rows


def write(rows: list[dict], out: Path, idle_seconds: float) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "abuse.json").write_text(json.dumps({"machine": machine(), "stream_idle_seconds": idle_seconds,
                                                "rows": rows}, indent=2))
    lines = ["| attack | answer | s to answer | service peak RSS (limit) | health | other client's call, median / max s |",
             "|---|---|---:|---:|---|---:|"]
    for r in rows:
        health = "answered throughout" if not r["health_failures"] else "; ".join(r["health_failures"][:3])
        answer = r["answer"][:90] if r["service"] == "CLI" else r["answer"].split(":")[0]
        lines.append(f"| {r['attack']} | {answer} | {r['seconds']} | "
                     f"{r['service']} {r['peak_rss_mib']} MiB ({r['rss_limit_mib']}) | {health} | "
                     f"{r['other_client_median_s']} / {r['other_client_max_s']} |")
    (out / "abuse.md").write_text(
        f"Resource attacks on a stack on this machine ({machine()['cpus']} cores); idle streams are ended "
        f"after {idle_seconds:g} s (`--stream-idle-seconds`; 30 by default).\n\n" + "\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--idle-seconds", type=float, default=1.0,
                        help="the stack's stream idle timeout, so idle streams are answered within 2 s")
    parser.add_argument("--only", default="", help="run only the attacks whose name contains one of these "
                        "comma-separated parts (the results of the others are kept)")
    args = parser.parse_args()
    run(args.out, args.idle_seconds, args.only)


if __name__ == "__main__":
    main()
