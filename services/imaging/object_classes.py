"""Classes of objects and images from their measurements: the features a
class model sees, a random forest over them, and its cross-validated
probabilities.

A forest of trees is a well-kept classifier for the tens to thousands of
labelled objects a project holds (Breiman 2001); its trees are the members
of an ensemble, so BALD can score class posteriors with them, and its
out-of-fold probabilities are what confident learning ranks label errors by.
A fitted model is kept as plain arrays (each tree's nodes and leaf
probabilities), so storing and loading one runs no code: there is no pickle
to trust.
"""

from __future__ import annotations

import io

import numpy as np

from labelassist.imaging.checks import check_image, check_mask, grey
from labelassist.io.intensity import percentile_levels

FEATURE_NAMES: tuple[str, ...] = (
    "area", "perimeter", "circularity", "solidity", "eccentricity", "extent",
    "axis_major_length", "axis_minor_length", "aspect_ratio",
    "intensity_mean", "intensity_std", "intensity_p10", "intensity_p50", "intensity_p90",
    "ring_mean", "contrast",
)
IMAGE_FEATURE_NAMES: tuple[str, ...] = (
    "intensity_mean", "intensity_std", "intensity_p01", "intensity_p50", "intensity_p99",
    "focus", "object_count", "object_density", "foreground_fraction",
) + tuple(f"object_mean_{name}" for name in FEATURE_NAMES)

# Width in pixels of the background ring an object's contrast is measured against.
RING_WIDTH = 3
# Below this many labelled objects a forest learns nothing worth showing.
MIN_OBJECTS = 4
TREES = 100
_FORMAT = 1


def _unit_intensity(image: np.ndarray) -> np.ndarray:
    """The image's grey channel between its 1st and 99.8th percentiles as 0
    and 1, not clipped: brightness relative to the image, so images of other
    dtypes or exposures compare, and the brightest objects stay apart."""
    channel = np.asarray(grey(image), np.float64)
    low, high = percentile_levels(channel, max_pixels=None)
    return (channel - low) / (high - low) if high > low else channel - low


def _instance_mask(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    from skimage import measure

    check_image(image)
    mask = check_mask(mask, np.shape(image))
    return measure.label(mask) if mask.dtype == np.bool_ else mask.astype(np.int64)


def _percentiles(region: np.ndarray, intensity: np.ndarray) -> np.ndarray:
    return np.percentile(intensity[region], (10, 50, 90))


def _std(region: np.ndarray, intensity: np.ndarray) -> float:
    return float(np.std(intensity[region]))


def object_features(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shape and intensity measurements of each object of a label image.

    Parameters
    ----------
    image : ndarray
        (H, W) grey or channels-last (H, W, C) image; a multi-channel image
        is measured on its channel mean.
    mask : ndarray
        (H, W) label image, 0 background; a boolean mask's connected
        components are its objects.

    Returns
    -------
    ids : ndarray
        (n,) int64 object ids, ascending.
    features : ndarray
        (n, len(FEATURE_NAMES)) float32, columns as ``FEATURE_NAMES``.
        Intensities are on the image's own scale (1st percentile 0, 99.8th
        1); ``contrast`` is the object's mean less that of a
        ``RING_WIDTH``-pixel ring of background around it (0 where it has
        none).

    Raises
    ------
    ValueError
        For an image or mask the services would reject, or shapes that differ.
    """
    from scipy import ndimage
    from skimage import measure, segmentation

    labels = _instance_mask(image, mask)
    ids = np.unique(labels[labels > 0]).astype(np.int64)
    if ids.size == 0:
        return ids, np.zeros((0, len(FEATURE_NAMES)), np.float32)
    intensity = _unit_intensity(image)
    table = measure.regionprops_table(
        labels, intensity_image=intensity,
        properties=("label", "area", "perimeter", "solidity", "eccentricity", "extent",
                    "axis_major_length", "axis_minor_length", "intensity_mean"),
        extra_properties=(_percentiles, _std))
    area, perimeter = table["area"].astype(np.float64), table["perimeter"]
    circularity = np.minimum(np.divide(4 * np.pi * area, perimeter ** 2, out=np.ones_like(area),
                                       where=perimeter > 0), 1.0)
    aspect = np.divide(table["axis_major_length"], table["axis_minor_length"],
                       out=np.ones_like(area), where=table["axis_minor_length"] > 0)
    ring = np.where(labels == 0, segmentation.expand_labels(labels, RING_WIDTH), 0)
    ring_mean = np.asarray(ndimage.mean(intensity, ring, ids), np.float64)
    ring_mean = np.where(np.isfinite(ring_mean), ring_mean, table["intensity_mean"])
    columns = (area, perimeter, circularity, table["solidity"], table["eccentricity"], table["extent"],
               table["axis_major_length"], table["axis_minor_length"], aspect,
               table["intensity_mean"], table["_std"], table["_percentiles-0"], table["_percentiles-1"],
               table["_percentiles-2"], ring_mean, table["intensity_mean"] - ring_mean)
    return ids, np.nan_to_num(np.column_stack(columns)).astype(np.float32)


def image_features(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """An image's summary for image classes (in focus, usable, condition).

    Parameters
    ----------
    image : ndarray
        (H, W) or channels-last (H, W, C) image.
    mask : ndarray
        (H, W) label image of its objects (all zeros for none).

    Returns
    -------
    ndarray
        (len(IMAGE_FEATURE_NAMES),) float32: intensity statistics on the
        dtype's range (an integer image's maximum value 1), the variance of
        the Laplacian of the stretched image as its focus (Pech-Pacheco et
        al. 2000), the object count, objects per 10,000 pixels, the
        foreground fraction and the mean of each object feature (0 without
        objects).
    """
    from scipy import ndimage

    ids, features = object_features(image, mask)
    channel = np.asarray(grey(image), np.float64)
    dtype = np.asarray(image).dtype
    scaled = channel / np.iinfo(dtype).max if dtype.kind in "iu" else channel
    low, median, high = np.percentile(scaled, (1, 50, 99))
    focus = float(np.var(ndimage.laplace(_unit_intensity(image))))
    labels = np.asarray(mask)
    summary = (scaled.mean(), scaled.std(), low, median, high, focus, ids.size,
               1e4 * ids.size / labels.size, float((labels > 0).mean()))
    means = features.mean(axis=0) if ids.size else np.zeros(len(FEATURE_NAMES))
    return np.concatenate([np.asarray(summary, np.float64), means]).astype(np.float32)


def _check_training(features, classes) -> tuple[np.ndarray, np.ndarray]:
    features = np.asarray(features, np.float32)
    classes = np.asarray([str(name) for name in np.asarray(classes).ravel()])
    if features.ndim != 2:
        raise ValueError(f"'features' must be (objects, features); got shape {features.shape}")
    if len(classes) != len(features):
        raise ValueError(f"'classes' names {len(classes)} objects, 'features' has {len(features)}")
    if not np.isfinite(features).all():
        raise ValueError("'features' contains NaN or Inf")
    names = np.unique(classes)
    if len(names) < 2:
        raise ValueError(f"a class model needs labelled objects of at least 2 classes; got "
                         f"{len(names)} ({', '.join(names) or 'none'}): label objects of another class")
    if len(classes) < MIN_OBJECTS:
        raise ValueError(f"a class model needs at least {MIN_OBJECTS} labelled objects; got {len(classes)}: "
                         "label more objects with their class")
    return features, classes


class ClassModel:
    """A random forest of class posteriors (Breiman 2001) over object or
    image features, weighted so each class counts equally however rare.

    Parameters
    ----------
    trees : int
        Number of trees: the ensemble members of :meth:`member_proba`.
    """

    def __init__(self, trees: int = TREES):
        if trees < 2:
            raise ValueError(f"'trees' must be at least 2, got {trees}")
        self.trees = trees
        self.classes_: tuple[str, ...] = ()
        self.n_features_in_ = 0
        self._nodes: dict[str, np.ndarray] = {}

    def fit(self, features: np.ndarray, classes, seed: int = 0) -> ClassModel:
        """Train on labelled objects.

        Parameters
        ----------
        features : ndarray
            (n, f) features, e.g. from :func:`object_features`.
        classes : sequence of str
            (n,) class name of each object.
        seed : int
            Seed of the forest's sampling: equal inputs give equal models.

        Returns
        -------
        ClassModel
            This model, fitted; ``classes_`` lists the class names seen, sorted.

        Raises
        ------
        ValueError
            With fewer than 2 classes or ``MIN_OBJECTS`` objects, or
            mismatched or non-finite inputs.
        """
        from sklearn.ensemble import RandomForestClassifier

        features, classes = _check_training(features, classes)
        forest = RandomForestClassifier(n_estimators=self.trees, class_weight="balanced", n_jobs=1,
                                        random_state=seed).fit(features, classes)
        self.classes_ = tuple(str(name) for name in forest.classes_)
        self.n_features_in_ = features.shape[1]
        self._nodes = _flatten(forest.estimators_)
        return self

    def member_proba(self, features: np.ndarray) -> np.ndarray:
        """Each tree's class probabilities: the ensemble BALD scores.

        Parameters
        ----------
        features : ndarray
            (n, f) features of the columns the model was fitted on.

        Returns
        -------
        ndarray
            (trees, n, k) float32, columns as ``classes_``.
        """
        features = self._check_features(features)
        nodes = self._nodes
        node = np.repeat(nodes["roots"][:, None], len(features), axis=1)
        rows = np.arange(len(features))[None, :]
        while True:
            left = nodes["left"][node]
            inner = left >= 0
            if not inner.any():
                break
            go_left = features[rows, nodes["feature"][node]] <= nodes["threshold"][node]
            node = np.where(inner, np.where(go_left, left, nodes["right"][node]), node)
        return nodes["proba"][node]

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Class probabilities: the mean over the trees.

        Parameters
        ----------
        features : ndarray
            (n, f) features.

        Returns
        -------
        ndarray
            (n, k) float32 rows summing to 1, columns as ``classes_``.
        """
        return self.member_proba(features).mean(axis=0)

    def to_bytes(self) -> bytes:
        """The fitted model as an ``.npz`` of plain arrays (no pickle):
        loading it runs no code, whoever wrote it."""
        if not self._nodes:
            raise ValueError("the class model is not fitted: call fit first")
        buffer = io.BytesIO()
        np.savez_compressed(buffer, format=np.int64(_FORMAT), classes=np.asarray(self.classes_),
                            n_features=np.int64(self.n_features_in_), **self._nodes)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ClassModel:
        """A model written by :meth:`to_bytes`.

        Raises
        ------
        ValueError
            For bytes that are not such a model, or whose trees point
            outside themselves.
        """
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
        except (OSError, ValueError, EOFError) as error:
            raise ValueError(f"not a stored class model: {error}") from error
        if int(arrays.get("format", -1)) != _FORMAT:
            raise ValueError("not a stored class model, or one of another format: train it again")
        model = cls(trees=max(len(arrays["roots"]), 2))
        model.classes_ = tuple(str(name) for name in arrays["classes"])
        model.n_features_in_ = int(arrays["n_features"])
        model._nodes = {name: arrays[name] for name in ("roots", "left", "right", "feature", "threshold", "proba")}
        _check_nodes(model._nodes, model.n_features_in_, len(model.classes_))
        return model

    def _check_features(self, features) -> np.ndarray:
        if not self._nodes:
            raise ValueError("the class model is not fitted: call fit first")
        features = np.asarray(features, np.float32)
        if features.ndim != 2 or features.shape[1] != self.n_features_in_:
            raise ValueError(f"'features' must be (objects, {self.n_features_in_}); got shape {features.shape}")
        if not np.isfinite(features).all():
            raise ValueError("'features' contains NaN or Inf")
        return features


def _flatten(estimators) -> dict[str, np.ndarray]:
    """All trees' nodes in one set of arrays; child indices global, leaves
    marked by a left child of -1, leaf values as probabilities."""
    roots, left, right, feature, threshold, proba = [], [], [], [], [], []
    offset = 0
    for estimator in estimators:
        tree = estimator.tree_
        is_leaf = tree.children_left < 0
        roots.append(offset)
        left.append(np.where(is_leaf, -1, tree.children_left + offset))
        right.append(np.where(is_leaf, -1, tree.children_right + offset))
        feature.append(np.where(is_leaf, 0, tree.feature))
        threshold.append(tree.threshold)
        values = tree.value[:, 0, :]
        proba.append(values / np.maximum(values.sum(axis=1, keepdims=True), np.finfo(np.float64).tiny))
        offset += tree.node_count
    # sklearn compares float32 features with float64 thresholds; so does member_proba.
    return {"roots": np.asarray(roots, np.int64), "left": np.concatenate(left).astype(np.int64),
            "right": np.concatenate(right).astype(np.int64), "feature": np.concatenate(feature).astype(np.int64),
            "threshold": np.concatenate(threshold).astype(np.float64),
            "proba": np.concatenate(proba).astype(np.float32)}


def _check_nodes(nodes: dict[str, np.ndarray], n_features: int, n_classes: int) -> None:
    count = len(nodes["left"])
    inner = nodes["left"] >= 0
    valid = (
        n_classes >= 2 and count > 0 and nodes["proba"].shape == (count, n_classes)
        and all(len(nodes[name]) == count for name in ("right", "feature", "threshold"))
        and ((nodes["roots"] >= 0) & (nodes["roots"] < count)).all()
        # Children lie after their parent, so a walk from a root ends at a leaf.
        and ((nodes["left"][inner] > np.flatnonzero(inner)) & (nodes["left"][inner] < count)).all()
        and ((nodes["right"][inner] > np.flatnonzero(inner)) & (nodes["right"][inner] < count)).all()
        and ((nodes["feature"] >= 0) & (nodes["feature"] < n_features)).all()
    )
    if not valid:
        raise ValueError("not a stored class model: its trees are inconsistent; train it again")


def out_of_fold_probabilities(features: np.ndarray, classes, folds: int = 5, seed: int = 0) -> np.ndarray:
    """Each object's class probabilities from a model that did not see it:
    what confident learning compares given classes with (Northcutt et al.
    2021).

    Parameters
    ----------
    features : ndarray
        (n, f) features.
    classes : sequence of str
        (n,) given class of each object.
    folds : int
        Stratified folds; fewer when the rarest class has fewer objects.
    seed : int
        Seed of the split and the forests.

    Returns
    -------
    ndarray
        (n, k) float32, columns as the sorted class names (a fitted
        :class:`ClassModel`'s ``classes_``).

    Raises
    ------
    ValueError
        As :meth:`ClassModel.fit`, for ``folds`` under 2, or for a class
        with a single object (no fold could hold it out and learn it).
    """
    from sklearn.model_selection import StratifiedKFold

    if folds < 2:
        raise ValueError(f"'folds' must be at least 2, got {folds}")
    features, classes = _check_training(features, classes)
    names, counts = np.unique(classes, return_counts=True)
    if counts.min() < 2:
        raise ValueError(f"class '{names[counts.argmin()]}' has a single labelled object; out-of-fold "
                         "probabilities need at least 2 of each class")
    probabilities = np.zeros((len(classes), len(names)), np.float32)
    splits = StratifiedKFold(n_splits=min(folds, int(counts.min())), shuffle=True, random_state=seed)
    for train, held_out in splits.split(features, classes):
        model = ClassModel().fit(features[train], classes[train], seed=seed)
        columns = np.searchsorted(names, model.classes_)
        probabilities[np.ix_(held_out, columns)] = model.predict_proba(features[held_out])
    return probabilities
