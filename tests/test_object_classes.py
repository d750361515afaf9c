"""Object and image features, the class model and its out-of-fold
probabilities (labelassist.imaging.object_classes)."""

import numpy as np
import pytest

from labelassist.imaging.object_classes import (
    FEATURE_NAMES, IMAGE_FEATURE_NAMES, MIN_OBJECTS, ClassModel, image_features, object_features,
    out_of_fold_probabilities)
from shapes import disc, two_kinds


def column(features, name):
    return features[:, FEATURE_NAMES.index(name)]


def labelled_objects(seed, images=3):
    rng = np.random.default_rng(seed)
    features, classes = [], []
    for _ in range(images):
        image, mask, kinds = two_kinds(rng)
        ids, measured = object_features(image, mask)
        features.append(measured)
        classes += [kinds[int(i)] for i in ids]
    return np.concatenate(features), np.asarray(classes)


def test_object_features_measure_each_object_by_its_id():
    image = np.full((64, 64), 100, np.uint16)
    mask = np.zeros((64, 64), np.int32)
    mask[disc(mask.shape, (20, 20), 10)] = 7
    mask[40:44, 30:50] = 3
    image[mask == 7] = 1100
    image[mask == 3] = 300
    ids, features = object_features(image, mask)
    assert ids.tolist() == [3, 7]
    assert features.shape == (2, len(FEATURE_NAMES)) and features.dtype == np.float32
    assert column(features, "area").tolist() == [80, (mask == 7).sum()]
    assert column(features, "aspect_ratio")[0] > 4 > column(features, "aspect_ratio")[1]
    assert column(features, "circularity")[1] > 0.85 > column(features, "circularity")[0]
    assert column(features, "intensity_mean")[1] == pytest.approx(1.0)
    assert column(features, "intensity_mean")[0] == pytest.approx(0.2)
    assert column(features, "contrast").tolist() == pytest.approx([0.2, 1.0])


def test_object_features_take_the_channel_mean_of_a_colour_image():
    rng = np.random.default_rng(0)
    image, mask, _ = two_kinds(rng)
    colour = np.stack([image, image, image], axis=-1)
    assert np.allclose(object_features(colour, mask)[1], object_features(image, mask)[1], atol=1e-5)


def test_object_features_of_a_mask_without_objects_are_empty():
    ids, features = object_features(np.ones((16, 16)), np.zeros((16, 16), np.uint8))
    assert ids.shape == (0,) and features.shape == (0, len(FEATURE_NAMES))


def test_object_features_reject_a_mask_of_another_shape():
    with pytest.raises(ValueError, match="does not match"):
        object_features(np.ones((16, 16)), np.zeros((8, 8), np.uint8))


def test_image_features_count_objects_and_measure_focus():
    rng = np.random.default_rng(1)
    image, mask, kinds = two_kinds(rng)
    sharp = image_features(image, mask)
    from scipy import ndimage
    blurred = image_features(ndimage.gaussian_filter(image, 3), mask)
    assert sharp.shape == (len(IMAGE_FEATURE_NAMES),)
    assert sharp[IMAGE_FEATURE_NAMES.index("object_count")] == len(kinds)
    focus = IMAGE_FEATURE_NAMES.index("focus")
    assert sharp[focus] > 5 * blurred[focus]


def test_class_model_separates_big_bright_from_small_dim_objects():
    features, classes = labelled_objects(seed=2)
    model = ClassModel().fit(features, classes)
    unseen, truth = labelled_objects(seed=3, images=2)
    probabilities = model.predict_proba(unseen)
    assert model.classes_ == ("big", "small")
    assert probabilities.shape == (len(truth), 2)
    assert np.allclose(probabilities.sum(axis=1), 1)
    assert (np.asarray(model.classes_)[probabilities.argmax(axis=1)] == truth).all()


def test_member_probabilities_are_one_per_tree_and_average_to_the_prediction():
    features, classes = labelled_objects(seed=4)
    model = ClassModel(trees=16).fit(features, classes, seed=1)
    members = model.member_proba(features[:5])
    assert members.shape == (16, 5, 2)
    assert np.allclose(members.mean(axis=0), model.predict_proba(features[:5]))


def test_class_model_predicts_as_scikit_learns_forest():
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(5)
    features = rng.normal(size=(200, 6)).astype(np.float32)
    classes = np.where(features[:, 0] + rng.normal(0, 0.7, 200) > 0, "a", "b")
    forest = RandomForestClassifier(n_estimators=30, class_weight="balanced", n_jobs=1, random_state=3)
    forest.fit(features, classes)
    model = ClassModel(trees=30).fit(features, classes, seed=3)
    assert np.allclose(model.predict_proba(features), forest.predict_proba(features), atol=1e-6)


def test_a_stored_model_predicts_as_the_fitted_one():
    features, classes = labelled_objects(seed=6)
    model = ClassModel().fit(features, classes)
    restored = ClassModel.from_bytes(model.to_bytes())
    assert restored.classes_ == model.classes_
    assert np.array_equal(restored.predict_proba(features), model.predict_proba(features))


def test_stored_bytes_that_are_no_model_are_refused():
    with pytest.raises(ValueError, match="not a stored class model"):
        ClassModel.from_bytes(b"\x80\x04 a pickle, perhaps")


def test_out_of_fold_probabilities_have_a_row_per_object_and_a_column_per_class():
    features, classes = labelled_objects(seed=7)
    probabilities = out_of_fold_probabilities(features, classes, folds=3)
    assert probabilities.shape == (len(classes), 2)
    assert np.allclose(probabilities.sum(axis=1), 1)
    assert (np.asarray(["big", "small"])[probabilities.argmax(axis=1)] == classes).mean() > 0.9


def test_a_model_of_one_class_is_refused():
    features, _ = labelled_objects(seed=8)
    with pytest.raises(ValueError, match="at least 2 classes"):
        ClassModel().fit(features, ["big"] * len(features))


def test_a_model_of_too_few_objects_is_refused():
    features, _ = labelled_objects(seed=8)
    with pytest.raises(ValueError, match=f"at least {MIN_OBJECTS} labelled objects"):
        ClassModel().fit(features[:3], ["big", "small", "big"])


def test_out_of_fold_probabilities_need_two_objects_of_each_class():
    features, _ = labelled_objects(seed=9)
    with pytest.raises(ValueError, match="class 'rare' has a single labelled object"):
        out_of_fold_probabilities(features[:6], ["a", "a", "a", "a", "a", "rare"])


def test_an_unfitted_model_or_features_of_another_width_are_refused():
    with pytest.raises(ValueError, match="not fitted"):
        ClassModel().predict_proba(np.zeros((1, len(FEATURE_NAMES))))
    features, classes = labelled_objects(seed=10)
    with pytest.raises(ValueError, match=f"must be \\(objects, {len(FEATURE_NAMES)}\\)"):
        ClassModel(trees=4).fit(features, classes).predict_proba(features[:, :3])
