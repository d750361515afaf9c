"""OME-TIFF labels in their source file's layout: one label image per
source file, with the file's T, Z, Y and X axes (its channels dropped),
each sample's label placed where the sample came from; a sample without a
source file as a label image of its own. Read back beside the images they
label (``<file>_labels.ome.tif`` or a label file of the image's name),
stacks and tiles included.

A source far larger than memory (a 40,000² slide) keeps each labelled
region in a file of its own until the end and is written as a tiled
OME-TIFF a tile at a time, so exporting its labels costs a few tiles of
memory, not the slide.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import tifffile

from labelassist.io.confinement import OutsideRootsError, confine
from labelassist.io.formats import LabelFormat, LabelledImage, writable_folder, write_replacing
from labelassist.io.images import write_labels
from labelassist.io.planes import file_stem
from labelassist.io.project_files import LABEL_SUFFIX
from labelassist.io.vendor import scene_label

IN_MEMORY_BYTES = 256 << 20  # larger label images are assembled on disk
WRITE_TILE = 512  # the tile side of a label image written from disk


class SourceLabels:
    """The label image of one source file, filled sample by sample.

    Parameters
    ----------
    file : str
        The source file's name.
    axes : str
        The source's axes (of ``TZCYX``).
    shape : tuple of int
        The source's shape in ``axes``.
    unique_ids : bool
        Give each sample's objects ids of their own, unique in the file;
        else keep each plane's ids as labelled (ids that follow objects
        through a stack stay the same).
    scene : str
        The scene's name in a file of several (a LIF's series), else empty.
    physical_size : (float, float, float)
        The source's pixel size in micrometres along X, Y and Z (0: not
        known), written as the label image's PhysicalSizeX/Y/Z.
    """

    def __init__(self, file: str, axes: str, shape: tuple[int, ...], unique_ids: bool = True, scene: str = "",
                 physical_size: tuple[float, float, float] = (0.0, 0.0, 0.0)):
        if len(axes) != len(shape) or not axes.endswith(("YX", "YXC")):
            raise ValueError(f"{file}: a source layout needs axes ending in YX and one extent each, "
                             f"got axes {axes!r} {shape}")
        self.file, self.unique_ids, self.scene = file, unique_ids, scene
        self.physical_size = physical_size
        extents = dict(zip(axes, shape))
        self.axes = "".join(a for a in "TZYX" if a in axes)
        self.shape = tuple(int(extents[a]) for a in self.axes)
        self.layout = (extents.get("T", 1), extents.get("Z", 1), extents["Y"], extents["X"])
        self._scratch, self._regions = None, []
        if 4 * int(np.prod(self.layout)) <= IN_MEMORY_BYTES:
            self.labels = np.zeros(self.layout, np.uint32)
        else:  # each labelled region on disk until the file is written, tile by tile
            self.labels = None
            self._scratch = tempfile.TemporaryDirectory(prefix="labelassist-export-")
        self.top = 0
        self.count = 0
        self._next_id = 1

    def place(self, origin, label: np.ndarray) -> None:
        """Put one sample's label where ``origin`` (t, z, y, x, height,
        width) says it lies."""
        label = np.asarray(label)
        height, width = int(origin.height) or label.shape[0], int(origin.width) or label.shape[1]
        if label.shape != (height, width):
            raise ValueError(f"{self.file}: a label of shape {label.shape} for a region of {(height, width)}")
        t, z, y, x = int(origin.t), int(origin.z), int(origin.y), int(origin.x)
        if t >= self.layout[0] or z >= self.layout[1] or y + height > self.layout[2] or x + width > self.layout[3]:
            raise ValueError(f"{self.file}: region t={t} z={z} y={y} x={x} ({height}x{width}) lies outside "
                             f"axes {self.axes} {self.shape}")
        ids = label.astype(np.uint32)
        if self.unique_ids and ids.any():
            # Ids 1..n of this sample become the file's next n ids.
            present, compact = np.unique(ids, return_inverse=True)
            compact = compact.reshape(ids.shape).astype(np.uint32)
            background = present[0] == 0
            ids = np.where(compact > 0, compact - 1 + self._next_id, 0) if background else compact + self._next_id
            ids = ids.astype(np.uint32)
            self._next_id += len(present) - int(background)
        if self.labels is not None:
            self.labels[t, z, y:y + height, x:x + width] = ids
        else:
            stored = Path(self._scratch.name) / f"{len(self._regions)}.npy"
            np.save(stored, ids)
            self._regions.append((t * self.layout[1] + z, y, x, height, width, stored))
        self.top = max(self.top, int(ids.max()) if ids.size else 0)
        self.count += 1

    def write(self, folder: Path) -> Path:
        """``folder/<file stem>_labels.ome.tif`` (``<file stem>_<scene>_labels``
        for a scene) in the source's layout, in the smallest unsigned type
        that holds its ids; tiled, and written a tile at a time, when it was
        assembled on disk."""
        scene = f"_{scene_label(self.scene)}" if self.scene else ""
        path = Path(folder) / f"{file_stem(self.file)}{scene}{LABEL_SUFFIX}.ome.tif"
        dtype = np.uint8 if self.top < 256 else np.uint16 if self.top < 65536 else np.uint32
        metadata = {"axes": self.axes}
        for axis, size in zip("XYZ", self.physical_size):
            if size > 0 and (axis != "Z" or "Z" in self.axes):
                metadata |= {f"PhysicalSize{axis}": size, f"PhysicalSize{axis}Unit": "µm"}
        options = {"ome": True, "metadata": metadata, "compression": "zlib"}
        if self._scratch is None:
            return write_replacing(path, lambda fresh: tifffile.imwrite(
                fresh, self.labels.reshape(self.shape).astype(dtype), **options))
        write_replacing(path, lambda fresh: tifffile.imwrite(fresh, self._tiles(dtype), shape=self.shape, dtype=dtype,
                                                             tile=(WRITE_TILE, WRITE_TILE), **options))
        self._scratch.cleanup()
        return path

    def _tiles(self, dtype) -> Iterator[np.ndarray]:
        """The label image tile by tile (planes, then rows, then columns),
        each assembled from the stored regions that overlap it."""
        planes, height, width = self.layout[0] * self.layout[1], self.layout[2], self.layout[3]
        boxes = np.array([region[:5] for region in self._regions], np.int64).reshape(-1, 5)
        for plane in range(planes):
            for y in range(0, height, WRITE_TILE):
                for x in range(0, width, WRITE_TILE):
                    tile_h, tile_w = min(WRITE_TILE, height - y), min(WRITE_TILE, width - x)
                    tile = np.zeros((tile_h, tile_w), dtype)
                    overlapping = np.flatnonzero((boxes[:, 0] == plane) & (boxes[:, 1] < y + tile_h)
                                                 & (boxes[:, 1] + boxes[:, 3] > y) & (boxes[:, 2] < x + tile_w)
                                                 & (boxes[:, 2] + boxes[:, 4] > x))
                    for index in overlapping:
                        _, ry, rx, rh, rw, stored = self._regions[index]
                        top, left = max(ry, y), max(rx, x)
                        bottom, right = min(ry + rh, y + tile_h), min(rx + rw, x + tile_w)
                        region = np.load(stored, mmap_mode="r")
                        tile[top - y:bottom - y, left - x:right - x] = region[top - ry:bottom - ry,
                                                                              left - rx:right - rx]
                        del region
                    yield tile


def write(samples: Iterable[LabelledImage], folder: Path, unique_ids: bool = True) -> list[Path]:
    """Each source file's labels as one OME-TIFF in the file's layout;
    ``unique_ids=False`` keeps each plane's ids as stored (ids that follow
    objects through a stack)."""
    folder = writable_folder(folder)
    files: dict[tuple[str, str], SourceLabels] = {}
    written = []
    for sample in samples:
        origin = sample.origin
        if origin is None or not origin.file:
            written.append(write_replacing(folder / f"{sample.stem}.tif",
                                           lambda fresh, label=sample.label: write_labels(fresh, label)))
            continue
        key = (origin.file, origin.scene)
        if key not in files:
            size = tuple(float(getattr(origin, f"physical_size_{axis}", 0.0) or 0.0) for axis in "xyz")
            files[key] = SourceLabels(origin.file, origin.axes, tuple(origin.shape), unique_ids, origin.scene, size)
        files[key].place(origin, sample.label)
    return [labels.write(folder) for labels in files.values()] + written


def read(source: Path, images: Path | None) -> Iterator[dict]:
    """Samples from the images (``images``, or ``source/images`` of a
    dataset folder) with the label files in ``source`` matched by name."""
    from labelassist.io.project_files import file_samples, source_files

    if images is None and not (source / "images").is_dir():
        raise ValueError(f"OME-TIFF labels in {source} need their images: give the images' folder with --images")
    failed: list[tuple[str, str]] = []
    sources = []
    for image, labels in source_files([images or source],
                                      [source / "labels" if (source / "labels").is_dir() else source]):
        try:  # only files inside the folders given, symlinks resolved
            confine(image, [images or source], "the images folder")
            for label in labels.values():
                confine(label, [source], "the labels folder")
            sources.append((image, labels))
        except OutsideRootsError as error:
            failed.append((str(image), str(error)))
    yield from (entry for entry in file_samples(sources, tile=None, failed=failed) if entry["label"] is not None)
    for file, error in failed:
        yield {"stem": file_stem(file), "error": error}


FORMAT = LabelFormat("ome-tiff", "OME-TIFF label images in each source file's layout (T, Z, Y, X), no images",
                     write, read, with_images=False, options=("unique_ids",))

__all__ = ["SourceLabels", "FORMAT"]
