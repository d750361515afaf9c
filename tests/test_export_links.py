"""``labelassist project export`` on a folder where someone planted
symbolic links: every file is written beside its target and moved over it,
so a link standing at a file's name is replaced and what it points to is
left alone; a folder that is a link is refused."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

CLI = [sys.executable, "-m", "labelassist.cli"]
FILES = {"coco": ["annotations.json"], "label-studio": ["tasks.json", "label_config.xml"],
         "cvat": ["annotations.xml"], "ome-tiff": ["cell.tif"]}
VICTIM = b"the victim's own file"


def run(env, *args):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def project(client):
    name = f"links-{os.getpid()}"
    client.create_project(name)
    label = np.zeros((32, 40), np.uint16)
    label[5:15, 5:15] = 1
    client.add_sample(name, "cell", np.full((32, 40), 9, np.uint8), label=label)
    return name


@pytest.mark.parametrize("fmt", sorted(FILES))
def test_an_export_replaces_planted_links_and_leaves_what_they_point_to(fmt, project, tmp_path, cli_env):
    out, victims = tmp_path / "out", tmp_path / "victims"
    (out / "images").mkdir(parents=True)
    victims.mkdir()
    planted = FILES[fmt] + ([] if fmt == "ome-tiff" else ["images/cell.png"])
    for name in planted:
        victim = victims / name.replace("/", "-")
        victim.write_bytes(VICTIM)
        (out / name).symlink_to(victim)
    result = run(cli_env, "project", "export", project, "--format", fmt, "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert all(victim.read_bytes() == VICTIM for victim in victims.iterdir())
    for name in planted:
        assert not (out / name).is_symlink() and (out / name).stat().st_size > 0
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []  # no staging left behind


@pytest.mark.parametrize("fmt", ("coco", "label-studio", "cvat"))
def test_an_export_into_a_linked_images_folder_is_refused(fmt, project, tmp_path, cli_env):
    out, victims = tmp_path / "out", tmp_path / "victims"
    out.mkdir()
    victims.mkdir()
    (out / "images").symlink_to(victims)
    result = run(cli_env, "project", "export", project, "--format", fmt, "-o", str(out))
    assert result.returncode == 2
    assert "images is a symbolic link; give the real folder to write into" in result.stderr
    assert list(victims.iterdir()) == []


def test_an_export_to_a_folder_that_is_a_link_is_refused(project, tmp_path, cli_env):
    victims = tmp_path / "victims"
    victims.mkdir()
    (tmp_path / "out").symlink_to(victims)
    result = run(cli_env, "project", "export", project, "--format", "coco", "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "is a symbolic link" in result.stderr
    assert list(victims.iterdir()) == []
