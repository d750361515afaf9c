"""How much annotators agree on classes: of the objects they both drew
(matched as in :mod:`labelassist.imaging.agreement`), whether they gave
them the same class, and per class whether the objects one annotator put
in it were drawn by the other at all; of whole images, whether their image
classes agree.

Chance-corrected agreement: Cohen's kappa (Cohen 1960) for two annotators,
the statistic a reader of a two-rater study expects; Krippendorff's alpha
(nominal; Krippendorff 2004) for any number of them, because it takes
objects that only some annotators drew (missing values) and any number of
annotators per object, where Fleiss' kappa needs every object rated by the
same number of raters. For two annotators without missing values alpha is
Scott's pi with a small-sample correction, close to kappa.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from labelassist.imaging.agreement import iou_table, object_index, pairs_of
from labelassist.imaging.measures import instance_labels

UNCLASSIFIED = ""  # an object drawn without a class: a class left out disagrees with any class given


@dataclass(frozen=True)
class ClassScore:
    """One class's agreement.

    ``objects``: objects (or images) either annotator put in the class;
    ``agreement_f1``: of those both annotators drew, twice the ones both
    put in it over the ones each put in it (positive specific agreement,
    the per-class F1 of one annotator against the other); ``detection_f1``:
    the share of the class's objects that the other annotator drew too
    (matched at IoU >= 0.5, whatever its class). None where nothing counts.
    """

    name: str
    objects: int
    agreement_f1: float | None
    detection_f1: float | None = None


@dataclass(frozen=True)
class ClassAgreement:
    """Class agreement of two annotators (or pooled over pairs).

    ``compared``: matched objects (or images) whose classes were compared;
    ``observed``: the share of them given one class; ``kappa``: Cohen's
    kappa; ``alpha``: Krippendorff's alpha; each None where undefined (no
    objects, or every one in one class: agreement is then perfect but
    not beyond chance). ``confusion``: (first's class, second's class,
    count), "" for an object without a class.
    """

    compared: int
    observed: float | None
    kappa: float | None
    alpha: float | None
    classes: tuple[ClassScore, ...]
    confusion: tuple[tuple[str, str, int], ...] = ()

    def as_dict(self) -> dict:
        return {"compared": self.compared, "observed": self.observed, "kappa": self.kappa, "alpha": self.alpha,
                "classes": {c.name: {"objects": c.objects, "agreement_f1": c.agreement_f1,
                                     "detection_f1": c.detection_f1} for c in self.classes},
                "confusion": [list(row) for row in self.confusion]}


@dataclass
class ClassCounts:
    """What class agreement is computed from, summable over images and
    pairs: ``confusion`` (first's class, second's class) -> matched objects,
    ``drawn`` class -> objects of it, ``found`` class -> those the other
    annotator drew too."""

    confusion: Counter = field(default_factory=Counter)
    drawn: Counter = field(default_factory=Counter)
    found: Counter = field(default_factory=Counter)

    def __add__(self, other: ClassCounts) -> ClassCounts:
        return ClassCounts(self.confusion + other.confusion, self.drawn + other.drawn, self.found + other.found)

    def swapped(self) -> ClassCounts:
        """The same counts with the two annotators' places exchanged."""
        return ClassCounts(Counter({(b, a): n for (a, b), n in self.confusion.items()}), self.drawn, self.found)


def object_classes(classes: Mapping | None) -> dict[int, str]:
    """Object id -> class of a label's classes, as the selector stores them
    ({"objects": {"<id>": name}, "image": [...]}) or as a plain mapping of ids."""
    classes = classes or {}
    objects = classes["objects"] if isinstance(classes.get("objects"), Mapping) else classes
    return {int(k): str(v) for k, v in objects.items() if k != "image"}


def class_counts(a: np.ndarray, classes_a: Mapping, b: np.ndarray, classes_b: Mapping) -> ClassCounts:
    """The class counts of two labels of one image.

    Parameters
    ----------
    a, b : ndarray
        Instance label images of one shape.
    classes_a, classes_b : mapping
        Each label's classes: object id -> class, or the selector's form
        ({"objects": {"<id>": name}}). Objects without one are
        :data:`UNCLASSIFIED`.

    Returns
    -------
    ClassCounts
    """
    a, b = instance_labels(np.asarray(a)), instance_labels(np.asarray(b))
    if a.shape != b.shape:
        raise ValueError(f"labels of one image must have one shape, got {a.shape} and {b.shape}")
    of_a, of_b = object_classes(classes_a), object_classes(classes_b)
    index_a, index_b = object_index(a), object_index(b)
    pairs = pairs_of(*iou_table(index_a, index_b))
    counts = ClassCounts()
    for id_a, id_b, _ in pairs:
        counts.confusion[(of_a.get(id_a, UNCLASSIFIED), of_b.get(id_b, UNCLASSIFIED))] += 1
    matched_a, matched_b = {p[0] for p in pairs}, {p[1] for p in pairs}
    for ids, of, matched in ((index_a[0], of_a, matched_a), (index_b[0], of_b, matched_b)):
        for object_id in ids.tolist():
            name = of.get(object_id, UNCLASSIFIED)
            counts.drawn[name] += 1
            counts.found[name] += object_id in matched
    return counts


def cohen_kappa(confusion: np.ndarray) -> float | None:
    """Cohen's kappa of a square confusion table (rows: one rater, columns:
    the other): (observed - chance) / (1 - chance); None when chance
    agreement is 1 or the table is empty.

    References
    ----------
    Cohen, "A coefficient of agreement for nominal scales", Educ. Psychol. Meas. 1960.
    """
    confusion = np.asarray(confusion, np.float64)
    total = confusion.sum()
    if total == 0:
        return None
    observed = np.trace(confusion) / total
    chance = float(confusion.sum(axis=1) @ confusion.sum(axis=0)) / total ** 2
    return None if chance >= 1 else float((observed - chance) / (1 - chance))


def alpha_from_coincidences(coincidence: np.ndarray) -> float | None:
    """Krippendorff's alpha (nominal) from a coincidence matrix: 1 - observed
    over expected disagreement; None where no disagreement is expected."""
    coincidence = np.asarray(coincidence, np.float64)
    total = coincidence.sum()
    if total <= 1:
        return None
    marginals = coincidence.sum(axis=1)
    observed = (total - np.trace(coincidence)) / total
    expected = (total ** 2 - float(marginals @ marginals)) / (total * (total - 1))
    return None if expected <= 0 else float(1 - observed / expected)


def krippendorff_alpha(units: Iterable[Sequence[str | None]]) -> float | None:
    """Krippendorff's alpha for nominal values.

    Parameters
    ----------
    units : iterable of sequence
        Per unit (an object, an image), the value each annotator gave it;
        None (or absent) where an annotator gave none. Units with fewer than
        two values cannot be compared and are left out.

    Returns
    -------
    float or None
        1 for perfect agreement, 0 for chance; None where undefined.

    References
    ----------
    Krippendorff, "Content Analysis: An Introduction to Its Methodology", 2nd ed., 2004, ch. 11.
    """
    units = [[v for v in unit if v is not None] for unit in units]
    units = [unit for unit in units if len(unit) >= 2]
    names = sorted({v for unit in units for v in unit})
    index = {name: position for position, name in enumerate(names)}
    coincidence = np.zeros((len(names), len(names)))
    for unit in units:
        counts = np.bincount([index[v] for v in unit], minlength=len(names)).astype(np.float64)
        coincidence += (np.outer(counts, counts) - np.diag(counts)) / (len(unit) - 1)
    return alpha_from_coincidences(coincidence)


def class_agreement(counts: ClassCounts, units: Iterable[Sequence[str | None]] | None = None) -> ClassAgreement:
    """Kappa, alpha and per-class scores from :func:`class_counts` (summed
    over images or pairs as the caller wants).

    Parameters
    ----------
    counts : ClassCounts
    units : iterable of sequence, optional
        Per matched object, every annotator's class (see
        :func:`object_class_units`) for alpha over more than two annotators;
        by default alpha is that of the pairs in ``counts``.

    Returns
    -------
    ClassAgreement
    """
    names = sorted({name for pair in counts.confusion for name in pair} | set(counts.drawn))
    index = {name: position for position, name in enumerate(names)}
    table = np.zeros((len(names), len(names)), np.int64)
    for (first, second), count in counts.confusion.items():
        table[index[first], index[second]] += count
    compared = int(table.sum())
    alpha = krippendorff_alpha(units) if units is not None else alpha_from_coincidences(table + table.T)
    rows, columns = table.sum(axis=1), table.sum(axis=0)
    scores = []
    for name in names:
        if name == UNCLASSIFIED:
            continue
        position = index[name]
        given = rows[position] + columns[position]
        drawn = counts.drawn[name]
        scores.append(ClassScore(name, int(drawn), float(2 * table[position, position] / given) if given else None,
                                 float(counts.found[name] / drawn) if drawn else None))
    return ClassAgreement(compared, float(np.trace(table) / compared) if compared else None, cohen_kappa(table),
                          alpha, tuple(scores),
                          tuple((first, second, int(count))
                                for (first, second), count in sorted(counts.confusion.items())))


def pair_class_agreement(a: np.ndarray, classes_a: Mapping, b: np.ndarray, classes_b: Mapping) -> ClassAgreement:
    """Class agreement of two annotators' labels of one image
    (:func:`class_counts` then :func:`class_agreement`)."""
    return class_agreement(class_counts(a, classes_a, b, classes_b))


def object_class_units(labels: Sequence[np.ndarray], classes: Sequence[Mapping]) -> list[list[str | None]]:
    """Per object matched across several annotators' labels of one image,
    each annotator's class of it (None where they did not draw it): the
    units of :func:`krippendorff_alpha`. Objects are joined as the
    consensus joins them (:meth:`~labelassist.imaging.consensus.MatchedObjects.candidates`)."""
    from labelassist.imaging.consensus import match_objects

    of = [object_classes(c) for c in classes]
    candidates = match_objects(labels).candidates()
    return [[of[k].get(candidate[k], UNCLASSIFIED) if k in candidate else None for k in range(len(labels))]
            for candidate in candidates if len(candidate) >= 2]


def image_value(image_classes: Iterable[str]) -> str:
    """An image's classes as one nominal value: their names in order, joined by "+"."""
    return "+".join(sorted(set(image_classes)))


def image_class_agreement(samples: Iterable[Sequence[Iterable[str] | None]]) -> ClassAgreement:
    """Agreement on image classes over images several annotators classified.

    Each image's set of classes is one nominal value (a multi-label image
    agrees only when the sets are equal); kappa pools every pair of
    annotators of each image (Cohen's for two annotators), alpha takes
    every annotator. Per class, ``agreement_f1`` is the positive specific
    agreement of its presence over pairs.

    Parameters
    ----------
    samples : iterable of sequence
        Per image, each annotator's image classes (None for an annotator who
        did not label it).

    Returns
    -------
    ClassAgreement
        Each class's ``objects`` the labels (annotator and image) that give
        it; ``detection_f1`` None (images are always there to classify).
    """
    units, confusion, present, both, given_to = [], Counter(), Counter(), Counter(), Counter()
    for sample in samples:
        given = [None if s is None else sorted(set(s)) for s in sample]
        units.append([None if g is None else image_value(g) for g in given])
        known = [g for g in given if g is not None]
        given_to.update(name for g in known for name in g)
        for i in range(len(known)):
            for j in range(i + 1, len(known)):
                confusion[(image_value(known[i]), image_value(known[j]))] += 1
                for name in set(known[i]) | set(known[j]):
                    present[name] += (name in known[i]) + (name in known[j])
                    both[name] += 2 * (name in known[i] and name in known[j])
    pooled = class_agreement(ClassCounts(confusion), units)
    scores = tuple(ClassScore(name, int(given_to[name]), float(both[name] / present[name]) if present[name] else None)
                   for name in sorted(given_to))
    return ClassAgreement(pooled.compared, pooled.observed, pooled.kappa, pooled.alpha, scores, pooled.confusion)


def pooled_class_agreement(samples: Iterable[tuple[Sequence[np.ndarray], Sequence[Mapping]]]
                            ) -> tuple[ClassAgreement, ClassAgreement]:
    """A project's class agreement in two numbers each: object classes
    (every pair of annotators of each image pooled for kappa, every
    annotator of each matched object for alpha) and image classes.

    Parameters
    ----------
    samples : iterable of (labels, classes)
        Per image several annotators labelled, their labels and each
        label's classes in the selector's form.

    Returns
    -------
    objects, images : ClassAgreement
    """
    pooled, units, images = ClassCounts(), [], []
    for labels, classes in samples:
        for i in range(len(labels)):
            for j in range(i + 1, len(labels)):
                pooled += class_counts(labels[i], classes[i] or {}, labels[j], classes[j] or {})
        units += object_class_units(labels, [c or {} for c in classes])
        if any((c or {}).get("image") for c in classes):
            images.append([(c or {}).get("image", []) for c in classes])
    return class_agreement(pooled, units), image_class_agreement(images)


__all__ = ["ClassAgreement", "ClassCounts", "ClassScore", "UNCLASSIFIED", "alpha_from_coincidences",
           "class_agreement", "class_counts", "cohen_kappa", "image_class_agreement", "krippendorff_alpha",
           "object_class_units", "object_classes", "pair_class_agreement", "pooled_class_agreement"]
