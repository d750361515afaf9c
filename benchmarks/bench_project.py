"""Projects from large files: ``labelassist project create`` on a 2 GiB
OME-TIFF z-stack and on a 20,000² tiled pyramid.

    python benchmarks/bench_project.py [--stack-planes 256] [--pyramid-side 20000]

Writes both files (tile by tile, never whole) into benchmarks/out/project/,
starts a selector on a fresh SQLite store, and times ``project create`` for
each with ``--tile 1024``: planes (samples) per second and MiB per second,
the CLI's peak resident memory and the selector's, against the file's size.
A 64² single-plane project in the same run gives each process's baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import tifffile

sys.path.insert(0, str(Path(__file__).parent))
from common import publish  # noqa: E402

OUT = Path(__file__).parent / "out" / "project"
# The CLI under a wrapper that reports its own peak resident memory (KiB).
PEAK = ("import resource, runpy, sys\nsys.argv = ['labelassist', *sys.argv[1:]]\ntry:\n"
        "    runpy.run_module('labelassist.cli', run_name='__main__')\nfinally:\n"
        "    print('peak_kib', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n")


def write_stack(path: Path, planes: int, side: int = 2048) -> None:
    """A ZYX uint16 OME-TIFF, one plane at a time: smooth blobs plus noise."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:side, 0:side]
    base = (1000 + 800 * np.sin(yy / 97.0) * np.cos(xx / 131.0)).astype(np.float32)

    def planes_of():
        for z in range(planes):
            yield (base + rng.normal(0, 50, base.shape) + 5 * z).clip(0, 65535).astype(np.uint16)

    tifffile.imwrite(path, planes_of(), shape=(planes, side, side), dtype=np.uint16, ome=True,
                     metadata={"axes": "ZYX"})


def write_pyramid(path: Path, side: int, tile: int = 512) -> None:
    """A tiled, zlib-compressed uint16 OME-TIFF with two reduced levels."""
    def tiles(level_side: int):
        rng = np.random.default_rng(level_side)
        for _ in range(0, level_side, tile):
            for _ in range(0, level_side, tile):
                yield rng.integers(200, 4000, (tile, tile), dtype=np.uint16)

    with tifffile.TiffWriter(path, bigtiff=True) as writer:
        writer.write(tiles(side), shape=(side, side), dtype=np.uint16, tile=(tile, tile), compression="zlib",
                     subifds=2, metadata={"axes": "YX"})
        for factor in (2, 4):
            reduced = -(-side // factor)
            writer.write(tiles(reduced), shape=(reduced, reduced), dtype=np.uint16, tile=(tile, tile),
                         compression="zlib", subfiletype=1)


def high_water_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def start_selector(data_dir: Path) -> tuple[subprocess.Popen, str]:
    ready = data_dir / "ready.json"
    process = subprocess.Popen([sys.executable, "-m", "labelassist.selector", "--host", "127.0.0.1", "--port", "0",
                                "--data-dir", str(data_dir), "--ready-file", str(ready)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not ready.exists():
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit("the selector did not start")
        time.sleep(0.1)
    return process, json.loads(ready.read_text())["address"]


def create(name: str, path: Path, env: dict) -> dict:
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", PEAK, "project", "create", name, "--images", str(path),
                          "--tile", "1024"], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(run.stderr[-2000:])
    added = int(run.stdout.split("added ")[1].split()[0])
    return {"seconds": seconds, "samples": added, "cli_peak_kib": int(run.stderr.rsplit("peak_kib", 1)[1].split()[0])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack-planes", type=int, default=256, help="2048² uint16 planes: 256 = 2 GiB")
    parser.add_argument("--pyramid-side", type=int, default=20000)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    files = {"z-stack": OUT / f"stack_{args.stack_planes}.ome.tif",
             "pyramid": OUT / f"pyramid_{args.pyramid_side}.ome.tif", "baseline": OUT / "small.tif"}
    if not files["z-stack"].exists():
        write_stack(files["z-stack"], args.stack_planes)
    if not files["pyramid"].exists():
        write_pyramid(files["pyramid"], args.pyramid_side)
    tifffile.imwrite(files["baseline"], np.zeros((64, 64), np.uint16))
    sizes = {"z-stack": args.stack_planes * 2048 * 2048 * 2, "pyramid": args.pyramid_side ** 2 * 2, "baseline": 64 * 64 * 2}
    rows = {}
    with tempfile.TemporaryDirectory(dir=OUT) as data_dir:
        selector, address = start_selector(Path(data_dir))
        env = {**os.environ, "LABELASSIST_SELECTOR_ADDRESS": address}
        try:
            for name in ("baseline", "z-stack", "pyramid"):
                row = create(name, files[name], env)
                row["selector_peak_kib"] = high_water_kib(selector.pid)
                row["pixels_mib"] = sizes[name] / 2**20
                rows[name] = row
                print(f"{name}: {row}", file=sys.stderr)
        finally:
            selector.send_signal(signal.SIGTERM)
            selector.wait(30)
    lines = ["# Projects from large files", "",
             "`labelassist project create NAME --images FILE --tile 1024` against one selector (SQLite), each "
             "file read a band of tiles at a time; peak resident memory of the CLI and of the selector "
             "(the selector's high-water mark after each project, so it includes the ones before).", "",
             "| file | pixels MiB | samples | seconds | samples/s | MiB/s | CLI peak MiB | selector peak MiB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    described = {"baseline": "64² single plane (baseline)",
                 "z-stack": f"{args.stack_planes}×2048² uint16 z-stack, OME-TIFF",
                 "pyramid": f"{args.pyramid_side}² uint16 tiled pyramid (zlib, 2 levels)"}
    for name, row in rows.items():
        lines.append(f"| {described[name]} | {row['pixels_mib']:.0f} | {row['samples']} | {row['seconds']:.1f} | "
                     f"{row['samples'] / row['seconds']:.1f} | {row['pixels_mib'] / row['seconds']:.1f} | "
                     f"{row['cli_peak_kib'] / 1024:.0f} | {row['selector_peak_kib'] / 1024:.0f} |")
    return publish("project_files", {"rows": rows}, lines, f"python benchmarks/bench_project.py --stack-planes "
                   f"{args.stack_planes} --pyramid-side {args.pyramid_side}")


if __name__ == "__main__":
    sys.exit(main())
