"""Labels in and out of a project in the formats other tools use (COCO,
Label Studio, CVAT, OME-Zarr, OME-TIFF in the source layout), on this
machine's disk: the SDK half of ``labelassist project export/import`` and
the desktop client's File menu."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from itertools import chain
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from labelassist.client.errors import PermissionDeniedError
from labelassist.client.class_calls import Classes
from labelassist.client.selector_calls import Selector
from labelassist.io.confinement import write_replacing
from labelassist.io.formats import LabelledImage, describe_import_error, label_format
from labelassist.io.images import write_labels
from labelassist.proto.v1 import selector_pb2
from labelassist.proto.wire.classes import schema_from_proto

MANIFEST = "manifest.json"
# What every label of an export with all annotators names on each of its objects.
ATTRIBUTES = ("annotator", "version", "origin")
# Versions a person made; consensus and adjudicated versions are derived from them.
DERIVED_ORIGINS = (selector_pb2.LABEL_ORIGIN_CONSENSUS, selector_pb2.LABEL_ORIGIN_ADJUDICATED)


@dataclass
class TransferReport:
    """What an export or import did: the files written (export), how many
    samples were added and labelled, each item that failed as
    ``(name, reason)`` (the rest went on), and each item read with
    something of it left out (``notes``: ``(name, what)``; such an item may
    still fail at the selector, or be there already)."""

    format: str
    files: list[Path] = field(default_factory=list)
    samples: int = 0
    added: int = 0
    existing: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    created: bool = False  # an import with ``create`` that added samples: the project stays


class Transfer:
    """``client.transfer``: labels between a project and files in other
    tools' formats, made of the selector's calls."""

    def __init__(self, selector: Selector):
        self.selector = selector

    def download_labels(self, project: str, output: str | Path, format: str = "ome-tiff", unique_ids: bool = True,
                        progress: Callable[[int], None] = lambda n: None, ngff: str = "0.4") -> TransferReport:
        """Write a project's labelled samples to a folder on this machine (where
        :meth:`Selector.export_labels` writes into a folder on the server).

        Parameters
        ----------
        project : str
            The project.
        output : path
            The folder to write (created if missing; not a symlink). Each
            file is written beside its target and moved over it, so a
            symlink standing at a file's name is replaced, never followed.
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
        schema = schema_from_proto(self.selector.get_project(project).classes)

        def samples() -> Iterator[LabelledImage]:
            for info in self.selector.iter_samples(project, labeled_only=True):
                sample = self.selector.get_sample(info.sample_id, with_image=chosen.with_images)
                report.samples += 1
                progress(report.samples)
                yield LabelledImage(info.stem, sample.arrays.get("image"), sample.require("label"),
                                    info.origin if info.origin.file else None,
                                    stored_classes(sample.info) if schema else None)

        report.files = chosen.write_with(samples(), Path(output), unique_ids=unique_ids, ngff=ngff,
                                         schema=schema or None)
        return report

    def download_annotator_labels(self, project: str, output: str | Path,
                                  progress: Callable[[int], None] = lambda n: None,
                                  coco: str | Path | None = None, cvat: str | Path | None = None,
                                  ome_zarr: str | Path | None = None, ngff: str = "0.4") -> TransferReport:
        """Write every annotator's label of each labelled sample, not only
        the newest: what a lab keeps to show how a label came about.

        Each sample gets a folder ``output/<stem>/`` with each annotator's
        newest own label (``v<version>-<annotator>.tif``) and the newest
        consensus and adjudicated versions when there are any. ``manifest.json``
        names for each file its sample, annotator, version, origin, time,
        classes and the versions a derived label was made from. A caller who
        may not read others' labels gets only their own (the selector decides).

        Parameters
        ----------
        project : str
            The project.
        output : path
            The folder to write (created if missing).
        progress : callable
            Called with the number of samples written so far.
        coco : path, optional
            Also write every one of these labels to this COCO file, each
            object with ``attributes`` annotator, version and origin, and
            each image's ``file_name`` ``<stem>.png`` as in a COCO export's
            ``images/`` (needs pycocotools).
        cvat : path, optional
            Also write them to this CVAT for images 1.1 project file, one
            task (with one job) per annotator and one for the consensus and
            adjudicated labels: each image ``<stem>.png`` with that label's
            masks (their classes as their labels) and tags, each shape with
            the attributes annotator, version and origin
            (:class:`~labelassist.io.formats.cvat.TaskPerAnnotator`).
        ome_zarr : path, optional
            Also write ``<stem>.ome.zarr`` per sample into this folder: the
            image, the newest of these labels as ``labels/objects`` and each
            one as ``labels/v<version>-<annotator>``, its NGFF properties
            naming each object's annotator, version, origin and class.
        ngff : {"0.4", "0.5"}
            With ``ome_zarr``: the NGFF version.

        Returns
        -------
        TransferReport
            The files written (the manifest last) and the number of samples.
        """
        folder = Path(output)
        folder.mkdir(parents=True, exist_ok=True)
        report, manifest, attributed = TransferReport("annotators"), [], []
        schema = schema_from_proto(self.selector.get_project(project).classes) if cvat or ome_zarr else {}
        tasks = None
        if cvat is not None:
            from labelassist.io.formats.cvat import TaskPerAnnotator

            tasks = TaskPerAnnotator(project, schema, ATTRIBUTES)
        for info in self.selector.iter_samples(project, labeled_only=True):
            history = self.selector.label_history(info.sample_id)
            chosen = {(v.annotator, False) if v.origin not in DERIVED_ORIGINS else ("", v.origin): v for v in history}
            written = []
            for version in sorted(chosen.values(), key=lambda v: v.version):
                try:
                    mask = self.selector.get_sample(info.sample_id, with_image=False,
                                                    label_version=version.version).require("label")
                except PermissionDeniedError:  # another annotator's label, hidden from this caller
                    continue
                origin = selector_pb2.LabelOrigin.Name(version.origin).removeprefix("LABEL_ORIGIN_").lower()
                who = version.annotator if version.origin not in DERIVED_ORIGINS else origin
                name = f"v{version.version}-{_file_safe(who)}"
                path = folder / info.stem / f"{name}.tif"
                path.parent.mkdir(exist_ok=True)
                write_replacing(path, lambda fresh: write_labels(fresh, mask))
                report.files.append(path)
                attributes = {"annotator": who, "version": version.version, "origin": origin}
                written.append((name, mask, stored_classes(version), attributes))
                if coco is not None:
                    attributed.append((f"{info.stem}.png", mask, attributes))
                if tasks is not None:
                    tasks.add(who, f"{info.stem}.png", mask, stored_classes(version), attributes)
                manifest.append({"sample": info.stem, "sample_id": info.sample_id, "file": str(path.relative_to(
                    folder)), "annotator": version.annotator, "version": version.version, "origin": origin,
                    "created_at": version.created_at, "newest": version.version == history[-1].version,
                    "classes": stored_classes(version),
                    "sources": [{"version": s.version, "annotator": s.annotator, "weight": s.weight}
                                for s in version.sources]})
            if ome_zarr is not None and written:
                report.files.append(self._annotators_store(info, written, Path(ome_zarr), schema, ngff))
            report.samples += 1
            progress(report.samples)
        if coco is not None:
            from labelassist.io.formats.coco import to_coco_with_attributes

            text = json.dumps(to_coco_with_attributes(attributed))
            write_replacing(coco, lambda fresh: fresh.write_text(text))
            report.files.append(Path(coco))
        if tasks is not None:
            report.files.append(tasks.write(Path(cvat)))
        text = json.dumps({"project": project, "labels": manifest}, indent=2)
        write_replacing(folder / MANIFEST, lambda fresh: fresh.write_text(text))
        report.files.append(folder / MANIFEST)
        return report

    def _annotators_store(self, info, written: list, folder: Path, schema: dict, ngff: str) -> Path:
        """``folder/<stem>.ome.zarr``: the sample's image, the newest of the
        ``written`` labels as its label image, and each of them as its own."""
        from labelassist.io.formats import LabelledImage, ome_zarr, writable_folder

        _, newest, classes, attributes = written[-1]
        # Fetched with a label this caller may read: another annotator's newest would be refused.
        image = self.selector.get_sample(info.sample_id, label_version=attributes["version"]).require("image")
        sample = LabelledImage(info.stem, image, newest, info.origin if info.origin.file else None, classes)
        fmt = ome_zarr.ngff_format(ngff)
        return write_replacing(writable_folder(folder) / f"{info.stem}.ome.zarr",
                               lambda path: ome_zarr.write_store(sample, path, fmt, schema, written))

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
            (``ome-tiff``: the images the label files label). Images are
            read only inside this folder (else the annotations' folder),
            symlinks resolved; one named outside it fails as an item.
        create : bool
            Create the project first; an import that fails, or adds no
            sample, then removes it again (``report.created`` is False).
        progress : callable
            Called with the number of samples read so far.

        Returns
        -------
        TransferReport
            Samples read, added, already present, each that failed
            (unreadable, image missing or outside ``images``, a mask larger
            than its image, rejected by the selector), and notes on what
            an item held that its label does not take (CVAT boxes,
            polylines, points). Each imported label
            is version 1 with annotator ``imported:<format>``.

        Raises
        ------
        ValueError
            The annotation file cannot be read at all (not JSON, XML that
            declares entities): nothing is added.
        """
        chosen = label_format(format)
        report = TransferReport(chosen.name)
        source = Path(source)
        if not source.exists():
            raise FileNotFoundError(f"no such file or folder: {source}")

        declared = chosen.class_schema(source) if chosen.class_schema else {}
        read = iter(chosen.read(source, Path(images) if images else None))
        first = next(read, None)  # a file that cannot be read at all is refused here, before any upload

        def entries():
            try:
                for entry in chain([first] if first is not None else [], read):
                    if "error" in entry:
                        report.failed.append((entry["stem"], entry["error"]))
                        continue
                    if "note" in entry:
                        entry = dict(entry)
                        report.notes.append((entry["stem"], entry.pop("note")))
                    report.samples += 1
                    progress(report.samples)
                    if not keep_classes:
                        entry = {k: v for k, v in entry.items() if k not in ("object_classes", "image_classes")}
                    yield {**entry, "label_source": chosen.name}
            except Exception as error:  # noqa: BLE001 - the reader stopped: what was read is still added
                report.failed.append((source.name, f"reading stopped: {describe_import_error(error)}"))

        if create:
            self.selector.create_project(project)
        try:
            if create and declared:
                Classes(self.selector.transport).set_class_schema(
                    project, declared.get("object", ()), declared.get("image", ()), bool(declared.get("multi_label")))
            # Classes go into a project that has a schema; a segmentation-only project takes the masks alone.
            keep_classes = bool(schema_from_proto(self.selector.get_project(project).classes))
            response = self.selector.add_samples(project, entries())
        except BaseException:
            if create:  # a failed create leaves no project behind; its own error is the one to raise
                with contextlib.suppress(grpc.RpcError):
                    self.selector.delete_project(project)
            raise
        if create and not response.total:
            self.selector.delete_project(project)
        report.created = create and bool(response.total)
        report.added, report.existing = response.added, response.existing
        report.failed += [(r.stem, r.error) for r in response.rejected]
        return report


def _file_safe(name: str) -> str:
    """An annotator's name as part of a file name: anything but letters,
    digits, dot, dash and underscore becomes an underscore (the manifest
    keeps the name as it is)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[:64] or "_"


def stored_classes(info) -> dict:
    """The classes of the label a sample was fetched with (or of a
    ``LabelVersion``), as the formats and the agreement measures take them."""
    classes: dict = {}
    if info.object_classes:
        classes["objects"] = {str(k): v for k, v in info.object_classes.items()}
    if info.image_classes:
        classes["image"] = list(info.image_classes)
    return classes
