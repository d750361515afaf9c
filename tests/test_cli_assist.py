"""``labelassist prelabel`` and ``labelassist ops`` against a running stack."""

import subprocess
import sys

import numpy as np
import pytest
import tifffile
from PIL import Image

from shapes import dice, noisy_bimodal

LABELASSIST = [sys.executable, "-m", "labelassist.cli"]


def run(cli_env, *args):
    return subprocess.run([*LABELASSIST, *args], capture_output=True, text=True, env=cli_env, timeout=120)


@pytest.mark.parametrize("source, target", [("in.tif", "out.tif"), ("in.png", "out.png"), ("in.tif", "out.png")])
def test_prelabel_reads_and_writes_tiff_and_png(cli_env, tmp_path, rng, source, target):
    image, truth = noisy_bimodal(rng, dtype=np.uint8 if source.endswith("png") else np.uint16) \
        if source.endswith("tif") else noisy_bimodal(rng, dtype=np.uint16)
    if source.endswith("png"):
        image = (image // 16).astype(np.uint8)
        Image.fromarray(image).save(tmp_path / source)
    else:
        tifffile.imwrite(tmp_path / source, image)
    result = run(cli_env, "prelabel", str(tmp_path / source), "-o", str(tmp_path / target),
                 "--method", "otsu:polarity=bright", "--pre", "gaussian:sigma=1.5",
                 "--post", "remove_small_objects:min_size=20", "--post", "fill_holes")
    assert result.returncode == 0, result.stderr
    assert "1 objects by otsu (gaussian -> otsu -> remove_small_objects -> fill_holes)" in result.stdout
    written = tifffile.imread(tmp_path / target) if target.endswith("tif") else np.asarray(Image.open(tmp_path / target))
    assert written.shape == truth.shape and dice(written, truth) >= 0.99


def test_prelabel_with_a_bad_parameter_prints_the_servers_reason(cli_env, tmp_path):
    tifffile.imwrite(tmp_path / "in.tif", np.ones((8, 8), np.uint16))
    result = run(cli_env, "prelabel", str(tmp_path / "in.tif"), "-o", str(tmp_path / "out.tif"),
                 "--method", "otsu:polarity=sideways")
    assert result.returncode == 2
    assert "INVALID_ARGUMENT" in result.stderr and "'polarity' must be one of auto, bright, dark" in result.stderr
    assert "Traceback" not in result.stderr


def test_prelabel_of_a_missing_file_is_a_clear_error(cli_env, tmp_path):
    result = run(cli_env, "prelabel", str(tmp_path / "nope.tif"), "-o", str(tmp_path / "out.tif"))
    assert result.returncode == 2 and "no such image" in result.stderr


def test_ops_lists_every_operation_with_its_parameters(cli_env):
    result = run(cli_env, "ops")
    assert result.returncode == 0, result.stderr
    for name in ("stretch", "clahe", "nl_means", "otsu", "local", "random_walker", "flood_fill", "split_touching"):
        assert f"\n{name} " in "\n" + result.stdout
    assert "sigma=1.0 (number [0.1, 50]) standard deviation in pixels" in result.stdout


def test_inspect_writes_a_json_report_and_a_table_for_a_dataset(cli_env, client, tmp_path, rng):
    import json

    from shapes import disc

    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    truth = disc((100, 100), (30, 30), 12) | disc((100, 100), (70, 70), 12)
    image = (np.where(truth, 2000, 300) + rng.normal(0, 30, truth.shape)).astype(np.uint16)
    tifffile.imwrite(tmp_path / "images" / "good.tif", image)
    tifffile.imwrite(tmp_path / "labels" / "good.tif", truth.astype(np.uint8))
    tifffile.imwrite(tmp_path / "images" / "holey.tif", image)
    holey = truth & ~disc((100, 100), (30, 30), 4)
    Image.fromarray(holey.astype(np.uint8)).save(tmp_path / "labels" / "holey.png")
    result = run(cli_env, "inspect", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "1/2 labels with warnings or errors" in result.stdout
    assert "warning: 1 object(s) with holes" in result.stdout
    report = json.loads((tmp_path / "inspection.json").read_text())
    by_stem = {s["sample"]: s for s in report["samples"]}
    holes = [f for f in by_stem["holey"]["findings"] if f["criterion"] == "holes"]
    assert holes[0]["boxes"] == [[18, 18, 43, 43]] and holes[0]["object_ids"] == [1]
    assert {s["prelabel_source"] for s in report["samples"]} == {"classical"}

    # A project's settings applied to the folder: its holes do not count there, its large minimum size does.
    project = f"folder-settings-{rng.integers(1 << 30)}"
    client.create_project(project, criteria=[("object_size", {"min_area": 1000})], disabled=["holes"])
    tuned = run(cli_env, "inspect", str(tmp_path), "--settings", project, "-o", str(tmp_path / "tuned.json"))
    assert tuned.returncode == 0, tuned.stderr
    criteria = {f["criterion"] for sample in json.loads((tmp_path / "tuned.json").read_text())["samples"]
                for f in sample["findings"]}
    assert "object_size" in criteria and "holes" not in criteria


def test_inspect_reviews_the_labels_stored_in_a_project(cli_env, client, tmp_path, rng):
    import json

    from shapes import disc

    project = f"review-{rng.integers(1 << 30)}"
    client.create_project(project)
    truth = disc((100, 100), (30, 30), 12) | disc((100, 100), (70, 70), 12)
    image = (np.where(truth, 2000, 300) + rng.normal(0, 30, truth.shape)).astype(np.uint16)
    good = client.add_sample(project, "good", image)
    holey = client.add_sample(project, "holey", image)
    client.add_sample(project, "unlabelled", image)
    client.submit_label(good, "ann", truth.astype(np.uint8))
    client.submit_label(holey, "ann", (truth & ~disc((100, 100), (30, 30), 4)).astype(np.uint8))
    output = tmp_path / "review.json"
    result = run(cli_env, "inspect", "--project", project, "-o", str(output))
    assert result.returncode == 0, result.stderr
    assert "1/2 labels with warnings or errors" in result.stdout
    report = json.loads(output.read_text())
    assert report["project"] == project
    names = {s["sample"]: s for s in report["samples"]}
    assert set(names) == {f"good (#{good} v1)", f"holey (#{holey} v1)"}
    assert [f["criterion"] for f in names[f"holey (#{holey} v1)"]["findings"]
            if f["severity"] == "warning"] == ["holes"]

    missing = run(cli_env, "inspect", "--project", "no-such-project")
    assert missing.returncode != 0 and "no-such-project" in missing.stderr


def test_inspection_settings_are_shown_and_set_from_the_command_line(cli_env, client, rng):
    project = f"cli-settings-{rng.integers(1 << 30)}"
    client.create_project(project)
    shown = run(cli_env, "inspection", project)
    assert shown.returncode == 0 and "(the defaults of `labelassist criteria`)" in shown.stdout
    changed = run(cli_env, "inspection", project, "--criterion", "object_size:min_area=200",
                  "--disable", "touching_border")
    assert changed.returncode == 0, changed.stderr
    assert "object_size: min_area=200.0" in changed.stdout and "disabled: touching_border" in changed.stdout
    bad = run(cli_env, "inspection", project, "--criterion", "object_size:min_area=big")
    assert bad.returncode != 0 and "min_area" in bad.stderr
    assert run(cli_env, "inspection", project, "--reset").stdout.count("disabled: none") == 1


def test_answers_to_findings_are_listed_and_taken_back_from_the_command_line(cli_env, client, rng):
    from types import SimpleNamespace

    project = f"cli-answers-{rng.integers(1 << 30)}"
    client.create_project(project)
    assert "no answers" in run(cli_env, "answers", project).stdout
    finding = SimpleNamespace(criterion="object_size", measured=25.0, bound=40.0, object_ids=(3,))
    answer = client.answer_finding(project, finding, sample_id=7, annotator="ann")
    listed = run(cli_env, "answers", project)
    assert listed.returncode == 0 and "not_an_error" in listed.stdout and "object_size: 25 against 40, sample 7" \
        in listed.stdout
    undone = run(cli_env, "answers", project, "--undo", str(answer.answer_id))
    assert undone.returncode == 0, undone.stderr
    assert "taken back by" in run(cli_env, "answers", project).stdout
    again = run(cli_env, "answers", project, "--undo", str(answer.answer_id))
    assert again.returncode != 0 and "already taken back" in again.stderr


def test_add_uploads_a_folder_and_lists_what_it_could_not_use(cli_env, tmp_path, rng):
    folder = tmp_path / "images"
    folder.mkdir()
    for index in range(6):
        tifffile.imwrite(folder / f"tile{index}.tif", rng.integers(0, 4000, (32, 32), dtype=np.uint16))
    (folder / "broken.tif").write_bytes(b"not a tiff")
    result = run(cli_env, "add", str(folder), "--project", "uploaded", "--create", "--strategy", "sequential")
    assert result.returncode == 1, result.stderr
    assert "rejected broken:" in result.stderr
    assert "uploaded: added 6, already there 0, rejected 1; 6 samples in the project" in result.stdout
    again = run(cli_env, "add", str(folder), "--project", "uploaded")
    assert "added 0, already there 6" in again.stdout
