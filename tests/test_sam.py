"""SAM-family models: segment-anything's real architecture at random
initialisation (a small ViT encoder), saved as an operator's checkpoint,
added with the real CLI to a real stack, served by the local tritonserver
as an encoder and a decoder, and asked for objects by clicks. The encoder
runs once per image, the decoder once per click (Triton's own counts);
checkpoints that are not what they are said to be are refused by name."""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from labelassist.client.sdk import LabelAssistClient

torch = pytest.importorskip("torch")
if importlib.util.find_spec("segment_anything") is None:  # importing it would need torchvision
    pytest.skip("the 'sam' extra is not installed", allow_module_level=True)
pytestmark = pytest.mark.slow

LABELASSIST = [sys.executable, "-m", "labelassist.cli"]
# A small image encoder of SAM's design: width 64, two blocks, the second with global attention.
SMALL = {"embed_dim": 64, "depth": 2, "num_heads": 2, "global_attn_indexes": [1]}


def sam_state(architecture: dict, seed: int = 0) -> dict:
    """segment-anything's Sam of ``architecture`` at random initialisation, as a state dict."""
    from labelassist.triton_template.sam.model import modeling

    build_sam, _ = modeling()
    torch.manual_seed(seed)
    return build_sam._build_sam(architecture["embed_dim"], architecture["depth"], architecture["num_heads"],
                                architecture["global_attn_indexes"]).state_dict()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sam") / "sam_small.pth"
    torch.save(sam_state(SMALL), path)
    return path


def run_cli(stack, *arguments) -> subprocess.CompletedProcess:
    return subprocess.run([*LABELASSIST, "--data-dir", str(stack.data_dir), *arguments], capture_output=True,
                          text=True, timeout=180)


@pytest.fixture(scope="module")
def installed(stack, checkpoint) -> subprocess.CompletedProcess:
    digest = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    return run_cli(stack, "model", "add-sam", str(checkpoint), "--name", "small", "--sha256", digest)


@pytest.fixture(scope="module")
def sdk(stack):
    with LabelAssistClient(stack.addresses, timeout=120) as client:
        yield client


def inference_counts(stack) -> dict[str, int]:
    """How many requests Triton's SAM encoder and decoder have run."""
    from labelassist.models.triton_access import connect

    client = connect(stack.triton_url)  # the stack's own socket: only its user reaches it
    return {part: int(client.get_inference_statistics(f"sam-small-{part}", as_json=True)["model_stats"][0]
                      .get("inference_count", 0)) for part in ("encoder", "decoder")}


def cells(seed: int, shape=(180, 240)) -> np.ndarray:
    from shapes import disc

    rng = np.random.default_rng(seed)
    truth = disc(shape, (60, 70), 20) | disc(shape, (120, 170), 28)
    return np.clip(np.where(truth, 2600, 700) + rng.normal(0, 200, shape), 0, None).astype(np.uint16)


def test_add_sam_installs_an_encoder_and_a_decoder_and_loads_both_into_triton(stack, installed):
    assert installed.returncode == 0, installed.stderr
    assert "as sam-small version 1 (sam-small-encoder, sam-small-decoder)" in installed.stdout
    assert "loaded into Triton" in installed.stdout
    listing = run_cli(stack, "model", "list")
    line = next(line for line in listing.stdout.splitlines() if line.startswith("sam-small"))
    assert line.split()[1:5] == ["1", "serving", "sam", "custom"]


def test_the_encoder_runs_once_per_image_and_the_decoder_once_per_click(stack, installed, sdk):
    image = cells(seed=1)
    before = inference_counts(stack)
    clicks = [(60, 70, True), (120, 170, True), (10, 10, False)]

    answers = [sdk.segment(image, clicks[:n], model="sam-small") for n in (1, 2, 3)]

    after = inference_counts(stack)
    assert after["encoder"] - before["encoder"] == 1
    assert after["decoder"] - before["decoder"] == 3
    assert all(answer.mask.shape == image.shape for answer in answers)
    assert {(a.runtime, a.model_version, a.model_source) for a in answers} == {("triton", 1, "sam custom")}


def test_a_second_image_misses_the_cache_and_a_repeated_one_hits_it(stack, installed, sdk):
    first, second = cells(seed=2), cells(seed=3, shape=(200, 150))
    before = inference_counts(stack)

    sdk.segment(first, [(60, 70, True)], model="sam-small")
    sdk.segment(second, [(60, 70, True)], model="sam-small")
    repeated = sdk.segment(first.copy(), [(100, 100, True)], model="sam-small", box=(40, 40, 160, 200),
                           crop_to_object=True)

    after = inference_counts(stack)
    assert after["encoder"] - before["encoder"] == 2
    assert after["decoder"] - before["decoder"] == 3
    assert repeated.top + repeated.mask.shape[0] <= first.shape[0]
    assert repeated.left + repeated.mask.shape[1] <= first.shape[1]


def test_a_sam_model_that_is_not_installed_is_not_found_naming_the_installed_ones(installed, sdk):
    from labelassist.client.errors import NotFoundError

    with pytest.raises(NotFoundError, match="no SAM-family model 'sam-absent'.*installed: sam-small"):
        sdk.segment(cells(seed=4), [(60, 70, True)], model="sam-absent")


def test_a_checkpoint_whose_checksum_differs_is_refused_and_nothing_is_added(stack, checkpoint):
    added = run_cli(stack, "model", "add-sam", str(checkpoint), "--name", "tampered", "--sha256", "0" * 64)

    assert added.returncode == 1
    assert "checksum mismatch" in added.stderr and f"expected {'0' * 64}" in added.stderr
    assert "Traceback" not in added.stderr
    assert not (stack.model_repository / "sam-tampered-encoder").exists()


def test_a_checkpoint_of_another_kind_than_named_is_refused_naming_its_kind(checkpoint, tmp_path):
    from labelassist.models.sam import CheckpointError, install_checkpoint

    with pytest.raises(CheckpointError, match=r"holds a custom image encoder \(width 64, depth 2\), not vit_b"):
        install_checkpoint(tmp_path, str(checkpoint), kind="vit_b")


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    from labelassist.models.sam import CheckpointError, install_checkpoint

    broken = tmp_path / "sam_vit_b.pth"
    broken.write_bytes(b"truncated download" * 100)

    with pytest.raises(CheckpointError, match="sam_vit_b.pth is not a readable PyTorch checkpoint"):
        install_checkpoint(tmp_path / "models", str(broken))


def test_a_checkpoint_missing_decoder_weights_is_refused_naming_them(tmp_path):
    from labelassist.models.sam import CheckpointError, install_checkpoint

    state = sam_state(SMALL)
    del state["mask_decoder.iou_prediction_head.layers.0.weight"]
    torch.save(state, tmp_path / "partial.pth")

    with pytest.raises(CheckpointError, match="prompt_encoder and mask_decoder weights do not fit SAM's custom "
                                              "architecture.*iou_prediction_head.layers.0.weight"):
        install_checkpoint(tmp_path / "models", str(tmp_path / "partial.pth"))
    assert not (tmp_path / "models" / "sam-custom-encoder").exists()


def test_a_url_without_a_checksum_is_refused_before_any_download(tmp_path):
    from labelassist.models.sam import install_checkpoint

    with pytest.raises(ValueError, match="a checkpoint from a URL needs its checksum: pass --sha256"):
        install_checkpoint(tmp_path, "https://example.org/sam_vit_b_01ec64.pth")


def test_the_vit_b_architecture_is_read_from_its_weights():
    from labelassist.models.sam import KINDS, kind_of, read_architecture

    architecture = read_architecture(sam_state(KINDS["vit_b"]))

    assert architecture == KINDS["vit_b"] and kind_of(architecture) == "vit_b"


def test_the_embedding_cache_keeps_the_most_recently_used_images_within_its_bytes():
    from labelassist.models.sam_prompts import CachedImage, EmbeddingCache

    embedding = np.zeros((1, 256, 64, 64), np.float32)  # 4 MiB, as SAM's
    cache = EmbeddingCache(max_bytes=2 * embedding.nbytes)
    for key in ("a", "b"):
        cache.put((key,), CachedImage(embedding.copy()))
    cache.get(("a",))

    cache.put(("c",), CachedImage(embedding.copy()))

    assert cache.get(("b",)) is None and cache.get(("a",)) is not None and cache.get(("c",)) is not None
    assert cache.nbytes == 2 * embedding.nbytes


def test_the_sam_prelabel_prompts_its_grid_in_one_decoder_call_on_the_embedding_clicks_cached(
        stack, installed, sdk):
    image = cells(seed=5)
    sdk.segment(image, [(60, 70, True)], model="sam-small")
    before = inference_counts(stack)

    outcome = sdk.prelabel(image, method=("sam", {"model": "sam-small", "points_per_side": 4, "iou_threshold": 0,
                                                  "stability_threshold": 0}))

    after = inference_counts(stack)
    assert (after["encoder"] - before["encoder"], after["decoder"] - before["decoder"]) == (0, 1)
    assert outcome.method == "sam" and outcome.mask.shape == image.shape
    assert set(np.unique(outcome.mask)) == set(range(int(outcome.mask.max()) + 1))


def test_grid_masks_that_overlap_keep_the_best_and_the_rest_take_only_free_pixels():
    from labelassist.models.sam_prompts import EmbeddingCache, automatic_instances

    shape = (40, 40)
    squares = np.zeros((3, *shape), bool)
    squares[0, 5:25, 5:25] = True    # the best
    squares[1, 6:25, 5:25] = True    # nearly the same box: suppressed
    squares[2, 20:35, 20:35] = True  # overlaps a corner: keeps what the best left
    scores = np.asarray([0.95, 0.9, 0.92], np.float32)

    def decode(inputs):
        count = len(inputs["point_coords"])
        masks = np.where(squares, 10.0, -10.0).astype(np.float32)[np.arange(count) % 3][:, None]
        return {"masks": masks, "iou_predictions": scores[np.arange(count) % 3][:, None],
                "low_res_masks": np.zeros((count, 1, 256, 256), np.float32)}

    labels = automatic_instances(np.zeros(shape, np.uint8), lambda image: np.zeros((1, 256, 64, 64), np.float32),
                                 decode, EmbeddingCache(), ("squares", 1), points_per_side=3)

    expected = np.zeros(shape, np.int32)
    expected[5:25, 5:25] = 1
    expected[20:35, 20:35][expected[20:35, 20:35] == 0] = 2
    np.testing.assert_array_equal(labels, expected)
