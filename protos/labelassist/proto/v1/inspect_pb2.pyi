from labelassist.proto.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_INFO: _ClassVar[Severity]
    SEVERITY_WARNING: _ClassVar[Severity]
    SEVERITY_ERROR: _ClassVar[Severity]
SEVERITY_UNSPECIFIED: Severity
SEVERITY_INFO: Severity
SEVERITY_WARNING: Severity
SEVERITY_ERROR: Severity

class ListCriteriaRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListCriteriaResponse(_message.Message):
    __slots__ = ("criteria",)
    CRITERIA_FIELD_NUMBER: _ClassVar[int]
    criteria: _containers.RepeatedCompositeFieldContainer[_common_pb2.NamedSpec]
    def __init__(self, criteria: _Optional[_Iterable[_Union[_common_pb2.NamedSpec, _Mapping]]] = ...) -> None: ...

class Finding(_message.Message):
    __slots__ = ("criterion", "severity", "message", "measured", "bound", "object_ids", "boxes", "confidence", "fix", "object_class")
    CRITERION_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    MEASURED_FIELD_NUMBER: _ClassVar[int]
    BOUND_FIELD_NUMBER: _ClassVar[int]
    OBJECT_IDS_FIELD_NUMBER: _ClassVar[int]
    BOXES_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    FIX_FIELD_NUMBER: _ClassVar[int]
    OBJECT_CLASS_FIELD_NUMBER: _ClassVar[int]
    criterion: str
    severity: Severity
    message: str
    measured: float
    bound: float
    object_ids: _containers.RepeatedScalarFieldContainer[int]
    boxes: _containers.RepeatedCompositeFieldContainer[_common_pb2.BoundingBox]
    confidence: float
    fix: _common_pb2.NamedCall
    object_class: str
    def __init__(self, criterion: _Optional[str] = ..., severity: _Optional[_Union[Severity, str]] = ..., message: _Optional[str] = ..., measured: _Optional[float] = ..., bound: _Optional[float] = ..., object_ids: _Optional[_Iterable[int]] = ..., boxes: _Optional[_Iterable[_Union[_common_pb2.BoundingBox, _Mapping]]] = ..., confidence: _Optional[float] = ..., fix: _Optional[_Union[_common_pb2.NamedCall, _Mapping]] = ..., object_class: _Optional[str] = ...) -> None: ...

class ObjectMeasurement(_message.Message):
    __slots__ = ("object_id", "area", "box", "solidity", "circularity", "mean_intensity")
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    AREA_FIELD_NUMBER: _ClassVar[int]
    BOX_FIELD_NUMBER: _ClassVar[int]
    SOLIDITY_FIELD_NUMBER: _ClassVar[int]
    CIRCULARITY_FIELD_NUMBER: _ClassVar[int]
    MEAN_INTENSITY_FIELD_NUMBER: _ClassVar[int]
    object_id: int
    area: float
    box: _common_pb2.BoundingBox
    solidity: float
    circularity: float
    mean_intensity: float
    def __init__(self, object_id: _Optional[int] = ..., area: _Optional[float] = ..., box: _Optional[_Union[_common_pb2.BoundingBox, _Mapping]] = ..., solidity: _Optional[float] = ..., circularity: _Optional[float] = ..., mean_intensity: _Optional[float] = ...) -> None: ...

class InspectParams(_message.Message):
    __slots__ = ("criteria", "only_listed", "project", "object_classes")
    class ObjectClassesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: str
        def __init__(self, key: _Optional[int] = ..., value: _Optional[str] = ...) -> None: ...
    CRITERIA_FIELD_NUMBER: _ClassVar[int]
    ONLY_LISTED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    OBJECT_CLASSES_FIELD_NUMBER: _ClassVar[int]
    criteria: _containers.RepeatedCompositeFieldContainer[_common_pb2.NamedCall]
    only_listed: bool
    project: str
    object_classes: _containers.ScalarMap[int, str]
    def __init__(self, criteria: _Optional[_Iterable[_Union[_common_pb2.NamedCall, _Mapping]]] = ..., only_listed: bool = ..., project: _Optional[str] = ..., object_classes: _Optional[_Mapping[int, str]] = ...) -> None: ...

class InspectRequest(_message.Message):
    __slots__ = ("params", "array")
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    params: InspectParams
    array: _common_pb2.ArrayChunk
    def __init__(self, params: _Optional[_Union[InspectParams, _Mapping]] = ..., array: _Optional[_Union[_common_pb2.ArrayChunk, _Mapping]] = ...) -> None: ...

class InspectBatchRequest(_message.Message):
    __slots__ = ("params", "array")
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    params: InspectSampleParams
    array: _common_pb2.ArrayChunk
    def __init__(self, params: _Optional[_Union[InspectSampleParams, _Mapping]] = ..., array: _Optional[_Union[_common_pb2.ArrayChunk, _Mapping]] = ...) -> None: ...

class InspectSampleParams(_message.Message):
    __slots__ = ("sample", "inspect")
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    INSPECT_FIELD_NUMBER: _ClassVar[int]
    sample: str
    inspect: InspectParams
    def __init__(self, sample: _Optional[str] = ..., inspect: _Optional[_Union[InspectParams, _Mapping]] = ...) -> None: ...

class InspectBatchResponse(_message.Message):
    __slots__ = ("sample", "report", "error")
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    sample: str
    report: InspectResponse
    error: str
    def __init__(self, sample: _Optional[str] = ..., report: _Optional[_Union[InspectResponse, _Mapping]] = ..., error: _Optional[str] = ...) -> None: ...

class InspectResponse(_message.Message):
    __slots__ = ("findings", "objects", "checked", "prelabel_source", "calibration", "prelabel_note")
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    CHECKED_FIELD_NUMBER: _ClassVar[int]
    PRELABEL_SOURCE_FIELD_NUMBER: _ClassVar[int]
    CALIBRATION_FIELD_NUMBER: _ClassVar[int]
    PRELABEL_NOTE_FIELD_NUMBER: _ClassVar[int]
    findings: _containers.RepeatedCompositeFieldContainer[Finding]
    objects: _containers.RepeatedCompositeFieldContainer[ObjectMeasurement]
    checked: _containers.RepeatedScalarFieldContainer[str]
    prelabel_source: str
    calibration: Calibration
    prelabel_note: str
    def __init__(self, findings: _Optional[_Iterable[_Union[Finding, _Mapping]]] = ..., objects: _Optional[_Iterable[_Union[ObjectMeasurement, _Mapping]]] = ..., checked: _Optional[_Iterable[str]] = ..., prelabel_source: _Optional[str] = ..., calibration: _Optional[_Union[Calibration, _Mapping]] = ..., prelabel_note: _Optional[str] = ...) -> None: ...

class Calibration(_message.Message):
    __slots__ = ("criteria", "images", "objects", "min_images", "classes")
    CRITERIA_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    MIN_IMAGES_FIELD_NUMBER: _ClassVar[int]
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    criteria: _containers.RepeatedCompositeFieldContainer[_common_pb2.NamedCall]
    images: int
    objects: int
    min_images: int
    classes: _containers.RepeatedCompositeFieldContainer[ClassCalibration]
    def __init__(self, criteria: _Optional[_Iterable[_Union[_common_pb2.NamedCall, _Mapping]]] = ..., images: _Optional[int] = ..., objects: _Optional[int] = ..., min_images: _Optional[int] = ..., classes: _Optional[_Iterable[_Union[ClassCalibration, _Mapping]]] = ...) -> None: ...

class ClassCalibration(_message.Message):
    __slots__ = ("name", "criteria", "objects")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CRITERIA_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    criteria: _containers.RepeatedCompositeFieldContainer[_common_pb2.NamedCall]
    objects: int
    def __init__(self, name: _Optional[str] = ..., criteria: _Optional[_Iterable[_Union[_common_pb2.NamedCall, _Mapping]]] = ..., objects: _Optional[int] = ...) -> None: ...

class GetCalibrationRequest(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: str
    def __init__(self, project: _Optional[str] = ...) -> None: ...

class GetCalibrationResponse(_message.Message):
    __slots__ = ("calibration",)
    CALIBRATION_FIELD_NUMBER: _ClassVar[int]
    calibration: Calibration
    def __init__(self, calibration: _Optional[_Union[Calibration, _Mapping]] = ...) -> None: ...

class RankLabelErrorsRequest(_message.Message):
    __slots__ = ("project", "max_samples", "limit", "include_accepted")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    MAX_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    project: str
    max_samples: int
    limit: int
    include_accepted: bool
    def __init__(self, project: _Optional[str] = ..., max_samples: _Optional[int] = ..., limit: _Optional[int] = ..., include_accepted: bool = ...) -> None: ...

class SuspectedError(_message.Message):
    __slots__ = ("sample_id", "stem", "label_version", "score", "signals", "reason", "object_id", "box", "given_class", "suspected_class", "class_confidence")
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    STEM_FIELD_NUMBER: _ClassVar[int]
    LABEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SIGNALS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    BOX_FIELD_NUMBER: _ClassVar[int]
    GIVEN_CLASS_FIELD_NUMBER: _ClassVar[int]
    SUSPECTED_CLASS_FIELD_NUMBER: _ClassVar[int]
    CLASS_CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    sample_id: int
    stem: str
    label_version: int
    score: float
    signals: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    object_id: int
    box: _common_pb2.BoundingBox
    given_class: str
    suspected_class: str
    class_confidence: float
    def __init__(self, sample_id: _Optional[int] = ..., stem: _Optional[str] = ..., label_version: _Optional[int] = ..., score: _Optional[float] = ..., signals: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., object_id: _Optional[int] = ..., box: _Optional[_Union[_common_pb2.BoundingBox, _Mapping]] = ..., given_class: _Optional[str] = ..., suspected_class: _Optional[str] = ..., class_confidence: _Optional[float] = ...) -> None: ...

class SuspectedLabel(_message.Message):
    __slots__ = ("sample_id", "stem", "label_version", "score", "suspects")
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    STEM_FIELD_NUMBER: _ClassVar[int]
    LABEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SUSPECTS_FIELD_NUMBER: _ClassVar[int]
    sample_id: int
    stem: str
    label_version: int
    score: float
    suspects: int
    def __init__(self, sample_id: _Optional[int] = ..., stem: _Optional[str] = ..., label_version: _Optional[int] = ..., score: _Optional[float] = ..., suspects: _Optional[int] = ...) -> None: ...

class LabelErrorRanking(_message.Message):
    __slots__ = ("suspects", "labels", "model", "model_version", "calibration", "skipped", "class_note")
    SUSPECTS_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    CALIBRATION_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    CLASS_NOTE_FIELD_NUMBER: _ClassVar[int]
    suspects: _containers.RepeatedCompositeFieldContainer[SuspectedError]
    labels: _containers.RepeatedCompositeFieldContainer[SuspectedLabel]
    model: str
    model_version: int
    calibration: Calibration
    skipped: _containers.RepeatedScalarFieldContainer[str]
    class_note: str
    def __init__(self, suspects: _Optional[_Iterable[_Union[SuspectedError, _Mapping]]] = ..., labels: _Optional[_Iterable[_Union[SuspectedLabel, _Mapping]]] = ..., model: _Optional[str] = ..., model_version: _Optional[int] = ..., calibration: _Optional[_Union[Calibration, _Mapping]] = ..., skipped: _Optional[_Iterable[str]] = ..., class_note: _Optional[str] = ...) -> None: ...

class RankLabelErrorsResponse(_message.Message):
    __slots__ = ("progress", "ranking")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    RANKING_FIELD_NUMBER: _ClassVar[int]
    progress: RankProgress
    ranking: LabelErrorRanking
    def __init__(self, progress: _Optional[_Union[RankProgress, _Mapping]] = ..., ranking: _Optional[_Union[LabelErrorRanking, _Mapping]] = ...) -> None: ...

class RankProgress(_message.Message):
    __slots__ = ("scored", "total")
    SCORED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    scored: int
    total: int
    def __init__(self, scored: _Optional[int] = ..., total: _Optional[int] = ...) -> None: ...
