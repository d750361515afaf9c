"""What the SDK returns about classes: a project's class schema and a
class model's guesses, with plain Python values."""

from __future__ import annotations

from dataclasses import dataclass, field

from labelassist.proto.v1 import assist_pb2, selector_pb2


@dataclass(frozen=True)
class ObjectClassGuess:
    """A class model's pre-label of one object: the most probable class,
    its probability (``confidence``) and every class's probability."""
    object_id: int
    predicted_class: str
    confidence: float
    probabilities: dict[str, float]


@dataclass(frozen=True)
class ClassPrelabels:
    """What a project's class model (``model``, "classes@N") says of one
    image: a guess per object id, each image class's probability and the
    image classes predicted; how many labelled objects and images it was
    trained on; ``note`` says why a kind is missing (too few labels yet)."""
    model: str
    model_version: int
    objects: dict[int, ObjectClassGuess]
    image_probabilities: dict[str, float]
    image_classes: tuple[str, ...]
    trained_objects: int
    trained_images: int
    note: str
    # Where the objects came from ("mask", "label", "prelabel:<method>"),
    # and asked for with ``with_uncertainty``: the sample's class uncertainty
    # per score name ("entropy_mean", ..., "bald_sum") and its expected
    # objects of each class.
    objects_from: str = ""
    uncertainty: dict[str, float] = field(default_factory=dict)
    expected_counts: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_proto(cls, message: assist_pb2.ClassPredictions) -> ClassPrelabels:
        columns = tuple(message.object_classes)
        objects = {int(o.object_id): ObjectClassGuess(int(o.object_id), o.predicted_class, o.confidence,
                                                      dict(zip(columns, o.probabilities)))
                   for o in message.objects}
        return cls(message.model, int(message.model_version), objects,
                   dict(zip(message.image_classes, message.image_probabilities)),
                   tuple(message.predicted_image_classes), int(message.trained_objects),
                   int(message.trained_images), message.note, message.objects_from,
                   dict(zip(message.uncertainty.score_names, message.uncertainty.scores)),
                   dict(zip(message.uncertainty.classes, message.uncertainty.expected_counts)))


@dataclass(frozen=True)
class ClassDefinition:
    """One class of a project: its name, colour ("#rrggbb") and keyboard key ("" for none)."""
    name: str
    colour: str = ""
    key: str = ""


@dataclass(frozen=True)
class ClassSchema:
    """What a project's labels are classified by: object classes, image
    classes, and whether an image may carry several (``multi_label``)."""
    object_classes: tuple[ClassDefinition, ...] = ()
    image_classes: tuple[ClassDefinition, ...] = ()
    multi_label: bool = False

    @classmethod
    def from_proto(cls, message: selector_pb2.ClassSchema) -> ClassSchema:
        def definitions(items):
            return tuple(ClassDefinition(c.name, c.colour, c.key) for c in items)
        return cls(definitions(message.object_classes), definitions(message.image_classes),
                   message.image_multi_label)

    def names(self, kind: str = "object") -> list[str]:
        """The names of the ``kind`` ("object" or "image") classes, in order."""
        return [c.name for c in (self.object_classes if kind == "object" else self.image_classes)]


__all__ = ["ClassDefinition", "ClassPrelabels", "ClassSchema", "ObjectClassGuess"]
