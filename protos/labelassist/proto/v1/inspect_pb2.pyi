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
    __slots__ = ("criterion", "severity", "message", "measured", "bound", "object_ids", "boxes")
    CRITERION_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    MEASURED_FIELD_NUMBER: _ClassVar[int]
    BOUND_FIELD_NUMBER: _ClassVar[int]
    OBJECT_IDS_FIELD_NUMBER: _ClassVar[int]
    BOXES_FIELD_NUMBER: _ClassVar[int]
    criterion: str
    severity: Severity
    message: str
    measured: float
    bound: float
    object_ids: _containers.RepeatedScalarFieldContainer[int]
    boxes: _containers.RepeatedCompositeFieldContainer[_common_pb2.BoundingBox]
    def __init__(self, criterion: _Optional[str] = ..., severity: _Optional[_Union[Severity, str]] = ..., message: _Optional[str] = ..., measured: _Optional[float] = ..., bound: _Optional[float] = ..., object_ids: _Optional[_Iterable[int]] = ..., boxes: _Optional[_Iterable[_Union[_common_pb2.BoundingBox, _Mapping]]] = ...) -> None: ...

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
    __slots__ = ("criteria", "only_listed", "project")
    CRITERIA_FIELD_NUMBER: _ClassVar[int]
    ONLY_LISTED_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    criteria: _containers.RepeatedCompositeFieldContainer[_common_pb2.NamedCall]
    only_listed: bool
    project: str
    def __init__(self, criteria: _Optional[_Iterable[_Union[_common_pb2.NamedCall, _Mapping]]] = ..., only_listed: bool = ..., project: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("findings", "objects", "checked", "prelabel_source", "calibration")
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    CHECKED_FIELD_NUMBER: _ClassVar[int]
    PRELABEL_SOURCE_FIELD_NUMBER: _ClassVar[int]
    CALIBRATION_FIELD_NUMBER: _ClassVar[int]
    findings: _containers.RepeatedCompositeFieldContainer[Finding]
    objects: _containers.RepeatedCompositeFieldContainer[ObjectMeasurement]
    checked: _containers.RepeatedScalarFieldContainer[str]
    prelabel_source: str
    calibration: Calibration
    def __init__(self, findings: _Optional[_Iterable[_Union[Finding, _Mapping]]] = ..., objects: _Optional[_Iterable[_Union[ObjectMeasurement, _Mapping]]] = ..., checked: _Optional[_Iterable[str]] = ..., prelabel_source: _Optional[str] = ..., calibration: _Optional[_Union[Calibration, _Mapping]] = ...) -> None: ...

class Calibration(_message.Message):
    __slots__ = ("criteria", "images", "objects", "min_images")
    CRITERIA_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    MIN_IMAGES_FIELD_NUMBER: _ClassVar[int]
    criteria: _containers.RepeatedCompositeFieldContainer[_common_pb2.NamedCall]
    images: int
    objects: int
    min_images: int
    def __init__(self, criteria: _Optional[_Iterable[_Union[_common_pb2.NamedCall, _Mapping]]] = ..., images: _Optional[int] = ..., objects: _Optional[int] = ..., min_images: _Optional[int] = ...) -> None: ...

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
