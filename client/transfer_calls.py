"""Labels in and out of a project in the formats other tools use (COCO,
Label Studio, CVAT, OME-Zarr, OME-TIFF in the source layout), on this
machine's disk: the SDK half of ``labelassist project export/import`` and
the desktop client's File menu."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from labelassist.io.formats import LabelledImage, label_format


@dataclass
class TransferReport:
    """What an export or import did: the files written (export), how many
    samples were added and labelled, and each item that failed as
    ``(name, reason)``; the rest went on."""

    format: str
    files: list[Path] = field(default_factory=list)
    samples: int = 0
    added: int = 0
    existing: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


class TransferCalls:
    """Mixed into the client, which provides ``iter_samples``, ``get_sample`` and ``add_samples``."""

    def download_labels(self, project: str, output: str | Path, format: str = "ome-tiff", unique_ids: bool = True,
                        progress: Callable[[int], None] = lambda n: None, ngff: str = "0.4") -> TransferReport:
        """Write a project's labelled samples to a folder on this machine (where
        :meth:`export_labels` writes into a folder on the server).

        Parameters
        ----------
        project : str
            The project.
        output : path
            The folder to write (created if missing).
        format : str
            One of ``labelassist.io.formats.FORMAT_NAMES``: ``ome-tiff``
            (each source file's labels in its T/Z/Y/X layout), ``coco``,
            ``label-studio``, ``cvat`` or ``ome-zarr`` (each with the images).
        unique_ids : bool
            ``ome-tiff`` only: object ids unique per file (else each
            plane's ids as labelled).
        progress : callable
            Called with the number of samples written so far.
        ngff : {"0.4", "0.5"}
            ``ome-zarr`` only: the NGFF version (0.4, Zarr v2, what most
            tools read; 0.5, Zarr v3).

        Returns
        -------
        TransferReport
            The files written and the number of samples.
        """
        chosen = label_format(format)
        report = TransferReport(format)

        def samples() -> Iterator[LabelledImage]:
            for info in self.iter_samples(project, labeled_only=True):
                sample = self.get_sample(info.sample_id, with_image=chosen.with_images)
                report.samples += 1
                progress(report.samples)
                yield LabelledImage(info.stem, sample.arrays.get("image"), sample.require("label"),
                                    info.origin if info.origin.file else None)

        report.files = chosen.write_with(samples(), Path(output), unique_ids=unique_ids, ngff=ngff)
        return report

    def import_labels(self, project: str, source: str | Path, format: str = "coco", images: str | Path | None = None,
                      create: bool = False, progress: Callable[[int], None] = lambda n: None) -> TransferReport:
        """Add samples with their labels from another tool's export.

        Parameters
        ----------
        project : str
            The project to add to.
        source : path
            The export: a folder, or its annotation file (COCO
            ``annotations.json``, Label Studio ``tasks.json``, CVAT
            ``annotations.xml``), a folder of ``.ome.zarr`` images, or a
            folder of OME-TIFF label files.
        format : str
            One of ``labelassist.io.formats.FORMAT_NAMES``.
        images : path, optional
            Where the images are when not beside the annotations
            (``ome-tiff``: the images the label files label).
        create : bool
            Create the project first.
        progress : callable
            Called with the number of samples read so far.

        Returns
        -------
        TransferReport
            Samples read, added, already present, and each that failed
            (unreadable, image missing, rejected by the selector). Each
            imported label is version 1 with annotator ``imported:<format>``.
        """
        chosen = label_format(format)
        report = TransferReport(chosen.name)
        source = Path(source)
        if not source.exists():
            raise FileNotFoundError(f"no such file or folder: {source}")

        def entries():
            for entry in chosen.read(source, Path(images) if images else None):
                if "error" in entry:
                    report.failed.append((entry["stem"], entry["error"]))
                    continue
                report.samples += 1
                progress(report.samples)
                yield {**entry, "label_source": chosen.name}

        if create:
            self.create_project(project)
        response = self.add_samples(project, entries())
        report.added, report.existing = response.added, response.existing
        report.failed += [(r.stem, r.error) for r in response.rejected]
        return report
