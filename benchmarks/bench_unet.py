"""U-Net on HeLa, and Triton against in-process torch.

    python benchmarks/bench_unet.py [--tiles 32] [--epochs 8]

1. Trains the U-Net on ``--tiles`` random 128² tiles of the training frames
   (0-13) and reports foreground Dice on the whole test frames (14-19).
2. Publishes it, starts a tritonserver (the local bundle, or --triton-url for
   a GPU host) and measures single-image latency and throughput (images/s) at
   batch sizes 1, 8 and 32 against the same model in-process.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import footer, machine, median_seconds, write_results  # noqa: E402
from hela import hela_frames  # noqa: E402

from labelassist.models import repository as model_store  # noqa: E402
from labelassist.models.training import TrainingConfig, predict_mask, train_unet  # noqa: E402
from labelassist.imaging.measures import dice  # noqa: E402
from labelassist.models.unet import predict_probabilities  # noqa: E402


def _train(images, masks, args) -> tuple:
    """Train on random 128² crops of frames 0-13: the result, its config and seconds."""
    rng = np.random.default_rng(args.seed)
    crops = []
    for _ in range(args.tiles):
        frame, top, left = rng.integers(0, 14), rng.integers(0, 700 - 128), rng.integers(0, 1100 - 128)
        crops.append((images[frame, top:top + 128, left:left + 128], masks[frame, top:top + 128, left:left + 128]))
    config = TrainingConfig(epochs=args.epochs, seed=args.seed)
    started = time.perf_counter()
    result = train_unet([c[0] for c in crops], [c[1] for c in crops], config,
                        progress=lambda r: print(f"epoch {r.epoch}: loss {r.loss:.3f}", file=sys.stderr))
    return result, config, time.perf_counter() - started


def _latencies(model, triton_url: str | None) -> dict[int, tuple[float, float]]:
    """Median seconds per batch of 256² tiles, in-process and through Triton
    (the local bundle unless ``triton_url`` names one)."""
    from labelassist.models.tritonserver import LocalTriton
    import tritonclient.grpc as triton

    rows = {}
    with tempfile.TemporaryDirectory() as workdir:
        model_store.publish(Path(workdir) / "models", model, {"bench": True})
        server = None
        url = triton_url
        if url is None:
            server = LocalTriton(Path(workdir) / "models", Path(workdir) / "run")
            server.start(models=["unet"])
            url = server.url
        client = triton.InferenceServerClient(url)
        while not client.is_model_ready("unet"):
            time.sleep(0.2)
        tile = np.random.default_rng(1).random((256, 256)).astype(np.float32)
        try:
            for batch_size in (1, 8, 32):
                batch = np.repeat(tile[None, None], batch_size, axis=0)

                def via_triton():
                    image = triton.InferInput("IMAGE", list(batch.shape), "FP32")
                    image.set_data_from_numpy(batch)
                    client.infer("unet", [image])

                local, _ = median_seconds(lambda: predict_probabilities(model, batch), 5)
                remote, _ = median_seconds(via_triton, 5)
                rows[batch_size] = (local, remote)
        finally:
            if server is not None:
                server.stop()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--triton-url", default=None, help="an existing Triton (GPU host); default: local bundle")
    args = parser.parse_args()
    images, masks = hela_frames()
    result, config, training_s = _train(images, masks, args)
    test_dice = [dice(predict_mask(result.model, images[f]), masks[f]) for f in range(14, 20)]
    rows = _latencies(result.model, args.triton_url)
    lines = ["# U-Net on HeLa, and Triton vs. in-process torch", "",
             f"Trained on {args.tiles} random 128² tiles of training frames 0-13 ({args.epochs} epochs × "
             f"{config.steps_per_epoch} batches of {config.batch_size}, depth {config.depth}, width {config.width}, "
             f"seed {args.seed}) in {training_s:.0f} s.", "",
             f"**Test Dice** on the whole frames 14-19 (700×1100): mean {np.mean(test_dice):.4f}, "
             f"worst {np.min(test_dice):.4f}.", "",
             "Inference on 256² tiles, median of 5:", "",
             "| batch | in-process ms | Triton ms | in-process img/s | Triton img/s | Triton / in-process time |",
             "|---:|---:|---:|---:|---:|---:|"]
    for batch_size, (local, remote) in rows.items():
        lines.append(f"| {batch_size} | {local * 1e3:.1f} | {remote * 1e3:.1f} | {batch_size / local:.1f} | "
                     f"{batch_size / remote:.1f} | {remote / local:.2f} |")
    info = machine()
    lines += footer(info, f"python benchmarks/bench_unet.py --tiles {args.tiles} --epochs {args.epochs}",
                    f"; Triton: {'local bundle (CPU)' if args.triton_url is None else args.triton_url}")
    table = "\n".join(lines)
    write_results("unet_hela", {"test_dice": test_dice, "training_s": training_s,
                                "latency_s": {str(k): v for k, v in rows.items()}, "machine": info}, table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
