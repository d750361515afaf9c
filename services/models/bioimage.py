"""BioImage.IO model packages (the community's model format: an ``rdf.yaml``
with its weights) as models of our Triton repository.

A package is read and validated with ``bioimageio.spec`` (the 'bioimageio'
extra), checked against what we serve (one 2D single-channel input; one
output of 1-3 channels or a label image; TorchScript or ONNX weights; the
declared processing steps of :mod:`processing`), and installed as the
model ``bioimageio-<name>``: Triton's python backend runs its weights, and
:func:`predict` applies the declared pre-processing to the whole image,
sends tiles, blends them and applies the declared post-processing. What
the output means (:data:`OUTPUT_KINDS`) is decided here once, at install.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from labelassist import triton_template
from labelassist.imaging.tiling import blend_tiles
from labelassist.models.processing import PROCESSING, apply_processing
from labelassist.runtime.calls import cancellation_check

PREFIX = "bioimageio-"
TEMPLATE = Path(triton_template.__file__).parent / "bioimageio"
# Weight formats in the order we prefer them; Triton's python backend runs both on CPU or GPU.
WEIGHT_FILES = {"torchscript": "model.pt", "onnx": "model.onnx"}
# probability: one foreground probability channel. boundaries: a foreground
# and a boundary channel (and maybe background): instances grow from the
# foreground away from boundaries. labels: an integer image of instance ids.
OUTPUT_KINDS = ("probability", "boundaries", "labels")
TILE = 512
OVERLAP = 64
TILES_PER_REQUEST = 4
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class UnsupportedPackageError(ValueError):
    """A valid package that needs something we do not serve (named in the message)."""


@dataclass(frozen=True)
class PackageSpec:
    """What serving a package needs, as read from its description once.

    Axes are strings of ``b`` (batch), ``c`` (channel), ``y``, ``x`` in the
    network's order; sizes are (y, x); a step of 0 means a fixed size.
    """
    name: str
    title: str
    source: str
    weights: str
    input_axes: str
    output_axes: str
    size_min: tuple[int, int]
    size_step: tuple[int, int]
    halo: int
    channels: int
    output_kind: str
    foreground_channel: int
    boundary_channel: int | None
    preprocessing: tuple
    postprocessing: tuple

    @property
    def triton_name(self) -> str:
        return PREFIX + self.name

    def window_shape(self, height: int, width: int) -> tuple[int, int]:
        """The smallest input shape the network takes that holds (height, width)."""
        def fit(side, low, step):
            if step == 0:
                if side > low:
                    raise ValueError(f"{self.name}: the network takes windows of exactly {low} pixels")
                return low
            return low + max(0, -(-(side - low) // step)) * step
        return fit(height, self.size_min[0], self.size_step[0]), fit(width, self.size_min[1], self.size_step[1])


def _letter(axis, where: str) -> str:
    kind, ident = str(axis.type), str(axis.id)
    if kind == "batch":
        return "b"
    if kind == "channel":
        return "c"
    if kind == "space" and ident in ("y", "x"):
        return ident
    what = "a z axis (3D)" if ident == "z" else f"a {kind} axis {ident!r}"
    raise UnsupportedPackageError(f"{where} has {what}; only 2D (y, x) tensors with optional batch and channel "
                                  "axes are supported")


def _steps(operations, where: str, tensor_id: str) -> tuple:
    steps = []
    for operation in operations:
        name = str(operation.id)
        if name not in PROCESSING:
            raise UnsupportedPackageError(f"{where} declares the processing step {name!r}; supported: "
                                          f"{', '.join(PROCESSING)}")
        kwargs = operation.kwargs.model_dump(mode="json") if getattr(operation, "kwargs", None) else {}
        reference = kwargs.pop("reference_tensor", None)
        if reference not in (None, tensor_id):
            raise UnsupportedPackageError(f"{where}: {name} refers to another tensor ({reference!r})")
        steps.append((name, {k: v for k, v in kwargs.items() if v is not None or k == "axes"}))
    return tuple(steps)


def _channel_count(axes) -> int:
    for axis in axes:
        if str(axis.type) == "channel":
            return len(axis.channel_names)
    return 1


def _channel_names(axes) -> list[str]:
    for axis in axes:
        if str(axis.type) == "channel":
            return [str(n).lower() for n in axis.channel_names]
    return []


def _output_meaning(output, channels: int) -> tuple[str, int, int | None]:
    """Output kind, foreground channel, boundary channel: channel names that
    say "fore"/"bound" decide; else 1 channel is foreground, 2 are
    (foreground, boundary), 3 are (background, foreground, boundary)."""
    data = output.data[0] if isinstance(output.data, (list, tuple)) else output.data
    dtype = str(data.type)
    if dtype.startswith(("int", "uint")):
        if channels != 1:
            raise UnsupportedPackageError(f"output {output.id!r} is an integer image of {channels} channels; "
                                          "a label image has one")
        return "labels", 0, None
    if channels == 1:
        return "probability", 0, None
    if channels > 3:
        raise UnsupportedPackageError(f"output {output.id!r} has {channels} channels; supported: 1 (foreground), "
                                      "2 (foreground, boundary) or 3 (background, foreground, boundary)")
    names = _channel_names(output.axes)
    foreground = next((i for i, n in enumerate(names) if "fore" in n), None)
    boundary = next((i for i, n in enumerate(names) if "bound" in n), None)
    if foreground is None or boundary is None:
        foreground, boundary = (0, 1) if channels == 2 else (1, 2)
    return "boundaries", foreground, boundary


def _input_sizes(tensor) -> tuple[tuple[int, int], tuple[int, int]]:
    low, step = {}, {}
    for axis in tensor.axes:
        if str(axis.type) != "space":
            continue
        size = axis.size
        if isinstance(size, int):
            low[str(axis.id)], step[str(axis.id)] = size, 0
        elif hasattr(size, "step"):
            low[str(axis.id)], step[str(axis.id)] = int(size.min), int(size.step)
        else:
            raise UnsupportedPackageError(f"input {tensor.id!r} axis {axis.id!r} takes its size from another "
                                          "tensor; supported: a fixed or a parameterized (min + n*step) size")
    return (low["y"], low["x"]), (step["y"], step["x"])


def _output_halo(tensor, input_id: str, size_min: tuple[int, int], size_step: tuple[int, int]) -> int:
    """The output's halo; refuses outputs that are not the input's size."""
    halo = 0
    for axis in tensor.axes:
        if str(axis.type) != "space":
            continue
        size, scale = axis.size, float(getattr(axis, "scale", 1.0) or 1.0)
        same = (str(getattr(size, "tensor_id", "")) == input_id and str(getattr(size, "axis_id", "")) == str(axis.id)
                and not getattr(size, "offset", 0))
        fixed_same = isinstance(size, int) and size == size_min["yx".index(str(axis.id))] \
            and size_step["yx".index(str(axis.id))] == 0
        if not (same or fixed_same) or scale != 1.0:
            raise UnsupportedPackageError(f"output {tensor.id!r} axis {axis.id!r} is not the input's size; only "
                                          "outputs of the input's size are supported")
        halo = max(halo, int(getattr(axis, "halo", 0) or 0))
    return halo


def _validation_errors(invalid) -> str:
    summary = invalid.validation_summary
    errors = [f"{'.'.join(map(str, e.loc)) or '-'}: {e.msg}" for detail in summary.details for e in detail.errors]
    return "; ".join(errors[:5]) + (f" (and {len(errors) - 5} more)" if len(errors) > 5 else "") or summary.status


def slug(text: str) -> str:
    """A model name from a package's id or name: lowercase letters, digits, - and _."""
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")[:63]


def read_package(source: str | Path, name: str | None = None):
    """Validate a package with ``bioimageio.spec`` and read what serving it needs.

    Parameters
    ----------
    source : str or Path
        A package (.zip), its ``rdf.yaml``/``bioimageio.yaml``, or a URL.
    name : str, optional
        The model's name here; by default the package's id, else its name.

    Returns
    -------
    spec : PackageSpec
    description : bioimageio.spec ModelDescr
        To read the weights from (:func:`install_package`).

    Raises
    ------
    ValueError
        Not a valid package (the validation errors), not a model, or a bad name.
    UnsupportedPackageError
        A valid package needing what we do not serve, named.
    """
    try:
        from bioimageio.spec import InvalidDescr, load_description
        from bioimageio.spec.model.v0_5 import ModelDescr
    except ImportError:
        raise RuntimeError("BioImage.IO packages need the 'bioimageio' extra: "
                           "pip install 'label-assistant[bioimageio]'") from None
    if not str(source).startswith(("http://", "https://")) and not Path(source).exists():
        raise FileNotFoundError(f"no BioImage.IO package at {source}")
    description = load_description(str(source), format_version="latest")
    if isinstance(description, InvalidDescr):
        raise ValueError(f"{source} is not a valid BioImage.IO package: {_validation_errors(description)}")
    if not isinstance(description, ModelDescr):
        raise ValueError(f"{source} describes a {description.type}, not a model")
    if len(description.inputs) != 1 or len(description.outputs) != 1:
        raise UnsupportedPackageError(f"{source} has {len(description.inputs)} input(s) and "
                                      f"{len(description.outputs)} output(s); supported: one of each")
    formats = [f for f in WEIGHT_FILES if getattr(description.weights, f, None) is not None]
    if not formats:
        present = [f for f, entry in description.weights if entry is not None]
        raise UnsupportedPackageError(f"{source} has weights in {', '.join(present)}; supported: "
                                      f"{' or '.join(WEIGHT_FILES)}")
    tensor, output = description.inputs[0], description.outputs[0]
    input_axes = "".join(_letter(a, f"input {tensor.id!r}") for a in tensor.axes)
    output_axes = "".join(_letter(a, f"output {output.id!r}") for a in output.axes)
    if _channel_count(tensor.axes) != 1:
        raise UnsupportedPackageError(f"input {tensor.id!r} has {_channel_count(tensor.axes)} channels; "
                                      "supported: one (a grey image)")
    size_min, size_step = _input_sizes(tensor)
    channels = _channel_count(output.axes)
    kind, foreground, boundary = _output_meaning(output, channels)
    name = name or slug(str(description.id or "") or description.name)
    if not NAME.match(name or ""):
        raise ValueError(f"model name {name!r}: use 1-63 lowercase letters, digits, '-' or '_' (--name)")
    spec = PackageSpec(
        name=name, title=description.name, source=str(source), weights=formats[0],
        input_axes=input_axes, output_axes=output_axes, size_min=size_min, size_step=size_step,
        halo=_output_halo(output, str(tensor.id), size_min, size_step), channels=channels, output_kind=kind,
        foreground_channel=foreground, boundary_channel=boundary,
        preprocessing=_steps(tensor.preprocessing, f"input {tensor.id!r}", str(tensor.id)),
        postprocessing=_steps(output.postprocessing, f"output {output.id!r}", str(output.id)))
    return spec, description


def install_package(root: Path, source: str | Path, name: str | None = None) -> tuple[PackageSpec, int]:
    """Add a package to the model repository as the next version of
    ``bioimageio-<name>`` (config.pbtxt, model.py, its weights and
    package.json); the version folder appears whole. Raises as
    :func:`read_package`."""
    from bioimageio.spec.utils import get_reader

    spec, description = read_package(source, name)
    model_dir = Path(root) / spec.triton_name
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / "config.pbtxt").write_text(triton_config(spec))
    version = (package_versions(root, spec.name) or [0])[-1] + 1
    staging = model_dir / f".staging-{version}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    weights = getattr(description.weights, spec.weights)
    (staging / WEIGHT_FILES[spec.weights]).write_bytes(get_reader(weights.source, sha256=weights.sha256).read())
    shutil.copy2(TEMPLATE / "model.py", staging / "model.py")
    (staging / "package.json").write_text(json.dumps({"version": version, "published_at": time.time(),
                                                      "source": "bioimageio", **asdict(spec)}, indent=2))
    staging.rename(model_dir / str(version))
    return spec, version


def triton_config(spec: PackageSpec) -> str:
    """The package's config.pbtxt: batches of (channel, y, x) in, (channel, y, x) out."""
    return (f'# BioImage.IO package "{spec.title}" ({spec.source}), run by labelassist\'s python backend model.\n'
            f'name: "{spec.triton_name}"\nbackend: "python"\nmax_batch_size: {TILES_PER_REQUEST * 2}\n'
            'input [ { name: "INPUT", data_type: TYPE_FP32, dims: [ 1, -1, -1 ] } ]\n'
            f'output [ {{ name: "OUTPUT", data_type: TYPE_FP32, dims: [ {spec.channels}, -1, -1 ] }} ]\n'
            'instance_group [ { kind: KIND_CPU, count: 1 } ]\n'
            'dynamic_batching { priority_levels: 2 default_priority_level: 2 }\n'
            'version_policy: { latest: { num_versions: 1 } }\n')


def package_versions(root: Path, name: str) -> list[int]:
    model_dir = Path(root) / (PREFIX + name)
    if not model_dir.is_dir():
        return []
    return sorted(int(p.name) for p in model_dir.iterdir()
                  if p.is_dir() and p.name.isdigit() and (p / "package.json").exists())


def installed_packages(root: Path) -> dict[str, PackageSpec]:
    """Every package in the repository, name -> its newest version's spec."""
    found = {}
    for folder in sorted(Path(root).glob(PREFIX + "*")) if Path(root).is_dir() else []:
        name = folder.name.removeprefix(PREFIX)
        versions = package_versions(root, name)
        if versions:
            found[name] = load_spec(root, name, versions[-1])
    return found


def load_spec(root: Path, name: str, version: int | None = None) -> PackageSpec:
    """The spec of an installed package (its newest version by default)."""
    versions = package_versions(root, name)
    if not versions or (version is not None and version not in versions):
        from labelassist.runtime.errors import NotFoundError

        known = ", ".join(installed_names(root)) or "none"
        raise NotFoundError(f"no BioImage.IO model {name!r} in {root} (installed: {known}); add one with "
                            "`labelassist model add PACKAGE`")
    meta = json.loads((Path(root) / (PREFIX + name) / str(version or versions[-1]) / "package.json").read_text())
    fields = {k: meta[k] for k in PackageSpec.__dataclass_fields__}
    fields.update(size_min=tuple(fields["size_min"]), size_step=tuple(fields["size_step"]),
                  preprocessing=tuple((s, dict(k)) for s, k in fields["preprocessing"]),
                  postprocessing=tuple((s, dict(k)) for s, k in fields["postprocessing"]))
    return PackageSpec(**fields)


def installed_names(root: Path) -> list[str]:
    return [p.name.removeprefix(PREFIX) for p in sorted(Path(root).glob(PREFIX + "*"))
            if package_versions(root, p.name.removeprefix(PREFIX))] if Path(root).is_dir() else []


def predict(spec: PackageSpec, image: np.ndarray, infer: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The package's processed output (channels, H, W) for a grey image.

    Parameters
    ----------
    spec : PackageSpec
    image : ndarray
        A grey image (H, W).
    infer : callable
        (N, 1, h, w) float32 windows of an accepted shape -> (N, channels, h, w)
        raw outputs (Triton's model, or the network in-process).

    Returns
    -------
    ndarray
        float32 (or the declared integer type), after the declared post-processing.
    """
    sample = apply_processing(np.asarray(image, np.float32)[None], spec.preprocessing)[0].astype(np.float32)
    height, width = sample.shape
    if spec.output_kind == "labels":
        # Instance ids of separate windows do not blend: one window holds the image.
        tile = max(spec.window_shape(height, width))
        overlap = 0
    else:
        tile = max(spec.window_shape(min(height, TILE), min(width, TILE)))
        overlap = min(max(OVERLAP, 2 * spec.halo), tile // 2)

    def predict_windows(windows: list[np.ndarray]) -> list[np.ndarray]:
        shape = spec.window_shape(max(w.shape[0] for w in windows), max(w.shape[1] for w in windows))
        batch = np.stack([np.pad(w, ((0, shape[0] - w.shape[0]), (0, shape[1] - w.shape[1])), mode="reflect")
                          for w in windows])[:, None]
        outputs = infer(batch.astype(np.float32))
        return [outputs[i, :, :h, :w] for i, (h, w) in enumerate(w.shape for w in windows)]

    if spec.output_kind == "labels":
        output = predict_windows([sample])[0]
    else:
        output = blend_tiles(predict_windows, sample, tile, overlap, classes=spec.channels, batch=TILES_PER_REQUEST,
                             check_cancelled=cancellation_check())
    return apply_processing(output, spec.postprocessing)
