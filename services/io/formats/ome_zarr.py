"""OME-Zarr (NGFF), both ways: one OME-Zarr image per sample,
``<stem>.ome.zarr``, its pixels at the root (axes ``yx`` or ``cyx``) and its
label image under ``labels/objects`` as the NGFF labels spec says, written
and read by ``ome-zarr``, so napari, Fiji (MoBIE), QuPath and the
OME-Zarr tools open it. A stack's labels in the stack's own layout are
the ``ome-tiff`` format's job.

Classes follow the NGFF image-label metadata: each classified object's
label value has ``properties`` ``{"label-value": id, "class": name}`` and
its class's colour in ``colors``; image classes and the project's class
schema, which NGFF has no field for, are the root group's
``labelassist`` attributes. Several labels of one image (one per
annotator) are label images of their own, ``labels/<annotator>``, each
naming its annotator, version and origin in its properties.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np

from labelassist.io.axes import MAX_CHANNELS
from labelassist.io.confinement import OutsideRootsError, confine
from labelassist.io.formats import class_table
from labelassist.io.formats import (ITEM_ERRORS, LabelFormat, LabelledImage, check_import_size, describe_import_error,
                                   entry_classes, needs, writable_folder, write_replacing)
from labelassist.io.images import ZARR_SUFFIXES
from labelassist.io.planes import file_stem
from labelassist.io.zarr_images import image_and_label, node_axes

LABEL_NAME = "objects"
ATTRIBUTES = "labelassist"  # the root group's attributes NGFF has no field for: image classes, the class schema
NGFF_VERSIONS = ("0.4", "0.5")  # 0.4: Zarr v2, what most tools read today; 0.5: Zarr v3


def _origin_metadata(origin, image: np.ndarray) -> dict:
    """``write_image``'s keywords for what the source file said: the pixel
    size as the ``scale`` of y and x in micrometres, and the channel names
    as omero channels (with each channel's display window)."""
    options = {}
    sizes = {axis: float(getattr(origin, f"physical_size_{axis}", 0.0) or 0.0) for axis in "yx"}
    if origin is not None and all(sizes.values()):
        options |= {"scale": sizes, "axes_units": {axis: "micrometer" for axis in "yx"}}
    names = list(getattr(origin, "channel_names", ()) or ())
    if image.ndim == 3 and len(names) == image.shape[2] and getattr(origin, "channel", 0) < 0:
        limits = np.iinfo(image.dtype) if image.dtype.kind in "ui" else None
        options["omero"] = {"channels": [
            {"label": name, "active": True, "color": "FFFFFF",
             "window": {"start": float(image[..., index].min()), "end": float(image[..., index].max()),
                        "min": float(limits.min if limits else image[..., index].min()),
                        "max": float(limits.max if limits else image[..., index].max())}}
            for index, name in enumerate(names)]}
    return options


def ngff_format(ngff: str):
    """``ome-zarr``'s format object of NGFF version ``ngff`` (0.4 or 0.5)."""
    formats = needs("ome_zarr.format")
    if str(ngff) not in NGFF_VERSIONS:
        raise ValueError(f"OME-Zarr version {ngff!r} is not one of {', '.join(NGFF_VERSIONS)}")
    return formats.FormatV04() if str(ngff) == "0.4" else formats.FormatV05()


def write(samples: Iterable[LabelledImage], folder: Path, ngff: str = "0.4", schema: Mapping | None = None
          ) -> list[Path]:
    """``folder/<stem>.ome.zarr`` for each sample, image and label, in NGFF
    ``ngff`` (0.4 or 0.5), with the source's pixel size and channel names;
    each object's class as its label value's properties (and, with a
    ``schema``, ``classes.csv``: :mod:`class_table`)."""
    fmt = ngff_format(ngff)
    folder = writable_folder(folder)
    written, classified = [], []
    for sample in samples:
        written.append(write_replacing(folder / f"{sample.stem}.ome.zarr",
                                       lambda path, one=sample: write_store(one, path, fmt, schema)))
        classified.append((sample.stem, sample.classes or {}))
    return written + class_table.write_beside(classified, folder, schema)


def label_metadata(label: np.ndarray, classes: Mapping | None, schema: Mapping | None = None,
                   attributes: Mapping[str, object] | None = None) -> dict:
    """NGFF ``image-label`` metadata of a label: ``properties`` per object
    (label value, its class, and ``attributes`` such as its annotator;
    only classified objects without ``attributes``) and each class's
    colour in ``colors``."""
    objects = {int(k): v for k, v in ((classes or {}).get("objects") or {}).items()}
    values = np.unique(label[label > 0]).tolist() if attributes else sorted(objects)
    colours = {c["name"]: c.get("colour", "") for c in (schema or {}).get("object", [])}
    properties = [{"label-value": int(value), **({"class": objects[value]} if value in objects else {}),
                   **(attributes or {})} for value in values]
    colors = [{"label-value": value, "rgba": [int(colours[name][i:i + 2], 16) for i in (1, 3, 5)] + [255]}
              for value, name in sorted(objects.items()) if colours.get(name)]
    return ({"properties": properties} if properties else {}) | ({"colors": colors} if colors else {})


def write_store(sample: LabelledImage, path: Path, fmt, schema: Mapping | None = None,
                more: Iterable[tuple[str, np.ndarray, Mapping | None, Mapping]] = ()) -> None:
    """One OME-Zarr image at ``path``: the sample's image, its label under
    ``labels/objects`` (none when ``sample.label`` is None) and each of
    ``more`` (name, label, classes, attributes: e.g. one per annotator)
    under ``labels/<name>``."""
    zarr, writer = needs("zarr"), needs("ome_zarr.writer")
    image = np.asarray(sample.image)
    group = zarr.open_group(str(path), mode="w", zarr_format=fmt.zarr_format)
    channels_first = np.moveaxis(image, -1, 0) if image.ndim == 3 else image
    metadata = _origin_metadata(sample.origin, image)
    scale = {"scale": metadata["scale"]} if "scale" in metadata else {}
    if scale and image.ndim == 3:
        metadata["scale"] = {"c": 1.0, **metadata["scale"]}
    writer.write_image(channels_first, group, axes="cyx" if image.ndim == 3 else "yx", scale_factors=[],
                       fmt=fmt, **metadata)
    labels = [] if sample.label is None else [(LABEL_NAME, sample.label, sample.classes, {})]
    for name, label, classes, attributes in [*labels, *more]:
        label = np.asarray(label)
        writer.write_labels(label.astype(np.uint32 if label.max(initial=0) > 65535 else np.uint16), group,
                            name=name, axes="yx", scaler=None, scale_factors=[], fmt=fmt,
                            label_metadata=label_metadata(label, classes, schema, attributes), **scale)
    kept = {"image_classes": list((sample.classes or {}).get("image", []))} if (sample.classes or {}).get("image") \
        else {}
    if schema:
        kept["class_schema"] = dict(schema)
    if kept:
        group.attrs[ATTRIBUTES] = kept


def _plane(data, axes: list[str], what: str, shape: tuple[int, int] | None = None) -> np.ndarray:
    """A 2D plane (channels last) of an NGFF array; singleton t and z
    dropped. Its declared size is checked (against ``shape``, the image's
    plane, when given) before a pixel is read."""
    extents = dict(zip(axes, (int(n) for n in data.shape)))
    if len(extents) != len(data.shape) or not {"y", "x"} <= set(extents):
        raise ValueError(f"its {what} has axes {''.join(axes)} for shape {tuple(data.shape)}")
    if extents.get("t", 1) != 1 or extents.get("z", 1) != 1:
        raise ValueError(f"its {what} has axes {''.join(axes)} {tuple(data.shape)}; import 2D images "
                         "(yx or cyx), or register stacks with `labelassist project create`")
    plane = check_import_size(extents["y"], extents["x"], f"its {what}")
    if shape is not None and plane != shape:
        raise ValueError(f"its label is {plane}, its image {shape}")
    if extents.get("c", 1) > MAX_CHANNELS:
        raise ValueError(f"its {what} has {extents['c']} channels, more than {MAX_CHANNELS}")
    array = np.asarray(data[tuple(0 if a in ("t", "z") else slice(None) for a in axes)])
    axes = [a for a in axes if a not in ("t", "z")]
    return np.moveaxis(array, axes.index("c"), -1) if "c" in axes else array


def _check_inside(store: Path) -> None:
    """A store whose files all lie inside it (symlinks resolved): a chunk
    linked to a file elsewhere would be read as pixels."""
    for file in store.rglob("*"):
        if file.is_symlink():
            confine(file, [store], f"its store {store.name}")


def read_one(path: Path) -> dict:
    """An ``add_samples`` entry from one OME-Zarr image and its first label image."""
    stem = file_stem(path) or path.name
    try:
        _check_inside(path)
        image_node, label_node = image_and_label(path)
        if image_node is None:
            return {"stem": stem, "error": f"{path.name}: no OME-Zarr image (multiscales) in it"}
        image = _plane(image_node.data[0], node_axes(image_node), "image")
        label = None if label_node is None else _plane(label_node.data[0], node_axes(label_node), "label",
                                                       image.shape[:2])
        classes = {} if label is None else entry_classes(
            {int(value): str(found.get("class", "")) for value, found in
             (label_node.metadata.get("properties") or {}).items() if isinstance(found, Mapping)},
            stored_attributes(path).get("image_classes"), label)
    except ITEM_ERRORS as error:
        return {"stem": stem, "error": f"{path.name}: {describe_import_error(error)}"}
    return {"stem": stem, "image": image, "label": label, **classes}


def stored_attributes(path: Path) -> dict:
    """The root group's :data:`ATTRIBUTES` of a store ({} without them)."""
    zarr = needs("zarr")
    kept = dict(zarr.open_group(str(path), mode="r").attrs).get(ATTRIBUTES)
    return kept if isinstance(kept, dict) else {}


def class_schema(source: Path) -> dict:
    """The class schema an OME-Zarr export keeps (its first store's); {}
    for none, or a store that cannot be read (its samples say why)."""
    stores = [source] if source.name.lower().endswith(ZARR_SUFFIXES) else sorted(
        p for p in source.iterdir() if p.is_dir() and p.name.lower().endswith(ZARR_SUFFIXES))
    try:
        kept = stored_attributes(stores[0]).get("class_schema") if stores else None
    except ITEM_ERRORS:
        return {}
    return kept if isinstance(kept, dict) else {}


def read(source: Path, images: Path | None) -> Iterator[dict]:
    """Samples of every ``*.ome.zarr`` (or ``*.zarr``) in a folder, or of one."""
    if source.name.lower().endswith(ZARR_SUFFIXES):
        yield read_one(source)
        return
    stores = sorted(p for p in source.iterdir() if p.is_dir() and p.name.lower().endswith(ZARR_SUFFIXES))
    if not stores:
        raise ValueError(f"no .ome.zarr images in {source}")
    for path in stores:
        try:
            confine(path, [source], f"the folder {source.name}")
        except OutsideRootsError as error:
            yield {"stem": file_stem(path) or path.name, "error": str(error)}
            continue
        yield read_one(path)


FORMAT = LabelFormat("ome-zarr", "OME-Zarr (NGFF): DIR/<sample>.ome.zarr, the image with its label image under "
                     "labels/objects (classes as its properties)", write, read, options=("ngff", "schema"),
                     class_schema=class_schema)
