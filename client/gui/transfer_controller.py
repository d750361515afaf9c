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


def _first(items: list[tuple[str, str]]) -> str:
    shown = "; ".join(f"{name}: {text}" for name, text in items[:FAILURES_SHOWN])
    return shown + (f" (and {len(items) - FAILURES_SHOWN} more)" if len(items) > FAILURES_SHOWN else "")


def import_summary(report: TransferReport, project: str, fmt: str) -> str:
    """An import's outcome in one line: added, already there, the first
    failures, and the first items with something of them left out."""
    return (f"Imported {report.added} samples into {project} ({fmt}), already there {report.existing}"
            + (f"; failed {_first(report.failed)}" if report.failed else "")
            + (f"; left out of {len(report.notes)}: {_first(report.notes)}" if report.notes else ""))


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
