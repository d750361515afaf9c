"""Server-side paths, confined to configured roots."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from labelassist.runtime.config import ServiceConfig

from labelassist.proto.wire.addresses import env
from labelassist.runtime.errors import PermissionDeniedError


def add_dataset_root_argument(parser) -> None:
    parser.add_argument("--dataset-root", action="append", type=Path, default=None,
                        help="server folders that datasets may be read from and written to; repeatable "
                             "(env LABELASSIST_DATASET_ROOTS, ':'-separated; default DATA_DIR/datasets)")


def dataset_roots(config: ServiceConfig) -> list[Path]:
    roots = config.options.get("dataset_root") or [Path(p) for p in (env("DATASET_ROOTS") or "").split(":") if p]
    return roots or [config.data_dir / "datasets"]


def confine(path: str, roots: Sequence[Path]) -> Path:
    """``path`` resolved (symlinks and '..' included) if it lies inside a root."""
    if not path:
        raise ValueError("'path' must be set")
    resolved = Path(path).expanduser().resolve()
    for root in roots:
        if resolved == root.resolve() or resolved.is_relative_to(root.resolve()):
            return resolved
    raise PermissionDeniedError(f"path {path!r} is outside the dataset roots "
                                f"({', '.join(str(r) for r in roots) or 'none configured'})")
