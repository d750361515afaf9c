"""Promptable models of the SAM family (segment-anything's architecture)
as models of our Triton repository, with weights the operator supplies.

A checkpoint (a file, or a URL with its sha256) is read as a state dict
(never unpickling code), its image encoder's architecture read from the
weights' shapes and checked against the kind the operator names, loaded
strictly into segment-anything's own modules, and installed as two Triton
models: ``sam-NAME-encoder`` (run once per image) and ``sam-NAME-decoder``
(run per click), each holding only its part of the weights. No weights
ship with labelassist.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from labelassist import triton_template

PREFIX = "sam-"
PARTS = ("encoder", "decoder")
TEMPLATE = Path(triton_template.__file__).parent / "sam"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,50}$")
# The image encoders of segment-anything's checkpoints (its build_sam.py):
# embedding width, depth, heads and the blocks with global attention.
KINDS = {
    "vit_b": {"embed_dim": 768, "depth": 12, "num_heads": 12, "global_attn_indexes": [2, 5, 8, 11]},
    "vit_l": {"embed_dim": 1024, "depth": 24, "num_heads": 16, "global_attn_indexes": [5, 11, 17, 23]},
    "vit_h": {"embed_dim": 1280, "depth": 32, "num_heads": 16, "global_attn_indexes": [7, 15, 23, 31]},
}
# SAM's embedding grid (1024-pixel input, 16-pixel patches): the relative
# position tables of global-attention blocks span it, windowed blocks 14.
GRID = 64
PATCH_WEIGHT = "image_encoder.patch_embed.proj.weight"


class CheckpointError(ValueError):
    """A checkpoint that is not the SAM checkpoint it was said to be (named in the message)."""


@dataclass(frozen=True)
class SamSpec:
    """An installed SAM-family model: its name here, kind, image encoder and where its weights came from."""

    name: str
    kind: str
    architecture: dict
    source: str
    sha256: str

    def triton_name(self, part: str) -> str:
        return f"{PREFIX}{self.name}-{part}"


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def fetch_checkpoint(source: str, folder: Path, sha256: str | None = None) -> tuple[Path, str]:
    """The checkpoint as a local file and its sha256, checked against ``sha256`` when given.

    A URL is downloaded into ``folder`` and must come with its ``sha256``:
    what a deployment downloads is what its operator checked.

    Raises
    ------
    ValueError
        A URL without a checksum, or a file whose checksum differs (named).
    FileNotFoundError
        No file at ``source``.
    """
    expected = sha256.lower().strip() if sha256 else None
    if expected is not None and not re.fullmatch(r"[0-9a-f]{64}", expected):
        raise ValueError(f"--sha256 {sha256!r} is not a sha256 checksum (64 hexadecimal digits)")
    if str(source).startswith(("http://", "https://")):
        if expected is None:
            raise ValueError(f"a checkpoint from a URL needs its checksum: pass --sha256 (the file's sha256, "
                             f"e.g. from its publisher) for {source}")
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(suffix=".pth", dir=folder)
        with urllib.request.urlopen(source, timeout=60) as response, open(handle, "wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
        path = Path(name)
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"no checkpoint file at {source}")
    found = _digest(path)
    if expected is not None and found != expected:
        raise ValueError(f"checksum mismatch: {source} has sha256 {found}, expected {expected}; the file is "
                         "corrupt, incomplete or not the checkpoint meant")
    return path, found


def read_state(path: Path) -> dict:
    """A checkpoint's state dict (tensors only: ``weights_only`` refuses pickled code).

    A training checkpoint that nests it under "model_state", "state_dict"
    or "model" (micro-sam's, Lightning's) gives the nested one, its keys'
    "module." (data-parallel) and "sam." (micro-sam's trainer) prefixes
    taken off.
    """
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - any unreadable file is the same refusal
        raise CheckpointError(f"{path} is not a readable PyTorch checkpoint ({str(error).splitlines()[0]})") \
            from None
    for key in ("model_state", "state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
        raise CheckpointError(f"{path} holds a {type(state).__name__}, not a state dict of SAM's weights")
    return {k.removeprefix("module.").removeprefix("sam."): v for k, v in state.items()}


def read_architecture(state: dict, where: str = "the checkpoint") -> dict:
    """The image encoder's architecture, read from the weights' shapes:
    width (patch embedding), depth (blocks), heads (width over the relative
    position tables' width) and the global-attention blocks (tables that
    span the whole grid)."""
    if PATCH_WEIGHT not in state:
        sample = ", ".join(sorted(state)[:4]) or "none"
        raise CheckpointError(f"{where} is not a SAM checkpoint: it has no {PATCH_WEIGHT} (its keys start "
                              f"{sample}); segment-anything's vit_b, vit_l and vit_h checkpoints are supported")
    embed_dim = int(state[PATCH_WEIGHT].shape[0])
    depth = len({k.split(".")[2] for k in state if k.startswith("image_encoder.blocks.")})
    tables = [state.get(f"image_encoder.blocks.{i}.attn.rel_pos_h") for i in range(depth)]
    if depth == 0 or any(t is None for t in tables):
        raise CheckpointError(f"{where} has an image encoder without SAM's relative position tables; only "
                              "segment-anything's ViT encoders (vit_b, vit_l, vit_h) are supported")
    return {"embed_dim": embed_dim, "depth": depth, "num_heads": embed_dim // int(tables[0].shape[1]),
            "global_attn_indexes": [i for i, t in enumerate(tables) if t.shape[0] == 2 * GRID - 1]}


def kind_of(architecture: dict) -> str:
    """vit_b, vit_l or vit_h; "custom" for another encoder of the same design."""
    return next((kind for kind, known in KINDS.items() if known == architecture), "custom")


def check_checkpoint(state: dict, kind: str | None = None, where: str = "the checkpoint") -> tuple[str, dict]:
    """The checkpoint's kind and architecture, its weights loaded strictly
    into segment-anything's modules (every weight present, every shape right).

    Raises
    ------
    CheckpointError
        Not a SAM checkpoint, another kind than ``kind``, or weights that do
        not fit the architecture, named.
    """
    from labelassist.triton_template.sam.model import PART_MODULES, build_network, load_part

    if kind is not None and kind not in KINDS:
        raise ValueError(f"--kind {kind!r}: choose one of {', '.join(KINDS)}")
    architecture = read_architecture(state, where)
    found = kind_of(architecture)
    if kind is not None and found != kind:
        raise CheckpointError(f"{where} holds a {found} image encoder (width {architecture['embed_dim']}, depth "
                              f"{architecture['depth']}), not {kind}" + (f"; pass --kind {found}" if found in KINDS
                                                                         else ""))
    for part in PARTS:
        try:
            load_part(build_network(architecture, part), state, part)
        except RuntimeError as error:
            detail = " ".join(str(error).split())[:400]
            raise CheckpointError(f"{where}'s {' and '.join(PART_MODULES[part])} weights do not fit SAM's "
                                  f"{found} architecture: {detail}") from None
    return found, architecture


def install_checkpoint(root: Path, source: str, name: str | None = None, kind: str | None = None,
                       sha256: str | None = None) -> tuple[SamSpec, int]:
    """Check a SAM checkpoint and add it to the model repository as the
    next version of ``sam-NAME-encoder`` and ``sam-NAME-decoder``.

    Parameters
    ----------
    root : Path
        The model repository (DATA_DIR/models).
    source : str
        A checkpoint file, or an http(s) URL (then ``sha256`` is required).
    name : str, optional
        The model's name here; by default its kind (vit_b, ...).
    kind : str, optional
        vit_b, vit_l or vit_h: refuse a checkpoint of another kind.
    sha256 : str, optional
        The checkpoint's expected sha256.

    Returns
    -------
    spec : SamSpec
    version : int

    Raises
    ------
    ValueError, CheckpointError, FileNotFoundError
        As :func:`fetch_checkpoint` and :func:`check_checkpoint`; a bad name.
    """
    import torch

    downloads = Path(root) / ".downloads"
    path, digest = fetch_checkpoint(source, downloads, sha256)
    try:
        state = read_state(path)
        found, architecture = check_checkpoint(state, kind, str(source))
    finally:
        if path.parent == downloads:
            path.unlink(missing_ok=True)
    name = name or found
    if not NAME.match(name):
        raise ValueError(f"model name {name!r}: use 1-51 lowercase letters, digits, '-' or '_' (--name)")
    spec = SamSpec(name, found, architecture, str(source), digest)
    version = (installed_versions(root, name) or [0])[-1] + 1
    from labelassist.triton_template.sam.model import PART_MODULES, WEIGHT_FILES

    for part in PARTS:
        model_dir = Path(root) / spec.triton_name(part)
        model_dir.mkdir(parents=True, exist_ok=True)
        (model_dir / "config.pbtxt").write_text(triton_config(spec, part))
        staging = model_dir / f".staging-{version}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        torch.save({k: v for k, v in state.items() if k.split(".")[0] in PART_MODULES[part]},
                   staging / WEIGHT_FILES[part])
        shutil.copy2(TEMPLATE / "model.py", staging / "model.py")
        (staging / "sam.json").write_text(json.dumps({"version": version, "published_at": time.time(),
                                                      "part": part, **asdict(spec)}, indent=2))
        staging.rename(model_dir / str(version))
    return spec, version


ENCODER_IO = ('input [ { name: "INPUT", data_type: TYPE_FP32, dims: [ 1, 3, -1, -1 ] } ]\n'
              f'output [ {{ name: "EMBEDDING", data_type: TYPE_FP32, dims: [ 1, 256, {GRID}, {GRID} ] }} ]\n')
# The inputs and outputs of segment-anything's ONNX export (SamOnnxModel).
DECODER_IO = ('input [\n'
              f'  {{ name: "image_embeddings", data_type: TYPE_FP32, dims: [ 1, 256, {GRID}, {GRID} ] }},\n'
              '  { name: "point_coords", data_type: TYPE_FP32, dims: [ -1, -1, 2 ] },\n'
              '  { name: "point_labels", data_type: TYPE_FP32, dims: [ -1, -1 ] },\n'
              f'  {{ name: "mask_input", data_type: TYPE_FP32, dims: [ -1, 1, {4 * GRID}, {4 * GRID} ] }},\n'
              '  { name: "has_mask_input", data_type: TYPE_FP32, dims: [ 1 ] },\n'
              '  { name: "orig_im_size", data_type: TYPE_FP32, dims: [ 2 ] }\n]\n'
              'output [\n'
              '  { name: "masks", data_type: TYPE_FP32, dims: [ -1, 1, -1, -1 ] },\n'
              '  { name: "iou_predictions", data_type: TYPE_FP32, dims: [ -1, 1 ] },\n'
              f'  {{ name: "low_res_masks", data_type: TYPE_FP32, dims: [ -1, 1, {4 * GRID}, {4 * GRID} ] }}\n]\n')


def triton_config(spec: SamSpec, part: str) -> str:
    """A part's config.pbtxt (CPU; NVIDIA's container: ``kind: KIND_GPU``)."""
    return (f'# SAM-family {spec.kind} {part} "{spec.name}" ({spec.source}, sha256 {spec.sha256}), '
            f'run by labelassist\'s python backend model.\n'
            f'name: "{spec.triton_name(part)}"\nbackend: "python"\nmax_batch_size: 0\n'
            + (ENCODER_IO if part == "encoder" else DECODER_IO)
            + 'instance_group [ { kind: KIND_CPU, count: 1 } ]\n'
              'version_policy: { latest: { num_versions: 1 } }\n')


def installed_versions(root: Path, name: str) -> list[int]:
    """Versions installed whole: both parts present."""
    found = []
    for part in PARTS:
        model_dir = Path(root) / f"{PREFIX}{name}-{part}"
        found.append({int(p.name) for p in model_dir.iterdir() if p.is_dir() and p.name.isdigit()
                      and (p / "sam.json").exists()} if model_dir.is_dir() else set())
    return sorted(set.intersection(*found))


def installed_models(root: Path) -> dict[str, SamSpec]:
    """Every SAM-family model in the repository, name -> its newest version's spec."""
    names = {p.name.removeprefix(PREFIX).removesuffix("-encoder")
             for p in Path(root).glob(f"{PREFIX}*-encoder")} if Path(root).is_dir() else set()
    return {name: load_spec(root, name) for name in sorted(names) if installed_versions(root, name)}


def load_spec(root: Path, name: str, version: int | None = None) -> SamSpec:
    """The spec of an installed model (its newest version by default)."""
    versions = installed_versions(root, name)
    if not versions or (version is not None and version not in versions):
        from labelassist.runtime.errors import NotFoundError

        known = ", ".join(PREFIX + n for n in installed_models(root)) or "none"
        raise NotFoundError(f"no SAM-family model {PREFIX + name!r} in {root} (installed: {known}); add one with "
                            "`labelassist model add-sam CHECKPOINT`")
    meta = json.loads((Path(root) / f"{PREFIX}{name}-encoder" / str(version or versions[-1]) / "sam.json")
                      .read_text())
    return SamSpec(**{k: meta[k] for k in SamSpec.__dataclass_fields__})
