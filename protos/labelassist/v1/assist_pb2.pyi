from labelassist.proto.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

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
    __slots__ = ("pipeline", "response_compression")
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_COMPRESSION_FIELD_NUMBER: _ClassVar[int]
    pipeline: _containers.RepeatedCompositeFieldContainer[_common_pb2.NamedCall]
    response_compression: _common_pb2.Compression
    def __init__(self, pipeline: _Optional[_Iterable[_Union[_common_pb2.NamedCall, _Mapping]]] = ..., response_compression: _Optional[_Union[_common_pb2.Compression, str]] = ...) -> None: ...

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
    __slots__ = ("preprocess", "method", "postprocess", "return_probability", "response_compression")
    PREPROCESS_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    POSTPROCESS_FIELD_NUMBER: _ClassVar[int]
    RETURN_PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_COMPRESSION_FIELD_NUMBER: _ClassVar[int]
    preprocess: _containers.RepeatedCompositeFieldContainer[_common_pb2.NamedCall]
    method: _common_pb2.NamedCall
    postprocess: _containers.RepeatedCompositeFieldContainer[_common_pb2.NamedCall]
    return_probability: bool
    response_compression: _common_pb2.Compression
    def __init__(self, preprocess: _Optional[_Iterable[_Union[_common_pb2.NamedCall, _Mapping]]] = ..., method: _Optional[_Union[_common_pb2.NamedCall, _Mapping]] = ..., postprocess: _Optional[_Iterable[_Union[_common_pb2.NamedCall, _Mapping]]] = ..., return_probability: bool = ..., response_compression: _Optional[_Union[_common_pb2.Compression, str]] = ...) -> None: ...

class PrelabelRequest(_message.Message):
    __slots__ = ("params", "array")
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    params: PrelabelParams
    array: _common_pb2.ArrayChunk
    def __init__(self, params: _Optional[_Union[PrelabelParams, _Mapping]] = ..., array: _Optional[_Union[_common_pb2.ArrayChunk, _Mapping]] = ...) -> None: ...

class PrelabelResult(_message.Message):
    __slots__ = ("method", "object_count", "applied")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    OBJECT_COUNT_FIELD_NUMBER: _ClassVar[int]
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    method: str
    object_count: int
    applied: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, method: _Optional[str] = ..., object_count: _Optional[int] = ..., applied: _Optional[_Iterable[str]] = ...) -> None: ...

class PrelabelResponse(_message.Message):
    __slots__ = ("result", "array")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    result: PrelabelResult
    array: _common_pb2.ArrayChunk
    def __init__(self, result: _Optional[_Union[PrelabelResult, _Mapping]] = ..., array: _Optional[_Union[_common_pb2.ArrayChunk, _Mapping]] = ...) -> None: ...

class RefineParams(_message.Message):
    __slots__ = ("method", "response_compression")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_COMPRESSION_FIELD_NUMBER: _ClassVar[int]
    method: _common_pb2.NamedCall
    response_compression: _common_pb2.Compression
    def __init__(self, method: _Optional[_Union[_common_pb2.NamedCall, _Mapping]] = ..., response_compression: _Optional[_Union[_common_pb2.Compression, str]] = ...) -> None: ...

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
