"""The label-error ranking: labels scored one by one as
:func:`~labelassist.inspect.label_errors.suspect_label` scores them, then
their suspected errors and the labels themselves ordered most suspect first.

Labels with object classes add class suspects at the end, when every
object is in: confident learning (see
:mod:`labelassist.inspect.confident_learning`) needs the whole set, with
each object's class probabilities from a class model trained on the other
folds (:func:`~labelassist.imaging.object_classes.out_of_fold_probabilities`
over :func:`~labelassist.imaging.object_classes.object_features`).

The service feeds it a project's labels from the selector, the evaluation
labels with planted errors; both read the same order from here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np

from labelassist.imaging.object_classes import object_features, out_of_fold_probabilities
from labelassist.inspect.confident_learning import class_suspects
from labelassist.inspect.criteria import region_boxes
from labelassist.inspect.label_errors import SuspectedError, suspect_label
from labelassist.inspect.measure import object_labels
from labelassist.inspect.settings import InspectionSettings

Key = TypeVar("Key")
MIN_CLASS_OBJECTS = 5  # labelled objects a class needs to take part in the class suspects
CLASS_SIGNAL = "class_suspect"


@dataclass
class RankedLabels(Generic[Key]):
    """A ranking's outcome, each entry under the key its label was added with.

    ``suspects``: every suspected error, most likely first; ``labels``:
    (key, the label's highest score, its number of suspects), most suspect
    first; ``skipped``: (key, why) for the labels that could not be scored;
    ``class_note``: how the class suspects were found, or why none could
    be (empty without classes)."""

    suspects: list[tuple[Key, SuspectedError]] = field(default_factory=list)
    labels: list[tuple[Key, float, int]] = field(default_factory=list)
    skipped: list[tuple[Key, str]] = field(default_factory=list)
    class_note: str = ""


@dataclass
class ClassedObjects:
    """The classified objects of the labels added so far: per object, the
    position of its label, its id, box, class and features."""
    positions: list[int] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    features: list[np.ndarray] = field(default_factory=list)

    def add(self, position: int, label: np.ndarray, image: np.ndarray, classes: Mapping[int, str]) -> None:
        ids, features = object_features(image, label)
        named = [index for index, object_id in enumerate(ids.tolist()) if object_id in classes]
        boxes = region_boxes(object_labels(label), ids[named]) if named else []
        for index, box in zip(named, boxes):
            self.positions.append(position)
            self.ids.append(int(ids[index]))
            self.boxes.append(box)
            self.classes.append(classes[int(ids[index])])
            self.features.append(features[index])

    def suspects(self, folds: int = 5, seed: int = 0) -> tuple[list[tuple[int, SuspectedError]], str]:
        """(label position, class suspect) for each object whose class the
        out-of-fold class probabilities confidently contradict, and how
        they were found (or why not) in words."""
        names, counts = np.unique(self.classes, return_counts=True)
        taking = names[counts >= MIN_CLASS_OBJECTS]
        few = [f"'{n}' ({c})" for n, c in zip(names, counts) if c < MIN_CLASS_OBJECTS]
        left_out = f"; left out, with fewer than {MIN_CLASS_OBJECTS} objects: {', '.join(few)}" if few else ""
        if len(taking) < 2:
            return [], (f"no class suspects: {len(self.classes)} classified objects hold fewer than 2 classes of "
                        f"at least {MIN_CLASS_OBJECTS} objects{left_out}")
        rows = np.flatnonzero(np.isin(self.classes, taking))
        given = np.asarray(self.classes)[rows]
        probabilities = out_of_fold_probabilities(np.stack([self.features[i] for i in rows]), given, folds, seed)
        found = class_suspects(np.searchsorted(taking, given), probabilities)
        out = []
        for index, suspected, confidence, score in zip(found.index, found.suspected, found.confidence, found.score):
            row = int(rows[index])
            suspect = SuspectedError(0.0, self.boxes[row], self.ids[row], given_class=str(given[index]),
                                     suspected_class=str(taking[suspected]), class_confidence=float(confidence))
            suspect.add(CLASS_SIGNAL, float(score), f"object {suspect.object_id}: labelled '{suspect.given_class}', "
                                                    f"probably '{suspect.suspected_class}' ({confidence:.2f})")
            out.append((self.positions[row], suspect))
        return out, (f"class suspects by confident learning over {len(rows)} objects of {len(taking)} classes, "
                     f"each with a random forest on its measurements trained on the other folds: "
                     f"{len(out)} suspects{left_out}")


class LabelRanking(Generic[Key]):
    """Labels added one at a time (so a long ranking can report progress
    and be stopped between labels), ranked at the end.

    Parameters
    ----------
    probability : callable
        image -> the model's foreground probability (H, W).
    settings : InspectionSettings, optional
        The project's criteria, calibrated or not.
    skip : tuple of exception types
        What adding one label may raise and leave out of the ranking (named
        in ``skipped``) while the others go on; anything else propagates.
    class_parameters : mapping, optional
        Per object class, its own object-level bounds (see
        :func:`~labelassist.inspect.class_bounds.class_parameters`).
    """

    def __init__(self, probability: Callable[[np.ndarray], np.ndarray], settings: InspectionSettings | None = None,
                 skip: tuple[type[BaseException], ...] = (ValueError,),
                 class_parameters: Mapping[str, Mapping[str, Mapping]] | None = None):
        self.probability, self.settings, self.skip = probability, settings, skip
        self.class_parameters = class_parameters
        self._keys: list[Key] = []
        self._found: list[list[SuspectedError]] = []
        self._skipped: list[tuple[Key, str]] = []
        self._classed = ClassedObjects()

    def add(self, key: Key, arrays: Callable[[], tuple]) -> list[SuspectedError]:
        """Score the label and image that ``arrays()`` gives (read only now),
        with the label's object classes (id -> class) as a third item where
        it has them; its suspected errors, none when it was skipped."""
        try:
            label, image, *rest = arrays()
            classes = rest[0] if rest else None
            found = suspect_label(label, image, self.probability(image), self.settings, classes,
                                  self.class_parameters)
            if classes:
                self._classed.add(len(self._keys), label, image, classes)
        except self.skip as error:
            self._skipped.append((key, str(error)))
            return []
        self._keys.append(key)
        self._found.append(found)
        return found

    def ranked(self) -> RankedLabels[Key]:
        """Everything added so far, most suspect first (with the class
        suspects of the labels with classes)."""
        found = copy.deepcopy(self._found)  # class signals join copies: ranking twice adds them once
        note, class_found = "", []
        if self._classed.classes:
            try:
                class_found, note = self._classed.suspects()
            except ValueError as error:
                note = f"no class suspects: {error}"
            for position, suspect in class_found:
                same = next((s for s in found[position] if s.object_id == suspect.object_id), None)
                if same is None:
                    found[position].append(suspect)
                else:
                    same.add(CLASS_SIGNAL, suspect.score, suspect.reason)
                    same.given_class, same.suspected_class = suspect.given_class, suspect.suspected_class
                    same.class_confidence = suspect.class_confidence
        suspects = [(key, suspect) for key, label in zip(self._keys, found) for suspect in label]
        labels = [(key, max((s.score for s in label), default=0.0), len(label)) for key, label in zip(self._keys, found)]
        return RankedLabels(sorted(suspects, key=lambda entry: -entry[1].score),
                            sorted(labels, key=lambda entry: -entry[1]), list(self._skipped), note)


__all__ = ["LabelRanking", "RankedLabels"]
