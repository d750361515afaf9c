"""Every Python example in the README and the docs runs as written, against a real stack."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
DOC_BLOCKS = [(page.name, code) for page in sorted((ROOT / "docs").glob("*.md"))
              for code in re.findall(r"```python\n(.*?)```", page.read_text(), re.S)]


def stack_for(code: str, request):
    """Examples that segment from clicks run where ``labelassist up`` put the
    bundled click model; the others on the stack without models."""
    return request.getfixturevalue("generalist_stack" if ".segment(" in code else "stack")


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block-{i + 1}" for i in range(len(BLOCKS))])
def test_the_readme_python_example_runs_as_written(request, tmp_path, code):
    stack = stack_for(code, request)
    env = {**os.environ, **{f"LABELASSIST_{name.upper()}_ADDRESS": address
                            for name, address in stack.addresses.as_dict().items()}}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]


def test_the_readme_has_python_examples():
    assert BLOCKS


@pytest.mark.parametrize("page, code", DOC_BLOCKS, ids=[f"{page}-{i + 1}" for i, (page, _) in enumerate(DOC_BLOCKS)])
def test_the_docs_python_examples_run_as_written(request, client, tmp_path, page, code):
    from labelassist.io.bundled import hela_sample

    stack = stack_for(code, request)
    if "hela-demo" in code and "hela-demo" not in {p.name for p in client.list_projects()}:
        client.create_project("hela-demo")  # what `make run` registers
        client.add_samples("hela-demo", [{"stem": f"hela-{i}", "image": image}
                                         for i, image in enumerate(hela_sample()[0])])
    env = {**os.environ, **{f"LABELASSIST_{name.upper()}_ADDRESS": address
                            for name, address in stack.addresses.as_dict().items()}}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]

