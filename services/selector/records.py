"""The selector's records as plain values (projects, sample rows, label
versions) and the checks a sample passes before it is stored."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from labelassist.imaging.checks import check_image, check_mask
from labelassist.runtime.names import check_sample_name

ORIGINS = ("manual", "accepted_prelabel", "edited_prelabel", "imported", "consensus", "adjudicated")
# Versions made from other versions (their sources are recorded): never an annotator's own label.
DERIVED_ORIGINS = ("consensus", "adjudicated")

@dataclass(frozen=True)
class Project:
    id: int
    name: str
    lease_seconds: float
    strategy: str
    # selector.class_stamps: as read with the project.
    class_stamp: int = 0
    schema_stamp: int = 0

    @classmethod
    def from_row(cls, row) -> Project:
        return cls(row.id, row.name, row.lease_seconds, row.strategy, int(row.class_stamp), int(row.schema_stamp))


@dataclass(frozen=True)
class SampleRow:
    id: int
    project_id: int
    position: int
    stem: str
    sequence: str | None
    image_blob: str
    prelabel_blob: str | None
    features: bytes | None
    labeled: bool
    origin: str | None = None  # JSON: where the sample lies in its source file
    needed: int = 1  # annotators still wanted (selector.overlap)


@dataclass(frozen=True)
class LabelVersion:
    sample_id: int
    version: int
    annotator: str
    origin: str
    checksum: str
    created_at: float
    sources: tuple[tuple[int, str, float], ...] = ()  # (version, annotator, weight) a derived version came from
    classes: dict = field(default_factory=dict, compare=False)  # selector.class_schema: objects, image


def check_sample_entry(entry: dict) -> None:
    """A sample to add: a safe stem, an image the services can work on, and
    a label or pre-label of the image's size."""
    check_sample_name(entry.get("stem") or "")
    image = check_image(entry["image"])
    for name in ("label", "prelabel"):
        if entry.get(name) is not None:
            check_mask(entry[name], image.shape, name)
    sequence = entry.get("sequence")
    if sequence is not None and len(sequence) > 200:
        raise ValueError(f"'sequence' has {len(sequence)} characters; at most 200")
    source = entry.get("label_source") or ""
    if len(source) > 40 or not source.replace("-", "").replace("_", "").isalnum() and source:
        raise ValueError(f"'label_source' {source[:40]!r} must be at most 40 letters, digits, '-' or '_' "
                         "(e.g. coco)")
    origin = origin_text(entry.get("origin"))
    if origin is not None and len(origin) > 4000:
        raise ValueError(f"'origin' has {len(origin)} characters; at most 4000")


def import_annotator(entry: dict) -> str:
    """Who an imported label version names: the tool or format it came from."""
    return f"imported:{entry['label_source']}" if entry.get("label_source") else "import"


def origin_text(origin: str | Mapping | None) -> str | None:
    """A sample's origin as the store keeps it: JSON text."""
    return json.dumps(dict(origin), separators=(",", ":")) if isinstance(origin, Mapping) else origin
