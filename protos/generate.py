"""Generate the Python stubs of the gRPC contract (``make proto``).

The .proto files live in ``protos/labelassist/proto/v1`` and import one
another as ``labelassist/proto/v1/...``, so every tool resolves them from the
``protos/`` root (``protoc -I protos``, buf, grpcurl, @grpc/proto-loader) and
the generated modules are the package ``labelassist.proto.v1``. The stubs are
written beside the .proto files. ``--check`` regenerates into a temporary
folder and fails when the committed stubs differ.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

INCLUDE_ROOT = Path(__file__).resolve().parent
VIRTUAL_ROOT = "labelassist/proto"
PROTO_ROOT = INCLUDE_ROOT / VIRTUAL_ROOT
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def proto_files() -> list[Path]:
    return sorted(PROTO_ROOT.rglob("*.proto"))


def generate(out_dir: Path) -> list[Path]:
    """Run protoc and return the generated files laid out like ``PROTO_ROOT``."""
    from grpc_tools import protoc  # dev dependency only

    build = Path(tempfile.mkdtemp(prefix="labelassist-proto-"))
    try:
        sources = [f"{VIRTUAL_ROOT}/{p.relative_to(PROTO_ROOT).as_posix()}" for p in proto_files()]
        include = str(Path(protoc.__file__).parent / "_proto")
        argv = [
            "protoc",
            f"-I{INCLUDE_ROOT}",
            f"-I{include}",
            f"--python_out={build}",
            f"--pyi_out={build}",
            f"--grpc_python_out={build}",
            *sources,
        ]
        if protoc.main(argv) != 0:
            raise SystemExit("protoc failed")
        generated = []
        for path in sorted((build / VIRTUAL_ROOT).rglob("*")):
            if path.is_file() and path.name.endswith(GENERATED_SUFFIXES):
                target = out_dir / path.relative_to(build / VIRTUAL_ROOT)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                generated.append(target)
        return generated
    finally:
        shutil.rmtree(build, ignore_errors=True)


def stale_files() -> list[str]:
    """Names of committed stubs that differ from freshly generated ones."""
    with tempfile.TemporaryDirectory() as fresh_dir:
        fresh = {p.relative_to(fresh_dir) for p in generate(Path(fresh_dir))}
        committed = {
            p.relative_to(PROTO_ROOT)
            for p in PROTO_ROOT.rglob("*")
            if p.name.endswith(GENERATED_SUFFIXES)
        }
        stale = sorted(str(p) for p in fresh ^ committed)
        stale += sorted(
            str(p)
            for p in fresh & committed
            if not filecmp.cmp(Path(fresh_dir) / p, PROTO_ROOT / p, shallow=False)
        )
        return stale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed stubs are stale")
    args = parser.parse_args()
    if args.check:
        stale = stale_files()
        if stale:
            print("stale generated stubs (run `make proto`):", *stale, sep="\n  ")
            return 1
        print("generated stubs are up to date")
        return 0
    for path in generate(PROTO_ROOT):
        print(path.relative_to(PROTO_ROOT.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
