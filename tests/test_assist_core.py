"""The assist core in-process: every operation on every kind of input."""

import numpy as np
import pytest

from labelassist.assist.operations import OPERATIONS
from labelassist.assist.pipeline import postprocess_mask, preprocess_image
from labelassist.imaging.tiling import apply_tiled
from scipy import ndimage as ndi

PREPROCESS = [e.name for e in OPERATIONS.entries("preprocess")]
POSTPROCESS = [e.name for e in OPERATIONS.entries("postprocess")]


def inputs(rng):
    grey = rng.integers(0, 255, (48, 64))
    return {
        "uint8": grey.astype(np.uint8),
        "uint16": (grey * 200).astype(np.uint16),
        "float32": rng.random((48, 64)).astype(np.float32),
        "float64 negative": rng.normal(0, 1, (48, 64)),
        "rgb uint8": rng.integers(0, 255, (48, 64, 3)).astype(np.uint8),
        "5-channel uint16": rng.integers(0, 4000, (48, 64, 5)).astype(np.uint16),
    }


@pytest.mark.parametrize("operation", PREPROCESS)
def test_every_preprocess_operation_accepts_every_input_kind(operation, rng):
    for kind, image in inputs(rng).items():
        out, applied = preprocess_image(image, [(operation, {})])
        assert applied == [operation]
        expected_shape = image.shape[:2] if operation in ("channel", "merge", "hed") else image.shape
        assert out.shape == expected_shape, (operation, kind)
        assert out.dtype == np.float32, (operation, kind)
        assert np.isfinite(out).all(), (operation, kind)


@pytest.mark.parametrize("operation", POSTPROCESS)
def test_every_postprocess_operation_keeps_shape_on_binary_and_instance_masks(operation):
    mask = np.zeros((60, 60), np.uint16)
    mask[5:25, 5:25] = 1
    mask[30:50, 30:55] = 2
    for labels in (mask > 0, mask.astype(np.uint8) > 0, mask):
        out, _ = postprocess_mask(labels.astype(np.uint16), [(operation, {})])
        assert out.shape == (60, 60) and out.dtype.kind in "biu", operation
        assert (out > 0).sum() > 0, operation


def test_tiled_filter_equals_the_whole_image_filter(rng):
    image = rng.random((300, 500)).astype(np.float32)
    whole = ndi.gaussian_filter(image, 2.0, truncate=4.0)
    tiled = apply_tiled(lambda t: ndi.gaussian_filter(t, 2.0, truncate=4.0), image, margin=9, tile=64)
    assert np.allclose(tiled, whole, atol=1e-6)


def test_preprocess_with_an_empty_pipeline_returns_the_image_untouched(rng):
    image = rng.integers(0, 65535, (20, 30)).astype(np.uint16)
    out, applied = preprocess_image(image, [])
    assert out is image and applied == []


def test_percentile_stretch_maps_the_percentiles_to_zero_and_one():
    image = np.arange(1000, dtype=np.uint16).reshape(20, 50)
    out, _ = preprocess_image(image, [("stretch", {"low": 10, "high": 90})])
    assert out.min() == 0 and out.max() == 1
    assert np.isclose(out.ravel()[500], (500 - 99.9) / (899.1 - 99.9), atol=1e-4)


def test_background_subtraction_flattens_an_illumination_gradient():
    gradient = np.tile(np.linspace(0, 1000, 200, dtype=np.float32), (100, 1))
    spot = np.zeros_like(gradient)
    spot[45:55, 95:105] = 500
    for method in ("tophat", "rolling_ball"):
        out, _ = preprocess_image(gradient + spot, [("background", {"method": method, "radius": 15})])
        assert out[45:55, 95:105].mean() > 400, method
        # A top-hat of a ramp leaves slope x radius (5 x 15 = 75), a tenth of the ramp's 1000.
        assert np.abs(out[:30]).max() <= 100, method


def test_the_default_prelabel_of_the_imaging_floor_equals_assists_default_pipeline():
    from labelassist.assist.pipeline import prelabel_image
    from labelassist.imaging.segmentation import default_prelabel
    from labelassist.io.bundled import hela_sample

    images, _ = hela_sample()
    for image in images:
        np.testing.assert_array_equal(default_prelabel(image), prelabel_image(image).mask)


def test_propagate_redraws_each_object_at_the_contrast_it_was_drawn_at():
    """A bright and a dim nucleus, each drawn at its own edge, grow and move
    between frames: propagation follows both with their ids and re-draws
    each at its own threshold; moved shapes alone miss the growth."""
    from skimage import draw

    from labelassist.assist.pipeline import prelabel_image
    from labelassist.assist.propagate import Reference

    rng = np.random.default_rng(3)

    def frame(objects):
        image = rng.normal(100, 8, (96, 128))
        label = np.zeros((96, 128), np.int32)
        for object_id, (centre, radius, level) in enumerate(objects, start=1):
            inside = draw.disk(centre, radius, shape=label.shape)
            image[inside] += level
            label[inside] = object_id
        return ndi.gaussian_filter(image, 1.0).astype(np.float32), label

    before, label_before = frame([((40, 40), 12, 900), ((48, 92), 10, 180)])
    after, label_after = frame([((43, 42), 16, 900), ((50, 95), 13, 180)])
    reference = Reference(label_before, before)
    adapted = prelabel_image(after, ("propagate", {}), reference=reference).mask
    shapes = prelabel_image(after, ("propagate", {"adapt": False}), reference=reference).mask

    def dice(a, b):
        return 2 * (a & b).sum() / (a.sum() + b.sum())

    for object_id in (1, 2):
        assert dice(adapted == object_id, label_after == object_id) > 0.93, object_id
        assert dice(shapes == object_id, label_after == object_id) < 0.9, object_id
