"""The GPU recipe (ONNX Runtime): the exported U-Net and click model answer
as the torch models do, under the names, inputs and outputs the services
call. Held on ONNX Runtime's CPU provider (the 'onnx' extra), atol 1e-4 on
probabilities in [0, 1] and on embeddings."""

from pathlib import Path

import numpy as np
import pytest

ATOL = 1e-4


@pytest.fixture(scope="module")
def gpu_recipe(tmp_path_factory):
    pytest.importorskip("onnxruntime", reason="the 'onnx' extra is not installed")
    from labelassist.models import repository as model_store
    from labelassist.models.onnx_serving import write_gpu_repository

    source, target = tmp_path_factory.mktemp("published"), tmp_path_factory.mktemp("gpu")
    model_store.install_generalist(source)
    assert write_gpu_repository(source, target) == {"unet": 1, "clicknet": 1}
    return target


def session(recipe: Path, name: str):
    import onnxruntime

    return onnxruntime.InferenceSession(str(recipe / name / "1" / "model.onnx"), providers=["CPUExecutionProvider"])


def torch_outputs(name: str, batch: np.ndarray):
    import torch

    from labelassist.models import generalist

    model, _ = generalist.load_bundled(name)
    with torch.no_grad():
        logits, embedding = model(torch.from_numpy(batch))
    return torch.softmax(logits, dim=1).numpy(), embedding.numpy()


def hela_tiles(count: int, side: int) -> np.ndarray:
    from labelassist.imaging.tiling import normalize_image
    from labelassist.io.bundled import hela_sample

    images, _ = hela_sample()
    return np.stack([normalize_image(images[i])[:side, :side] for i in range(count)])[:, None].astype(np.float32)


def test_the_onnx_unet_gives_the_torch_unets_probabilities_and_embedding_on_random_and_real_tiles(gpu_recipe):
    unet = session(gpu_recipe, "unet")
    random_tiles = np.random.default_rng(0).random((3, 1, 96, 128), dtype=np.float32)
    for batch in (random_tiles, hela_tiles(2, 128)):
        probability, variance, embedding, bald = unet.run(
            None, {"IMAGE": batch, "MC_SAMPLES": np.full((len(batch), 1), 8, np.int32)})
        expected_probability, expected_embedding = torch_outputs("unet", batch)
        np.testing.assert_allclose(probability, expected_probability, atol=ATOL)
        np.testing.assert_allclose(embedding, expected_embedding, atol=ATOL)
        # One deterministic pass: no Monte-Carlo spread.
        assert not variance.any() and not bald.any() and bald.shape == batch[:, 0].shape


def test_the_onnx_click_model_gives_the_torch_click_models_foreground_probability(gpu_recipe):
    clicknet = session(gpu_recipe, "clicknet")
    image = hela_tiles(1, 96)[:, 0]
    positive = np.zeros_like(image)
    rows, cols = np.ogrid[:96, :96]
    positive[0][(rows - 48) ** 2 + (cols - 48) ** 2 <= 9] = 1.0  # a click in the middle
    real = np.stack([image, positive, np.zeros_like(image), np.zeros_like(image)], axis=1)
    random_windows = np.random.default_rng(1).random((4, 4, 96, 96), dtype=np.float32)
    for batch in (real, random_windows):
        (probability,) = clicknet.run(None, {"INPUT": batch})
        np.testing.assert_allclose(probability, torch_outputs("clicknet", batch)[0][:, 1], atol=ATOL)


def test_the_gpu_configs_serve_the_names_inputs_and_outputs_of_the_python_backend_configs(gpu_recipe):
    from google.protobuf import text_format
    from tritonclient.grpc import model_config_pb2

    from labelassist.models.repository import TEMPLATES

    def parse(path: Path):
        return text_format.Parse(path.read_text(), model_config_pb2.ModelConfig())

    for name in ("unet", "clicknet"):
        served, python = parse(gpu_recipe / name / "config.pbtxt"), parse(TEMPLATES / name / "config.pbtxt")
        assert served.name == python.name == name and served.platform == "onnxruntime_onnx"
        assert [(i.name, list(i.dims)) for i in served.input] == [(i.name, list(i.dims)) for i in python.input]
        assert [(o.name, list(o.dims)) for o in served.output] == [(o.name, list(o.dims)) for o in python.output]
        assert served.instance_group[0].kind == model_config_pb2.ModelInstanceGroup.KIND_GPU
        assert served.dynamic_batching.priority_levels == python.dynamic_batching.priority_levels == 2
        onnx_inputs = [i.name for i in session(gpu_recipe, name).get_inputs()]
        assert onnx_inputs == [i.name for i in served.input]
