"""What the SDK returns: typed results with plain Python and numpy values,
so callers never handle protobuf messages or enum numbers."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields

import numpy as np

from labelassist.client.class_results import ClassDefinition, ClassPrelabels, ClassSchema, ObjectClassGuess
from labelassist.proto.v1 import common_pb2, inspect_pb2, selector_pb2


def _plain(cls, message):
    """A dataclass of plain values from the message fields of the same names
    (repeated fields as tuples), for results that mirror the contract."""
    values = {}
    for item in fields(cls):
        value = getattr(message, item.name)
        values[item.name] = tuple(value) if hasattr(value, "__len__") and not isinstance(value, (str, bytes)) \
            else value
    return cls(**values)


@dataclass
class PrelabelOutcome:
    """A pre-label: the mask (one id per object, 0 background; 0/1 when
    asked for a binary mask), the method that made it, how many objects it
    holds and the steps the service applied; for a project with classes,
    the class model's guesses (None without classes)."""
    mask: np.ndarray
    method: str
    object_count: int
    applied: list[str]
    classes: ClassPrelabels | None = None


@dataclass
class SegmentedObject:
    """One object from clicks: its ``mask`` (1 = object) placed at
    (``top``, ``left``) of the image (0, 0 for a full-size mask), its pixel
    ``area``, and which click model answered (``runtime`` "triton" or
    "in-process", ``model_version``, ``model_source`` "generalist" or
    "trained")."""
    mask: np.ndarray
    top: int
    left: int
    area: int
    runtime: str
    model_version: int
    model_source: str
    passes: int
    object_class: str = ""

    def full(self, shape: tuple[int, int]) -> np.ndarray:
        """The mask at the image's size."""
        out = np.zeros(shape, np.uint8)
        if self.area:
            out[self.top:self.top + self.mask.shape[0], self.left:self.left + self.mask.shape[1]] = self.mask
        return out


class Severity(enum.IntEnum):
    """How much a finding matters; compares as the contract's numbers do
    (``severity >= Severity.WARNING``)."""
    UNSPECIFIED = inspect_pb2.SEVERITY_UNSPECIFIED
    INFO = inspect_pb2.SEVERITY_INFO
    WARNING = inspect_pb2.SEVERITY_WARNING
    ERROR = inspect_pb2.SEVERITY_ERROR

    @property
    def label(self) -> str:
        """"info", "warning", "error" or "unspecified"."""
        return self.name.lower()


@dataclass(frozen=True)
class Box:
    """An axis-aligned box: ``start`` inclusive, ``stop`` exclusive, (row, col)."""
    start: tuple[int, ...]
    stop: tuple[int, ...]

    @classmethod
    def from_proto(cls, box: common_pb2.BoundingBox) -> Box:
        return cls(tuple(box.start), tuple(box.stop))


@dataclass(frozen=True)
class Finding:
    """One criterion's warning about a label: what was measured, the bound it
    broke, which objects (ids in the mask, their boxes), how sure it is (0.5
    at the bound, towards 1 far beyond it) and, where a post-processing
    step fixes it, that step as (name, parameters) for ``postprocess``."""
    criterion: str
    severity: Severity
    message: str
    measured: float = 0.0
    bound: float = 0.0
    object_ids: tuple[int, ...] = ()
    boxes: tuple[Box, ...] = ()
    confidence: float = 1.0
    fix: tuple[str, dict] | None = None
    object_class: str = ""  # judged by this object class's own bounds ("": the project's)

    @classmethod
    def from_proto(cls, finding: inspect_pb2.Finding) -> Finding:
        from labelassist.proto.wire.values import call_from_proto

        return cls(finding.criterion, Severity(finding.severity), finding.message, finding.measured,
                   finding.bound, tuple(finding.object_ids), tuple(Box.from_proto(b) for b in finding.boxes),
                   finding.confidence, call_from_proto(finding.fix) if finding.HasField("fix") else None,
                   finding.object_class)

    def as_dict(self) -> dict:
        return {"criterion": self.criterion, "severity": self.severity.label, "message": self.message,
                "measured": self.measured, "bound": self.bound, "object_ids": list(self.object_ids),
                "boxes": [list(b.start) + list(b.stop) for b in self.boxes], "confidence": self.confidence,
                "fix": None if self.fix is None else {"name": self.fix[0], "parameters": self.fix[1]},
                "object_class": self.object_class}


@dataclass(frozen=True)
class ObjectMeasurement:
    """One object of the inspected mask; ``mean_intensity`` is NaN without an image."""
    object_id: int
    area: float
    box: Box
    solidity: float
    circularity: float
    mean_intensity: float

    @classmethod
    def from_proto(cls, measured: inspect_pb2.ObjectMeasurement) -> ObjectMeasurement:
        return cls(measured.object_id, measured.area, Box.from_proto(measured.box), measured.solidity,
                   measured.circularity, measured.mean_intensity)


@dataclass(frozen=True)
class Calibration:
    """Criterion parameters a project's accepted labels set, and how many
    labels and objects they rest on (none move below ``min_images``);
    ``classes``: per object class with objects enough, the object-level
    parameters its objects are judged by (class -> criterion -> parameters)
    and ``class_objects`` the objects each rests on."""
    criteria: dict[str, dict] = field(default_factory=dict)
    images: int = 0
    objects: int = 0
    min_images: int = 0
    classes: dict[str, dict[str, dict]] = field(default_factory=dict)
    class_objects: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_proto(cls, message: inspect_pb2.Calibration) -> Calibration:
        from labelassist.proto.wire.values import call_from_proto

        return cls(dict(call_from_proto(c) for c in message.criteria), message.images, message.objects,
                   message.min_images, {c.name: dict(call_from_proto(x) for x in c.criteria) for c in message.classes},
                   {c.name: c.objects for c in message.classes})


@dataclass(frozen=True)
class Inspection:
    """The inspection of one label: the findings, a measurement per object,
    the criteria that ran and what agreement was checked against ("sent",
    "unet", "classical", or "" when no agreement check ran); with a
    project, the calibration it used and why agreement compared with that
    source, or with none (``prelabel_note``)."""
    findings: list[Finding] = field(default_factory=list)
    objects: list[ObjectMeasurement] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    prelabel_source: str = ""
    calibration: Calibration | None = None  # the project's calibrated bounds it used, when a project was named
    prelabel_note: str = ""

    @classmethod
    def from_proto(cls, response: inspect_pb2.InspectResponse) -> Inspection:
        return cls([Finding.from_proto(f) for f in response.findings],
                   [ObjectMeasurement.from_proto(o) for o in response.objects],
                   list(response.checked), response.prelabel_source,
                   Calibration.from_proto(response.calibration) if response.HasField("calibration") else None,
                   response.prelabel_note)

    @property
    def warnings(self) -> list[Finding]:
        """The findings that should stop a submit: warnings and errors."""
        return [f for f in self.findings if f.severity >= Severity.WARNING]



@dataclass(frozen=True)
class SuspectedError:
    """A place in a stored label that is likely wrong: the sample and label
    version, ``score`` (0..1), the ``signals`` that point at it
    ("model_disagrees", "missed_object", "model_splits", "model_fills_hole",
    "class_suspect", or a criterion's name), the ``reason`` in words, the
    object's id (0 where the label has none) and its box; for a class
    suspect, the object's ``given_class``, the ``suspected_class`` the
    class model confidently sees and its probability ``class_confidence``."""
    sample_id: int
    stem: str
    label_version: int
    score: float
    signals: list[str]
    reason: str
    object_id: int
    box: Box
    given_class: str = ""
    suspected_class: str = ""
    class_confidence: float = 0.0

    @classmethod
    def from_proto(cls, message: inspect_pb2.SuspectedError) -> SuspectedError:
        return cls(message.sample_id, message.stem, message.label_version, message.score, list(message.signals),
                   message.reason, message.object_id, Box.from_proto(message.box), message.given_class,
                   message.suspected_class, message.class_confidence)


@dataclass(frozen=True)
class LabelErrorRanking:
    """A project's stored labels ranked by how likely they are wrong:
    ``suspects`` (most likely first), ``labels`` (sample id, stem, label
    version, score, number of suspects; most suspect first), the model the
    scores read (``model`` "unet" with ``model_version``, or "generalist"),
    the calibration the criteria used, labels that could not be scored and,
    for a project with object classes, how its class suspects were found
    (``class_note``)."""
    suspects: list[SuspectedError]
    labels: list[tuple[int, str, int, float, int]]
    model: str
    model_version: int
    calibration: Calibration
    skipped: list[str]
    class_note: str = ""

    @classmethod
    def from_proto(cls, message: inspect_pb2.LabelErrorRanking) -> LabelErrorRanking:
        return cls([SuspectedError.from_proto(s) for s in message.suspects],
                   [(m.sample_id, m.stem, m.label_version, m.score, m.suspects) for m in message.labels],
                   message.model, message.model_version, Calibration.from_proto(message.calibration),
                   list(message.skipped), message.class_note)


@dataclass(frozen=True)
class SampleOrigin:
    """Where a sample lies in its source file (empty ``file``: it came as a
    plain image): the file's axes and shape, the plane (t, z) and tile (y, x,
    height, width), the channel (-1: all), the scene, the channel names and
    the pixel size in micrometres (0: not said)."""
    file: str = ""
    axes: str = ""
    shape: tuple[int, ...] = ()
    t: int = 0
    z: int = 0
    y: int = 0
    x: int = 0
    height: int = 0
    width: int = 0
    channel: int = 0
    scene: str = ""
    channel_names: tuple[str, ...] = ()
    physical_size_x: float = 0.0
    physical_size_y: float = 0.0
    physical_size_z: float = 0.0

    @classmethod
    def from_proto(cls, message: selector_pb2.SampleOrigin) -> SampleOrigin:
        return _plain(cls, message)


@dataclass(frozen=True)
class SampleInfo:
    """What the selector stores about a sample: its id, project, name
    (``stem``) and sequence, whether it is labelled and the newest label
    version, where it came from, the newest review of that version
    ("accepted", "rejected" or "") with its comment and reviewer, and the
    image's content digest; fetched with a label, that label's classes
    (``object_classes``: object id -> class, ``image_classes``); and the
    project's class schema stamp (keep its schema by it)."""
    sample_id: int
    project: str = ""
    stem: str = ""
    sequence: str = ""
    labeled: bool = False
    label_version: int = 0
    origin: SampleOrigin = field(default_factory=SampleOrigin)
    review: str = ""
    review_comment: str = ""
    reviewer: str = ""
    image_digest: str = ""
    object_classes: dict[int, str] = field(default_factory=dict, compare=False)
    image_classes: tuple[str, ...] = ()
    class_schema_stamp: int = field(default=0, compare=False)

    @classmethod
    def from_proto(cls, message: selector_pb2.SampleInfo) -> SampleInfo:
        return cls(int(message.sample_id), message.project, message.stem, message.sequence, message.labeled,
                   int(message.label_version), SampleOrigin.from_proto(message.origin), message.review,
                   message.review_comment, message.reviewer, message.image_digest,
                   {int(k): v for k, v in sorted(message.label_classes.objects.items())},
                   tuple(message.label_classes.image), int(message.class_schema_stamp))


@dataclass(frozen=True)
class Lease:
    """A sample leased to an annotator until ``lease_expires_at`` (seconds
    since the epoch), and the ``strategy`` that chose it; ``exhausted`` (and
    no sample) when every sample is labelled or leased."""
    exhausted: bool
    sample: SampleInfo | None
    lease_expires_at: float = 0.0
    strategy: str = ""

    @classmethod
    def from_proto(cls, message: selector_pb2.NextSampleResponse) -> Lease:
        if message.exhausted:
            return cls(True, None, 0.0, message.strategy)
        return cls(False, SampleInfo.from_proto(message.sample), message.lease_expires_at, message.strategy)


@dataclass(frozen=True)
class Leases:
    """Several leases at once, best first (``leased`` empty when the pool is done)."""
    leased: list[Lease]
    strategy: str = ""

    @classmethod
    def from_proto(cls, message: selector_pb2.NextSamplesResponse) -> Leases:
        return cls([Lease(False, SampleInfo.from_proto(item.sample), item.lease_expires_at, message.strategy)
                    for item in message.leased], message.strategy)


@dataclass
class Sample:
    """A sample as fetched: its :class:`SampleInfo` and arrays ("image",
    "label" or "prelabel", as asked for and stored)."""
    info: SampleInfo
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def message(self) -> SampleInfo:
        """The sample's info (the name a wire envelope gives it)."""
        return self.info

    @property
    def image(self) -> np.ndarray | None:
        return self.arrays.get("image")

    @property
    def label(self) -> np.ndarray | None:
        return self.arrays.get("label")

    @property
    def prelabel(self) -> np.ndarray | None:
        return self.arrays.get("prelabel")

    def require(self, name: str) -> np.ndarray:
        """The array ``name``; a ValueError naming the arrays there are when it is missing."""
        if name not in self.arrays:
            raise ValueError(f"missing array '{name}' (sent: {', '.join(sorted(self.arrays)) or 'none'})")
        return self.arrays[name]


def _optional(message, name: str) -> float | None:
    return getattr(message, name) if message.HasField(name) else None


@dataclass(frozen=True)
class ClassScore:
    """One class's agreement: ``objects`` either side put in it,
    ``agreement_f1`` (of those both drew, how often both put them in it)
    and ``detection_f1`` (the share the other side drew too); None where
    nothing counts."""
    name: str
    objects: int
    agreement_f1: float | None
    detection_f1: float | None


@dataclass(frozen=True)
class ClassAgreement:
    """Agreement on classes of matched objects (or images): how many were
    ``compared``, the ``observed`` share given one class, Cohen's ``kappa``
    and Krippendorff's ``alpha`` (None where undefined), each class's
    scores and the ``confusion`` as (first's class, second's class, count)."""
    compared: int = 0
    observed: float | None = None
    kappa: float | None = None
    alpha: float | None = None
    classes: tuple[ClassScore, ...] = ()
    confusion: tuple[tuple[str, str, int], ...] = ()

    @classmethod
    def from_proto(cls, message: selector_pb2.ClassAgreement) -> ClassAgreement:
        return cls(int(message.compared), _optional(message, "observed"), _optional(message, "kappa"),
                   _optional(message, "alpha"),
                   tuple(ClassScore(c.name, int(c.objects), _optional(c, "agreement_f1"), _optional(c, "detection_f1"))
                         for c in message.classes),
                   tuple((c.first, c.second, int(c.count)) for c in message.confusion))


@dataclass(frozen=True)
class AnnotatorClassAgreement:
    """An annotator's classes against the reference (the consensus of the
    others, or an adjudicated choice): ``objects`` and ``images``."""
    annotator: str
    objects: ClassAgreement
    images: ClassAgreement


@dataclass(frozen=True)
class LabelSource:
    """A version a consensus or adjudicated version was made from, with its annotator's weight."""
    version: int
    annotator: str = ""
    weight: float = 0.0


@dataclass(frozen=True)
class LabelVersion:
    """One stored version of a sample's label: who made it, how (``origin``,
    the contract's ``LabelOrigin`` number), its checksum and when; for a
    consensus or adjudicated version, the ``sources`` it was made from;
    its classes (``object_classes``: object id -> class, ``image_classes``)."""
    sample_id: int
    version: int
    annotator: str = ""
    origin: int = 0
    checksum: str = ""
    created_at: float = 0.0
    sources: tuple[LabelSource, ...] = ()
    object_classes: dict[int, str] = field(default_factory=dict, compare=False)
    image_classes: tuple[str, ...] = ()

    @classmethod
    def from_proto(cls, message: selector_pb2.LabelVersion) -> LabelVersion:
        return cls(int(message.sample_id), int(message.version), message.annotator, int(message.origin),
                   message.checksum, message.created_at,
                   tuple(LabelSource(int(s.version), s.annotator, s.weight) for s in message.sources),
                   {int(k): v for k, v in sorted(message.classes.objects.items())}, tuple(message.classes.image))


__all__ = ["AnnotatorClassAgreement", "Box", "Calibration", "ClassAgreement", "ClassDefinition", "ClassSchema",
           "Finding", "Inspection", "LabelErrorRanking", "LabelVersion", "Lease", "Leases",
           "LabelSource", "ObjectMeasurement", "PrelabelOutcome", "ClassScore", "Sample", "SampleInfo", "SampleOrigin",
           "Severity", "SuspectedError", "ClassPrelabels", "ObjectClassGuess"]
