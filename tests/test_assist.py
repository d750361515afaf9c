"""The assist service through a real server: one behaviour per operation family."""

import grpc
import numpy as np
import pytest

from labelassist.proto.v1 import assist_pb2, assist_pb2_grpc
from labelassist.proto.wire.channel import open_channel
from shapes import dice, disc, noisy_bimodal


def test_list_operations_covers_every_family_with_parameter_specs(client):
    operations = client.list_operations()
    families = {op.family for op in operations}
    assert families == {"preprocess", "prelabel", "refine", "postprocess"}
    otsu = next(op for op in operations if op.name == "otsu")
    polarity = next(p for p in otsu.parameters if p.name == "polarity")
    assert list(polarity.choices) == ["auto", "bright", "dark"] and polarity.default_value.text == "auto"
    sigma = next(p for p in next(op for op in operations if op.name == "gaussian").parameters)
    assert (sigma.name, sigma.default_value.number, sigma.minimum, sigma.maximum) == ("sigma", 1.0, 0.1, 50.0)


def test_list_operations_filters_by_family(client):
    assert {op.family for op in client.list_operations("refine")} == {"refine"}


def test_otsu_recovers_the_object_of_a_noisy_bimodal_image(client, rng):
    image, truth = noisy_bimodal(rng)
    outcome = client.prelabel(image, method="otsu")
    assert outcome.method == "otsu" and outcome.object_count >= 1
    assert dice(outcome.mask, truth) >= 0.99 - 0.02  # raw noise; post-processing below makes it exact
    cleaned = client.prelabel(image, method="otsu", postprocess=[("remove_small_objects", {"min_size": 20}),
                                                                   ("fill_holes", {})])
    assert dice(cleaned.mask, truth) >= 0.99
    assert cleaned.object_count == 1


def test_dark_polarity_labels_dark_objects(client, rng):
    image, truth = noisy_bimodal(rng)
    inverted = (image.max() - image).astype(np.uint16)
    outcome = client.prelabel(inverted, method=("otsu", {"polarity": "dark"}),
                              postprocess=[("remove_small_objects", {"min_size": 20}), ("fill_holes", {})])
    assert dice(outcome.mask, truth) >= 0.99


def test_every_global_threshold_finds_the_disc(client, rng):
    image, truth = noisy_bimodal(rng)
    # The blur widens the edge; thresholds below the edge's midpoint (Li's,
    # the mean) grow the disc by a pixel or so.
    for method, minimum in (("otsu", 0.99), ("isodata", 0.99), ("li", 0.93), ("mean", 0.93)):
        outcome = client.prelabel(image, method=method, preprocess=[("gaussian", {"sigma": 2})])
        assert dice(outcome.mask, truth) >= minimum, method
    # Yen's and the triangle threshold sit just above the background peak on
    # Gaussian noise: they keep the whole disc and some noise with it.
    for method in ("yen", "triangle"):
        loose = client.prelabel(image, method=method, preprocess=[("gaussian", {"sigma": 2})])
        assert (loose.mask[truth] > 0).mean() > 0.99 and (loose.mask > 0).mean() > truth.mean(), method


def test_local_threshold_handles_an_illumination_gradient(client, rng):
    truth = disc((128, 256), (64, 200), 20) | disc((128, 256), (64, 50), 20)
    gradient = np.linspace(500, 4000, 256)[None, :]
    image = (gradient + truth * 800 + rng.normal(0, 30, truth.shape)).astype(np.float32)
    local = client.prelabel(image, method=("local", {"block_size": 51, "offset": -100, "polarity": "bright"}),
                            postprocess=[("opening", {"radius": 2}), ("fill_holes", {})])
    assert dice(local.mask, truth) >= 0.9
    assert local.object_count == 2


def test_prelabel_split_separates_two_touching_discs(client):
    truth = disc((100, 140), (50, 50), 25) | disc((100, 140), (50, 92), 25)
    image = (truth * 1000 + 100).astype(np.uint16)
    outcome = client.prelabel(image, method=("otsu", {"split": True, "min_distance": 10}))
    assert outcome.object_count == 2
    assert sorted(np.unique(outcome.mask).tolist()) == [0, 1, 2]


def test_watershed_split_turns_two_touching_discs_into_two_instances(client):
    a, b = disc((100, 140), (50, 50), 25), disc((100, 140), (50, 92), 25)
    mask, applied = client.postprocess((a | b).astype(np.uint8), ["split_touching"])
    assert applied == ["split_touching"]
    ids = [np.bincount(mask[region]).argmax() for region in (a & ~b, b & ~a)]
    assert len(set(ids)) == 2 and 0 not in ids
    assert set(np.unique(mask).tolist()) == {0, *ids}


def test_fill_holes_fills_a_ring(client):
    ring = disc((64, 64), (32, 32), 20) & ~disc((64, 64), (32, 32), 8)
    mask, _ = client.postprocess(ring.astype(np.uint8), ["fill_holes"])
    assert np.array_equal(mask > 0, disc((64, 64), (32, 32), 20))


def test_fill_holes_keeps_instance_ids(client):
    ring = disc((64, 64), (32, 32), 20) & ~disc((64, 64), (32, 32), 8)
    mask, _ = client.postprocess((ring * 7).astype(np.uint16), ["fill_holes"])
    assert set(np.unique(mask).tolist()) == {0, 7}


def test_remove_small_objects_removes_exactly_those_below_the_size(client):
    mask = np.zeros((40, 80), np.uint8)
    mask[2:6, 2:6] = 1  # 16 px: removed
    mask[10:15, 10:13] = 1  # 15 px: removed
    mask[20:24, 40:44] = 1  # 16 px: removed
    mask[30:34, 60:65] = 1  # 20 px: kept (== min_size)
    mask[2:12, 60:72] = 1  # 120 px: kept
    cleaned, _ = client.postprocess(mask, [("remove_small_objects", {"min_size": 20})])
    expected = mask.copy()
    expected[:25, :45] = 0
    assert np.array_equal(cleaned, expected)


def test_keep_largest_clear_border_and_relabel(client):
    mask = np.zeros((50, 50), np.uint8)
    mask[0:10, 0:10] = 1  # touches the border, 100 px
    mask[20:30, 20:35] = 1  # 150 px
    mask[40:45, 20:25] = 1  # 25 px
    largest, _ = client.postprocess(mask, [("keep_largest", {"count": 1})])
    assert (largest > 0).sum() == 150
    inner, _ = client.postprocess(mask, ["clear_border", "relabel"])
    assert sorted(np.unique(inner).tolist()) == [0, 1, 2] and inner[0:10, 0:10].max() == 0


def test_opening_removes_a_thin_bridge_and_closing_fills_a_notch(client):
    two = disc((60, 120), (30, 30), 20) | disc((60, 120), (30, 90), 20)
    bridged = two.copy()
    bridged[29:31, 30:90] = True
    opened, _ = client.postprocess(bridged.astype(np.uint8), [("opening", {"radius": 2}), "relabel"])
    assert opened.max() == 2
    notched = disc((60, 60), (30, 30), 20)
    notched[29:31, 10:25] = False
    closed, _ = client.postprocess(notched.astype(np.uint8), [("closing", {"radius": 2})])
    assert closed[29:31, 12:25].all()


def test_convex_hull_and_smooth_keep_a_disc_round(client):
    crescent = disc((80, 80), (40, 40), 30) & ~disc((80, 80), (40, 58), 14)
    hull, _ = client.postprocess(crescent.astype(np.uint8), ["convex_hull"])
    assert hull.sum() > crescent.sum() and (hull[crescent] > 0).all()
    jagged = disc((80, 80), (40, 40), 25)
    jagged[::3, ::3] = False
    smoothed, _ = client.postprocess(jagged.astype(np.uint8), [("smooth", {"sigma": 1.5})])
    assert dice(smoothed, disc((80, 80), (40, 40), 25)) > 0.97


@pytest.mark.parametrize("method", ["random_walker", "watershed", "flood_fill"])
def test_scribble_refinement_grows_a_seed_to_the_object_boundary(client, rng, method):
    truth = disc((96, 96), (48, 48), 22)
    image = (np.where(truth, 2000, 400) + rng.normal(0, 40, truth.shape)).astype(np.uint16)
    scribbles = np.zeros(truth.shape, np.uint8)
    scribbles[46:50, 44:52] = 1  # a short foreground stroke in the middle
    scribbles[5:8, 5:90] = 2  # a background stroke along the top
    parameters = {"tolerance": 0.25} if method == "flood_fill" else {}
    mask = client.refine(image, scribbles, method=(method, parameters))
    assert dice(mask, truth) >= 0.95, method


def test_refinement_only_changes_the_window_around_the_scribbles(client):
    image = np.zeros((200, 200), np.uint16)
    image[20:60, 20:60] = 1000
    existing = np.zeros((200, 200), np.uint8)
    existing[150:190, 150:190] = 1  # far away: must survive
    scribbles = np.zeros((200, 200), np.uint8)
    scribbles[38:42, 38:42] = 1
    mask = client.refine(image, scribbles, existing, method=("random_walker", {"margin": 30}))
    assert (mask[150:190, 150:190] == 1).all()
    assert dice(mask[:100, :100], image[:100, :100] > 0) > 0.95


def test_preprocess_pipeline_chains_operations_in_order(client, rng):
    image, _ = noisy_bimodal(rng)
    out, applied = client.preprocess(image, ["gaussian", ("stretch", {"low": 1, "high": 99}), "invert"])
    assert applied == ["gaussian", "stretch", "invert"]
    assert out.dtype == np.float32 and out.shape == image.shape
    assert out.min() == pytest.approx(0, abs=1e-6) and out.max() == pytest.approx(1, abs=1e-6)


def test_channel_select_and_merge_on_an_rgb_image(client, rng):
    rgb = rng.integers(0, 255, (32, 48, 3), dtype=np.uint8)
    green, _ = client.preprocess(rgb, [("channel", {"index": 1})])
    assert np.array_equal(green, rgb[..., 1].astype(np.float32))
    merged, _ = client.preprocess(rgb, [("merge", {"mode": "max"})])
    assert np.array_equal(merged, rgb.max(axis=-1).astype(np.float32))


def test_default_pipeline_runs_when_no_method_is_given(client, rng):
    image, truth = noisy_bimodal(rng)
    outcome = client.prelabel(image)
    assert outcome.method == "li"
    assert outcome.applied[:2] == ["median", "li"]
    assert dice(outcome.mask, truth) >= 0.98


def test_a_prelabel_gives_each_object_its_own_id_unless_a_binary_mask_is_asked_for(client):
    truth = disc((90, 90), (20, 20), 10) | disc((90, 90), (20, 65), 10) | disc((90, 90), (65, 45), 12)
    image = (truth * 1000 + 100).astype(np.uint16)
    for outcome in (client.prelabel(image), client.prelabel(image, method="otsu")):
        assert outcome.object_count == 3 and sorted(np.unique(outcome.mask).tolist()) == [0, 1, 2, 3]
    binary = client.prelabel(image, method="otsu", binary=True)
    assert binary.object_count == 3 and sorted(np.unique(binary.mask).tolist()) == [0, 1]


@pytest.mark.slow
def test_an_8192_square_16_bit_image_is_filtered_tiled(client, rng):
    image = rng.integers(0, 4096, (8192, 8192), dtype=np.uint16)
    out, _ = client.preprocess(image, [("gaussian", {"sigma": 1.0})])
    assert out.shape == (8192, 8192) and out.dtype == np.float32
    from skimage.filters import gaussian

    window = (slice(2000, 2100), slice(2000, 2100))  # straddles a tile edge at 2048
    reference = gaussian(image[1900:2200, 1900:2200].astype(np.float32), sigma=1.0, preserve_range=True)
    assert np.allclose(out[window], reference[100:200, 100:200], atol=1e-2)


# -- bad input: a clear INVALID_ARGUMENT and a healthy server ----------------

BAD_PRELABELS = [
    ("unknown operation", dict(method="otsuu"), "unknown prelabel operation 'otsuu'"),
    ("wrong family", dict(method="gaussian"), "unknown prelabel operation 'gaussian'"),
    ("unknown parameter", dict(method=("otsu", {"sigma": 1})), "otsu: unknown parameter(s) sigma"),
    ("wrong type", dict(method=("otsu", {"split": "maybe"})), "otsu: parameter 'split' must be true or false"),
    ("bad choice", dict(method=("otsu", {"polarity": "up"})), "must be one of auto, bright, dark"),
    ("out of range", dict(method="otsu", preprocess=[("gaussian", {"sigma": 500})]),
     "gaussian: parameter 'sigma' = 500.0 is above the maximum 50.0"),
    ("bad later step fails first", dict(method="otsu", postprocess=[("opening", {"radius": -1})]),
     "opening: parameter 'radius' = -1 is below the minimum 1"),
]


@pytest.mark.parametrize("case, kwargs, message", BAD_PRELABELS, ids=[c[0] for c in BAD_PRELABELS])
def test_bad_parameters_are_invalid_argument_naming_the_problem(client, case, kwargs, message):
    with pytest.raises(grpc.RpcError) as caught:
        client.prelabel(np.ones((16, 16), np.uint8), **kwargs)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in caught.value.details()


BAD_IMAGES = [
    ("empty", np.zeros((0, 10), np.uint16), "'image' is empty"),
    ("1D", np.ones(10, np.uint16), "must be 2D (H, W) or channels-last"),
    ("4D", np.ones((2, 2, 2, 2), np.uint16), "must be 2D (H, W) or channels-last"),
    ("NaN", np.array([[1.0, np.nan], [0, 1]]), "contains NaN or Inf"),
    ("Inf", np.array([[1.0, np.inf], [0, 1]], np.float32), "contains NaN or Inf"),
    ("bool", np.ones((4, 4), bool), "has dtype bool"),
    ("too many channels", np.ones((4, 4, 40), np.uint8), "40 channels"),
]


@pytest.mark.parametrize("case, image, message", BAD_IMAGES, ids=[c[0] for c in BAD_IMAGES])
def test_bad_images_are_invalid_argument_naming_the_problem(client, case, image, message):
    with pytest.raises(grpc.RpcError) as caught:
        client.preprocess(image, ["gaussian"])
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in caught.value.details()


def test_multichannel_image_to_a_threshold_asks_for_a_channel_step(client):
    with pytest.raises(grpc.RpcError) as caught:
        client.prelabel(np.ones((8, 8, 3), np.uint8), method="otsu")
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "add a 'channel' or 'merge' pre-processing step" in caught.value.details()


def test_scribbles_of_the_wrong_shape_or_values_are_invalid_argument(client):
    image = np.ones((16, 16), np.uint8)
    for scribbles, message in ((np.ones((8, 8), np.uint8), "does not match the image's (16, 16)"),
                               (np.full((16, 16), 3, np.uint8), "found [3]"),
                               (np.zeros((16, 16), np.uint8), "no foreground (1) stroke")):
        with pytest.raises(grpc.RpcError) as caught:
            client.refine(image, scribbles)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert message in caught.value.details()


def test_mask_and_image_shape_mismatch_in_postprocess_is_invalid_argument(client):
    with pytest.raises(grpc.RpcError) as caught:
        client.postprocess(np.ones((8, 8), np.uint8), ["fill_holes"], image=np.ones((9, 8), np.uint8))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "'mask' shape (8, 8) does not match the image's (9, 8)" in caught.value.details()


def test_unknown_family_in_list_operations_is_invalid_argument(stack):
    with open_channel(stack.addresses.assist) as channel:
        with pytest.raises(grpc.RpcError) as caught:
            assist_pb2_grpc.AssistServiceStub(channel).ListOperations(
                assist_pb2.ListOperationsRequest(family="painting"), timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "unknown operation family 'painting'" in caught.value.details()


def test_service_is_healthy_after_all_the_bad_input(client):
    assert client.health()["assist"] == "SERVING"
    assert client.prelabel(np.ones((8, 8), np.uint8) * np.arange(8, dtype=np.uint8), method="otsu").mask.shape == (8, 8)


def test_a_selector_sample_can_be_pre_labelled_by_reference_without_uploading_it(client, rng):
    image, truth = noisy_bimodal(rng)
    client.create_project("by-reference")
    sample_id = client.add_sample("by-reference", "disc", image)
    by_reference = client.prelabel(None, method="otsu", sample_id=sample_id)
    uploaded = client.prelabel(image, method="otsu")
    assert np.array_equal(by_reference.mask, uploaded.mask)
    display, _ = client.preprocess(None, ["stretch"], sample_id=sample_id)
    assert display.shape == image.shape
    with pytest.raises(grpc.RpcError) as caught:
        client.prelabel(None, method="otsu", sample_id=987654)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert "selector: no sample 987654" in caught.value.details()
