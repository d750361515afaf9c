"""OME-TIFF labels in their source file's layout: one label image per
source file, with the file's T, Z, Y and X axes (its channels dropped),
each sample's label placed where the sample came from; a sample without a
source file as a label image of its own. Read back beside the images they
label (``<file>_labels.ome.tif`` or a label file of the image's name),
stacks and tiles included."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import tifffile

from labelassist.io.formats import LabelFormat, LabelledImage
from labelassist.io.images import write_labels
from labelassist.io.planes import file_stem


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
    """

    def __init__(self, file: str, axes: str, shape: tuple[int, ...], unique_ids: bool = True):
        if len(axes) != len(shape) or not axes.endswith(("YX", "YXC")):
            raise ValueError(f"{file}: a source layout needs axes ending in YX and one extent each, "
                             f"got axes {axes!r} {shape}")
        self.file, self.unique_ids = file, unique_ids
        extents = dict(zip(axes, shape))
        self.axes = "".join(a for a in "TZYX" if a in axes)
        self.shape = tuple(int(extents[a]) for a in self.axes)
        self.labels = np.zeros((extents.get("T", 1), extents.get("Z", 1), extents["Y"], extents["X"]), np.uint32)
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
        if t >= self.labels.shape[0] or z >= self.labels.shape[1] or y + height > self.labels.shape[2] \
                or x + width > self.labels.shape[3]:
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
        self.labels[t, z, y:y + height, x:x + width] = ids
        self.count += 1

    def write(self, folder: Path) -> Path:
        """``folder/<file stem>_labels.ome.tif`` in the source's layout."""
        path = Path(folder) / f"{file_stem(self.file)}_labels.ome.tif"
        data = self.labels.reshape(self.shape)
        top = int(data.max()) if data.size else 0
        dtype = np.uint8 if top < 256 else np.uint16 if top < 65536 else np.uint32
        tifffile.imwrite(path, data.astype(dtype), ome=True, metadata={"axes": self.axes}, compression="zlib")
        return path


def write_unique(samples: Iterable[LabelledImage], folder: Path, unique_ids: bool = True) -> list[Path]:
    """Each source file's labels as one OME-TIFF in the file's layout;
    ``unique_ids=False`` keeps each plane's ids as stored (ids that follow
    objects through a stack)."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, SourceLabels] = {}
    written = []
    for sample in samples:
        origin = sample.origin
        if origin is None or not origin.file:
            written.append(folder / f"{sample.stem}.tif")
            write_labels(written[-1], sample.label)
            continue
        if origin.file not in files:
            files[origin.file] = SourceLabels(origin.file, origin.axes, tuple(origin.shape), unique_ids=unique_ids)
        files[origin.file].place(origin, sample.label)
    return [labels.write(folder) for labels in files.values()] + written


def write(samples: Iterable[LabelledImage], folder: Path) -> list[Path]:
    return write_unique(samples, folder)


def read(source: Path, images: Path | None) -> Iterator[dict]:
    """Samples from the images (``images``, or ``source/images`` of a
    dataset folder) with the label files in ``source`` matched by name."""
    from labelassist.io.project_files import file_samples, source_files

    if images is None and not (source / "images").is_dir():
        raise ValueError(f"OME-TIFF labels in {source} need their images: give the images' folder with --images")
    failed: list[tuple[str, str]] = []
    sources = source_files([images or source], [source / "labels" if (source / "labels").is_dir() else source])
    yield from (entry for entry in file_samples(sources, tile=None, failed=failed) if entry["label"] is not None)
    for file, error in failed:
        yield {"stem": file_stem(file), "error": error}


FORMAT = LabelFormat("ome-tiff", "OME-TIFF label images in each source file's layout (T, Z, Y, X), no images",
                     write, read, with_images=False)

__all__ = ["SourceLabels", "write_unique", "FORMAT"]
