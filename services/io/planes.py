"""Samples from real image files: every 2D plane (each t and z) of an image
or stack, cut into tiles when it is larger than the tile size, each with the
region of the source it came from, so labels can go back into the source
layout.

TIFF files (OME-TIFF, ImageJ hyperstacks, pyramids, tiled or striped) are
read a band of rows at a time through tifffile's decoded segments: a
40,000² slide costs a band of ``tile`` rows in memory, never the whole
image. PNG and JPEG files are small and read whole. OME-Zarr images and
vendor files (CZI, ND2, LIF, through bioio) stay lazy: a region is read when
its sample is taken; each scene of a vendor file is a source of its own.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tifffile

from labelassist.io.axes import KNOWN_AXES, MAX_CHANNELS, MIN_SIDE, AxisImage, checked_axes, is_rgb, read_with_axes
from labelassist.io.images import IMAGE_SUFFIXES, TIFF_SUFFIXES, ZARR_SUFFIXES
from labelassist.io.metadata import ImageMetadata, tiff_metadata, zarr_metadata
from labelassist.io.tiff_checks import check_tiff
from labelassist.io.vendor import VENDOR_SUFFIXES, lazy_scenes, scene_label

SEGMENT_READ_BYTES = 8 << 20  # compressed bytes read ahead of decoding


def file_stem(path: str | Path) -> str:
    """A file's name without its image suffix (``.ome.tif`` counts as one)."""
    name = Path(path).name
    for suffix in (".ome.tiff", ".ome.tif", *ZARR_SUFFIXES, *IMAGE_SUFFIXES):
        if name.lower().endswith(suffix):
            return name[:-len(suffix)]
    return Path(path).stem


@dataclass(frozen=True)
class Source:
    """A source file's layout: its axes (of ``TZCYX``) and shape in them,
    the scene's name in a file of several (a LIF's series), and whether its
    C axis holds an RGB image's samples; what the file says of its channel
    names and pixel size."""
    file: str
    axes: str
    shape: tuple[int, ...]
    scene: str = ""
    rgb: bool = False
    metadata: ImageMetadata = field(default=ImageMetadata(), compare=False)

    def extent(self, axis: str) -> int:
        return self.shape[self.axes.index(axis)] if axis in self.axes else 1

    @property
    def label_axes(self) -> str:
        """The axes of the source's label image: the source's without C."""
        return self.axes.replace("C", "")

    @property
    def label_shape(self) -> tuple[int, ...]:
        return tuple(self.extent(a) for a in self.label_axes)


@dataclass(frozen=True)
class Region:
    """Where one sample lies in its source: plane (t, z), the rows and
    columns of the region, and the channel taken (-1: all, channels last)."""
    source: Source
    t: int = 0
    z: int = 0
    y: int = 0
    x: int = 0
    height: int = 0
    width: int = 0
    channel: int = -1
    tiled: bool = field(default=False, compare=False)

    @property
    def stem(self) -> str:
        """A unique, readable sample name: the file's stem and the region."""
        parts = [file_stem(self.source.file)] + ([scene_label(self.source.scene)] if self.source.scene else [])
        parts += [f"t{self.t}"] if self.source.extent("T") > 1 else []
        parts += [f"z{self.z}"] if self.source.extent("Z") > 1 else []
        parts += [f"y{self.y}_x{self.x}"] if self.tiled else []
        return "_".join(parts)

    def as_dict(self) -> dict:
        return {"file": self.source.file, "axes": self.source.axes, "shape": list(self.source.shape),
                "t": self.t, "z": self.z, "y": self.y, "x": self.x, "height": self.height, "width": self.width,
                "channel": self.channel, "scene": self.source.scene, **self.source.metadata.as_origin()}


def _spans(extent: int, tile: int) -> list[tuple[int, int]]:
    """(start, size) of the tiles along one axis; a remainder too thin to
    label (under MIN_SIDE) joins the tile before it."""
    spans = [(start, min(tile, extent - start)) for start in range(0, extent, tile)]
    if len(spans) > 1 and spans[-1][1] < MIN_SIDE:
        (start, size), (_, rest) = spans[-2], spans.pop()
        spans[-1] = (start, size + rest)
    return spans


def _grid(height: int, width: int, tile: int | None) -> list[tuple[int, int, int, int]]:
    """(y, x, h, w) of the tiles covering a plane; one region when it fits."""
    if not tile or (height <= tile and width <= tile):
        return [(0, 0, height, width)]
    return [(y, x, h, w) for y, h in _spans(height, tile) for x, w in _spans(width, tile)]


def _check_size(source: Source) -> None:
    """Refuse a file whose planes hold no pixels or are too thin to label."""
    name = Path(source.file).name
    if 0 in source.shape:
        empty = "".join(a for a, n in zip(source.axes, source.shape) if n == 0)
        raise ValueError(f"{name} has axes {source.axes} {source.shape}: no pixels (its {empty} axis is empty)")
    height, width = source.extent("Y"), source.extent("X")
    if min(height, width) < MIN_SIDE:
        raise ValueError(f"{name} has axes {source.axes} {source.shape}: planes of {height}×{width} pixels are too "
                         f"small to label (at least {MIN_SIDE}×{MIN_SIDE})")


def _planes(source: Source) -> list[tuple[int, int]]:
    return [(t, z) for t in range(source.extent("T")) for z in range(source.extent("Z"))]


def picked_channel(source: Source, channel: int | None) -> int | None:
    """The channel a choice of ``channel`` takes from ``source``: it applies
    to files with a channel axis; an RGB image stays RGB and a file without
    a channel axis stays as it is (None)."""
    if channel is None or source.rgb or "C" not in source.axes:
        return None
    count = source.extent("C")
    if not 0 <= channel < count:
        raise ValueError(f"{Path(source.file).name} has axes {source.axes} {source.shape}: --channel {channel} "
                         f"is out of range 0-{count - 1}")
    return channel


def channel_report(source: Source, channel: int) -> str:
    """What a choice of ``channel`` did to ``source``, in words, for the
    per-file report of a folder of mixed files."""
    if picked_channel(source, channel) is not None:
        return f"channel {channel} of {source.extent('C')} (axes {source.axes})"
    if source.rgb:
        return "an RGB image: kept as RGB (--channel applies to files with a channel axis)"
    return f"no channel axis (axes {source.axes}): read as it is (--channel applies to files with a channel axis)"


def _channels(source: Source, channel: int | None) -> list[int] | None:
    """The channels a sample holds: one picked, or all (at most 16)."""
    if (picked := picked_channel(source, channel)) is not None:
        return [picked]
    count = source.extent("C")
    if count > MAX_CHANNELS:
        raise ValueError(f"{Path(source.file).name} has axes {source.axes} {source.shape}: {count} channels; "
                         "pick one with --channel")
    return None


def _from_array(image: AxisImage, file: str, channel: int | None, tile: int | None, scene: str = "",
                metadata: ImageMetadata = ImageMetadata()) -> Iterator[tuple[Region, np.ndarray]]:
    source = Source(file, image.axes, tuple(image.data.shape), scene, image.rgb, metadata)
    _check_size(source)
    _channels(source, channel)
    channel = picked_channel(source, channel)
    data = image.data
    order = [a for a in "TZYXC" if a in image.axes]
    data = np.transpose(data, [image.axes.index(a) for a in order])
    if "T" not in order:
        data = data[None]
    if "Z" not in order:
        data = data[:, None]
    if "C" in order and channel is not None:
        data = data[..., channel]
    for t, z in _planes(source):
        plane = data[t, z]
        for y, x, h, w in (grid := _grid(plane.shape[0], plane.shape[1], tile)):
            yield (Region(source, t, z, y, x, h, w, -1 if channel is None else channel, len(grid) > 1),
                   np.ascontiguousarray(plane[y:y + h, x:x + w]))


class _TiffPlanes:
    """The planes of a TIFF series, one page per (t, z, c) or per (t, z)
    with samples (RGB) in the page."""

    def __init__(self, tiff: tifffile.TiffFile, file: str, axes: str | None):
        series = tiff.series[0]
        self.series, self.pages = series, series.pages
        self.source = Source(file, checked_axes(Path(file).name, series.axes, axes, tuple(series.shape)),
                             tuple(series.shape), rgb=is_rgb(series.axes, axes), metadata=tiff_metadata(tiff))
        if series.dataoffset is not None and len(tiff.pages) < len(series.pages):
            raise _WholeFile()  # one directory for every plane's pixels (ImageJ's large stacks)
        page_dims = len(series.keyframe.shape)
        self.page_axes = self.source.axes[-page_dims:]
        self.leading = self.source.axes[:-page_dims]
        if self.page_axes not in ("YX", "YXC") or math.prod(series.shape[:-page_dims]) != len(self.pages):
            raise _WholeFile()

    def page(self, t: int, z: int, c: int):
        index = {"T": t, "Z": z, "C": c}
        shape = [self.source.extent(a) for a in self.leading]
        return self.pages[int(np.ravel_multi_index([index[a] for a in self.leading], shape))] if shape else \
            self.pages[0]


class _WholeFile(Exception):
    """The TIFF's pages do not map onto planes: read it whole."""


def _bands(page, band: int) -> Iterator[tuple[int, np.ndarray]]:
    """(y, rows) of a page, ``band`` rows at a time (the last may be
    shorter), decoded segment by segment into one reused buffer: a band and
    the rows of a segment that reach into the next one are all that is held.
    Each band is valid until the next is asked for."""
    height, width = page.shape[:2]
    extra = tuple(page.shape[2:])
    buffer = np.zeros((min(band, height), width) + extra, page.dtype)
    start, later = 0, []  # later: (y, x, rows) that lie below the current band

    def place(y: int, x: int, rows: np.ndarray) -> None:
        top = y - start
        inside = min(len(rows), len(buffer) - top)
        buffer[top:top + inside, x:x + rows.shape[1]] = rows[:inside]
        if inside < len(rows):
            later.append((y + inside, x, rows[inside:].copy()))

    def advance() -> None:
        nonlocal start, later
        start += len(buffer)
        buffer[:] = 0
        waiting, later = later, []
        for y, x, rows in waiting:
            place(y, x, rows)

    # A small read-ahead: tifffile's default reads hundreds of MiB of segments before decoding.
    for data, index, shape in page.segments(maxworkers=1, buffersize=SEGMENT_READ_BYTES):
        y, x = int(index[2]), int(index[3])
        while y >= start + len(buffer):
            yield start, buffer[:min(len(buffer), height - start)]
            advance()
        h, w = min(shape[1], height - y), min(shape[2], width - x)
        place(y, x, data[0, :h, :w] if extra else data[0, :h, :w, 0])
    while start < height:
        yield start, buffer[:min(len(buffer), height - start)]
        advance()


def _from_tiff(planes: _TiffPlanes, channel: int | None, tile: int | None) -> Iterator[tuple[Region, np.ndarray]]:
    source = planes.source
    _check_size(source)
    picked = _channels(source, channel)
    channel = picked_channel(source, channel)
    in_pages = "C" in planes.leading
    for t, z in _planes(source):
        pages = [planes.page(t, z, c) for c in (picked if picked is not None else range(source.extent("C")))] \
            if in_pages else [planes.page(t, z, 0)]
        height, width = pages[0].shape[:2]
        grid = _grid(height, width, tile)
        band = grid[0][2]
        streams = [_bands(page, band) for page in pages]
        held = None  # the last row of tiles, when it reaches into the last (thin) band
        for (y, rows), *others in zip(*streams):
            if in_pages:
                rows = np.stack([rows] + [r for _, r in others], axis=-1) if others else rows
            elif "C" in source.axes and channel is not None:
                rows = rows[..., channel]
            if held is not None:
                y, rows, held = held[0], np.concatenate([held[1], rows]), None
            tiles = [(gy, gx, h, w) for gy, gx, h, w in grid if gy == y]
            if tiles and tiles[0][2] > len(rows):
                held = y, rows.copy()
                continue
            for gy, gx, h, w in tiles:
                region = Region(source, t, z, gy, gx, h, w, -1 if channel is None else channel, len(grid) > 1)
                yield region, rows[:h, gx:gx + w].copy()  # the band's buffer is reused


def read_samples(path: str | Path, axes: str | None = None, channel: int | None = None,
                 tile: int | None = None) -> Iterator[tuple[Region, np.ndarray]]:
    """Every 2D sample of an image file, with where it lies in the file.

    Parameters
    ----------
    path : path
        TIFF (OME-TIFF, ImageJ hyperstacks, pyramids: the full-resolution
        level), PNG, JPEG, an OME-Zarr image (``.zarr`` folder) or a vendor
        file (CZI, ND2, LIF: every scene); the last two read a region at a
        time.
    axes : str, optional
        The file's axes, one letter of ``TZCYX`` per dimension, for a file
        whose metadata does not say.
    channel : int, optional
        Keep only this channel of a file with a channel axis (RGB images
        stay RGB, files without a channel axis stay as they are; see
        :func:`picked_channel`); without it all channels (at most 16) stay,
        channels last.
    tile : int, optional
        Cut planes larger than ``tile`` a side into ``tile``-sized regions
        (the last row and column smaller, or larger by a remainder too thin
        to label on its own).

    Yields
    ------
    (Region, ndarray)
        Plane by plane (T, then Z), tile by tile in row order; the array is
        (H, W) or (H, W, C).

    Raises
    ------
    ValueError
        Unknown axes, a channel out of range, or planes with no pixels or
        under ``MIN_SIDE`` pixels a side, naming the axes found; a
        TIFF file that is truncated or whose pages disagree with its
        metadata, saying what was expected and found.
    OSError
        A file that cannot be read.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such image: {path}")
    if path.suffix.lower() in VENDOR_SUFFIXES:
        yield from _vendor_samples(path, axes, channel, tile)
        return
    metadata = ImageMetadata()
    if path.name.lower().endswith(ZARR_SUFFIXES):
        metadata = zarr_metadata(path)
    if path.suffix.lower() in TIFF_SUFFIXES:
        try:
            with tifffile.TiffFile(path) as tiff:
                check_tiff(tiff, path.name)
                metadata = tiff_metadata(tiff)
                try:
                    planes = _TiffPlanes(tiff, str(path), axes)
                except _WholeFile:
                    planes = None
                if planes is not None:
                    yield from _from_tiff(planes, channel, tile)
                    return
        except (tifffile.TiffFileError, struct.error, IndexError, KeyError, zlib.error) as error:
            # The decoders' messages quote the file's bytes: name the file and the kind of fault only.
            raise ValueError(f"{path.name}: not a readable image ({type(error).__name__}); "
                             "expected a TIFF, PNG or JPEG file") from None
    yield from _from_array(read_with_axes(path, axes), str(path), channel, tile, metadata=metadata)


def _vendor_samples(path: Path, axes: str | None, channel: int | None, tile: int | None
                    ) -> Iterator[tuple[Region, np.ndarray]]:
    """Each scene of a vendor file in turn."""
    for name, data, found, metadata in lazy_scenes(path):
        image = AxisImage(data, checked_axes(path.name, found, axes, tuple(data.shape)), is_rgb(found, axes))
        yield from _from_array(image, str(path), channel, tile, name, metadata)


def image_files(paths) -> list[Path]:
    """The image files among ``paths``, folders expanded (sorted), in order;
    an OME-Zarr image (a ``.zarr`` folder) is one image."""
    found = []
    for path in map(Path, paths):
        if path.is_dir() and not path.name.lower().endswith(ZARR_SUFFIXES):
            found += sorted(p for p in path.iterdir() if p.is_file() and p.name.lower().endswith(IMAGE_SUFFIXES)
                            or p.is_dir() and p.name.lower().endswith(ZARR_SUFFIXES))
        else:
            found.append(path)
    return found


__all__ = ["KNOWN_AXES", "Region", "Source", "channel_report", "file_stem", "image_files", "picked_channel",
           "read_samples"]
