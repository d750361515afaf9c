"""One short run that says what a GPU gives: the bundled U-Net and click model
served by a tritonserver with their instances on the GPU.

Reports U-Net tiles per second (256², batches of 1 to 32), click latency
p50/p95 (one 96² window) and the GPU's memory in use, next to the same
calls with the instances on the CPU in the same run.

Run it on a Linux x86-64 host with an NVIDIA GPU, in an environment with
``label-assistant[services,triton]`` and a CUDA build of torch: the
bundled tritonserver (nvidia-pytriton's) runs the models' python backend
on the GPU there. Without a GPU only the CPU half runs.

The GPU recipe (ONNX Runtime, ``labelassist model onnx``) needs Triton's
onnxruntime backend, which NVIDIA's container has and the bundled server
has not: ``--onnx-repository DIR`` writes the recipe there, and with
``--onnx-triton-url`` a tritonserver serving that folder is measured too::

    python benchmarks/bench_gpu.py --onnx-repository /tmp/gpu-models
    docker run --gpus all --rm -p 8001:8001 -v /tmp/gpu-models:/models \
        nvcr.io/nvidia/tritonserver:24.08-py3 tritonserver --model-repository /models
    python benchmarks/bench_gpu.py --onnx-repository /tmp/gpu-models --onnx-triton-url 127.0.0.1:8001

    python benchmarks/bench_gpu.py [--repeats 20]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import publish  # noqa: E402

from labelassist.models import CLICK_MODEL_NAME, MODEL_NAME  # noqa: E402
from labelassist.models import repository as model_store  # noqa: E402
from labelassist.models.onnx_serving import write_gpu_repository  # noqa: E402
from labelassist.models.triton import TritonClient  # noqa: E402
from labelassist.models.tritonserver import LocalTriton  # noqa: E402

BATCHES = (1, 4, 16, 32)  # the U-Net config batches at most 32


def gpu_memory_mib() -> float | None:
    """Memory in use on the first GPU, as nvidia-smi reports it (None without one)."""
    if shutil.which("nvidia-smi") is None:
        return None
    run = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                         capture_output=True, text=True, timeout=30)
    return float(run.stdout.split()[0]) if run.returncode == 0 and run.stdout.strip() else None


def repository(root: Path, kind: str) -> Path:
    """The bundled models with their instances of ``kind`` (KIND_GPU or KIND_CPU)."""
    for name in (MODEL_NAME, CLICK_MODEL_NAME):
        config = model_store.ensure_repository(root, name) / "config.pbtxt"
        config.write_text(config.read_text().replace("KIND_CPU", kind))
    model_store.install_generalist(root)
    return root


def measure(client: TritonClient, repeats: int) -> dict:
    rng = np.random.default_rng(0)
    out = {"unet_tiles_per_s": {}, "click_ms": {}}
    for batch in BATCHES:
        tiles = rng.random((batch, 1, 256, 256), dtype=np.float32)
        client.infer(tiles)  # warm-up: the first call loads kernels
        seconds = []
        for _ in range(repeats):
            started = time.perf_counter()
            client.infer(tiles)
            seconds.append(time.perf_counter() - started)
        out["unet_tiles_per_s"][batch] = batch / statistics.median(seconds)
    window = rng.random((1, 4, 96, 96), dtype=np.float32)
    client.click_probability(window)
    seconds = []
    for _ in range(repeats * 3):
        started = time.perf_counter()
        client.click_probability(window)
        seconds.append(time.perf_counter() - started)
    ordered = sorted(seconds)
    out["click_ms"] = {"p50": 1000 * statistics.median(seconds), "p95": 1000 * ordered[int(0.95 * (len(ordered) - 1))]}
    return out


def serve_and_measure(kind: str, repeats: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        root = repository(Path(folder) / "models", kind)
        server = LocalTriton(root, Path(folder) / "run")
        server.start(models=[MODEL_NAME, CLICK_MODEL_NAME], timeout=300)
        try:
            result = measure(TritonClient(server.url), repeats)
            result["gpu_memory_mib"] = gpu_memory_mib()
        finally:
            server.stop()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--onnx-repository", type=Path,
                        help="write the ONNX Runtime GPU recipe of the bundled models to this folder")
    parser.add_argument("--onnx-triton-url", help="measure the tritonserver (NVIDIA's container) that serves "
                        "--onnx-repository at this address too")
    args = parser.parse_args()
    if args.onnx_repository is not None and not (args.onnx_repository / MODEL_NAME).is_dir():
        with tempfile.TemporaryDirectory() as folder:
            write_gpu_repository(repository(Path(folder), "KIND_CPU"), args.onnx_repository)
        print(f"wrote the ONNX Runtime GPU recipe to {args.onnx_repository}", file=sys.stderr)
    before = gpu_memory_mib()
    if before is None:
        print("no GPU: nvidia-smi is not on PATH; the GPU half is skipped", file=sys.stderr)
    results = {"idle_gpu_memory_mib": before,
               "cpu": serve_and_measure("KIND_CPU", max(args.repeats // 4, 3))}
    if before is not None:
        results["gpu"] = serve_and_measure("KIND_GPU", args.repeats)
    if args.onnx_triton_url:
        results["onnx"] = measure(TritonClient(args.onnx_triton_url), args.repeats)
        results["onnx"]["gpu_memory_mib"] = gpu_memory_mib()
    lines = ["# The bundled models on a GPU against the CPU", "",
             "| instances | " + " | ".join(f"U-Net tiles/s, batch {b}" for b in BATCHES)
             + " | click p50 ms | click p95 ms | GPU memory MiB |",
             "|---|" + "---:|" * (len(BATCHES) + 3)]
    for kind in ("onnx", "gpu", "cpu"):
        if kind in results:
            r = results[kind]
            memory = "–" if r["gpu_memory_mib"] is None else f"{r['gpu_memory_mib']:.0f}"
            label = {"onnx": "GPU, ONNX Runtime", "gpu": "GPU, python backend", "cpu": "CPU, python backend"}[kind]
            lines.append(f"| {label} | " + " | ".join(f"{r['unet_tiles_per_s'][b]:.1f}" for b in BATCHES)
                         + f" | {r['click_ms']['p50']:.1f} | {r['click_ms']['p95']:.1f} | {memory} |")
    return publish("gpu", results, lines, "python benchmarks/bench_gpu.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    raise SystemExit(main())
