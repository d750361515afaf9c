"""How long the selector takes to make a batch of new image files durable,
by ``--blob-sync`` mode: one ``syncfs`` of the file system ("filesystem")
against an ``fsync`` of each file and folder ("files"), on batches of fresh
16×16 uint16 blobs in a folder on this machine's disk, the two modes taken
in turn in one process.

    python benchmarks/bench_blob_sync.py --files 2000 --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, publish  # noqa: E402

from labelassist.selector.blobs import BLOB_SYNC_MODES, BlobStore, file_system_type  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000, help="new blobs per batch")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--folder", type=Path, default=Path(__file__).parent / "out",
                        help="where the blob folders are made (on the disk to measure)")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    seconds = {mode: [] for mode in BLOB_SYNC_MODES}
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        stores = {mode: BlobStore(Path(folder) / mode, mode) for mode in BLOB_SYNC_MODES}
        for _ in range(args.rounds):
            for mode, store in stores.items():
                written = [store.put_new(rng.integers(0, 4000, (16, 16), dtype=np.uint16))[0]
                           for _ in range(args.files)]
                started = time.perf_counter()
                store.sync(written)
                seconds[mode].append(time.perf_counter() - started)
        kind = file_system_type(Path(folder))
    medians = {mode: statistics.median(values) for mode, values in seconds.items()}
    lines = ["# Making a batch of new blob files durable", "",
             f"{args.files} new 16×16 uint16 blobs per batch, {args.rounds} rounds, the modes in turn in one process, "
             f"on a {kind} file system.", "",
             "| `--blob-sync` | median s per batch | ms per 1,000 files | each round (s) |", "|---|---:|---:|---|"]
    for mode, values in seconds.items():
        lines.append(f"| {mode} | {medians[mode]:.3f} | {1000 * medians[mode] / args.files * 1000:.1f} | "
                     + " ".join(f"{v:.3f}" for v in values) + " |")
    lines += ["", f"files / filesystem: {medians['files'] / medians['filesystem']:.1f}×"]
    command = "python benchmarks/bench_blob_sync.py " + " ".join(sys.argv[1:])
    return publish("blob_sync", {"files": args.files, "rounds": args.rounds, "file_system": kind,
                                 "seconds": seconds, "medians": medians, "machine": machine(), "command": command},
                   lines, command.strip())


if __name__ == "__main__":
    sys.exit(main())
