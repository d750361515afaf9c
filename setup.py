"""The package list, found in the folders that pyproject.toml's package-dir maps.

pyproject.toml alone cannot find subpackages under a mapped folder (its
``packages.find`` names them relative to the folder, without the
``labelassist`` prefix), so every subpackage would have to be listed by hand
and one forgotten folder ships a wheel that cannot import. Everything else
about the build is declared in pyproject.toml."""

import tomllib
from pathlib import Path

from setuptools import find_namespace_packages, setup

HERE = Path(__file__).resolve().parent
PACKAGE_DIR = tomllib.loads((HERE / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]


def mapped_packages(package_dir: dict[str, str]) -> list[str]:
    """Every folder under each mapped root, as a package named below that root's package.

    Namespace packages count: the bundled data and the Triton model folders
    hold no ``__init__.py``.
    """
    packages = []
    for name, folder in package_dir.items():
        packages.append(name)
        packages += [f"{name}.{found}" for found in find_namespace_packages(str(HERE / folder),
                                                                            exclude=["*__pycache__*"])]
    return sorted(packages)


setup(packages=mapped_packages(PACKAGE_DIR))
