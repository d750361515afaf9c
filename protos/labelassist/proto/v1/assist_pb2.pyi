from labelassist.proto.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TrainState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRAIN_STATE_UNSPECIFIED: _ClassVar[TrainState]
    TRAIN_STATE_RUNNING: _ClassVar[TrainState]
    TRAIN_STATE_SUCCEEDED: _ClassVar[TrainState]
    TRAIN_STATE_FAILED: _ClassVar[TrainState]
    TRAIN_STATE_QUEUED: _ClassVar[TrainState]
TRAIN_STATE_UNSPECIFIED: TrainState
TRAIN_STATE_RUNNING: TrainState
TRAIN_STATE_SUCCEEDED: TrainState
TRAIN_STATE_FAILED: TrainState
TRAIN_STATE_QUEUED: TrainState

class PredictClassesParams(_message.Message):
    __slots__ = ("project", "sample_id", "prelabel", "with_uncertainty")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    PRELABEL_FIELD_NUMBER: _ClassVar[int]
    WITH_UNCERTAINTY_FIELD_NUMBER: _ClassVar[int]
    project: str
    sample_id: int
    prelabel: bool
    with_uncertainty: bool
    def __init__(self, project: _Optional[str] = ..., sample_id: _Optional[int] = ..., prelabel: bool = ..., with_uncertainty: bool = ...) -> None: ...

class PredictClassesRequest(_message.Message):
    __slots__ = ("params", "array")
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    params: PredictClassesParams
    array: _common_pb2.ArrayChunk
    def __init__(self, params: _Optional[_Union[PredictClassesParams, _Mapping]] = ..., array: _Optional[_Union[_common_pb2.ArrayChunk, _Mapping]] = ...) -> None: ...

class ObjectClassPrediction(_message.Message):
    __slots__ = ("object_id", "predicted_class", "confidence", "probabilities")
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PREDICTED_CLASS_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    PROBABILITIES_FIELD_NUMBER: _ClassVar[int]
    object_id: int
    predicted_class: str
    confidence: float
    probabilities: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, object_id: _Optional[int] = ..., predicted_class: _Optional[str] = ..., confidence: _Optional[float] = ..., probabilities: _Optional[_Iterable[float]] = ...) -> None: ...

class ClassPredictions(_message.Message):
    __slots__ = ("model", "model_version", "object_classes", "objects", "image_classes", "image_probabilities", "predicted_image_classes", "trained_objects", "trained_images", "note", "uncertainty", "objects_from")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    OBJECT_CLASSES_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_CLASSES_FIELD_NUMBER: _ClassVar[int]
    IMAGE_PROBABILITIES_FIELD_NUMBER: _ClassVar[int]
    PREDICTED_IMAGE_CLASSES_FIELD_NUMBER: _ClassVar[int]
    TRAINED_OBJECTS_FIELD_NUMBER: _ClassVar[int]
    TRAINED_IMAGES_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    UNCERTAINTY_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_FROM_FIELD_NUMBER: _ClassVar[int]
    model: str
    model_version: int
    object_classes: _containers.RepeatedScalarFieldContainer[str]
    objects: _containers.RepeatedCompositeFieldContainer[ObjectClassPrediction]
    image_classes: _containers.RepeatedScalarFieldContainer[str]
    image_probabilities: _containers.RepeatedScalarFieldContainer[float]
    predicted_image_classes: _containers.RepeatedScalarFieldContainer[str]
    trained_objects: int
    trained_images: int
    note: str
    uncertainty: ClassUncertainty
    objects_from: str
    def __init__(self, model: _Optional[str] = ..., model_version: _Optional[int] = ..., object_classes: _Optional[_Iterable[str]] = ..., objects: _Optional[_Iterable[_Union[ObjectClassPrediction, _Mapping]]] = ..., image_classes: _Optional[_Iterable[str]] = ..., image_probabilities: _Optional[_Iterable[float]] = ..., predicted_image_classes: _Optional[_Iterable[str]] = ..., trained_objects: _Optional[int] = ..., trained_images: _Optional[int] = ..., note: _Optional[str] = ..., uncertainty: _Optional[_Union[ClassUncertainty, _Mapping]] = ..., objects_from: _Optional[str] = ...) -> None: ...

class ClassUncertainty(_message.Message):
    __slots__ = ("kind", "classes", "score_names", "scores", "expected_counts", "objects")
    KIND_FIELD_NUMBER: _ClassVar[int]
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    SCORE_NAMES_FIELD_NUMBER: _ClassVar[int]
    SCORES_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_COUNTS_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    kind: str
    classes: _containers.RepeatedScalarFieldContainer[str]
    score_names: _containers.RepeatedScalarFieldContainer[str]
    scores: _containers.RepeatedScalarFieldContainer[float]
    expected_counts: _containers.RepeatedScalarFieldContainer[float]
    objects: int
    def __init__(self, kind: _Optional[str] = ..., classes: _Optional[_Iterable[str]] = ..., score_names: _Optional[_Iterable[str]] = ..., scores: _Optional[_Iterable[float]] = ..., expected_counts: _Optional[_Iterable[float]] = ..., objects: _Optional[int] = ...) -> None: ...

class PredictClassesResponse(_message.Message):
    __slots__ = ("result", "array")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    result: ClassPredictions
    array: _common_pb2.ArrayChunk
    def __init__(self, result: _Optional[_Union[ClassPredictions, _Mapping]] = ..., array: _Optional[_Union[_common_pb2.ArrayChunk, _Mapping]] = ...) -> None: ...

class ListPrelabelSourcesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PrelabelSource(_message.Message):
    __slots__ = ("key", "method", "description")
    KEY_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    key: str
    method: _common_pb2.NamedCall
    description: str
    def __init__(self, key: _Optional[str] = ..., method: _Optional[_Union[_common_pb2.NamedCall, _Mapping]] = ..., description: _Optional[str] = ...) -> None: ...

class ListPrelabelSourcesResponse(_message.Message):
    __slots__ = ("sources",)
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    sources: _containers.RepeatedCompositeFieldContainer[PrelabelSource]
    def __init__(self, sources: _Optional[_Iterable[_Union[PrelabelSource, _Mapping]]] = ...) -> None: ...

class ListOperationsRequest(_message.Message):
    __slots__ = ("family",)
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    family: str
    def __init__(self, family: _Optional[str] = ...) -> None: ...

class ListOperationsResponse(_message.Message):
    __slots__ = ("operations",)
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    operations: _containers.RepeatedCompositeFieldContainer[_common_pb2.NamedSpec]
    def __init__(self, operations: _Optional[_Iterable[_Union[_common_pb2.NamedSpec, _Mapping]]] = ...) -> None: ...

class PreprocessParams(_message.Message):
    __slots__ = ("pipeline", "response_compression", "sample_id")
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_COMPRESSION_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    pipeline: _containers.RepeatedCompositeFieldContainer[_common_pb2.NamedCall]
    response_compression: _common_pb2.Compression
    sample_id: int
    def __init__(self, pipeline: _Optional[_Iterable[_Union[_common_pb2.NamedCall, _Mapping]]] = ..., response_compression: _Optional[_Union[_common_pb2.Compression, str]] = ..., sample_id: _Optional[int] = ...) -> None: ...

class PreprocessRequest(_message.Message):
    __slots__ = ("params", "array")
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    params: PreprocessParams
    array: _common_pb2.ArrayChunk
    def __init__(self, params: _Optional[_Union[PreprocessParams, _Mapping]] = ..., array: _Optional[_Union[_common_pb2.ArrayChunk, _Mapping]] = ...) -> None: ...

class PreprocessResult(_message.Message):
    __slots__ = ("applied",)
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    applied: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, applied: _Optional[_Iterable[str]] = ...) -> None: ...

class PreprocessResponse(_message.Message):
    __slots__ = ("result", "array")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    result: PreprocessResult
    array: _common_pb2.ArrayChunk
    def __init__(self, result: _Optional[_Union[PreprocessResult, _Mapping]] = ..., array: _Optional[_Union[_common_pb2.ArrayChunk, _Mapping]] = ...) -> None: ...

class PrelabelParams(_message.Message):
    __slots__ = ("preprocess", "method", "postprocess", "return_probability", "response_compression", "sample_id", "project", "binary", "without_classes")
    PREPROCESS_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    POSTPROCESS_FIELD_NUMBER: _ClassVar[int]
    RETURN_PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_COMPRESSION_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    BINARY_FIELD_NUMBER: _ClassVar[int]
    WITHOUT_CLASSES_FIELD_NUMBER: _ClassVar[int]
    preprocess: _containers.RepeatedCompositeFieldContainer[_common_pb2.NamedCall]
    method: _common_pb2.NamedCall
    postprocess: _containers.RepeatedCompositeFieldContainer[_common_pb2.NamedCall]
    return_probability: bool
    response_compression: _common_pb2.Compression
    sample_id: int
    project: str
    binary: bool
    without_classes: bool
    def __init__(self, preprocess: _Optional[_Iterable[_Union[_common_pb2.NamedCall, _Mapping]]] = ..., method: _Optional[_Union[_common_pb2.NamedCall, _Mapping]] = ..., postprocess: _Optional[_Iterable[_Union[_common_pb2.NamedCall, _Mapping]]] = ..., return_probability: bool = ..., response_compression: _Optional[_Union[_common_pb2.Compression, str]] = ..., sample_id: _Optional[int] = ..., project: _Optional[str] = ..., binary: bool = ..., without_classes: bool = ...) -> None: ...

class PrelabelRequest(_message.Message):
    __slots__ = ("params", "array")
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    params: PrelabelParams
    array: _common_pb2.ArrayChunk
    def __init__(self, params: _Optional[_Union[PrelabelParams, _Mapping]] = ..., array: _Optional[_Union[_common_pb2.ArrayChunk, _Mapping]] = ...) -> None: ...

class PrelabelResult(_message.Message):
    __slots__ = ("method", "object_count", "applied", "classes")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    OBJECT_COUNT_FIELD_NUMBER: _ClassVar[int]
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    method: str
    object_count: int
    applied: _containers.RepeatedScalarFieldContainer[str]
    classes: ClassPredictions
    def __init__(self, method: _Optional[str] = ..., object_count: _Optional[int] = ..., applied: _Optional[_Iterable[str]] = ..., classes: _Optional[_Union[ClassPredictions, _Mapping]] = ...) -> None: ...

class PrelabelResponse(_message.Message):
    __slots__ = ("result", "array")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    result: PrelabelResult
    array: _common_pb2.ArrayChunk
    def __init__(self, result: _Optional[_Union[PrelabelResult, _Mapping]] = ..., array: _Optional[_Union[_common_pb2.ArrayChunk, _Mapping]] = ...) -> None: ...

class RefineParams(_message.Message):
    __slots__ = ("method", "response_compression", "sample_id")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_COMPRESSION_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    method: _common_pb2.NamedCall
    response_compression: _common_pb2.Compression
    sample_id: int
    def __init__(self, method: _Optional[_Union[_common_pb2.NamedCall, _Mapping]] = ..., response_compression: _Optional[_Union[_common_pb2.Compression, str]] = ..., sample_id: _Optional[int] = ...) -> None: ...

class RefineRequest(_message.Message):
    __slots__ = ("params", "array")
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    params: RefineParams
    array: _common_pb2.ArrayChunk
    def __init__(self, params: _Optional[_Union[RefineParams, _Mapping]] = ..., array: _Optional[_Union[_common_pb2.ArrayChunk, _Mapping]] = ...) -> None: ...

class RefineResult(_message.Message):
    __slots__ = ("method", "foreground_pixels")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    FOREGROUND_PIXELS_FIELD_NUMBER: _ClassVar[int]
    method: str
    foreground_pixels: int
    def __init__(self, method: _Optional[str] = ..., foreground_pixels: _Optional[int] = ...) -> None: ...

class RefineResponse(_message.Message):
    __slots__ = ("result", "array")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    result: RefineResult
    array: _common_pb2.ArrayChunk
    def __init__(self, result: _Optional[_Union[RefineResult, _Mapping]] = ..., array: _Optional[_Union[_common_pb2.ArrayChunk, _Mapping]] = ...) -> None: ...

class Click(_message.Message):
    __slots__ = ("y", "x", "positive")
    Y_FIELD_NUMBER: _ClassVar[int]
    X_FIELD_NUMBER: _ClassVar[int]
    POSITIVE_FIELD_NUMBER: _ClassVar[int]
    y: float
    x: float
    positive: bool
    def __init__(self, y: _Optional[float] = ..., x: _Optional[float] = ..., positive: bool = ...) -> None: ...

class SegmentParams(_message.Message):
    __slots__ = ("clicks", "box", "sample_id", "crop_to_object", "response_compression", "mask_top", "mask_left", "model", "object_class", "project")
    CLICKS_FIELD_NUMBER: _ClassVar[int]
    BOX_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    CROP_TO_OBJECT_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_COMPRESSION_FIELD_NUMBER: _ClassVar[int]
    MASK_TOP_FIELD_NUMBER: _ClassVar[int]
    MASK_LEFT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    OBJECT_CLASS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    clicks: _containers.RepeatedCompositeFieldContainer[Click]
    box: _common_pb2.BoundingBox
    sample_id: int
    crop_to_object: bool
    response_compression: _common_pb2.Compression
    mask_top: int
    mask_left: int
    model: str
    object_class: str
    project: str
    def __init__(self, clicks: _Optional[_Iterable[_Union[Click, _Mapping]]] = ..., box: _Optional[_Union[_common_pb2.BoundingBox, _Mapping]] = ..., sample_id: _Optional[int] = ..., crop_to_object: bool = ..., response_compression: _Optional[_Union[_common_pb2.Compression, str]] = ..., mask_top: _Optional[int] = ..., mask_left: _Optional[int] = ..., model: _Optional[str] = ..., object_class: _Optional[str] = ..., project: _Optional[str] = ...) -> None: ...

class SegmentRequest(_message.Message):
    __slots__ = ("params", "array")
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    params: SegmentParams
    array: _common_pb2.ArrayChunk
    def __init__(self, params: _Optional[_Union[SegmentParams, _Mapping]] = ..., array: _Optional[_Union[_common_pb2.ArrayChunk, _Mapping]] = ...) -> None: ...

class SegmentResult(_message.Message):
    __slots__ = ("top", "left", "area", "runtime", "model_version", "model_source", "passes", "object_class")
    TOP_FIELD_NUMBER: _ClassVar[int]
    LEFT_FIELD_NUMBER: _ClassVar[int]
    AREA_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    MODEL_SOURCE_FIELD_NUMBER: _ClassVar[int]
    PASSES_FIELD_NUMBER: _ClassVar[int]
    OBJECT_CLASS_FIELD_NUMBER: _ClassVar[int]
    top: int
    left: int
    area: int
    runtime: str
    model_version: int
    model_source: str
    passes: int
    object_class: str
    def __init__(self, top: _Optional[int] = ..., left: _Optional[int] = ..., area: _Optional[int] = ..., runtime: _Optional[str] = ..., model_version: _Optional[int] = ..., model_source: _Optional[str] = ..., passes: _Optional[int] = ..., object_class: _Optional[str] = ...) -> None: ...

class SegmentResponse(_message.Message):
    __slots__ = ("result", "array")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    result: SegmentResult
    array: _common_pb2.ArrayChunk
    def __init__(self, result: _Optional[_Union[SegmentResult, _Mapping]] = ..., array: _Optional[_Union[_common_pb2.ArrayChunk, _Mapping]] = ...) -> None: ...

class PostprocessParams(_message.Message):
    __slots__ = ("pipeline", "response_compression")
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_COMPRESSION_FIELD_NUMBER: _ClassVar[int]
    pipeline: _containers.RepeatedCompositeFieldContainer[_common_pb2.NamedCall]
    response_compression: _common_pb2.Compression
    def __init__(self, pipeline: _Optional[_Iterable[_Union[_common_pb2.NamedCall, _Mapping]]] = ..., response_compression: _Optional[_Union[_common_pb2.Compression, str]] = ...) -> None: ...

class PostprocessRequest(_message.Message):
    __slots__ = ("params", "array")
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    params: PostprocessParams
    array: _common_pb2.ArrayChunk
    def __init__(self, params: _Optional[_Union[PostprocessParams, _Mapping]] = ..., array: _Optional[_Union[_common_pb2.ArrayChunk, _Mapping]] = ...) -> None: ...

class PostprocessResult(_message.Message):
    __slots__ = ("applied", "object_count")
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    OBJECT_COUNT_FIELD_NUMBER: _ClassVar[int]
    applied: _containers.RepeatedScalarFieldContainer[str]
    object_count: int
    def __init__(self, applied: _Optional[_Iterable[str]] = ..., object_count: _Optional[int] = ...) -> None: ...

class PostprocessResponse(_message.Message):
    __slots__ = ("result", "array")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    result: PostprocessResult
    array: _common_pb2.ArrayChunk
    def __init__(self, result: _Optional[_Union[PostprocessResult, _Mapping]] = ..., array: _Optional[_Union[_common_pb2.ArrayChunk, _Mapping]] = ...) -> None: ...

class TrainRequest(_message.Message):
    __slots__ = ("dataset_path", "project", "epochs", "steps_per_epoch", "batch_size", "tile", "depth", "width", "seed", "model")
    DATASET_PATH_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    EPOCHS_FIELD_NUMBER: _ClassVar[int]
    STEPS_PER_EPOCH_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    TILE_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    dataset_path: str
    project: str
    epochs: int
    steps_per_epoch: int
    batch_size: int
    tile: int
    depth: int
    width: int
    seed: int
    model: str
    def __init__(self, dataset_path: _Optional[str] = ..., project: _Optional[str] = ..., epochs: _Optional[int] = ..., steps_per_epoch: _Optional[int] = ..., batch_size: _Optional[int] = ..., tile: _Optional[int] = ..., depth: _Optional[int] = ..., width: _Optional[int] = ..., seed: _Optional[int] = ..., model: _Optional[str] = ...) -> None: ...

class TrainResponse(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class TrainStatusRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class TrainStatusResponse(_message.Message):
    __slots__ = ("job_id", "state", "epoch", "epochs", "loss", "validation_dice", "model_version", "message")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    EPOCHS_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_DICE_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    state: TrainState
    epoch: int
    epochs: int
    loss: float
    validation_dice: float
    model_version: int
    message: str
    def __init__(self, job_id: _Optional[str] = ..., state: _Optional[_Union[TrainState, str]] = ..., epoch: _Optional[int] = ..., epochs: _Optional[int] = ..., loss: _Optional[float] = ..., validation_dice: _Optional[float] = ..., model_version: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...
