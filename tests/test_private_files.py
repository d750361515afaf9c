"""The files of a stack are its user's alone: ``labelassist up`` makes the
data directory 0700 and every file the stack writes 0600 (the database and
its journal, jobs, logs, tokens), and narrows those already there."""

from __future__ import annotations

import signal
import stat
from pathlib import Path

import pytest

from test_cli import start_up

pytestmark = pytest.mark.slow


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_up_keeps_the_data_directory_and_its_files_private(tmp_path):
    data_dir = tmp_path / "data"
    (data_dir / "run").mkdir(parents=True)
    data_dir.chmod(0o755)
    (data_dir / "run" / "tokens").write_text("old\n")
    (data_dir / "run" / "tokens").chmod(0o644)
    (data_dir / "logs").mkdir()
    (data_dir / "logs" / "selector.log").write_text("a log of before\n")
    (data_dir / "logs" / "selector.log").chmod(0o644)
    (data_dir / "notes.txt").write_text("the user's own file\n")
    (data_dir / "notes.txt").chmod(0o644)
    process, serving = start_up(data_dir, "--triton-url", "none", "--require-token", "s3cret")
    try:
        assert mode(data_dir) == 0o700
        assert mode(data_dir / "run" / "tokens") == 0o600
        assert (data_dir / "run" / "tokens").read_text() == "s3cret\n"
        assert mode(data_dir / "logs" / "selector.log") == 0o600
        assert mode(data_dir / "notes.txt") == 0o644  # not the stack's: inside a 0700 folder, left as it is
        written = [p for p in data_dir.rglob("*") if p.is_file() and not p.is_symlink()
                   and p.name.startswith(("selector.sqlite", "selector.log", "assist.log", "inspect.log"))]
        assert {p.name for p in written} >= {"selector.sqlite", "selector.log", "assist.log", "inspect.log"}
        assert {p.name: oct(mode(p)) for p in written} == {p.name: oct(0o600) for p in written}
        folders = [p for p in data_dir.rglob("*") if p.is_dir() and not p.is_symlink()]
        assert {p.name: oct(mode(p) & 0o077) for p in folders} == {p.name: "0o0" for p in folders}
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def test_a_service_started_alone_writes_its_files_private(tmp_path, start_service):
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    start_service("selector")
    assert mode(data_dir) == 0o700
    database = [p for p in data_dir.iterdir() if p.name.startswith("selector.sqlite")]
    assert database and all(mode(p) == 0o600 for p in database)
