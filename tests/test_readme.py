"""Every Python example in the README runs as written, against a real stack."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block-{i + 1}" for i in range(len(BLOCKS))])
def test_the_readme_python_example_runs_as_written(stack, tmp_path, code):
    env = {**os.environ, **{f"LABELASSIST_{name.upper()}_ADDRESS": address
                            for name, address in stack.addresses.as_dict().items()}}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]


def test_the_readme_has_python_examples():
    assert BLOCKS
