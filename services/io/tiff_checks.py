"""Whether a TIFF file holds what its own structure and metadata say.

tifffile reads what it can of a truncated or damaged file and only logs the
rest: a five-plane OME-TIFF cut short reads as one plane, a missing page as
a plane of zeros. Before a file's pixels are taken, :func:`check_tiff`
follows the chain of page directories to its end, checks that every value
and every page's pixel data lies inside the file, and that the planes the
OME or ImageJ metadata announce are all there.
"""

from __future__ import annotations

import struct

import tifffile

# Directories followed at most: a loop in the chain would never end.
MAX_PAGES = 1 << 20


class CorruptTiffError(ValueError):
    """A TIFF file that is truncated or whose pages disagree with its metadata."""


def _value_bytes(datatype: int, count: int) -> int:
    kind = tifffile.TIFF.DATA_FORMATS.get(datatype)
    if kind is None:
        return 0  # an unknown type: tifffile skips the tag too
    return int(kind[:-1]) * struct.calcsize(kind[-1]) * count


def _directory_problems(tiff: tifffile.TiffFile) -> str | None:
    """Where the chain of page directories leaves the file, if it does."""
    layout, handle = tiff.tiff, tiff.filehandle
    size = handle.size
    handle.seek(8 if layout.is_bigtiff else 4)
    offset = struct.unpack(layout.offsetformat, handle.read(layout.offsetsize))[0]
    pages, seen = 0, set()
    while offset and pages < MAX_PAGES:
        if offset in seen:
            return f"page {pages + 1}'s directory points back to an earlier one"
        seen.add(offset)
        if offset + layout.tagnosize > size:
            return (f"the file ends at byte {size} but page {pages + 1} starts at byte {offset}; "
                    f"found {pages} readable page{'s' * (pages != 1)}")
        handle.seek(offset)
        count = struct.unpack(layout.tagnoformat, handle.read(layout.tagnosize))[0]
        end = offset + layout.tagnosize + count * layout.tagsize + layout.offsetsize
        if end > size:
            return f"the file ends at byte {size}, inside page {pages + 1}'s directory"
        entries = handle.read(count * layout.tagsize)
        for code, datatype, values, value in struct.iter_unpack(layout.tagheaderformat, entries):
            length = _value_bytes(datatype, values)
            if length > layout.tagoffsetthreshold:
                where = struct.unpack(layout.offsetformat, value)[0]
                if where + length > size:
                    name = tifffile.TIFF.TAGS.get(code, str(code))
                    return f"page {pages + 1}'s {name} lies past the end of the file (byte {size})"
        offset = struct.unpack(layout.offsetformat, handle.read(layout.offsetsize))[0]
        pages += 1
    return None


def _pixel_problems(tiff: tifffile.TiffFile) -> str | None:
    """Planes the metadata announces that the file lacks, or pixel data
    that runs past the end of the file."""
    series = tiff.series[0]
    size = tiff.filehandle.size
    expected = f"expected {len(series.pages)} planes of shape {tuple(series.shape)}"
    expected += f" ({'OME' if tiff.is_ome else 'ImageJ' if tiff.is_imagej else 'TIFF'} metadata)"
    if series.dataoffset is not None:
        # Every plane's pixels in one run (ImageJ writes large stacks so, after one directory).
        plane = max(series.keyframe.nbytes, 1)
        if series.dataoffset + series.nbytes > size:
            return f"{expected}, found the pixels of {max(size - series.dataoffset, 0) // plane}"
        return None
    present = []
    for index in range(len(series.pages)):
        try:
            page = series.pages[index]
        except IndexError:
            page = None
        if page is not None:
            present.append(page)
    if len(present) < len(series.pages):
        return f"{expected}, found {len(present)}"
    for number, page in enumerate(present, start=1):
        ends = [o + c for o, c in zip(page.dataoffsets, page.databytecounts) if c]
        if ends and max(ends) > size:
            return f"{expected}, the pixels of plane {number} run past the end of the file (byte {size})"
    return None


def check_tiff(tiff: tifffile.TiffFile, name: str) -> None:
    """Raise ``ValueError`` naming the file and what is missing when an
    opened TIFF is truncated or its pages disagree with its metadata.

    Parameters
    ----------
    tiff : tifffile.TiffFile
        The opened file.
    name : str
        The file's name, for the message.

    Raises
    ------
    CorruptTiffError
        A ``ValueError``: ``"<name>: truncated or corrupt TIFF: expected 5 planes ..., found 3"``
        and the like.
    """
    if not tiff.series:
        raise CorruptTiffError(f"{name}: truncated or corrupt TIFF: no image in it")
    problem = None if tiff.tiff.is_ndpi else _directory_problems(tiff)
    problem = problem or _pixel_problems(tiff)
    if problem:
        raise CorruptTiffError(f"{name}: truncated or corrupt TIFF: {problem}")
