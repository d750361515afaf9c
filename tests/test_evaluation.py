"""The paper benchmarks as commands: label efficiency (smoke configuration)
and pre-label quality, on dataset folders made from the bundled HeLa crop."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from labelassist.io.bundled import write_sample_dataset
from labelassist.evaluation.evaluation_set import load_evaluation_set
from labelassist.evaluation.label_efficiency import BENCH_STRATEGIES, EfficiencyConfig, run_strategy
from labelassist.models.training import TrainingConfig

TINY_TRAINING = TrainingConfig(tile=32, epochs=1, steps_per_epoch=2, batch_size=2, depth=2, width=4)


@pytest.fixture(scope="module")
def sample_dataset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hela-sample")
    counts = write_sample_dataset(folder, tile=64)
    assert counts == {"samples": 64, "test": 16}
    return folder


def _labelassist(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "labelassist.cli", *args], capture_output=True, text=True,
                          timeout=300)


def test_label_efficiency_smoke_run_writes_table_plot_and_results(sample_dataset, tmp_path):
    out = tmp_path / "out"
    run = _labelassist("bench", "label-efficiency", "--dataset", str(sample_dataset), "--out", str(out),
                       "--budget", "4", "--rounds", "2", "--seeds", "2", "--mc-samples", "2",
                       "--epochs", "1", "--steps", "2", "--batch", "2", "--tile", "32", "--depth", "2",
                       "--width", "4", "--full-steps-factor", "1")
    assert run.returncode == 0, run.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["pool_size"] == 48 and results["test_size"] == 16 and results["split"] == "split.csv"
    assert results["label_counts"] == [2, 4]
    assert list(results["strategies"]) == list(BENCH_STRATEGIES)
    assert len(results["full"]["per_seed"]) == 2
    for name, row in results["strategies"].items():
        assert [p["labels"] for p in row["curve"]] == [2, 4]
        assert all(0.0 <= p["mean"] <= 1.0 for p in row["curve"]), name
        for run_ in row["runs"]:
            picked = run_[-1]["picked"]
            assert len(set(picked)) == 4 and all(stem.startswith(("t00", "t01", "t02")) for stem in picked)
            assert run_[0]["picked"] == picked[:2]  # later rounds add to what is labelled
    # Sequential takes pool order: the first sequence, frame after frame.
    assert results["strategies"]["sequential"]["runs"][0][-1]["picked"] == [
        "t00_y0000_x0000", "t01_y0000_x0000", "t02_y0000_x0000", "t00_y0000_x0064"]
    # Sequence-aware takes each sequence at most once before repeating one.
    for run_ in results["strategies"]["sequence-aware"]["runs"]:
        positions = [stem.split("_", 1)[1] for stem in run_[-1]["picked"]]
        assert len(set(positions)) == 4
    table = (out / "results.md").read_text()
    assert "| sequence-aware |" in table and "full training pool (48)" in table and "Command: `" in table
    assert (out / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_label_efficiency_refuses_an_unknown_strategy_by_name(sample_dataset, tmp_path):
    run = _labelassist("bench", "label-efficiency", "--dataset", str(sample_dataset), "--out", str(tmp_path),
                       "--strategies", "random,oracle")
    assert run.returncode != 0
    assert "unknown strategy 'oracle'" in run.stderr and "Traceback" not in run.stderr


def test_a_folder_without_split_or_sequences_gets_a_seeded_split(sample_dataset, tmp_path):
    folder = tmp_path / "plain"
    shutil.copytree(sample_dataset, folder)
    (folder / "split.csv").unlink()
    (folder / "sequences.csv").unlink()
    data = load_evaluation_set(folder, seed=3)
    assert data.split_source == "seeded by sequence"
    assert len(data.test) == 16 and len(data.train) == 48  # a quarter of the samples
    assert np.array_equal(load_evaluation_set(folder, seed=3).test, data.test)
    # Each model-based strategy still runs (a few training steps) on such a folder.
    config = EfficiencyConfig(budget=4, rounds=2, seeds=1, mc_samples=2, training=TINY_TRAINING)
    curve = run_strategy(data, "hybrid", 0, config)
    assert [point["labels"] for point in curve] == [2, 4]


def test_a_bad_split_file_names_the_problem(sample_dataset, tmp_path):
    folder = tmp_path / "bad"
    shutil.copytree(sample_dataset, folder)
    (folder / "split.csv").write_text("stem,split\nt00_y0000_x0000,validation\n")
    with pytest.raises(ValueError, match="split must be train or test, got 'validation'"):
        load_evaluation_set(folder)


def test_prelabel_quality_command_scores_every_method(sample_dataset, tmp_path):
    run = _labelassist("bench", "prelabel", "--dataset", str(sample_dataset), "--out", str(tmp_path))
    assert run.returncode == 0, run.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    rows = results["rows"]
    assert {"otsu (raw)", "li in the default pipeline", "default pipeline"} <= set(rows)
    assert results["samples"] == 64
    # The reference masks are nuclei on dark background: thresholds agree well.
    assert rows["default pipeline"]["dice_mean"] > 0.7
    assert all(0 <= row["iou_mean"] <= row["dice_mean"] <= 1 for row in rows.values())


def test_inspection_benchmark_reports_rates_with_defaults_and_calibrated(tmp_path):
    dataset = tmp_path / "hela128"
    counts = write_sample_dataset(dataset, tile=128)  # tiles large enough for whole nuclei to plant errors on
    run = _labelassist("bench", "inspect", "--dataset", str(dataset), "--out", str(tmp_path / "out"))
    assert run.returncode == 0, run.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    defaults, calibrated = results["runs"]
    test = counts["test"]
    assert defaults["criteria"] == "defaults" and calibrated["criteria"].startswith(
        f"calibrated on {counts['samples'] - test} training")
    for row in (defaults, calibrated):
        rates = row["rates"]
        assert rates["labels"] == test and rates["objects"] > test
        assert 0 <= rates["flagged_labels"] <= test and 0 <= rates["warned_objects"]
        planted = sum(d["planted"] for d in rates["detected"].values())
        assert planted >= 3 * test and rates["detection"] > 0.8  # the planted errors are mostly found
        assert rates["detected"]["holes punched"]["found"] == rates["detected"]["holes punched"]["planted"]
        assert row["ranking"]["planted"] >= 1 and row["ranking"]["average_precision"] > 0.5
    assert "| defaults |" in (tmp_path / "out" / "results.md").read_text()


def test_an_effort_start_that_fails_is_reported_and_the_other_starts_are_measured(client, tmp_path):
    from labelassist.evaluation.effort import as_rows, run_effort, write_effort_outputs

    reference = np.zeros((48, 48), np.int32)
    reference[8:20, 8:20], reference[28:40, 26:40] = 1, 2
    client.create_project("effort-failure")
    sample_id = client.add_sample("effort-failure", "two-squares", (reference > 0).astype(np.uint16) * 900 + 100)
    # The test stack serves no U-Net: the generalist start cannot pre-label.
    records = run_effort(client, "effort-failure", [sample_id], [reference], ["generalist", "scratch"])
    assert "FAILED_PRECONDITION: no U-Net is loaded" in records["generalist"].failure
    assert records["scratch"].failure is None and records["scratch"].objects == 2
    rows = as_rows(records, {})
    write_effort_outputs({"description": "two squares", "seconds": 1.0, "starts": rows}, tmp_path, "test",
                         {"cpus": 2, "processor": "x86_64", "python": "3.11"})
    table = (tmp_path / "results.md").read_text()
    assert "| generalist | failed: " in table and "| scratch | 2 |" in table


def test_effort_trains_a_project_of_n_labels_on_the_first_n_training_images_only(sample_dataset, tmp_path):
    from labelassist.cli.data import _training_copy
    from labelassist.io.dataset_folder import read_dataset

    training = [s for s in read_dataset(sample_dataset) if s.split == "train"]
    copy = _training_copy(tmp_path, sample_dataset, train_images=5)
    kept = read_dataset(copy)
    assert [s.stem for s in kept] == sorted(s.stem for s in training[:5])
    assert {s.split for s in kept} == {"train"} and all(s.label is not None for s in kept)
    assert len(read_dataset(_training_copy(tmp_path, sample_dataset))) == 64


def test_effort_names_the_prelabel_the_products_evidence_rule_would_choose():
    from labelassist.evaluation.effort import StartEffort, annotate, evidence_choice

    reference = np.zeros((48, 48), np.int32)
    reference[8:20, 8:20], reference[28:40, 26:40] = 1, 2
    half = reference.copy()
    half[:, 24:] = 0
    records = {"classical": StartEffort("classical"), "generalist": StartEffort("generalist")}
    for _ in range(3):
        annotate(reference, half, None, records["classical"])
        annotate(reference, reference, None, records["generalist"])
    rows = [{**record.summary(), "label": name} for name, record in records.items()]
    assert rows[1]["prelabel_dice"] == [1.0, 1.0, 1.0] and rows[0]["prelabel_matched"] == [0.5, 0.5, 0.5]
    sentence = evidence_choice(rows)
    assert "generalist: mean Dice 1.000 against the last 3 submitted labels" in sentence
    assert sentence.endswith("Least effort: generalist.")
    assert "needs 3 labels" in evidence_choice([{**r, "prelabel_dice": r["prelabel_dice"][:2]} for r in rows])
