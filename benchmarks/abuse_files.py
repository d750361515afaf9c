"""Hostile files handed to ``labelassist project import`` and hostile folders
given to ``labelassist project export``, for bench_abuse.py: each attack
builds its files in a fresh folder, runs the CLI against the stack, and
returns the answer (exit code and the first failure it names) and the CLI
process's peak memory."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

CLI = [sys.executable, "-m", "labelassist.cli"]
MEASURE = ("import resource, subprocess, sys\n"
           "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
           "print(done.returncode)\n"
           "sys.stdout.write(done.stderr)\n")
DATA_LIMIT = 4 << 30  # a bomb that gets through fails here instead of taking the shared machine's memory


def _limited():
    resource.setrlimit(resource.RLIMIT_DATA, (DATA_LIMIT, DATA_LIMIT))


def run_cli(env: dict, *args: str) -> tuple[str, float]:
    """The CLI's answer (exit code, and the first line it names a failure on) and its peak RSS in MiB."""
    done = subprocess.run([sys.executable, "-c", MEASURE, *CLI, *args], capture_output=True, text=True, env=env,
                          preexec_fn=_limited, timeout=600)
    peak_kib, code, *errors = done.stdout.splitlines() or ["nan", "?"]
    named = next((line for line in errors if line.startswith(("failed", "labelassist"))), errors[-1] if errors else "")
    return f"exit {code}: {named[:140]}", int(peak_kib) / 1024 if peak_kib.isdigit() else float("nan")


def _export(folder: Path) -> Path:
    (folder / "images").mkdir(parents=True)
    Image.fromarray(np.full((32, 40), 7, np.uint8)).save(folder / "images" / "good.png")
    (folder.parent / "outside").mkdir()
    Image.fromarray(np.full((32, 40), 201, np.uint8)).save(folder.parent / "outside" / "secret.png")
    return folder


def _coco(folder: Path, image: dict, segmentation) -> None:
    (folder / "annotations.json").write_text(json.dumps({
        "images": [image], "categories": [{"id": 1, "name": "object"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "segmentation": segmentation}]}))


def coco_outside(folder: Path) -> str:
    _coco(folder, {"id": 1, "file_name": "../outside/secret.png", "height": 32, "width": 40},
          [[2, 2, 10, 2, 10, 10]])
    return "coco"


def coco_rle_bomb(folder: Path) -> str:
    _coco(folder, {"id": 1, "file_name": "good.png", "height": 20000, "width": 20000},
          {"size": [20000, 20000], "counts": "0" + "1" * 40})
    return "coco"


def cvat_rle_bomb(folder: Path) -> str:
    (folder / "annotations.xml").write_text(
        '<annotations><image id="0" name="images/good.png" width="40" height="32"><mask label="object" '
        'rle="0, 2000000000" left="0" top="0" width="40" height="32"/></image></annotations>')
    return "cvat"


def cvat_billion_laughs(folder: Path) -> str:
    entities = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    (folder / "annotations.xml").write_text(f'<?xml version="1.0"?><!DOCTYPE a [{entities}]>'
                                            '<annotations><image id="0" name="&l9;" width="40" height="32"/>'
                                            "</annotations>")
    return "cvat"


def label_studio_brush_bomb(folder: Path) -> str:
    rle = list((600_000_000).to_bytes(4, "big")) + [0] * (268 << 10)
    (folder / "tasks.json").write_text(json.dumps([{"id": 1, "data": {"image": "images/good.png"}, "annotations": [
        {"result": [{"type": "brushlabels", "original_width": 40, "original_height": 32,
                     "value": {"format": "rle", "rle": rle, "brushlabels": ["object"]}}]}]}]))
    return "label-studio"


def zarr_bomb(folder: Path) -> str:
    store = folder / "huge.ome.zarr"
    (store / "0").mkdir(parents=True)
    (store / ".zgroup").write_text(json.dumps({"zarr_format": 2}))
    (store / ".zattrs").write_text(json.dumps({"multiscales": [{"version": "0.4", "axes": [
        {"name": "y", "type": "space"}, {"name": "x", "type": "space"}], "datasets": [
        {"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1, 1]}]}]}]}))
    (store / "0" / ".zarray").write_text(json.dumps({
        "zarr_format": 2, "shape": [30000, 30000], "chunks": [30000, 30000], "dtype": "|u1", "compressor": None,
        "fill_value": 3, "order": "C", "filters": None}))
    return "ome-zarr"


IMPORTS = [
    ("import: COCO file_name ../outside/secret.png", coco_outside),
    ("import: 0.2 KiB COCO RLE declaring 20,000²", coco_rle_bomb),
    ('import: CVAT rle="0, 2000000000"', cvat_rle_bomb),
    ("import: CVAT XML billion laughs", cvat_billion_laughs),
    ("import: 268 KiB Label Studio brush RLE declaring 600 M values", label_studio_brush_bomb),
    ("import: 0.4 KiB .zarray of 30,000²", zarr_bomb),
]


def import_attack(build):
    """An import attack as bench_abuse runs it: ``attack(env) -> (answer, peak MiB)``."""
    def attack(env: dict) -> tuple[str, float]:
        with tempfile.TemporaryDirectory() as scratch:
            folder = _export(Path(scratch) / "export")
            fmt = build(folder)
            return run_cli(env, "project", "import", f"abuse-{build.__name__}", str(folder), "--format", fmt,
                           "--create")
    return attack


def export_over_links(env: dict) -> tuple[str, float]:
    """An export into a folder whose files are links to a victim's files."""
    with tempfile.TemporaryDirectory() as scratch:
        out, victim = Path(scratch) / "out", Path(scratch) / "victim.json"
        out.mkdir()
        victim.write_text("the victim's own file")
        (out / "annotations.json").symlink_to(victim)
        answer, peak = run_cli(env, "project", "export", "abuse", "--format", "coco", "-o", str(out))
        kept = victim.read_text() == "the victim's own file" and not os.path.islink(out / "annotations.json")
        return f"{answer}; victim {'kept' if kept else 'OVERWRITTEN'}", peak


ATTACKS = [(name, import_attack(build)) for name, build in IMPORTS] + [
    ("export: annotations.json a link to a victim's file", export_over_links)]
