"""The layers of the design, checked on the code: import-linter's contracts
in pyproject.toml, and rooms of a size a person can read."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ("_pb2.py", "_pb2_grpc.py", "_pb2.pyi")


def package_tree(target: Path) -> Path:
    """The installed package laid out as one folder (setuptools maps several
    source folders into it), so import-linter can read every module."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    mapping = project["tool"]["setuptools"]["package-dir"]
    for package, folder in sorted(mapping.items(), key=lambda item: item[0].count(".")):
        destination = target.joinpath(*package.split("."))
        shutil.copytree(ROOT / folder, destination, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.tif", "*.png"))
    return target


def test_the_import_contracts_hold(tmp_path):
    tree = package_tree(tmp_path / "tree")
    run = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--config", str(ROOT / "pyproject.toml")],
                         capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(tree)})
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout and "KEPT" in run.stdout


def test_no_python_file_outside_the_generated_stubs_is_over_500_lines():
    tracked = subprocess.run(["git", "ls-files", "*.py"], capture_output=True, text=True, cwd=ROOT).stdout.split()
    long = {path: n for path in tracked if not path.endswith(GENERATED)
            if (n := len((ROOT / path).read_text().splitlines())) > 500}
    assert long == {}


def test_every_benchmark_script_imports_and_has_a_main():
    """The benchmarks run outside the suite; their imports must follow the code they measure."""
    script = ("import importlib.util, sys, pathlib\n"
              "for path in sorted(pathlib.Path('benchmarks').glob('bench_*.py')):\n"
              "    spec = importlib.util.spec_from_file_location(path.stem, path)\n"
              "    module = sys.modules[path.stem] = importlib.util.module_from_spec(spec)\n"
              "    spec.loader.exec_module(module)\n"
              "    assert callable(getattr(module, 'main', None)), path\n"
              "    print(path.stem)\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(run.stdout.split()) == len(list((ROOT / "benchmarks").glob("bench_*.py")))


def test_no_client_class_has_more_than_one_base_besides_its_qt_base():
    """Composition, not slices: a window composes views over controllers and
    the SDK facades over one transport. Exceptions are exempt: the SDK's
    errors are also the built-in family a caller catches (``ValueError``)."""
    import ast

    qt = ("Q", "Signal")
    mixed = []
    for path in sorted((ROOT / "client").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                names = [ast.unparse(base) for base in node.bases]
                own = [name for name in names if not name.split(".")[-1].startswith(qt)]
                if len(own) > 1 and not any(name.endswith("Error") for name in names):
                    mixed.append(f"{path.relative_to(ROOT)}:{node.name}({', '.join(names)})")
    assert mixed == []
