"""Strategies and scores in-process: each one's defining property."""

from pathlib import Path

import numpy as np
import pytest

from labelassist.runtime.errors import ConflictError
from labelassist.selector import scoring
from labelassist.selector.strategies import STRATEGIES, coreset, hybrid, k_center_greedy, uncertainty


def test_registry_lists_every_strategy_family():
    names = {e.name: e.family for e in STRATEGIES.entries()}
    assert names == {"sequential": "baseline", "random": "baseline", "sequence_aware": "sequence",
                     "uncertainty": "uncertainty", "coreset": "diversity", "hybrid": "diversity",
                     "class_uncertainty": "classification", "class_balance": "classification"}


def test_uncertainty_picks_the_planted_high_entropy_samples(rng):
    confident = np.stack([np.full((8, 8), 0.99), np.full((8, 8), 0.01)])
    unsure = np.stack([np.full((8, 8), 0.5), np.full((8, 8), 0.5)])
    maps = [unsure if i in (3, 7) else confident for i in range(10)]
    scores = np.array([scoring.aggregate(scoring.pixel_entropy(m)) for m in maps])
    assert sorted(uncertainty(np.arange(10), 2, score_table={"entropy_mean": scores}).tolist()) == [3, 7]


def test_margin_least_confidence_bald_and_variance_rank_the_same_planted_sample():
    confident = np.stack([np.full((4, 4), 0.95), np.full((4, 4), 0.05)])
    unsure = np.stack([np.full((4, 4), 0.55), np.full((4, 4), 0.45)])
    assert scoring.pixel_margin(unsure).mean() > scoring.pixel_margin(confident).mean()
    assert scoring.pixel_least_confidence(unsure).mean() > scoring.pixel_least_confidence(confident).mean()
    agreeing = np.stack([unsure] * 4)  # every dropout pass says 55/45: aleatoric only
    disagreeing = np.stack([confident, confident[::-1], confident, confident[::-1]])
    assert scoring.pixel_bald(disagreeing).mean() > scoring.pixel_bald(agreeing).mean() + 0.3
    assert scoring.pixel_variance(disagreeing).mean() > scoring.pixel_variance(agreeing).mean()


def test_top_percent_aggregation_finds_a_small_uncertain_object():
    pixel_scores = np.zeros((100, 100))
    pixel_scores[:5, :5] = 1.0
    assert scoring.aggregate(pixel_scores, "mean") == pytest.approx(0.0025)
    assert scoring.aggregate(pixel_scores, "topk", 0.25) == pytest.approx(1.0)


def test_coreset_picks_spread_out_embeddings(rng):
    clusters = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], np.float32)
    embeddings = np.concatenate([c + rng.normal(0, 0.1, (25, 2)) for c in clusters]).astype(np.float32)
    picked = coreset(np.arange(100), 4, embeddings=embeddings)
    assert sorted(set(p // 25 for p in picked.tolist())) == [0, 1, 2, 3]


def test_coreset_continues_from_already_labelled_samples(rng):
    embeddings = np.array([[0, 0], [0.1, 0], [5, 5], [9, 9]], np.float32)
    picked = k_center_greedy(embeddings, 1, selected=np.array([[9, 9]], np.float32))
    assert picked.tolist() == [0]


def test_a_batch_never_holds_near_duplicates():
    embeddings = np.array([[0, 0], [0, 0.01], [5, 5], [0.02, 0]], np.float32)
    scores = np.array([0.9, 0.89, 0.5, 0.88])
    assert uncertainty(np.arange(4), 2, score_table={"entropy_mean": scores}, embeddings=embeddings,
                       min_distance=1.0).tolist() == [0, 2]
    assert len(set(coreset(np.arange(4), 3, embeddings=embeddings).tolist())) == 3


def test_hybrid_prefilters_by_uncertainty_then_spreads(rng):
    embeddings = np.array([[0, 0], [0, 0.1], [9, 9], [9, 9.1], [50, 50]], np.float32)
    scores = np.array([0.9, 0.8, 0.85, 0.7, 0.01])
    picked = hybrid(np.arange(5), 2, score_table={"bald_topk": scores}, embeddings=embeddings, prefilter=2,
                    measure="bald", aggregation="topk")
    clusters = sorted(p // 2 for p in picked.tolist())
    assert clusters == [0, 1]  # one from each uncertain cluster; the far but certain sample 4 is filtered out


def test_model_strategies_without_scores_say_what_is_missing():
    with pytest.raises(ConflictError, match="strategy 'uncertainty' needs uncertainty scores"):
        uncertainty(np.arange(3), 1)


def test_image_scores_hold_every_measure_and_aggregation():
    probability = np.stack([np.full((8, 8), 0.5), np.full((8, 8), 0.5)])
    scores = dict(zip(scoring.SCORE_NAMES, scoring.image_scores(
        {"probability": probability, "variance": np.zeros((2, 8, 8)), "bald": np.full((8, 8), 0.2)})))
    assert scores["entropy_mean"] == pytest.approx(np.log(2), rel=1e-5)
    assert scores["margin_topk"] == pytest.approx(1.0) and scores["bald_mean"] == pytest.approx(0.2)
    assert len(scores) == 10


def test_image_features_separate_different_images(rng):
    dense = rng.integers(1000, 3000, (64, 64))
    sparse = np.full((64, 64), 1000) + (rng.random((64, 64)) > 0.97) * 2000
    a, b, c = (scoring.image_features(x) for x in (dense, dense + 5, sparse))
    assert np.linalg.norm(a - b) < np.linalg.norm(a - c)


def test_the_triton_model_computes_bald_as_the_uncertainty_floor_does():
    """The Triton model must run without this package, so it repeats the BALD
    formula in torch; both give the same numbers for the same dropout passes."""
    import importlib.util
    import sys
    import types

    import torch

    from labelassist.imaging.uncertainty import mutual_information

    sys.modules.setdefault("triton_python_backend_utils", types.ModuleType("triton_python_backend_utils"))
    path = Path(__file__).resolve().parents[1] / "deploy" / "triton" / "unet" / "model.py"
    spec = importlib.util.spec_from_file_location("served_unet_model", path)
    served = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(served)
    logits = torch.from_numpy(np.random.default_rng(4).normal(0, 2, (6, 3, 2, 8, 8)).astype(np.float32))

    class Passes:  # six dropout passes with known logits
        calls = iter(range(6))

        def __call__(self, batch):
            return logits[next(self.calls)], torch.zeros(3, 4)

        def eval(self):
            return self

    model = served.TritonPythonModel()
    model.model, model.dropouts = Passes(), []
    _, _, _, bald = model._passes(torch.zeros(3, 1, 8, 8), 6)
    expected = mutual_information(torch.softmax(logits, dim=2).numpy(), sample_axis=0, class_axis=2)
    assert bald.shape == (3, 8, 8) and expected.max() > 0.05
    np.testing.assert_allclose(bald.numpy(), expected, atol=1e-5)


def test_class_uncertainty_ranks_images_by_their_objects_posteriors():
    from labelassist.imaging.class_uncertainty import summarise
    from labelassist.selector.strategies import class_uncertainty

    sure, unsure = np.array([[0.95, 0.05], [0.9, 0.1]]), np.array([[0.95, 0.05], [0.5, 0.5]])
    summary = summarise([sure, unsure, sure], ["a", "b"])
    assert class_uncertainty(np.array([10, 11, 12]), 1, class_summary=summary).tolist() == [11]
    assert class_uncertainty(np.array([10, 11, 12]), 1, class_summary=summary, measure="margin",
                             aggregation="max").tolist() == [11]


def test_class_balance_picks_the_image_expected_to_hold_the_rarest_class():
    from labelassist.imaging.class_uncertainty import summarise
    from labelassist.selector.strategies import class_balance

    common = np.array([[0.9, 0.1]] * 6)  # gain 5.4 / 201 + 0.6 / 2 = 0.33
    one_rare = np.array([[0.1, 0.9]])  # gain 0.1 / 201 + 0.9 / 2 = 0.45
    summary = summarise([common, one_rare], ["a", "b"], labelled_counts=[200, 1])
    assert class_balance(np.array([5, 6]), 2, class_summary=summary).tolist() == [6, 5]


def test_class_strategies_without_a_class_model_say_what_is_missing():
    from labelassist.selector.strategies import class_balance

    with pytest.raises(ConflictError, match="strategy 'class_balance' needs class posteriors"):
        class_balance(np.arange(3), 1)


def test_a_pool_subset_keeps_each_candidates_class_posteriors():
    from labelassist.imaging.class_uncertainty import summarise
    from labelassist.selector.candidate_pool import Pool, rank_pool

    sure, unsure = np.array([[0.95, 0.05]]), np.array([[0.5, 0.5]])
    pool = Pool(ids=np.array([100, 101, 102]), positions=np.array([0, 1, 2]),
                class_summary=summarise([unsure, sure, sure], ["a", "b"]))
    assert rank_pool("class_uncertainty", {"measure": "entropy", "aggregation": "mean"}, pool, 1).tolist() == [100]
    kept = pool.subset(np.array([1, 2]))
    assert len(kept.class_summary) == 2
    assert rank_pool("class_balance", {}, kept, 2).tolist() == [101, 102]
