"""The class-suspect benchmark: give a labelled set's objects classes by a
rule, flip a share of them, and measure how well the label-error ranking's
class suspects (confident learning over out-of-fold class probabilities,
as :class:`~labelassist.inspect.ranking.LabelRanking` finds them) name the
flipped objects.

The rule, "small-bright" against "other", classes an object small-bright
when it is smaller and brighter than the median object: of its own image
(``rule="image"``: a class decided relative to the image, which a model of
the objects' own measurements learns only in part, as a lab's class
judged by eye against the neighbours), or of the whole set (``rule="set"``:
a class the measurements decide). Precision and recall are those of the suspect set;
average precision that of all objects ranked by ``1 - p[given class]``
(self-confidence, the suspects' own order), the area under its
precision-recall curve.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from labelassist.imaging.object_classes import object_features, out_of_fold_probabilities
from labelassist.inspect.confident_learning import class_suspects, noise_matrix

CLASSES = ("other", "small-bright")
AREA, INTENSITY = 0, 9  # columns of object_features: area, intensity_mean


def rule_classes(features: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """Per object, 1 (small-bright) when it is smaller and brighter than
    the median object of ``reference`` (default: the objects themselves),
    else 0 (other)."""
    reference = features if reference is None else reference
    area, intensity = features[:, AREA], features[:, INTENSITY]
    return ((area < np.median(reference[:, AREA]))
            & (intensity > np.median(reference[:, INTENSITY]))).astype(np.int64)


def average_precision(score: np.ndarray, positive: np.ndarray) -> float:
    """Mean, over the positives, of the precision at each one's rank when
    ranked by descending ``score``."""
    order = np.argsort(-score, kind="stable")
    hits = positive[order]
    if not hits.any():
        return 0.0
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision[hits].mean())


def measure_class_suspects(images: Sequence[np.ndarray], labels: Sequence[np.ndarray], share: float = 0.05,
                           seed: int = 0, folds: int = 5, rule: str = "image") -> dict:
    """Flip ``share`` of the rule's classes at random and find them again.

    Parameters
    ----------
    images, labels : sequences of ndarray
        A labelled set (label images, one id per object).
    share : float
        Share of the objects whose class is flipped.
    seed : int
        Seed of the flips and of the class model.
    folds : int
        Folds of the out-of-fold probabilities.
    rule : {"image", "set"}
        Whose median object the classes are decided against.

    Returns
    -------
    dict
        Objects, flips, suspects, precision, recall, average precision and
        the estimated share of wrong classes (the calibrated confident
        joint's off-diagonal).
    """
    if rule not in ("image", "set"):
        raise ValueError(f"'rule' is {rule!r}; 'image' or 'set'")
    per_image = [object_features(image, label)[1] for image, label in zip(images, labels)]
    per_image = [measured for measured in per_image if len(measured) >= 2]
    features = np.concatenate(per_image)
    truth = np.concatenate([rule_classes(m) for m in per_image]) if rule == "image" else rule_classes(features)
    rng = np.random.default_rng(seed)
    flipped = np.zeros(len(truth), bool)
    flipped[rng.choice(len(truth), int(round(share * len(truth))), replace=False)] = True
    given = np.where(flipped, 1 - truth, truth)
    probabilities = out_of_fold_probabilities(features, np.asarray(CLASSES)[given], folds, seed)
    found = class_suspects(given, probabilities)
    hits = int(flipped[found.index].sum())
    self_confidence = probabilities[np.arange(len(given)), given]
    return {"objects": int(len(truth)), "small_bright": int(truth.sum()), "flipped": int(flipped.sum()),
            "suspects": len(found), "true_suspects": hits,
            "precision": hits / max(len(found), 1), "recall": hits / max(int(flipped.sum()), 1),
            "average_precision": average_precision(1.0 - self_confidence, flipped),
            "estimated_noise": float(1.0 - np.trace(noise_matrix(given, probabilities))),
            "oof_accuracy_on_true": float(np.mean(np.argmax(probabilities, axis=1) == truth))}


__all__ = ["average_precision", "measure_class_suspects", "rule_classes"]
