"""BioImage.IO model packages: a package built here with bioimageio.spec's
own description classes, added with the real CLI to a real stack, served by
the local tritonserver, and run as a pre-label method; packages we cannot
serve refused with the reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from labelassist.client.sdk import LabelAssistClient
from shapes import disc

pytest.importorskip("bioimageio.spec", reason="the 'bioimageio' extra is not installed")
torch = pytest.importorskip("torch")
pytestmark = pytest.mark.slow

LABELASSIST = [sys.executable, "-m", "labelassist.cli"]


def tiny_network() -> torch.nn.Module:
    """Two convolutions: a 3x3 mean of the normalised image, then a gain:
    logits above 0 where the neighbourhood is half a standard deviation
    above the mean."""
    network = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(2, 1, 1))
    with torch.no_grad():
        network[0].weight[0] = 1 / 9
        network[0].weight[1] = -1 / 9
        network[0].bias.zero_()
        network[2].weight[:] = torch.tensor([4.0, -4.0]).reshape(1, 2, 1, 1)
        network[2].bias.fill_(-2.0)
    return network.eval()


class ChannelsLast(torch.nn.Module):
    """A network that takes (batch, y, x, channel), as some zoo models do."""

    def __init__(self, network: torch.nn.Module):
        super().__init__()
        self.network = network

    def forward(self, x):
        return self.network(x.permute(0, 3, 1, 2))


def edge_network() -> torch.nn.Module:
    """Channels-last foreground and boundary logits: the 3x3 mean of the
    normalised image (foreground) and its absolute Laplacian (boundary)."""
    network = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(4, 2, 1))
    laplacian = torch.tensor([[-1.0, -1, -1], [-1, 8, -1], [-1, -1, -1]]) / 8
    with torch.no_grad():
        network[0].weight[:] = torch.stack([torch.full((3, 3), 1 / 9), torch.full((3, 3), -1 / 9),
                                            laplacian, -laplacian])[:, None]
        network[0].bias.zero_()
        network[2].weight[:] = torch.tensor([[4.0, -4, 0, 0], [0, 0, 6, 6]]).reshape(2, 4, 1, 1)
        network[2].bias[:] = torch.tensor([-2.0, -3.0])
    return ChannelsLast(network).eval()


def write_package(folder: Path, network: torch.nn.Module, weights: str = "torchscript",
                  outputs: tuple[str, ...] = ("foreground",), channels_last: bool = False) -> Path:
    """A BioImage.IO package (.zip) of ``network``: z-scored input, sigmoid
    on its output channels, written with bioimageio.spec's classes."""
    from bioimageio.spec import save_bioimageio_package
    from bioimageio.spec.model import v0_5 as spec

    folder.mkdir(parents=True, exist_ok=True)
    test_input = np.random.default_rng(0).random((1, 64, 64, 1) if channels_last else (1, 1, 64, 64), np.float32)
    if weights == "torchscript":
        torch.jit.script(network).save(str(folder / "weights.pt"))
        entry = spec.TorchscriptWeightsDescr(source=folder / "weights.pt",
                                             pytorch_version=spec.Version(torch.__version__.split("+")[0]))
    else:
        # A batch of two, so the export keeps the batch axis dynamic.
        example = torch.from_numpy(np.concatenate([test_input, test_input]))
        dims = {"x": {axis: torch.export.Dim.AUTO for axis in (0, 1 + (not channels_last), 2 + (not channels_last))}}
        torch.onnx.export(network, (example,), str(folder / "weights.onnx"), input_names=["raw"],
                          output_names=["output"], dynamic_shapes=dims, dynamo=True, verbose=False)
        entry = spec.OnnxWeightsDescr(source=folder / "weights.onnx", opset_version=18)
    with torch.no_grad():
        test_output = network(torch.from_numpy(test_input)).numpy()
    np.save(folder / "input.npy", test_input)
    np.save(folder / "output.npy", 1 / (1 + np.exp(-test_output)))
    (folder / "README.md").write_text("# Test network\n\nFor the tests.\n\n## Validation\n\nNone.\n")
    space = [spec.SpaceInputAxis(id=spec.AxisId(a), size=spec.ParameterizedSize(min=16, step=16)) for a in "yx"]
    same = [spec.SpaceOutputAxis(id=spec.AxisId(a), size=spec.SizeReference(tensor_id=spec.TensorId("raw"),
                                                                             axis_id=spec.AxisId(a))) for a in "yx"]
    channel = spec.ChannelAxis(channel_names=[spec.Identifier("raw")])
    description = spec.ModelDescr(
        name="Tiny nuclei", description="a two-layer test network", authors=[spec.Author(name="Label Assistant")],
        cite=[spec.CiteEntry(text="test", url="https://bioimage.io")], license=spec.LicenseId("MIT"),
        documentation=spec.FileDescr(source=folder / "README.md"),
        inputs=[spec.InputTensorDescr(
            id=spec.TensorId("raw"),
            axes=[spec.BatchAxis(), *space, channel] if channels_last else [spec.BatchAxis(), channel, *space],
            test_tensor=spec.FileDescr(source=folder / "input.npy"),
            preprocessing=[spec.ZeroMeanUnitVarianceDescr()])],
        outputs=[spec.OutputTensorDescr(
            id=spec.TensorId("prediction"),
            axes=[spec.BatchAxis(), spec.ChannelAxis(channel_names=[spec.Identifier(n) for n in outputs]), *same],
            test_tensor=spec.FileDescr(source=folder / "output.npy"), postprocessing=[spec.SigmoidDescr()])],
        weights=spec.WeightsDescr(**{weights: entry}))
    return save_bioimageio_package(description, output_path=folder.with_suffix(".zip"))


def reference_output(network: torch.nn.Module, image: np.ndarray) -> np.ndarray:
    """The package's declared processing around ``network``, in-process:
    zero mean and unit variance over the image (eps 1e-6), then sigmoid."""
    x = np.asarray(image, np.float32)
    normalised = (x - x.mean()) / (x.std() + np.float32(1e-6))
    with torch.no_grad():
        logits = network(torch.from_numpy(normalised)[None, None])[0, 0].numpy()
    return 1 / (1 + np.exp(-logits))


def blobs(seed: int = 1, shape=(128, 160)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = disc(shape, (40, 50), 18) | disc(shape, (90, 110), 25)
    return np.clip(np.where(truth, 2600, 700) + rng.normal(0, 200, shape), 0, None).astype(np.uint16)


@pytest.fixture(scope="module")
def sdk(generalist_stack):
    with LabelAssistClient(generalist_stack.addresses, timeout=120) as client:
        yield client


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    return write_package(tmp_path_factory.mktemp("bioimageio") / "tiny-nuclei", tiny_network())


def run_cli(stack, *arguments) -> subprocess.CompletedProcess:
    return subprocess.run([*LABELASSIST, "--data-dir", str(stack.data_dir), *arguments], capture_output=True,
                          text=True, timeout=180)


def test_a_package_added_with_the_cli_prelabels_as_the_same_network_in_process(generalist_stack, sdk, package):
    added = run_cli(generalist_stack, "model", "add", str(package), "--name", "tiny")
    assert added.returncode == 0, added.stderr
    assert "bioimageio-tiny version 1" in added.stdout and "loaded into Triton" in added.stdout
    image = blobs()

    outcome = sdk.prelabel(image, method=("bioimageio", {"model": "tiny"}))

    expected = reference_output(tiny_network(), image) >= 0.5
    assert 0.05 < expected.mean() < 0.5  # a real foreground, not an empty or full mask
    assert outcome.method == "bioimageio"
    np.testing.assert_array_equal(outcome.mask > 0, expected)


def boundary_instances(probabilities: np.ndarray) -> np.ndarray:
    """The documented rule for a (foreground, boundary) output: seeds are
    the foreground off the boundaries, grown over the foreground by
    watershed on the boundary probability."""
    from skimage import measure, segmentation

    foreground, boundary = probabilities[0] >= 0.5, probabilities[1]
    seeds = measure.label(foreground & (boundary < 0.5))
    return segmentation.watershed(boundary, seeds, mask=foreground)


def test_an_onnx_channels_last_package_with_a_boundary_channel_gives_the_instances_of_its_rule(
        generalist_stack, sdk, tmp_path_factory):
    import onnxruntime

    folder = tmp_path_factory.mktemp("onnx") / "edges"
    package = write_package(folder, edge_network(), weights="onnx", outputs=("foreground", "boundary"),
                            channels_last=True)
    added = run_cli(generalist_stack, "model", "add", str(package), "--name", "edges")
    assert added.returncode == 0, added.stderr
    assert "onnx weights, boundaries output" in added.stdout
    image = blobs(seed=3)

    outcome = sdk.prelabel(image, method=("bioimageio", {"model": "edges"}))

    x = image.astype(np.float32)
    normalised = (x - x.mean()) / (x.std() + np.float32(1e-6))
    session = onnxruntime.InferenceSession(str(folder / "weights.onnx"), providers=["CPUExecutionProvider"])
    logits = session.run(None, {session.get_inputs()[0].name: normalised[None, :, :, None]})[0][0]
    expected = boundary_instances(1 / (1 + np.exp(-logits)))
    assert expected.max() >= 2  # the two discs come out as two objects
    np.testing.assert_array_equal(outcome.mask, expected)


def test_model_list_and_list_operations_show_an_added_package(generalist_stack, sdk, package):
    assert run_cli(generalist_stack, "model", "add", str(package), "--name", "listed").returncode == 0

    listing = run_cli(generalist_stack, "model", "list")

    assert listing.returncode == 0, listing.stderr
    line = next(line for line in listing.stdout.splitlines() if line.startswith("bioimageio-listed"))
    assert line.split()[1:3] == ["1", "serving"] and "method=bioimageio:model=listed" in line
    prelabel_methods = {op.name: op for op in sdk.list_operations("prelabel")}
    assert "model" in {p.name for p in prelabel_methods["bioimageio"].parameters}


def test_add_with_project_makes_the_package_the_projects_prelabel_method(generalist_stack, sdk, package):
    sdk.create_project("community-model")

    added = run_cli(generalist_stack, "model", "add", str(package), "--name", "for-project",
                    "--project", "community-model")

    assert added.returncode == 0, added.stderr
    outcome = sdk.prelabel(blobs(seed=2), project="community-model")
    assert outcome.method == "bioimageio"
    np.testing.assert_array_equal(outcome.mask > 0, reference_output(tiny_network(), blobs(seed=2)) >= 0.5)


def test_prelabel_with_a_package_that_is_not_installed_names_the_installed_ones(sdk):
    from labelassist.client.errors import NotFoundError

    with pytest.raises(NotFoundError, match="no BioImage.IO model 'absent'.*labelassist model add"):
        sdk.prelabel(blobs(), method=("bioimageio", {"model": "absent"}))


def test_an_invalid_rdf_yaml_exits_1_with_the_validation_errors(generalist_stack, tmp_path):
    rdf = tmp_path / "rdf.yaml"
    rdf.write_text("type: model\nformat_version: 0.5.4\nname: broken model\n")

    added = run_cli(generalist_stack, "model", "add", str(rdf))

    assert added.returncode == 1
    assert "is not a valid BioImage.IO package" in added.stderr and "inputs: Field required" in added.stderr
    assert "Traceback" not in added.stderr


def test_a_package_with_unsupported_weights_exits_1_naming_the_formats(generalist_stack, package, tmp_path):
    import zipfile

    with zipfile.ZipFile(package) as archive:
        archive.extractall(tmp_path)
    rdf = tmp_path / "rdf.yaml"
    rdf.write_text(rdf.read_text().replace("  torchscript:", "  keras_hdf5:")
                   .replace("pytorch_version:", "tensorflow_version:"))

    added = run_cli(generalist_stack, "model", "add", str(rdf), "--name", "keras")

    assert added.returncode == 1
    assert "has weights in keras_hdf5; supported: torchscript or onnx" in added.stderr
    assert "Traceback" not in added.stderr
    assert not (generalist_stack.model_repository / "bioimageio-keras").exists()


def test_a_package_whose_weights_triton_cannot_load_exits_1_and_is_taken_back_out(generalist_stack, package,
                                                                                  tmp_path):
    import re
    import zipfile

    with zipfile.ZipFile(package) as archive:
        archive.extractall(tmp_path)
    (tmp_path / "weights.pt").write_bytes(b"not a TorchScript archive")
    rdf = tmp_path / "rdf.yaml"
    rdf.write_text(re.sub(r"\n\s+sha256: [0-9a-f]+(?=\n\s+pytorch_version)", "", rdf.read_text()))

    added = run_cli(generalist_stack, "model", "add", str(rdf), "--name", "broken")

    assert added.returncode == 1, added.stdout
    assert "could not load bioimageio-broken, so it was not added" in added.stderr
    assert "Traceback" not in added.stderr
    assert not (generalist_stack.model_repository / "bioimageio-broken" / "1").exists()
    listing = run_cli(generalist_stack, "model", "list")
    assert "bioimageio-broken" not in listing.stdout


def test_a_package_with_more_than_three_output_channels_is_refused_naming_them(tmp_path):
    from labelassist.models.bioimage import UnsupportedPackageError, read_package

    four = write_package(tmp_path / "four", torch.nn.Conv2d(1, 4, 1).eval(), outputs=("a", "b", "c", "d"))

    with pytest.raises(UnsupportedPackageError, match="output 'prediction' has 4 channels; supported: 1 "
                                                      r"\(foreground\), 2 \(foreground, boundary\) or 3"):
        read_package(four)


def test_a_model_name_that_triton_could_not_take_is_refused(package):
    from labelassist.models.bioimage import read_package

    with pytest.raises(ValueError, match="model name 'Tiny Nuclei!'.*--name"):
        read_package(package, "Tiny Nuclei!")


def test_a_label_image_output_is_taken_as_instances_and_a_binary_one_as_its_components():
    from labelassist.assist.bioimage import instances
    from labelassist.models.bioimage import PackageSpec

    spec = PackageSpec("ids", "ids", "-", "torchscript", "bcyx", "bcyx", (16, 16), (16, 16), 0, 1, "labels", 0, None,
                       (), ())
    ids = np.zeros((1, 32, 32), np.int32)
    ids[0, 2:10, 2:10], ids[0, 10:20, 2:10], ids[0, 25:30, 25:30] = 7, 9, 9

    np.testing.assert_array_equal(instances(spec, ids), ids[0])
    assert instances(spec, (ids > 0).astype(np.int32)).max() == 2  # the touching 7 and 9 are one component


def dark_network() -> torch.nn.Module:
    """:func:`tiny_network` turned over: foreground where the neighbourhood is
    below the image's mean (dark objects)."""
    network = tiny_network()
    with torch.no_grad():
        network[2].weight.neg_()
        network[2].bias.zero_()
    return network.eval()


def _evidence_settles(sdk, project: str, wanted, timeout: float = 180.0):
    """The project once the selector's background measurements satisfy ``wanted``."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        found = sdk.get_project(project)
        if wanted(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_the_projects_prelabel_switches_to_a_package_when_its_evidence_is_better_and_away_again(
        generalist_stack, sdk, tmp_path):
    """Each submitted label measures every source assist lists (classical,
    the served U-Net version, each package) through Triton; the best with
    enough labels becomes the project's pre-label, and stops being it once
    the labels say otherwise."""
    from labelassist.imaging.measures import instance_labels
    from labelassist.imaging.segmentation import default_prelabel

    added = run_cli(generalist_stack, "model", "add", str(write_package(tmp_path / "dark", dark_network())),
                    "--name", "dark")
    assert added.returncode == 0, added.stderr
    listed = {source.key: source for source in sdk.list_prelabel_sources()}
    assert {"classical", "bioimageio:dark@1"} <= set(listed) and any(k.startswith("unet@") for k in listed)
    assert listed["bioimageio:dark@1"].method.name == "bioimageio"
    project = "evidence-switch"
    sdk.create_project(project)

    def submit(image: np.ndarray, label: np.ndarray, stem: str) -> None:
        sample_id = sdk.add_sample(project, stem, image)
        sdk.submit_label(sample_id, "annotator", instance_labels(label).astype(np.uint16))

    # Annotators who outline the dark objects exactly as the package does.
    for seed in range(3):
        image = np.clip(5000 - blobs(seed=10 + seed).astype(np.int32), 0, None).astype(np.uint16)
        submit(image, reference_output(dark_network(), image) >= 0.5, f"dark-{seed}")
    found = _evidence_settles(sdk, project, lambda p: p.best_prelabel == "bioimageio:dark@1")
    assert found.best_prelabel == "bioimageio:dark@1", [(e.source, e.labels, e.dice) for e in found.prelabel_evidence]
    assert found.best_prelabel_method.name == "bioimageio"
    evidence = {row.source: row for row in found.prelabel_evidence}
    assert evidence["bioimageio:dark@1"].available and "Tiny nuclei" in evidence["bioimageio:dark@1"].description
    assert evidence["bioimageio:dark@1"].dice > evidence["classical"].dice
    image = np.clip(5000 - blobs(seed=30).astype(np.int32), 0, None).astype(np.uint16)
    assert sdk.prelabel(image, project=project).method == "bioimageio"  # the project's pre-label, through Triton

    # Then the project's labels change to the bright objects the classical pipeline outlines.
    for seed in range(4):
        image = blobs(seed=20 + seed)
        submit(image, default_prelabel(image) > 0, f"bright-{seed}")
    found = _evidence_settles(sdk, project, lambda p: p.best_prelabel not in ("", "bioimageio:dark@1")
                              and {e.source: e.labels for e in p.prelabel_evidence}.get("classical") == 7)
    assert found.best_prelabel != "bioimageio:dark@1", [(e.source, e.labels, e.dice)
                                                        for e in found.prelabel_evidence]
    assert sdk.prelabel(blobs(seed=31), project=project).method != "bioimageio"
