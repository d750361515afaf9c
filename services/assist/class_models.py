"""Class pre-labels: a class model per project, trained on the project's own
labelled objects and images with classes, versioned ``classes@N`` in
assist's data directory (``DATA_DIR/classes``, 0700, shared by replicas
that share it).

A model is trained again in the call that needs it, when the project's
class stamp (the selector moves it with every label version, review and
class schema change) differs from the one its newest version was trained
at, so that the check costs one GetProject: fitting a forest takes well under a second
for the thousands of objects a project holds, and each label version's
features are measured once and kept, so a new label costs one sample's
measurements. A training job (as the U-Net's) would only add waiting.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from labelassist.imaging.class_uncertainty import expected_class_counts, sample_scores
from labelassist.imaging.object_classes import (FEATURE_NAMES, IMAGE_FEATURE_NAMES, ClassModel, image_features,
                                                object_features)
from labelassist.proto.wire.classes import schema_from_proto
from labelassist.runtime.errors import ConflictError, NotFoundError
from labelassist.runtime.bounded_cache import BoundedCache

PREFIX = "classes"
# The most bytes of label measurements kept in memory per assist replica (about 2 KB a label of 10 objects).
KEPT_MEASUREMENT_BYTES = 256 << 20
# A multi-label image class's two columns.
ABSENT, PRESENT = "absent", "present"


def class_names(schema: dict, kind: str) -> list[str]:
    """The names of a plain schema's "object" or "image" classes."""
    return [entry["name"] for entry in schema.get(kind, [])]


def check_object_class(schema: dict, name: str, project: str) -> str:
    """``name`` if it is one of the project's object classes; else
    FAILED_PRECONDITION (no object classes) or NOT_FOUND naming them."""
    names = class_names(schema, "object")
    if not names:
        raise ConflictError(f"project {project!r} has no object classes; an admin sets them with "
                            f"`labelassist classes {project} --object a,b`")
    if name not in names:
        raise NotFoundError(f"no object class {name!r} in project {project!r}; its object classes: "
                            f"{', '.join(names)}")
    return name


@dataclass
class LabelledSample:
    """One label version's measurements and classes: what a class model learns from."""
    object_ids: np.ndarray
    object_features: np.ndarray
    image_features: np.ndarray
    object_classes: dict[int, str] = field(default_factory=dict)
    image_classes: list[str] = field(default_factory=list)

    def nbytes(self) -> int:
        """About what it holds in memory: its arrays and its classes."""
        return (self.object_ids.nbytes + self.object_features.nbytes + self.image_features.nbytes
                + 64 * (len(self.object_classes) + len(self.image_classes)))

    def save(self, path: Path) -> None:
        classes = np.asarray([self.object_classes.get(int(i), "") for i in self.object_ids], dtype=str)
        temporary = path.with_suffix(".tmp.npz")
        np.savez_compressed(temporary, object_ids=self.object_ids, object_features=self.object_features,
                            image_features=self.image_features, object_classes=classes,
                            image_classes=np.asarray(self.image_classes, dtype=str))
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path) -> LabelledSample:
        with np.load(path, allow_pickle=False) as saved:
            ids = saved["object_ids"]
            objects = {int(i): str(c) for i, c in zip(ids, saved["object_classes"]) if c}
            return cls(ids, saved["object_features"], saved["image_features"], objects,
                       [str(c) for c in saved["image_classes"]])


@dataclass
class ProjectClassModel:
    """One version of a project's class model: an object model, an image
    model (single-label) or one present/absent model per image class
    (multi-label), and what it was trained on."""
    version: int
    objects: ClassModel | None = None
    images: dict[str, ClassModel] = field(default_factory=dict)
    multi_label: bool = False
    trained_objects: int = 0
    trained_images: int = 0
    note: str = ""
    # The project's schema and class stamp it was trained at.
    fingerprint: str = ""

    @property
    def name(self) -> str:
        """``classes@N``; empty for a model too few labels made nothing of (never stored)."""
        return f"{PREFIX}@{self.version}" if self.version else ""


@dataclass
class ClassPrediction:
    """A class model's pre-label of one image: per object id, the class
    probabilities (columns ``object_classes``); the image's."""
    model: ProjectClassModel
    object_classes: tuple[str, ...]
    object_ids: np.ndarray
    object_probabilities: np.ndarray
    image_classes: tuple[str, ...]
    image_probabilities: np.ndarray
    # Each tree's posteriors, (trees, objects, classes), for the uncertainty summary.
    object_members: np.ndarray | None = None
    image_members: np.ndarray | None = None

    def uncertainty(self) -> tuple[str, tuple[str, ...], np.ndarray, np.ndarray, int] | None:
        """(kind, classes, scores in ``SCORE_NAMES`` order, expected objects
        of each class, objects) over the object classes, else over the
        single-label image classes (the image its one object); None for a
        model with neither (multi-label image classes are independent
        present/absent models, not one posterior)."""
        for kind, classes, members in (("object", self.object_classes, self.object_members),
                                       ("image", self.image_classes, self.image_members)):
            if members is not None and len(classes) >= 2:
                return kind, classes, sample_scores(members), expected_class_counts(members), int(members.shape[1])
        return None

    def predicted_objects(self) -> list[tuple[int, str, float]]:
        """(object id, most probable class, its probability) of each object."""
        best = self.object_probabilities.argmax(axis=1) if len(self.object_ids) else []
        return [(int(i), self.object_classes[b], float(self.object_probabilities[row, b]))
                for row, (i, b) in enumerate(zip(self.object_ids, best))]

    def predicted_image_classes(self) -> list[str]:
        if not self.image_classes:
            return []
        if self.model.multi_label:
            return [name for name, p in zip(self.image_classes, self.image_probabilities) if p > 0.5]
        return [self.image_classes[int(np.argmax(self.image_probabilities))]]


def measure(image: np.ndarray, mask: np.ndarray, object_classes: dict[int, str],
            image_classes: list[str]) -> LabelledSample:
    """A label's measurements with its classes."""
    ids, features = object_features(image, mask)
    return LabelledSample(ids, features, image_features(image, mask), dict(object_classes), list(image_classes))


def fit_project_model(version: int, samples: list[LabelledSample], schema: dict,
                      seed: int = 0) -> ProjectClassModel:
    """Fit a project's object and image class models on its labelled
    samples; a kind with too few labels is left out with a note saying so."""
    model = ProjectClassModel(version, multi_label=bool(schema.get("multi_label")))
    notes = []
    if class_names(schema, "object"):
        rows = [(sample.object_features[row], sample.object_classes[int(i)]) for sample in samples
                for row, i in enumerate(sample.object_ids) if int(i) in sample.object_classes]
        model.trained_objects = len(rows)
        try:
            model.objects = ClassModel().fit(_rows([r[0] for r in rows], len(FEATURE_NAMES)),
                                             [r[1] for r in rows], seed)
        except ValueError as error:
            notes.append(f"object classes: {error}")
    image_samples = [sample for sample in samples if sample.image_classes]
    if class_names(schema, "image"):
        model.trained_images = len(image_samples)
        features = _rows([sample.image_features for sample in image_samples], len(IMAGE_FEATURE_NAMES))
        try:
            if model.multi_label:
                model.images = {name: ClassModel().fit(features, [PRESENT if name in s.image_classes else ABSENT
                                                                  for s in image_samples], seed)
                                for name in class_names(schema, "image")
                                if any(name in s.image_classes for s in image_samples)}
                if not model.images:
                    raise ValueError("no labelled image carries an image class")
            else:
                model.images = {"": ClassModel().fit(features, [s.image_classes[0] for s in image_samples], seed)}
        except ValueError as error:
            model.images = {}
            notes.append(f"image classes: {error}")
    model.note = "; ".join(notes)
    return model


def _rows(rows: list[np.ndarray], width: int) -> np.ndarray:
    return np.stack(rows) if rows else np.zeros((0, width), np.float32)


def predict(model: ProjectClassModel, image: np.ndarray, mask: np.ndarray) -> ClassPrediction:
    """The model's class probabilities of each object of ``mask`` and of the image."""
    ids, features = object_features(image, mask)
    object_classes: tuple[str, ...] = ()
    object_members = image_members = None
    if model.objects is None:
        ids, probabilities = ids[:0], np.zeros((0, 0), np.float32)
    else:
        object_classes = model.objects.classes_
        object_members = model.objects.member_proba(features) if len(ids) else \
            np.zeros((1, 0, len(object_classes)))
        probabilities = object_members.mean(axis=0)
    image_classes: tuple[str, ...] = ()
    image_probabilities = np.zeros(0, np.float32)
    if model.images:
        summary = image_features(image, mask)[None, :]
        if model.multi_label:
            image_classes = tuple(model.images)
            image_probabilities = np.asarray([
                m.predict_proba(summary)[0, m.classes_.index(PRESENT)] if PRESENT in m.classes_ else 0.0
                for m in model.images.values()], np.float32)
        else:
            image_classes = model.images[""].classes_
            image_members = model.images[""].member_proba(summary)
            image_probabilities = image_members.mean(axis=0)[0]
    return ClassPrediction(model, object_classes, ids, probabilities, image_classes, image_probabilities,
                           object_members, image_members)


class ClassModelStore:
    """The projects' class models in ``folder``: per project, each label
    version's measurements and each model version, written to a temporary
    name and renamed, so replicas sharing the folder see whole files."""

    def __init__(self, folder: Path, metrics=None):
        self.folder = Path(folder)
        self._loaded: dict[str, ProjectClassModel] = {}
        # Each label version's measurements with its classes, as read from
        # its files: a retraining after one new label reads one sample's.
        self._samples: BoundedCache[LabelledSample] = BoundedCache(KEPT_MEASUREMENT_BYTES, LabelledSample.nbytes)
        self._samples.add_named_gauges(metrics, "labelassist_assist_class_measurements", "label measurements")

    def project_folder(self, project: str) -> Path:
        # A digest, not the name: a project's name need not be a safe file name.
        folder = self.folder / hashlib.sha256(project.encode()).hexdigest()[:32]
        (folder / "labels").mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder

    def current(self, selector, project: str, project_message) -> ProjectClassModel:
        """The project's class model for its labels now: the newest version
        when it was trained at the project's class stamp (the selector's
        ``Project.class_stamp``, which moves with every label, review and
        schema change), else a new one trained now (with ``selector``, the
        caller's SelectorCalls). Checking costs the one GetProject that
        ``project_message`` came from, however many labels the project has."""
        schema = schema_from_proto(project_message.classes)
        if not schema:
            raise ConflictError(f"project {project!r} has no class schema; an admin sets one with "
                                f"`labelassist classes {project} --object a,b`")
        fingerprint = hashlib.sha256(json.dumps([schema, int(project_message.class_stamp)],
                                                sort_keys=True).encode()).hexdigest()
        folder = self.project_folder(project)
        kept = self._loaded.get(str(folder))
        if kept is not None and kept.fingerprint == fingerprint:
            return kept
        with open(folder / "training.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one training a project, across threads and replicas
            newest = self._newest(folder)
            if newest is not None and newest[1].get("fingerprint") == fingerprint:
                return self._load(folder, *newest)
            # Listed after the stamp was read: a label stored meanwhile moves the stamp, and the next call trains again.
            labelled = [info for info in selector.list_samples(project, labeled_only=True)
                        if info.review != "rejected"]
            samples = [self._labelled_sample(selector, folder, info, schema) for info in labelled]
            model = fit_project_model((newest[0] if newest else 0) + 1, samples, schema)
            model.fingerprint = fingerprint
            if model.objects is not None or model.images:
                self._save(folder, model, fingerprint)
            else:
                model.version = 0
                self._loaded[str(folder)] = model  # too few labels: nothing to train again until the stamp moves
            return model

    def _labelled_sample(self, selector, folder: Path, info, schema: dict) -> LabelledSample:
        # Classes are kept with the schema they were read under: a schema
        # change (a rename's migration) reads them again, not the pixels.
        # The image's digest too: a deleted project's sample ids may come back in a new one of its name.
        path = folder / "labels" / f"{int(info.sample_id)}-{int(info.label_version)}-{info.image_digest[:16]}.npz"
        schema_key = hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()[:16]
        classes_path = path.with_suffix(f".{schema_key}.json")
        kept_sample = self._samples.get(str(classes_path))
        if kept_sample is not None:
            return kept_sample
        if path.exists() and classes_path.exists():
            sample = LabelledSample.load(path)
            kept = json.loads(classes_path.read_text())
            sample.object_classes = {int(k): v for k, v in kept["objects"].items()}
            sample.image_classes = kept["image"]
            return self._samples.put(str(classes_path), sample)
        found = selector.get_sample(info.sample_id, with_image=not path.exists(), cached=False)
        if int(found.message.label_version) != int(info.label_version):  # labelled again since: the next call's
            return LabelledSample(np.zeros(0, np.int64), np.zeros((0, 0)), np.zeros(0))
        if path.exists():
            sample = LabelledSample.load(path)
        else:
            sample = measure(found.require("image"), found.require("label"), {}, [])
            sample.save(path)
        sample.object_classes = {int(k): v for k, v in found.message.label_classes.objects.items()}
        sample.image_classes = list(found.message.label_classes.image)
        classes_path.write_text(json.dumps({"objects": sample.object_classes, "image": sample.image_classes}))
        return self._samples.put(str(classes_path), sample)

    @staticmethod
    def _newest(folder: Path) -> tuple[int, dict] | None:
        versions = sorted(int(p.stem) for p in folder.glob("*.json") if p.stem.isdigit())
        return (versions[-1], json.loads((folder / f"{versions[-1]}.json").read_text())) if versions else None

    def _save(self, folder: Path, model: ProjectClassModel, fingerprint: str) -> None:
        files = {"objects": model.objects} if model.objects is not None else {}
        files.update({f"image-{index}": m for index, m in enumerate(model.images.values())})
        for part, fitted in files.items():
            temporary = folder / f"{model.version}-{part}.tmp"
            temporary.write_bytes(fitted.to_bytes())
            os.replace(temporary, folder / f"{model.version}-{part}.npz")
        meta = {"fingerprint": fingerprint, "image_classes": list(model.images), "multi_label": model.multi_label,
                "trained_objects": model.trained_objects, "trained_images": model.trained_images,
                "note": model.note}
        temporary = folder / f"{model.version}.json.tmp"
        temporary.write_text(json.dumps(meta))
        os.replace(temporary, folder / f"{model.version}.json")  # the version exists once its meta does
        self._loaded[str(folder)] = model

    def _load(self, folder: Path, version: int, meta: dict) -> ProjectClassModel:
        kept = self._loaded.get(str(folder))
        if kept is not None and kept.version == version:
            return kept
        objects_path = folder / f"{version}-objects.npz"
        model = ProjectClassModel(
            version, ClassModel.from_bytes(objects_path.read_bytes()) if objects_path.exists() else None,
            {name: ClassModel.from_bytes((folder / f"{version}-image-{index}.npz").read_bytes())
             for index, name in enumerate(meta["image_classes"])},
            meta["multi_label"], meta["trained_objects"], meta["trained_images"], meta["note"], meta["fingerprint"])
        self._loaded[str(folder)] = model
        return model


__all__ = ["ClassModelStore", "ClassPrediction", "LabelledSample", "ProjectClassModel",
           "check_object_class", "class_names", "fit_project_model", "measure", "predict"]
