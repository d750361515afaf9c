from labelassist.proto.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LabelOrigin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LABEL_ORIGIN_UNSPECIFIED: _ClassVar[LabelOrigin]
    LABEL_ORIGIN_MANUAL: _ClassVar[LabelOrigin]
    LABEL_ORIGIN_ACCEPTED_PRELABEL: _ClassVar[LabelOrigin]
    LABEL_ORIGIN_EDITED_PRELABEL: _ClassVar[LabelOrigin]
    LABEL_ORIGIN_IMPORTED: _ClassVar[LabelOrigin]
    LABEL_ORIGIN_CONSENSUS: _ClassVar[LabelOrigin]
    LABEL_ORIGIN_ADJUDICATED: _ClassVar[LabelOrigin]
LABEL_ORIGIN_UNSPECIFIED: LabelOrigin
LABEL_ORIGIN_MANUAL: LabelOrigin
LABEL_ORIGIN_ACCEPTED_PRELABEL: LabelOrigin
LABEL_ORIGIN_EDITED_PRELABEL: LabelOrigin
LABEL_ORIGIN_IMPORTED: LabelOrigin
LABEL_ORIGIN_CONSENSUS: LabelOrigin
LABEL_ORIGIN_ADJUDICATED: LabelOrigin

class ClassDefinition(_message.Message):
    __slots__ = ("name", "colour", "key")
    NAME_FIELD_NUMBER: _ClassVar[int]
    COLOUR_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    name: str
    colour: str
    key: str
    def __init__(self, name: _Optional[str] = ..., colour: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class ClassSchema(_message.Message):
    __slots__ = ("object_classes", "image_classes", "image_multi_label")
    OBJECT_CLASSES_FIELD_NUMBER: _ClassVar[int]
    IMAGE_CLASSES_FIELD_NUMBER: _ClassVar[int]
    IMAGE_MULTI_LABEL_FIELD_NUMBER: _ClassVar[int]
    object_classes: _containers.RepeatedCompositeFieldContainer[ClassDefinition]
    image_classes: _containers.RepeatedCompositeFieldContainer[ClassDefinition]
    image_multi_label: bool
    def __init__(self, object_classes: _Optional[_Iterable[_Union[ClassDefinition, _Mapping]]] = ..., image_classes: _Optional[_Iterable[_Union[ClassDefinition, _Mapping]]] = ..., image_multi_label: bool = ...) -> None: ...

class LabelClasses(_message.Message):
    __slots__ = ("objects", "image")
    class ObjectsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: str
        def __init__(self, key: _Optional[int] = ..., value: _Optional[str] = ...) -> None: ...
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    objects: _containers.ScalarMap[int, str]
    image: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, objects: _Optional[_Mapping[int, str]] = ..., image: _Optional[_Iterable[str]] = ...) -> None: ...

class SetClassSchemaRequest(_message.Message):
    __slots__ = ("project", "classes", "migrate")
    class MigrateEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    MIGRATE_FIELD_NUMBER: _ClassVar[int]
    project: str
    classes: ClassSchema
    migrate: _containers.ScalarMap[str, str]
    def __init__(self, project: _Optional[str] = ..., classes: _Optional[_Union[ClassSchema, _Mapping]] = ..., migrate: _Optional[_Mapping[str, str]] = ...) -> None: ...

class SetClassSchemaResponse(_message.Message):
    __slots__ = ("project", "migrated")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    MIGRATED_FIELD_NUMBER: _ClassVar[int]
    project: Project
    migrated: int
    def __init__(self, project: _Optional[_Union[Project, _Mapping]] = ..., migrated: _Optional[int] = ...) -> None: ...

class OverlapSettings(_message.Message):
    __slots__ = ("annotators", "share", "gold_samples")
    ANNOTATORS_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    GOLD_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    annotators: int
    share: float
    gold_samples: int
    def __init__(self, annotators: _Optional[int] = ..., share: _Optional[float] = ..., gold_samples: _Optional[int] = ...) -> None: ...

class SetOverlapRequest(_message.Message):
    __slots__ = ("project", "overlap")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_FIELD_NUMBER: _ClassVar[int]
    project: str
    overlap: OverlapSettings
    def __init__(self, project: _Optional[str] = ..., overlap: _Optional[_Union[OverlapSettings, _Mapping]] = ...) -> None: ...

class SetOverlapResponse(_message.Message):
    __slots__ = ("project", "changed")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    project: Project
    changed: int
    def __init__(self, project: _Optional[_Union[Project, _Mapping]] = ..., changed: _Optional[int] = ...) -> None: ...

class BuildConsensusRequest(_message.Message):
    __slots__ = ("project", "sample_ids")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_IDS_FIELD_NUMBER: _ClassVar[int]
    project: str
    sample_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, project: _Optional[str] = ..., sample_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class AnnotatorWeight(_message.Message):
    __slots__ = ("annotator", "weight", "agreement")
    ANNOTATOR_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    AGREEMENT_FIELD_NUMBER: _ClassVar[int]
    annotator: str
    weight: float
    agreement: float
    def __init__(self, annotator: _Optional[str] = ..., weight: _Optional[float] = ..., agreement: _Optional[float] = ...) -> None: ...

class BuildConsensusResponse(_message.Message):
    __slots__ = ("built", "unchanged", "weights")
    BUILT_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    built: _containers.RepeatedCompositeFieldContainer[LabelVersion]
    unchanged: int
    weights: _containers.RepeatedCompositeFieldContainer[AnnotatorWeight]
    def __init__(self, built: _Optional[_Iterable[_Union[LabelVersion, _Mapping]]] = ..., unchanged: _Optional[int] = ..., weights: _Optional[_Iterable[_Union[AnnotatorWeight, _Mapping]]] = ...) -> None: ...

class ListAdjudicationRequest(_message.Message):
    __slots__ = ("project", "limit", "tolerance")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    project: str
    limit: int
    tolerance: float
    def __init__(self, project: _Optional[str] = ..., limit: _Optional[int] = ..., tolerance: _Optional[float] = ...) -> None: ...

class ClassScore(_message.Message):
    __slots__ = ("name", "objects", "agreement_f1", "detection_f1")
    NAME_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    AGREEMENT_F1_FIELD_NUMBER: _ClassVar[int]
    DETECTION_F1_FIELD_NUMBER: _ClassVar[int]
    name: str
    objects: int
    agreement_f1: float
    detection_f1: float
    def __init__(self, name: _Optional[str] = ..., objects: _Optional[int] = ..., agreement_f1: _Optional[float] = ..., detection_f1: _Optional[float] = ...) -> None: ...

class ClassConfusion(_message.Message):
    __slots__ = ("first", "second", "count")
    FIRST_FIELD_NUMBER: _ClassVar[int]
    SECOND_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    first: str
    second: str
    count: int
    def __init__(self, first: _Optional[str] = ..., second: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class ClassAgreement(_message.Message):
    __slots__ = ("compared", "observed", "kappa", "alpha", "classes", "confusion")
    COMPARED_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_FIELD_NUMBER: _ClassVar[int]
    KAPPA_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    CONFUSION_FIELD_NUMBER: _ClassVar[int]
    compared: int
    observed: float
    kappa: float
    alpha: float
    classes: _containers.RepeatedCompositeFieldContainer[ClassScore]
    confusion: _containers.RepeatedCompositeFieldContainer[ClassConfusion]
    def __init__(self, compared: _Optional[int] = ..., observed: _Optional[float] = ..., kappa: _Optional[float] = ..., alpha: _Optional[float] = ..., classes: _Optional[_Iterable[_Union[ClassScore, _Mapping]]] = ..., confusion: _Optional[_Iterable[_Union[ClassConfusion, _Mapping]]] = ...) -> None: ...

class AdjudicationItem(_message.Message):
    __slots__ = ("sample_id", "stem", "disagreement", "mean_f1", "mean_boundary_f1", "labels", "consensus_version", "review", "class_disagreement")
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    STEM_FIELD_NUMBER: _ClassVar[int]
    DISAGREEMENT_FIELD_NUMBER: _ClassVar[int]
    MEAN_F1_FIELD_NUMBER: _ClassVar[int]
    MEAN_BOUNDARY_F1_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    CONSENSUS_VERSION_FIELD_NUMBER: _ClassVar[int]
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    CLASS_DISAGREEMENT_FIELD_NUMBER: _ClassVar[int]
    sample_id: int
    stem: str
    disagreement: float
    mean_f1: float
    mean_boundary_f1: float
    labels: _containers.RepeatedCompositeFieldContainer[LabelVersion]
    consensus_version: int
    review: str
    class_disagreement: float
    def __init__(self, sample_id: _Optional[int] = ..., stem: _Optional[str] = ..., disagreement: _Optional[float] = ..., mean_f1: _Optional[float] = ..., mean_boundary_f1: _Optional[float] = ..., labels: _Optional[_Iterable[_Union[LabelVersion, _Mapping]]] = ..., consensus_version: _Optional[int] = ..., review: _Optional[str] = ..., class_disagreement: _Optional[float] = ...) -> None: ...

class ListAdjudicationResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[AdjudicationItem]
    def __init__(self, items: _Optional[_Iterable[_Union[AdjudicationItem, _Mapping]]] = ...) -> None: ...

class AdjudicateRequest(_message.Message):
    __slots__ = ("sample_id", "version", "reviewer", "comment")
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    sample_id: int
    version: int
    reviewer: str
    comment: str
    def __init__(self, sample_id: _Optional[int] = ..., version: _Optional[int] = ..., reviewer: _Optional[str] = ..., comment: _Optional[str] = ...) -> None: ...

class AdjudicateResponse(_message.Message):
    __slots__ = ("label",)
    LABEL_FIELD_NUMBER: _ClassVar[int]
    label: LabelVersion
    def __init__(self, label: _Optional[_Union[LabelVersion, _Mapping]] = ...) -> None: ...

class AnnotatorQualityRequest(_message.Message):
    __slots__ = ("project", "annotator", "tolerance")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ANNOTATOR_FIELD_NUMBER: _ClassVar[int]
    TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    project: str
    annotator: str
    tolerance: float
    def __init__(self, project: _Optional[str] = ..., annotator: _Optional[str] = ..., tolerance: _Optional[float] = ...) -> None: ...

class DisagreementKinds(_message.Message):
    __slots__ = ("reference_objects", "missed", "extra", "merged", "split", "wide", "narrow", "outline_offset")
    REFERENCE_OBJECTS_FIELD_NUMBER: _ClassVar[int]
    MISSED_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    MERGED_FIELD_NUMBER: _ClassVar[int]
    SPLIT_FIELD_NUMBER: _ClassVar[int]
    WIDE_FIELD_NUMBER: _ClassVar[int]
    NARROW_FIELD_NUMBER: _ClassVar[int]
    OUTLINE_OFFSET_FIELD_NUMBER: _ClassVar[int]
    reference_objects: int
    missed: int
    extra: int
    merged: int
    split: int
    wide: int
    narrow: int
    outline_offset: float
    def __init__(self, reference_objects: _Optional[int] = ..., missed: _Optional[int] = ..., extra: _Optional[int] = ..., merged: _Optional[int] = ..., split: _Optional[int] = ..., wide: _Optional[int] = ..., narrow: _Optional[int] = ..., outline_offset: _Optional[float] = ...) -> None: ...

class AnnotatorQuality(_message.Message):
    __slots__ = ("annotator", "accuracy", "samples", "consensus_samples", "consensus_f1", "consensus_boundary_f1", "gold_samples", "gold_f1", "gold_boundary_f1", "accepted", "rejected", "kinds", "weight", "classes", "image_classes")
    ANNOTATOR_FIELD_NUMBER: _ClassVar[int]
    ACCURACY_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    CONSENSUS_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    CONSENSUS_F1_FIELD_NUMBER: _ClassVar[int]
    CONSENSUS_BOUNDARY_F1_FIELD_NUMBER: _ClassVar[int]
    GOLD_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    GOLD_F1_FIELD_NUMBER: _ClassVar[int]
    GOLD_BOUNDARY_F1_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    IMAGE_CLASSES_FIELD_NUMBER: _ClassVar[int]
    annotator: str
    accuracy: float
    samples: int
    consensus_samples: int
    consensus_f1: float
    consensus_boundary_f1: float
    gold_samples: int
    gold_f1: float
    gold_boundary_f1: float
    accepted: int
    rejected: int
    kinds: DisagreementKinds
    weight: float
    classes: ClassAgreement
    image_classes: ClassAgreement
    def __init__(self, annotator: _Optional[str] = ..., accuracy: _Optional[float] = ..., samples: _Optional[int] = ..., consensus_samples: _Optional[int] = ..., consensus_f1: _Optional[float] = ..., consensus_boundary_f1: _Optional[float] = ..., gold_samples: _Optional[int] = ..., gold_f1: _Optional[float] = ..., gold_boundary_f1: _Optional[float] = ..., accepted: _Optional[int] = ..., rejected: _Optional[int] = ..., kinds: _Optional[_Union[DisagreementKinds, _Mapping]] = ..., weight: _Optional[float] = ..., classes: _Optional[_Union[ClassAgreement, _Mapping]] = ..., image_classes: _Optional[_Union[ClassAgreement, _Mapping]] = ...) -> None: ...

class AnnotatorQualityResponse(_message.Message):
    __slots__ = ("annotators",)
    ANNOTATORS_FIELD_NUMBER: _ClassVar[int]
    annotators: _containers.RepeatedCompositeFieldContainer[AnnotatorQuality]
    def __init__(self, annotators: _Optional[_Iterable[_Union[AnnotatorQuality, _Mapping]]] = ...) -> None: ...

class AgreementOverTimeRequest(_message.Message):
    __slots__ = ("project", "window", "labels_per_window", "tolerance", "annotator")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    LABELS_PER_WINDOW_FIELD_NUMBER: _ClassVar[int]
    TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    ANNOTATOR_FIELD_NUMBER: _ClassVar[int]
    project: str
    window: str
    labels_per_window: int
    tolerance: float
    annotator: str
    def __init__(self, project: _Optional[str] = ..., window: _Optional[str] = ..., labels_per_window: _Optional[int] = ..., tolerance: _Optional[float] = ..., annotator: _Optional[str] = ...) -> None: ...

class AgreementWindow(_message.Message):
    __slots__ = ("start", "end", "labels", "f1", "f1_low", "f1_high", "boundary_f1", "name", "boundary_f1_low", "boundary_f1_high", "panoptic_quality", "panoptic_quality_low", "panoptic_quality_high")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    F1_FIELD_NUMBER: _ClassVar[int]
    F1_LOW_FIELD_NUMBER: _ClassVar[int]
    F1_HIGH_FIELD_NUMBER: _ClassVar[int]
    BOUNDARY_F1_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    BOUNDARY_F1_LOW_FIELD_NUMBER: _ClassVar[int]
    BOUNDARY_F1_HIGH_FIELD_NUMBER: _ClassVar[int]
    PANOPTIC_QUALITY_FIELD_NUMBER: _ClassVar[int]
    PANOPTIC_QUALITY_LOW_FIELD_NUMBER: _ClassVar[int]
    PANOPTIC_QUALITY_HIGH_FIELD_NUMBER: _ClassVar[int]
    start: float
    end: float
    labels: int
    f1: float
    f1_low: float
    f1_high: float
    boundary_f1: float
    name: str
    boundary_f1_low: float
    boundary_f1_high: float
    panoptic_quality: float
    panoptic_quality_low: float
    panoptic_quality_high: float
    def __init__(self, start: _Optional[float] = ..., end: _Optional[float] = ..., labels: _Optional[int] = ..., f1: _Optional[float] = ..., f1_low: _Optional[float] = ..., f1_high: _Optional[float] = ..., boundary_f1: _Optional[float] = ..., name: _Optional[str] = ..., boundary_f1_low: _Optional[float] = ..., boundary_f1_high: _Optional[float] = ..., panoptic_quality: _Optional[float] = ..., panoptic_quality_low: _Optional[float] = ..., panoptic_quality_high: _Optional[float] = ...) -> None: ...

class AnnotatorAgreementSeries(_message.Message):
    __slots__ = ("annotator", "windows")
    ANNOTATOR_FIELD_NUMBER: _ClassVar[int]
    WINDOWS_FIELD_NUMBER: _ClassVar[int]
    annotator: str
    windows: _containers.RepeatedCompositeFieldContainer[AgreementWindow]
    def __init__(self, annotator: _Optional[str] = ..., windows: _Optional[_Iterable[_Union[AgreementWindow, _Mapping]]] = ...) -> None: ...

class AgreementOverTimeResponse(_message.Message):
    __slots__ = ("window", "project", "annotators")
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ANNOTATORS_FIELD_NUMBER: _ClassVar[int]
    window: str
    project: _containers.RepeatedCompositeFieldContainer[AgreementWindow]
    annotators: _containers.RepeatedCompositeFieldContainer[AnnotatorAgreementSeries]
    def __init__(self, window: _Optional[str] = ..., project: _Optional[_Iterable[_Union[AgreementWindow, _Mapping]]] = ..., annotators: _Optional[_Iterable[_Union[AnnotatorAgreementSeries, _Mapping]]] = ...) -> None: ...

class FindingAnswer(_message.Message):
    __slots__ = ("answer_id", "sample_id", "criterion", "measured", "bound", "object_ids", "annotator", "answered_at", "undone_by", "undone_at", "outcome", "label_version", "review", "object_class")
    ANSWER_ID_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    CRITERION_FIELD_NUMBER: _ClassVar[int]
    MEASURED_FIELD_NUMBER: _ClassVar[int]
    BOUND_FIELD_NUMBER: _ClassVar[int]
    OBJECT_IDS_FIELD_NUMBER: _ClassVar[int]
    ANNOTATOR_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_AT_FIELD_NUMBER: _ClassVar[int]
    UNDONE_BY_FIELD_NUMBER: _ClassVar[int]
    UNDONE_AT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    LABEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    OBJECT_CLASS_FIELD_NUMBER: _ClassVar[int]
    answer_id: int
    sample_id: int
    criterion: str
    measured: float
    bound: float
    object_ids: _containers.RepeatedScalarFieldContainer[int]
    annotator: str
    answered_at: float
    undone_by: str
    undone_at: float
    outcome: str
    label_version: int
    review: str
    object_class: str
    def __init__(self, answer_id: _Optional[int] = ..., sample_id: _Optional[int] = ..., criterion: _Optional[str] = ..., measured: _Optional[float] = ..., bound: _Optional[float] = ..., object_ids: _Optional[_Iterable[int]] = ..., annotator: _Optional[str] = ..., answered_at: _Optional[float] = ..., undone_by: _Optional[str] = ..., undone_at: _Optional[float] = ..., outcome: _Optional[str] = ..., label_version: _Optional[int] = ..., review: _Optional[str] = ..., object_class: _Optional[str] = ...) -> None: ...

class AnswerFindingRequest(_message.Message):
    __slots__ = ("project", "answer")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    project: str
    answer: FindingAnswer
    def __init__(self, project: _Optional[str] = ..., answer: _Optional[_Union[FindingAnswer, _Mapping]] = ...) -> None: ...

class AnswerFindingResponse(_message.Message):
    __slots__ = ("answer",)
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    answer: FindingAnswer
    def __init__(self, answer: _Optional[_Union[FindingAnswer, _Mapping]] = ...) -> None: ...

class ListFindingAnswersRequest(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: str
    def __init__(self, project: _Optional[str] = ...) -> None: ...

class ListFindingAnswersResponse(_message.Message):
    __slots__ = ("answers",)
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    answers: _containers.RepeatedCompositeFieldContainer[FindingAnswer]
    def __init__(self, answers: _Optional[_Iterable[_Union[FindingAnswer, _Mapping]]] = ...) -> None: ...

class UndoFindingAnswerRequest(_message.Message):
    __slots__ = ("answer_id", "reviewer")
    ANSWER_ID_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    answer_id: int
    reviewer: str
    def __init__(self, answer_id: _Optional[int] = ..., reviewer: _Optional[str] = ...) -> None: ...

class UndoFindingAnswerResponse(_message.Message):
    __slots__ = ("answer",)
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    answer: FindingAnswer
    def __init__(self, answer: _Optional[_Union[FindingAnswer, _Mapping]] = ...) -> None: ...

class Project(_message.Message):
    __slots__ = ("name", "lease_seconds", "strategy", "total", "labeled", "inspection", "assist", "best_prelabel", "prelabel_evidence", "best_prelabel_method", "overlap", "classes", "class_stamp", "class_schema_stamp")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LEASE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    LABELED_FIELD_NUMBER: _ClassVar[int]
    INSPECTION_FIELD_NUMBER: _ClassVar[int]
    ASSIST_FIELD_NUMBER: _ClassVar[int]
    BEST_PRELABEL_FIELD_NUMBER: _ClassVar[int]
    PRELABEL_EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    BEST_PRELABEL_METHOD_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_FIELD_NUMBER: _ClassVar[int]
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    CLASS_STAMP_FIELD_NUMBER: _ClassVar[int]
    CLASS_SCHEMA_STAMP_FIELD_NUMBER: _ClassVar[int]
    name: str
    lease_seconds: float
    strategy: str
    total: int
    labeled: int
    inspection: InspectionSettings
    assist: AssistSettings
    best_prelabel: str
    prelabel_evidence: _containers.RepeatedCompositeFieldContainer[PrelabelEvidence]
    best_prelabel_method: _common_pb2.NamedCall
    overlap: OverlapSettings
    classes: ClassSchema
    class_stamp: int
    class_schema_stamp: int
    def __init__(self, name: _Optional[str] = ..., lease_seconds: _Optional[float] = ..., strategy: _Optional[str] = ..., total: _Optional[int] = ..., labeled: _Optional[int] = ..., inspection: _Optional[_Union[InspectionSettings, _Mapping]] = ..., assist: _Optional[_Union[AssistSettings, _Mapping]] = ..., best_prelabel: _Optional[str] = ..., prelabel_evidence: _Optional[_Iterable[_Union[PrelabelEvidence, _Mapping]]] = ..., best_prelabel_method: _Optional[_Union[_common_pb2.NamedCall, _Mapping]] = ..., overlap: _Optional[_Union[OverlapSettings, _Mapping]] = ..., classes: _Optional[_Union[ClassSchema, _Mapping]] = ..., class_stamp: _Optional[int] = ..., class_schema_stamp: _Optional[int] = ...) -> None: ...

class AssistSettings(_message.Message):
    __slots__ = ("preprocess", "method", "postprocess")
    PREPROCESS_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    POSTPROCESS_FIELD_NUMBER: _ClassVar[int]
    preprocess: _containers.RepeatedCompositeFieldContainer[_common_pb2.NamedCall]
    method: _common_pb2.NamedCall
    postprocess: _containers.RepeatedCompositeFieldContainer[_common_pb2.NamedCall]
    def __init__(self, preprocess: _Optional[_Iterable[_Union[_common_pb2.NamedCall, _Mapping]]] = ..., method: _Optional[_Union[_common_pb2.NamedCall, _Mapping]] = ..., postprocess: _Optional[_Iterable[_Union[_common_pb2.NamedCall, _Mapping]]] = ...) -> None: ...

class InspectionSettings(_message.Message):
    __slots__ = ("criteria", "disabled", "min_confidence")
    CRITERIA_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    MIN_CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    criteria: _containers.RepeatedCompositeFieldContainer[_common_pb2.NamedCall]
    disabled: _containers.RepeatedScalarFieldContainer[str]
    min_confidence: float
    def __init__(self, criteria: _Optional[_Iterable[_Union[_common_pb2.NamedCall, _Mapping]]] = ..., disabled: _Optional[_Iterable[str]] = ..., min_confidence: _Optional[float] = ...) -> None: ...

class CreateProjectRequest(_message.Message):
    __slots__ = ("name", "lease_seconds", "strategy", "inspection", "assist")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LEASE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    INSPECTION_FIELD_NUMBER: _ClassVar[int]
    ASSIST_FIELD_NUMBER: _ClassVar[int]
    name: str
    lease_seconds: float
    strategy: str
    inspection: InspectionSettings
    assist: AssistSettings
    def __init__(self, name: _Optional[str] = ..., lease_seconds: _Optional[float] = ..., strategy: _Optional[str] = ..., inspection: _Optional[_Union[InspectionSettings, _Mapping]] = ..., assist: _Optional[_Union[AssistSettings, _Mapping]] = ...) -> None: ...

class CreateProjectResponse(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: Project
    def __init__(self, project: _Optional[_Union[Project, _Mapping]] = ...) -> None: ...

class ListProjectsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetProjectRequest(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: str
    def __init__(self, project: _Optional[str] = ...) -> None: ...

class GetProjectResponse(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: Project
    def __init__(self, project: _Optional[_Union[Project, _Mapping]] = ...) -> None: ...

class DeleteProjectRequest(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: str
    def __init__(self, project: _Optional[str] = ...) -> None: ...

class DeleteProjectResponse(_message.Message):
    __slots__ = ("samples", "labels", "blobs_removed")
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    BLOBS_REMOVED_FIELD_NUMBER: _ClassVar[int]
    samples: int
    labels: int
    blobs_removed: int
    def __init__(self, samples: _Optional[int] = ..., labels: _Optional[int] = ..., blobs_removed: _Optional[int] = ...) -> None: ...

class RenameProjectRequest(_message.Message):
    __slots__ = ("project", "new_name")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    NEW_NAME_FIELD_NUMBER: _ClassVar[int]
    project: str
    new_name: str
    def __init__(self, project: _Optional[str] = ..., new_name: _Optional[str] = ...) -> None: ...

class RenameProjectResponse(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: Project
    def __init__(self, project: _Optional[_Union[Project, _Mapping]] = ...) -> None: ...

class DeleteSampleRequest(_message.Message):
    __slots__ = ("sample_id", "project", "stem")
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    STEM_FIELD_NUMBER: _ClassVar[int]
    sample_id: int
    project: str
    stem: str
    def __init__(self, sample_id: _Optional[int] = ..., project: _Optional[str] = ..., stem: _Optional[str] = ...) -> None: ...

class DeleteSampleResponse(_message.Message):
    __slots__ = ("labels", "blobs_removed")
    LABELS_FIELD_NUMBER: _ClassVar[int]
    BLOBS_REMOVED_FIELD_NUMBER: _ClassVar[int]
    labels: int
    blobs_removed: int
    def __init__(self, labels: _Optional[int] = ..., blobs_removed: _Optional[int] = ...) -> None: ...

class SetInspectionRequest(_message.Message):
    __slots__ = ("project", "inspection")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    INSPECTION_FIELD_NUMBER: _ClassVar[int]
    project: str
    inspection: InspectionSettings
    def __init__(self, project: _Optional[str] = ..., inspection: _Optional[_Union[InspectionSettings, _Mapping]] = ...) -> None: ...

class SetInspectionResponse(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: Project
    def __init__(self, project: _Optional[_Union[Project, _Mapping]] = ...) -> None: ...

class SetAssistRequest(_message.Message):
    __slots__ = ("project", "assist")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ASSIST_FIELD_NUMBER: _ClassVar[int]
    project: str
    assist: AssistSettings
    def __init__(self, project: _Optional[str] = ..., assist: _Optional[_Union[AssistSettings, _Mapping]] = ...) -> None: ...

class SetAssistResponse(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: Project
    def __init__(self, project: _Optional[_Union[Project, _Mapping]] = ...) -> None: ...

class ListProjectsResponse(_message.Message):
    __slots__ = ("projects",)
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    projects: _containers.RepeatedCompositeFieldContainer[Project]
    def __init__(self, projects: _Optional[_Iterable[_Union[Project, _Mapping]]] = ...) -> None: ...

class RegisterDatasetRequest(_message.Message):
    __slots__ = ("project", "path")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    project: str
    path: str
    def __init__(self, project: _Optional[str] = ..., path: _Optional[str] = ...) -> None: ...

class RegisterDatasetResponse(_message.Message):
    __slots__ = ("added", "total", "labeled", "rejected")
    ADDED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    LABELED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    added: int
    total: int
    labeled: int
    rejected: _containers.RepeatedCompositeFieldContainer[RejectedSample]
    def __init__(self, added: _Optional[int] = ..., total: _Optional[int] = ..., labeled: _Optional[int] = ..., rejected: _Optional[_Iterable[_Union[RejectedSample, _Mapping]]] = ...) -> None: ...

class SampleOrigin(_message.Message):
    __slots__ = ("file", "axes", "shape", "t", "z", "y", "x", "height", "width", "channel", "scene", "channel_names", "physical_size_x", "physical_size_y", "physical_size_z")
    FILE_FIELD_NUMBER: _ClassVar[int]
    AXES_FIELD_NUMBER: _ClassVar[int]
    SHAPE_FIELD_NUMBER: _ClassVar[int]
    T_FIELD_NUMBER: _ClassVar[int]
    Z_FIELD_NUMBER: _ClassVar[int]
    Y_FIELD_NUMBER: _ClassVar[int]
    X_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    SCENE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_NAMES_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_SIZE_X_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_SIZE_Y_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_SIZE_Z_FIELD_NUMBER: _ClassVar[int]
    file: str
    axes: str
    shape: _containers.RepeatedScalarFieldContainer[int]
    t: int
    z: int
    y: int
    x: int
    height: int
    width: int
    channel: int
    scene: str
    channel_names: _containers.RepeatedScalarFieldContainer[str]
    physical_size_x: float
    physical_size_y: float
    physical_size_z: float
    def __init__(self, file: _Optional[str] = ..., axes: _Optional[str] = ..., shape: _Optional[_Iterable[int]] = ..., t: _Optional[int] = ..., z: _Optional[int] = ..., y: _Optional[int] = ..., x: _Optional[int] = ..., height: _Optional[int] = ..., width: _Optional[int] = ..., channel: _Optional[int] = ..., scene: _Optional[str] = ..., channel_names: _Optional[_Iterable[str]] = ..., physical_size_x: _Optional[float] = ..., physical_size_y: _Optional[float] = ..., physical_size_z: _Optional[float] = ...) -> None: ...

class AddSampleParams(_message.Message):
    __slots__ = ("project", "stem", "sequence", "origin", "label_source", "gold", "classes")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    STEM_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    LABEL_SOURCE_FIELD_NUMBER: _ClassVar[int]
    GOLD_FIELD_NUMBER: _ClassVar[int]
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    project: str
    stem: str
    sequence: str
    origin: SampleOrigin
    label_source: str
    gold: bool
    classes: LabelClasses
    def __init__(self, project: _Optional[str] = ..., stem: _Optional[str] = ..., sequence: _Optional[str] = ..., origin: _Optional[_Union[SampleOrigin, _Mapping]] = ..., label_source: _Optional[str] = ..., gold: bool = ..., classes: _Optional[_Union[LabelClasses, _Mapping]] = ...) -> None: ...

class AddSampleRequest(_message.Message):
    __slots__ = ("params", "array")
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    params: AddSampleParams
    array: _common_pb2.ArrayChunk
    def __init__(self, params: _Optional[_Union[AddSampleParams, _Mapping]] = ..., array: _Optional[_Union[_common_pb2.ArrayChunk, _Mapping]] = ...) -> None: ...

class AddSampleResponse(_message.Message):
    __slots__ = ("sample_id", "added")
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    ADDED_FIELD_NUMBER: _ClassVar[int]
    sample_id: int
    added: bool
    def __init__(self, sample_id: _Optional[int] = ..., added: bool = ...) -> None: ...

class AddSamplesRequest(_message.Message):
    __slots__ = ("parts",)
    PARTS_FIELD_NUMBER: _ClassVar[int]
    parts: _containers.RepeatedCompositeFieldContainer[AddSampleRequest]
    def __init__(self, parts: _Optional[_Iterable[_Union[AddSampleRequest, _Mapping]]] = ...) -> None: ...

class RejectedSample(_message.Message):
    __slots__ = ("stem", "error")
    STEM_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    stem: str
    error: str
    def __init__(self, stem: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class AddSamplesResponse(_message.Message):
    __slots__ = ("added", "existing", "rejected", "total")
    ADDED_FIELD_NUMBER: _ClassVar[int]
    EXISTING_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    added: int
    existing: int
    rejected: _containers.RepeatedCompositeFieldContainer[RejectedSample]
    total: int
    def __init__(self, added: _Optional[int] = ..., existing: _Optional[int] = ..., rejected: _Optional[_Iterable[_Union[RejectedSample, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class SampleInfo(_message.Message):
    __slots__ = ("sample_id", "project", "stem", "sequence", "labeled", "label_version", "origin", "review", "review_comment", "reviewer", "image_digest", "label_classes", "class_schema_stamp")
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    STEM_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LABELED_FIELD_NUMBER: _ClassVar[int]
    LABEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    REVIEW_COMMENT_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    IMAGE_DIGEST_FIELD_NUMBER: _ClassVar[int]
    LABEL_CLASSES_FIELD_NUMBER: _ClassVar[int]
    CLASS_SCHEMA_STAMP_FIELD_NUMBER: _ClassVar[int]
    sample_id: int
    project: str
    stem: str
    sequence: str
    labeled: bool
    label_version: int
    origin: SampleOrigin
    review: str
    review_comment: str
    reviewer: str
    image_digest: str
    label_classes: LabelClasses
    class_schema_stamp: int
    def __init__(self, sample_id: _Optional[int] = ..., project: _Optional[str] = ..., stem: _Optional[str] = ..., sequence: _Optional[str] = ..., labeled: bool = ..., label_version: _Optional[int] = ..., origin: _Optional[_Union[SampleOrigin, _Mapping]] = ..., review: _Optional[str] = ..., review_comment: _Optional[str] = ..., reviewer: _Optional[str] = ..., image_digest: _Optional[str] = ..., label_classes: _Optional[_Union[LabelClasses, _Mapping]] = ..., class_schema_stamp: _Optional[int] = ...) -> None: ...

class ReviewLabelRequest(_message.Message):
    __slots__ = ("sample_id", "version", "reviewer", "verdict", "comment")
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    sample_id: int
    version: int
    reviewer: str
    verdict: str
    comment: str
    def __init__(self, sample_id: _Optional[int] = ..., version: _Optional[int] = ..., reviewer: _Optional[str] = ..., verdict: _Optional[str] = ..., comment: _Optional[str] = ...) -> None: ...

class ReviewLabelResponse(_message.Message):
    __slots__ = ("sample",)
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    sample: SampleInfo
    def __init__(self, sample: _Optional[_Union[SampleInfo, _Mapping]] = ...) -> None: ...

class NextSampleRequest(_message.Message):
    __slots__ = ("project", "annotator", "strategy")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ANNOTATOR_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    project: str
    annotator: str
    strategy: _common_pb2.NamedCall
    def __init__(self, project: _Optional[str] = ..., annotator: _Optional[str] = ..., strategy: _Optional[_Union[_common_pb2.NamedCall, _Mapping]] = ...) -> None: ...

class NextSampleResponse(_message.Message):
    __slots__ = ("exhausted", "sample", "lease_expires_at", "strategy")
    EXHAUSTED_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    LEASE_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    exhausted: bool
    sample: SampleInfo
    lease_expires_at: float
    strategy: str
    def __init__(self, exhausted: bool = ..., sample: _Optional[_Union[SampleInfo, _Mapping]] = ..., lease_expires_at: _Optional[float] = ..., strategy: _Optional[str] = ...) -> None: ...

class NextSamplesRequest(_message.Message):
    __slots__ = ("project", "annotator", "count", "strategy")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ANNOTATOR_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    project: str
    annotator: str
    count: int
    strategy: _common_pb2.NamedCall
    def __init__(self, project: _Optional[str] = ..., annotator: _Optional[str] = ..., count: _Optional[int] = ..., strategy: _Optional[_Union[_common_pb2.NamedCall, _Mapping]] = ...) -> None: ...

class LeasedSample(_message.Message):
    __slots__ = ("sample", "lease_expires_at")
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    LEASE_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    sample: SampleInfo
    lease_expires_at: float
    def __init__(self, sample: _Optional[_Union[SampleInfo, _Mapping]] = ..., lease_expires_at: _Optional[float] = ...) -> None: ...

class NextSamplesResponse(_message.Message):
    __slots__ = ("leased", "strategy")
    LEASED_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    leased: _containers.RepeatedCompositeFieldContainer[LeasedSample]
    strategy: str
    def __init__(self, leased: _Optional[_Iterable[_Union[LeasedSample, _Mapping]]] = ..., strategy: _Optional[str] = ...) -> None: ...

class ReleaseSampleRequest(_message.Message):
    __slots__ = ("sample_id", "annotator", "skip", "reason")
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    ANNOTATOR_FIELD_NUMBER: _ClassVar[int]
    SKIP_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    sample_id: int
    annotator: str
    skip: bool
    reason: str
    def __init__(self, sample_id: _Optional[int] = ..., annotator: _Optional[str] = ..., skip: bool = ..., reason: _Optional[str] = ...) -> None: ...

class RenewLeaseRequest(_message.Message):
    __slots__ = ("sample_id", "annotator")
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    ANNOTATOR_FIELD_NUMBER: _ClassVar[int]
    sample_id: int
    annotator: str
    def __init__(self, sample_id: _Optional[int] = ..., annotator: _Optional[str] = ...) -> None: ...

class RenewLeaseResponse(_message.Message):
    __slots__ = ("renewed", "lease_expires_at")
    RENEWED_FIELD_NUMBER: _ClassVar[int]
    LEASE_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    renewed: bool
    lease_expires_at: float
    def __init__(self, renewed: bool = ..., lease_expires_at: _Optional[float] = ...) -> None: ...

class ReleaseSampleResponse(_message.Message):
    __slots__ = ("released",)
    RELEASED_FIELD_NUMBER: _ClassVar[int]
    released: bool
    def __init__(self, released: bool = ...) -> None: ...

class GetSampleRequest(_message.Message):
    __slots__ = ("sample_id", "without_image", "response_compression", "label_version", "without_label", "annotator")
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    WITHOUT_IMAGE_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_COMPRESSION_FIELD_NUMBER: _ClassVar[int]
    LABEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    WITHOUT_LABEL_FIELD_NUMBER: _ClassVar[int]
    ANNOTATOR_FIELD_NUMBER: _ClassVar[int]
    sample_id: int
    without_image: bool
    response_compression: _common_pb2.Compression
    label_version: int
    without_label: bool
    annotator: str
    def __init__(self, sample_id: _Optional[int] = ..., without_image: bool = ..., response_compression: _Optional[_Union[_common_pb2.Compression, str]] = ..., label_version: _Optional[int] = ..., without_label: bool = ..., annotator: _Optional[str] = ...) -> None: ...

class GetSampleResponse(_message.Message):
    __slots__ = ("info", "array")
    INFO_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    info: SampleInfo
    array: _common_pb2.ArrayChunk
    def __init__(self, info: _Optional[_Union[SampleInfo, _Mapping]] = ..., array: _Optional[_Union[_common_pb2.ArrayChunk, _Mapping]] = ...) -> None: ...

class SubmitLabelParams(_message.Message):
    __slots__ = ("sample_id", "annotator", "origin", "classes")
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    ANNOTATOR_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    sample_id: int
    annotator: str
    origin: LabelOrigin
    classes: LabelClasses
    def __init__(self, sample_id: _Optional[int] = ..., annotator: _Optional[str] = ..., origin: _Optional[_Union[LabelOrigin, str]] = ..., classes: _Optional[_Union[LabelClasses, _Mapping]] = ...) -> None: ...

class SubmitLabelRequest(_message.Message):
    __slots__ = ("params", "array")
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    ARRAY_FIELD_NUMBER: _ClassVar[int]
    params: SubmitLabelParams
    array: _common_pb2.ArrayChunk
    def __init__(self, params: _Optional[_Union[SubmitLabelParams, _Mapping]] = ..., array: _Optional[_Union[_common_pb2.ArrayChunk, _Mapping]] = ...) -> None: ...

class LabelVersion(_message.Message):
    __slots__ = ("sample_id", "version", "annotator", "origin", "checksum", "created_at", "sources", "classes")
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ANNOTATOR_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    CHECKSUM_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    sample_id: int
    version: int
    annotator: str
    origin: LabelOrigin
    checksum: str
    created_at: float
    sources: _containers.RepeatedCompositeFieldContainer[LabelSource]
    classes: LabelClasses
    def __init__(self, sample_id: _Optional[int] = ..., version: _Optional[int] = ..., annotator: _Optional[str] = ..., origin: _Optional[_Union[LabelOrigin, str]] = ..., checksum: _Optional[str] = ..., created_at: _Optional[float] = ..., sources: _Optional[_Iterable[_Union[LabelSource, _Mapping]]] = ..., classes: _Optional[_Union[LabelClasses, _Mapping]] = ...) -> None: ...

class LabelSource(_message.Message):
    __slots__ = ("version", "annotator", "weight")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ANNOTATOR_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    version: int
    annotator: str
    weight: float
    def __init__(self, version: _Optional[int] = ..., annotator: _Optional[str] = ..., weight: _Optional[float] = ...) -> None: ...

class SubmitLabelResponse(_message.Message):
    __slots__ = ("label",)
    LABEL_FIELD_NUMBER: _ClassVar[int]
    label: LabelVersion
    def __init__(self, label: _Optional[_Union[LabelVersion, _Mapping]] = ...) -> None: ...

class LabelHistoryRequest(_message.Message):
    __slots__ = ("sample_id",)
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    sample_id: int
    def __init__(self, sample_id: _Optional[int] = ...) -> None: ...

class LabelHistoryResponse(_message.Message):
    __slots__ = ("versions",)
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[LabelVersion]
    def __init__(self, versions: _Optional[_Iterable[_Union[LabelVersion, _Mapping]]] = ...) -> None: ...

class ListSamplesRequest(_message.Message):
    __slots__ = ("project", "labeled_only", "page_size", "page_token", "newest_labeled", "class_filter")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    LABELED_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    NEWEST_LABELED_FIELD_NUMBER: _ClassVar[int]
    CLASS_FILTER_FIELD_NUMBER: _ClassVar[int]
    project: str
    labeled_only: bool
    page_size: int
    page_token: str
    newest_labeled: bool
    class_filter: SampleClassFilter
    def __init__(self, project: _Optional[str] = ..., labeled_only: bool = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., newest_labeled: bool = ..., class_filter: _Optional[_Union[SampleClassFilter, _Mapping]] = ...) -> None: ...

class SampleClassFilter(_message.Message):
    __slots__ = ("object_class", "image_class", "unclassified_objects")
    OBJECT_CLASS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_CLASS_FIELD_NUMBER: _ClassVar[int]
    UNCLASSIFIED_OBJECTS_FIELD_NUMBER: _ClassVar[int]
    object_class: str
    image_class: str
    unclassified_objects: bool
    def __init__(self, object_class: _Optional[str] = ..., image_class: _Optional[str] = ..., unclassified_objects: bool = ...) -> None: ...

class ListSamplesResponse(_message.Message):
    __slots__ = ("samples", "next_page_token")
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    samples: _containers.RepeatedCompositeFieldContainer[SampleInfo]
    next_page_token: str
    def __init__(self, samples: _Optional[_Iterable[_Union[SampleInfo, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ProgressRequest(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: str
    def __init__(self, project: _Optional[str] = ...) -> None: ...

class AnnotatorProgress(_message.Message):
    __slots__ = ("annotator", "labeled")
    ANNOTATOR_FIELD_NUMBER: _ClassVar[int]
    LABELED_FIELD_NUMBER: _ClassVar[int]
    annotator: str
    labeled: int
    def __init__(self, annotator: _Optional[str] = ..., labeled: _Optional[int] = ...) -> None: ...

class ProgressResponse(_message.Message):
    __slots__ = ("labeled", "total", "annotators", "model_version", "scored", "skipped", "scoring_rate", "outlook", "prelabel_evidence", "best_prelabel", "best_prelabel_reason", "class_model", "class_scored", "class_scoring_note", "class_counts")
    LABELED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    ANNOTATORS_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    SCORED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    SCORING_RATE_FIELD_NUMBER: _ClassVar[int]
    OUTLOOK_FIELD_NUMBER: _ClassVar[int]
    PRELABEL_EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    BEST_PRELABEL_FIELD_NUMBER: _ClassVar[int]
    BEST_PRELABEL_REASON_FIELD_NUMBER: _ClassVar[int]
    CLASS_MODEL_FIELD_NUMBER: _ClassVar[int]
    CLASS_SCORED_FIELD_NUMBER: _ClassVar[int]
    CLASS_SCORING_NOTE_FIELD_NUMBER: _ClassVar[int]
    CLASS_COUNTS_FIELD_NUMBER: _ClassVar[int]
    labeled: int
    total: int
    annotators: _containers.RepeatedCompositeFieldContainer[AnnotatorProgress]
    model_version: int
    scored: int
    skipped: int
    scoring_rate: float
    outlook: LabellingOutlook
    prelabel_evidence: _containers.RepeatedCompositeFieldContainer[PrelabelEvidence]
    best_prelabel: str
    best_prelabel_reason: str
    class_model: str
    class_scored: int
    class_scoring_note: str
    class_counts: _containers.RepeatedCompositeFieldContainer[ClassCount]
    def __init__(self, labeled: _Optional[int] = ..., total: _Optional[int] = ..., annotators: _Optional[_Iterable[_Union[AnnotatorProgress, _Mapping]]] = ..., model_version: _Optional[int] = ..., scored: _Optional[int] = ..., skipped: _Optional[int] = ..., scoring_rate: _Optional[float] = ..., outlook: _Optional[_Union[LabellingOutlook, _Mapping]] = ..., prelabel_evidence: _Optional[_Iterable[_Union[PrelabelEvidence, _Mapping]]] = ..., best_prelabel: _Optional[str] = ..., best_prelabel_reason: _Optional[str] = ..., class_model: _Optional[str] = ..., class_scored: _Optional[int] = ..., class_scoring_note: _Optional[str] = ..., class_counts: _Optional[_Iterable[_Union[ClassCount, _Mapping]]] = ...) -> None: ...

class ClassCount(_message.Message):
    __slots__ = ("kind", "name", "samples")
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    kind: str
    name: str
    samples: int
    def __init__(self, kind: _Optional[str] = ..., name: _Optional[str] = ..., samples: _Optional[int] = ...) -> None: ...

class PrelabelEvidence(_message.Message):
    __slots__ = ("source", "labels", "dice", "matched_objects", "description", "available")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    DICE_FIELD_NUMBER: _ClassVar[int]
    MATCHED_OBJECTS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    source: str
    labels: int
    dice: float
    matched_objects: float
    description: str
    available: bool
    def __init__(self, source: _Optional[str] = ..., labels: _Optional[int] = ..., dice: _Optional[float] = ..., matched_objects: _Optional[float] = ..., description: _Optional[str] = ..., available: bool = ...) -> None: ...

class LabellingOutlook(_message.Message):
    __slots__ = ("labels", "ahead", "current", "predicted", "low", "high", "ceiling", "worth_it", "summary", "points")
    LABELS_FIELD_NUMBER: _ClassVar[int]
    AHEAD_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    PREDICTED_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    CEILING_FIELD_NUMBER: _ClassVar[int]
    WORTH_IT_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    labels: int
    ahead: int
    current: float
    predicted: float
    low: float
    high: float
    ceiling: float
    worth_it: bool
    summary: str
    points: int
    def __init__(self, labels: _Optional[int] = ..., ahead: _Optional[int] = ..., current: _Optional[float] = ..., predicted: _Optional[float] = ..., low: _Optional[float] = ..., high: _Optional[float] = ..., ceiling: _Optional[float] = ..., worth_it: bool = ..., summary: _Optional[str] = ..., points: _Optional[int] = ...) -> None: ...

class RecordTrainingRequest(_message.Message):
    __slots__ = ("project", "model", "version", "labels", "validation_dice")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_DICE_FIELD_NUMBER: _ClassVar[int]
    project: str
    model: str
    version: int
    labels: int
    validation_dice: float
    def __init__(self, project: _Optional[str] = ..., model: _Optional[str] = ..., version: _Optional[int] = ..., labels: _Optional[int] = ..., validation_dice: _Optional[float] = ...) -> None: ...

class RecordTrainingResponse(_message.Message):
    __slots__ = ("recorded",)
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    recorded: int
    def __init__(self, recorded: _Optional[int] = ...) -> None: ...

class ExportLabelsRequest(_message.Message):
    __slots__ = ("project", "path", "format")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    project: str
    path: str
    format: str
    def __init__(self, project: _Optional[str] = ..., path: _Optional[str] = ..., format: _Optional[str] = ...) -> None: ...

class ExportLabelsResponse(_message.Message):
    __slots__ = ("written",)
    WRITTEN_FIELD_NUMBER: _ClassVar[int]
    written: int
    def __init__(self, written: _Optional[int] = ...) -> None: ...

class ListStrategiesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListStrategiesResponse(_message.Message):
    __slots__ = ("strategies",)
    STRATEGIES_FIELD_NUMBER: _ClassVar[int]
    strategies: _containers.RepeatedCompositeFieldContainer[_common_pb2.NamedSpec]
    def __init__(self, strategies: _Optional[_Iterable[_Union[_common_pb2.NamedSpec, _Mapping]]] = ...) -> None: ...
