"""``labelassist up`` and ``status`` as a user runs them."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
LABELASSIST = [sys.executable, "-m", "labelassist.cli"]


def start_up(data_dir: Path, *flags: str) -> tuple[subprocess.Popen, dict[str, str]]:
    process = subprocess.Popen([*LABELASSIST, "--data-dir", str(data_dir), "up", "--base-port", "0", *flags],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    serving, output = {}, []
    deadline = time.monotonic() + 180
    while len(serving) < 3:
        line = process.stdout.readline()
        output.append(line)
        if not line or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"up did not report three services: {serving}; it said:\n{''.join(output)}")
        match = re.match(r"(\w+)\s+(127\.0\.0\.1:\d+)\s+SERVING", line)
        if match:
            serving[match[1]] = match[2]
    return process, serving


def child_pids(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def wait_gone(pids, timeout=20.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


def stopped_output(process: subprocess.Popen, data_dir: Path, timeout: float = 60) -> str:
    """``up``'s output once it has stopped; when it does not stop in time,
    a failure that says which children were still there, with their
    command lines, and the end of each log, then ``up`` is killed."""
    try:
        return process.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        left = {pid: Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:160]
                for pid in child_pids(process.pid) if alive(pid)}
        logs = {log.name: log.read_text(errors="replace")[-600:] for log in sorted((data_dir / "logs").glob("*.log"))}
        process.kill()
        output = process.communicate()[0]
        raise AssertionError(f"up did not stop within {timeout} s; children left: {left}\nup said:\n{output[-2000:]}"
                             f"\nlogs:\n" + "\n".join(f"--- {name}\n{tail}" for name, tail in logs.items())) from None


def test_up_serves_three_services_and_status_reports_them(tmp_path):
    process, serving = start_up(tmp_path)
    try:
        assert set(serving) == {"selector", "assist", "inspect"}
        status = subprocess.run([*LABELASSIST, "--data-dir", str(tmp_path), "status"],
                                capture_output=True, text=True, timeout=60)
        assert status.returncode == 0, status.stdout + status.stderr
        for name, address in serving.items():
            assert re.search(rf"{name}\s+{re.escape(address)}\s+SERVING", status.stdout)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def test_sigterm_stops_every_child_and_removes_the_stack_file(tmp_path):
    process, _ = start_up(tmp_path)
    children = child_pids(process.pid)
    assert len(children) >= 3  # the services, and tritonserver where the bundle is installed
    process.send_signal(signal.SIGTERM)
    output = stopped_output(process, tmp_path)
    assert process.returncode == 0
    assert "stopped: selector (0), assist (0), inspect (0)" in output
    assert wait_gone(children) == []
    assert not (tmp_path / "run" / "stack.json").exists()


def test_ctrl_c_stops_everything(tmp_path):
    process, _ = start_up(tmp_path)
    children = child_pids(process.pid)
    process.send_signal(signal.SIGINT)
    stopped_output(process, tmp_path)
    assert process.returncode == 0
    assert wait_gone(children) == []


def test_kill_9_of_up_leaves_no_orphan(tmp_path):
    process, _ = start_up(tmp_path)
    children = child_pids(process.pid)
    process.kill()
    process.wait()
    assert wait_gone(children) == []


def test_status_without_a_stack_reports_unavailable_and_fails(tmp_path, monkeypatch):
    env = {**os.environ, "LABELASSIST_SELECTOR_ADDRESS": "127.0.0.1:1",
           "LABELASSIST_ASSIST_ADDRESS": "127.0.0.1:1", "LABELASSIST_INSPECT_ADDRESS": "127.0.0.1:1"}
    status = subprocess.run([*LABELASSIST, "--data-dir", str(tmp_path), "status"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert status.returncode == 1
    assert status.stdout.count("UNAVAILABLE") == 3


def test_demo_runs_the_workflow_on_the_bundled_hela_sample(first_demo):
    _, result = first_demo
    assert result.returncode == 0, result.stderr
    assert len(re.findall(r"^\w+\s+127\.0\.0\.1:\d+\s+SERVING$", result.stdout, re.MULTILINE)) == 3
    assert "4 labels submitted and read back" in result.stdout
    median_dice = float(re.search(r"reference masks: ([0-9.]+)", result.stdout)[1])
    assert median_dice > 0.9
