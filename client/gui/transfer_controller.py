"""Export and import behind the desktop client's File menu, without Qt: a
project's labels to and from the formats other tools use, on this
machine's disk (see :class:`~labelassist.client.transfer_calls.Transfer`).
Each call takes ``emit`` for its progress and returns a ``TransferReport``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from labelassist.client.sdk import LabelAssistClient
from labelassist.client.transfer_calls import TransferReport

Emit = Callable[[int], None]
FAILURES_SHOWN = 3


def import_summary(report: TransferReport, project: str, fmt: str) -> str:
    """An import's outcome in one line: added, already there, and the first failures."""
    failed = "; ".join(f"{name}: {error}" for name, error in report.failed[:FAILURES_SHOWN])
    more = f" (and {len(report.failed) - FAILURES_SHOWN} more)" if len(report.failed) > FAILURES_SHOWN else ""
    return (f"Imported {report.added} samples into {project} ({fmt}), already there {report.existing}"
            + (f"; failed {failed}{more}" if failed else ""))


class TransferController:
    """Exports and imports for one window's connection."""

    def __init__(self, client: LabelAssistClient):
        self.client = client

    def use(self, client: LabelAssistClient) -> None:
        self.client = client

    def export_call(self, project: str, folder: Path, fmt: str) -> Callable[[Emit], TransferReport]:
        """Write ``project``'s labels as ``fmt`` into ``folder``, emitting the samples written so far."""
        transfer = self.client.transfer
        return lambda emit: transfer.download_labels(project, folder, fmt, progress=emit)

    def import_call(self, project: str, source: Path, fmt: str, images: Path | None = None,
                    create: bool = False) -> Callable[[Emit], TransferReport]:
        """Add another tool's export to ``project`` (created first with
        ``create``), emitting the samples read so far."""
        transfer = self.client.transfer
        return lambda emit: transfer.import_labels(project, source, fmt, images=images, create=create, progress=emit)


__all__ = ["TransferController", "import_summary"]
