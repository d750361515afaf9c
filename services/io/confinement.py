"""Paths held inside chosen folders, and files written without following
links: the one home of both rules for the servers (dataset roots), the
training data, label import (images inside the folder the user gave) and
label export (files staged beside their targets, then moved over them)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path


class OutsideRootsError(PermissionError):
    """A path that resolves (symlinks and '..' followed) outside the folders it must stay in."""


def confine(path: str | Path, roots: Sequence[Path], what: str = "the dataset roots") -> Path:
    """``path`` resolved (symlinks and '..' included) if it lies inside one of ``roots``.

    Parameters
    ----------
    path : str or Path
        The path as given.
    roots : sequence of Path
        The folders it may lie in (resolved here too).
    what : str
        How the error names the roots.

    Returns
    -------
    Path
        The resolved path.

    Raises
    ------
    OutsideRootsError
        When it resolves outside every root.
    """
    if not str(path):
        raise ValueError("'path' must be set")
    resolved = Path(path).expanduser().resolve()
    for root in roots:
        real_root = Path(root).expanduser().resolve()
        if resolved == real_root or resolved.is_relative_to(real_root):
            return resolved
    raise OutsideRootsError(f"path {str(path)!r} is outside {what} "
                            f"({', '.join(str(r) for r in roots) or 'none configured'})")


def writable_folder(folder: str | Path) -> Path:
    """``folder`` created if missing and resolved; a folder that is itself a
    symlink is refused, since a planted link would send the files elsewhere."""
    folder = Path(folder)
    if folder.is_symlink():
        raise OutsideRootsError(f"{folder} is a symbolic link; give the real folder to write into")
    folder.mkdir(parents=True, exist_ok=True)
    return folder.resolve()


def write_replacing(target: str | Path, write: Callable[[Path], object]) -> Path:
    """Write a file or folder at ``target`` without following anything that
    stands there: ``write(path)`` fills a fresh path in a new temporary
    folder inside ``target``'s parent, which then replaces ``target`` in one
    step (a symlink at ``target`` is replaced, never followed; the folder a
    link points to is left alone).

    Parameters
    ----------
    target : str or Path
        The file (or folder) to write; its parent must not be a symlink.
    write : callable
        ``write(path)`` writes the content at ``path``.

    Returns
    -------
    Path
        ``target``.
    """
    target = Path(target)
    parent = writable_folder(target.parent)
    target = parent / target.name
    staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}-"))
    try:
        fresh = staging / target.name
        write(fresh)
        # rename() replaces a file or a link in one step; a folder (or a
        # folder's place) needs what stands there removed first.
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif fresh.is_dir() and target.is_symlink():
            target.unlink()
        os.replace(fresh, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


__all__ = ["OutsideRootsError", "confine", "writable_folder", "write_replacing"]
