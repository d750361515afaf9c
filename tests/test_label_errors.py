"""The label-error ranking of stored labels: the scoring core on a scene
with known errors, and the review queue through the real services (the
generalist U-Net served by the real tritonserver, and in-process without
Triton), its CLI and its errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import grpc
import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage import draw

from labelassist.client.errors import LabelAssistError
from labelassist.client.sdk import LabelAssistClient
from labelassist.evaluation.corruptions import delete_object, paint_blob
from labelassist.inspect.label_errors import score_label, suspect_label
from labelassist.inspect.ranking import LabelRanking
from labelassist.io.bundled import hela_sample

SHAPE = (160, 160)
CENTRES = [(30, 30), (30, 90), (90, 40), (100, 110), (130, 60)]


def scene(rng) -> tuple[np.ndarray, np.ndarray]:
    """Bright round nuclei on a dark noisy background, and their labels."""
    labels = np.zeros(SHAPE, np.uint16)
    for index, centre in enumerate(CENTRES, start=1):
        labels[draw.disk(centre, 12, shape=SHAPE)] = index
    image = 300 + 1500 * (labels > 0) + rng.normal(0, 40, SHAPE)
    return image.clip(0).astype(np.uint16), labels


def model_probability(truth: np.ndarray) -> np.ndarray:
    """What a good model answers: the true foreground with soft edges."""
    return ndi.gaussian_filter((truth > 0).astype(float), 1.0)


def place_of(suspect, region: np.ndarray) -> bool:
    r0, c0, r1, c1 = suspect.box
    return bool(region[r0:r1, c0:c1].any())


@pytest.mark.parametrize("corrupt, signal", [(paint_blob, "model_disagrees"), (delete_object, "missed_object")])
def test_a_planted_error_is_the_most_likely_one(corrupt, signal):
    rng = np.random.default_rng(3)
    image, truth = scene(rng)
    label, region = corrupt(truth, rng)
    ranked = suspect_label(label, image, model_probability(truth))
    assert place_of(ranked[0], region) and signal in ranked[0].signals
    assert ranked[0].score >= 0.9
    assert all(s.score < 0.5 for s in ranked[1:])  # the clean objects


def test_a_ranking_puts_the_corrupted_label_first_and_names_the_one_it_could_not_score():
    rng = np.random.default_rng(3)
    image, truth = scene(rng)
    corrupted, _ = paint_blob(truth, rng)
    ranking = LabelRanking(lambda _: model_probability(truth))
    for name, label in (("clean", truth), ("corrupted", corrupted)):
        ranking.add(name, lambda: (label, image))
    ranking.add("broken", lambda: (truth[:10], image))
    ranked = ranking.ranked()
    assert [name for name, _, _ in ranked.labels] == ["corrupted", "clean"]
    assert ranked.suspects[0][0] == "corrupted" and ranked.suspects[0][1].score >= 0.9
    assert [name for name, _ in ranked.skipped] == ["broken"] and "shape" in ranked.skipped[0][1]


def test_shifted_outlines_and_holes_score_high_and_clean_labels_low():
    rng = np.random.default_rng(4)
    image, truth = scene(rng)
    assert max([s.score for s in suspect_label(truth, image, model_probability(truth))], default=0) < 0.3
    shifted = truth.copy()
    shifted[truth == 2] = 0
    shifted[np.roll(truth == 2, 9, axis=1)] = 2
    top = suspect_label(shifted, image, model_probability(truth))[0]
    assert top.object_id == 2 or place_of(top, truth == 2)
    assert top.score >= 0.6
    holed = truth.copy()
    holed[draw.disk(CENTRES[3], 3)] = 0
    top = suspect_label(holed, image, model_probability(truth))[0]
    assert top.object_id == 4 and "model_fills_hole" in top.signals and top.score >= 0.9


def test_a_dim_object_the_model_misses_is_not_called_wrong_when_the_image_shows_it():
    rng = np.random.default_rng(5)
    image, truth = scene(rng)
    image[truth == 5] = 700  # dim but clearly above the background (300 +- 40)
    blind = model_probability(np.where(truth == 5, 0, truth))
    with_image = {s.object_id: s.score for s in score_label(truth, blind, image)}
    without_image = {s.object_id: s.score for s in score_label(truth, blind)}
    assert without_image[5] > 0.9 and with_image.get(5, 0) < 0.3


def test_score_label_names_a_shape_mismatch():
    with pytest.raises(ValueError, match="shape mismatch"):
        score_label(np.zeros((8, 8), np.uint8), np.zeros((8, 9)))


def hela_project(client: LabelAssistClient, name: str, rng) -> dict[str, np.ndarray]:
    """Sixteen 128² tiles of the bundled HeLa crop with their reference
    labels; a blob painted on one, a nucleus deleted from another. Returns
    the changed region per planted stem."""
    images, masks = hela_sample()
    tiles = [(f"t{f}_{r}_{c}", images[f, r:r + 128, c:c + 128], masks[f, r:r + 128, c:c + 128])
             for f in range(4) for r in (0, 128) for c in (0, 128)]
    planted = {}
    for index, corrupt in ((5, paint_blob), (10, delete_object)):
        stem, image, label = tiles[index]
        label, planted[stem] = corrupt(label, rng)
        tiles[index] = (stem, image, label)
    client.create_project(name)
    client.add_samples(name, [{"stem": stem, "image": image, "label": label} for stem, image, label in tiles])
    return planted


def assert_planted_first(ranking, planted: dict[str, np.ndarray]) -> None:
    top = ranking.suspects[:2]
    assert sorted(s.stem for s in top) == sorted(planted)
    for suspect in top:
        (r0, c0), (r1, c1) = suspect.box.start, suspect.box.stop
        assert planted[suspect.stem][r0:r1, c0:c1].any() and suspect.score >= 0.9 and suspect.reason
    assert ranking.suspects[2].score < 0.5
    assert {row[1] for row in ranking.labels[:2]} == set(planted) and len(ranking.labels) == 16


@pytest.mark.slow
def test_the_review_queue_ranks_planted_errors_first_with_the_served_unet(generalist_stack, tmp_path):
    with LabelAssistClient(generalist_stack.addresses, timeout=300) as client:
        planted = hela_project(client, "review-queue", np.random.default_rng(0))
        seen = []
        ranking = client.rank_label_errors("review-queue", progress=lambda done, total: seen.append((done, total)))
    assert (ranking.model, ranking.model_version) == ("unet", 1) and not ranking.skipped
    assert seen[0] == (0, 16)
    assert_planted_first(ranking, planted)

    env = {**os.environ, **{f"LABELASSIST_{n.upper()}_ADDRESS": a
                            for n, a in generalist_stack.addresses.as_dict().items()}}
    report = tmp_path / "queue.json"
    shown = subprocess.run([sys.executable, "-m", "labelassist.cli", "review-queue", "review-queue", "--limit", "5",
                            "-o", str(report)], capture_output=True, text=True, env=env, timeout=300)
    assert shown.returncode == 0, shown.stderr
    assert "16 labels of project 'review-queue' scored with the unet v1 model" in shown.stdout
    written = json.loads(report.read_text())
    assert len(written["suspects"]) == 5 and written["suspects"][0]["stem"] in planted


def test_without_triton_the_ranking_runs_the_generalist_in_process(in_process):
    planted = hela_project(in_process, "review-in-process", np.random.default_rng(0))
    ranking = in_process.rank_label_errors("review-in-process")
    assert ranking.model == "generalist"
    assert_planted_first(ranking, planted)


def test_accepted_labels_leave_the_queue_unless_asked_for(in_process):
    images, masks = hela_sample()
    in_process.create_project("review-accepted")
    in_process.add_samples("review-accepted", [{"stem": f"s{f}", "image": images[f, :128, :128],
                                                "label": masks[f, :128, :128]} for f in range(3)])
    accepted = in_process.list_samples("review-accepted")[0]
    in_process.review_label(accepted.sample_id, "rita", accept=True)
    scored = {row[1] for row in in_process.rank_label_errors("review-accepted").labels}
    assert scored == {"s1", "s2"}
    everything = in_process.rank_label_errors("review-accepted", include_accepted=True)
    assert {row[1] for row in everything.labels} == {"s0", "s1", "s2"}
    assert in_process.rank_label_errors("review-accepted", max_samples=1, include_accepted=True).labels[0][1] == "s2"


@pytest.mark.parametrize("request_fields, status, message", [
    ({}, grpc.StatusCode.INVALID_ARGUMENT, "'project' must name the project"),
    ({"project": "no-such-project"}, grpc.StatusCode.NOT_FOUND, "no-such-project"),
    ({"project": "review-errors", "max_samples": 10**6}, grpc.StatusCode.INVALID_ARGUMENT, "at most 10000"),
])
def test_bad_rankings_are_named(client, request_fields, status, message):
    try:
        client.create_project("review-errors")
    except LabelAssistError:
        pass  # made by an earlier parameter
    with pytest.raises(LabelAssistError) as raised:
        client.rank_label_errors(**{"project": "", **request_fields})
    assert raised.value.status == status and message in raised.value.message


def test_a_triton_without_a_unet_is_unavailable_and_says_so(client, stack):
    if not stack.triton_url:
        pytest.skip(f"the stack runs no Triton here: {stack.triton_problem}")
    client.create_project("review-no-model")
    images, masks = hela_sample()
    client.add_samples("review-no-model", [{"stem": "a", "image": images[0, :64, :64], "label": masks[0, :64, :64]}])
    with pytest.raises(LabelAssistError) as raised:
        client.rank_label_errors("review-no-model")
    assert raised.value.status == grpc.StatusCode.UNAVAILABLE and "serves no U-Net" in raised.value.message


def test_the_benchmark_measures_average_precision_over_planted_errors():
    from labelassist.client.results import Box, LabelErrorRanking, SuspectedError
    from labelassist.evaluation.label_error_ranking import measure_ranking, plant_errors

    rng = np.random.default_rng(6)
    scenes = [scene(rng) for _ in range(4)]
    labels, planted = plant_errors(["a", "b", "c", "d"], [s[1] for s in scenes], share=1.0, seed=0)
    assert sorted(planted) == ["a", "b", "c", "d"] and not np.array_equal(labels[0], scenes[0][1])

    def at(stem, region=None):
        rows, cols = np.nonzero(region) if region is not None else ([0], [0])
        box = Box((int(min(rows)), int(min(cols))), (int(max(rows)) + 1, int(max(cols)) + 1))
        if region is None:
            box = Box((150, 150), (152, 152))  # a corner no planted error touches
        return SuspectedError(0, stem, 1, 0.5, [], "", 0, box)

    # ranks: a hit, a false suspect, b hit, c hit; d never found
    suspects = [at("a", planted["a"].region), at("a"), at("b", planted["b"].region), at("c", planted["c"].region)]
    ranking = LabelErrorRanking(suspects, [(0, "a", 1, 0.9, 2), (0, "x", 1, 0.8, 1), (0, "b", 1, 0.7, 1)],
                                "unet", 1, None, [])
    measured = measure_ranking(ranking, planted)
    assert measured["found"] == 3
    assert measured["average_precision"] == pytest.approx((1 / 1 + 2 / 3 + 3 / 4) / 4)
    assert measured["label_average_precision"] == pytest.approx((1 / 1 + 2 / 3) / 4)
