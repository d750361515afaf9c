"""The selector's tables: projects, samples, leases, skips, label versions,
inspection settings, model scores and each project's history. The arrays
themselves live in the blob folder, not in rows.

This is the schema of the newest revision in ``migrations/versions``; a
change here comes with a revision that makes it (tests/test_migrations.py
holds the two equal)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
projects = sa.Table(
    "projects", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("lease_seconds", sa.Float, nullable=False),
    sa.Column("strategy", sa.String(100), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    # Change stamps (selector.class_stamps): what a class model is trained
    # on (labels, reviews, class schema) and the class schema alone.
    sa.Column("class_stamp", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("schema_stamp", sa.BigInteger, nullable=False, server_default="0"),
)
samples = sa.Table(
    "samples", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("stem", sa.String(500), nullable=False),
    sa.Column("sequence", sa.String(200)),
    sa.Column("image_blob", sa.String(64), nullable=False),
    sa.Column("prelabel_blob", sa.String(64)),
    # Image features (float32) for diversity before any model exists; small, so in the row.
    sa.Column("features", sa.LargeBinary),
    sa.Column("labeled", sa.Boolean, nullable=False, default=False),
    # How many more annotators are wanted: 1 for a sample nobody labelled, k
    # for one the project's overlap settings double-label, 0 once enough did.
    sa.Column("needed", sa.Integer, nullable=False, server_default="1"),
    # Where the sample lies in its source file (JSON: file, axes, shape, t, z,
    # y, x, height, width, channel), for labels written back in its layout.
    sa.Column("origin", sa.Text),
    sa.UniqueConstraint("project_id", "stem"),
    sa.Index("samples_by_position", "project_id", "position"),
    # Whether a blob is still referred to, once a sample or project is deleted.
    sa.Index("samples_by_image_blob", "image_blob"),
    sa.Index("samples_by_prelabel_blob", "prelabel_blob"),
)
leases = sa.Table(
    "leases", metadata,
    # One row per leased sample and annotator: the key makes leasing one sample twice to one annotator
    # impossible; how many annotators may hold a sample at once is the sample's ``needed``.
    sa.Column("sample_id", sa.ForeignKey("samples.id"), primary_key=True),
    sa.Column("project_id", sa.ForeignKey("projects.id"), nullable=False, index=True),
    sa.Column("annotator", sa.String(200), primary_key=True),
    sa.Column("expires_at", sa.Float, nullable=False),
)
labels = sa.Table(
    "labels", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sample_id", sa.ForeignKey("samples.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("annotator", sa.String(200), nullable=False),
    sa.Column("origin", sa.String(40), nullable=False),
    sa.Column("checksum", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("sample_id", "version"),
    sa.Index("labels_by_checksum", "checksum"),
)

label_sources = sa.Table(
    "label_sources", metadata,
    # The label versions a consensus (or an adjudicated pick) was made from, with each one's weight.
    sa.Column("sample_id", sa.ForeignKey("samples.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("source_version", sa.Integer, primary_key=True),
    sa.Column("weight", sa.Float, nullable=False),
)
gold_labels = sa.Table(
    "gold_labels", metadata,
    # A sample's reference label, kept apart from its versions so that no annotator is ever sent it.
    sa.Column("sample_id", sa.ForeignKey("samples.id"), primary_key=True),
    sa.Column("project_id", sa.ForeignKey("projects.id"), nullable=False, index=True),
    sa.Column("checksum", sa.String(64), nullable=False, index=True),
    sa.Column("created_at", sa.Float, nullable=False),
)


project_counts = sa.Table(
    "project_counts", metadata,
    # Kept in the transactions that add samples and labels, so progress and
    # the ranked queues' freshness are one row read, not a scan of the pool.
    sa.Column("project_id", sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("labeled", sa.Integer, nullable=False),
)


reviews = sa.Table(
    "reviews", metadata,
    # A reviewer's verdict on one label version: "accepted" or "rejected", with a comment.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sample_id", sa.ForeignKey("samples.id"), nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("reviewer", sa.String(200), nullable=False),
    sa.Column("verdict", sa.String(10), nullable=False),
    sa.Column("comment", sa.String(1000), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)
finding_answers = sa.Table(
    "finding_answers", metadata,
    # What became of an inspection finding ("not an error", corrected, kept), until a reviewer takes it back.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.ForeignKey("projects.id"), nullable=False, index=True),
    sa.Column("sample_id", sa.Integer, nullable=False),  # 0: a label not stored
    sa.Column("criterion", sa.String(100), nullable=False),
    sa.Column("measured", sa.Float, nullable=False),
    sa.Column("bound", sa.Float, nullable=False),
    sa.Column("object_ids", sa.String(2000), nullable=False),  # comma-separated
    sa.Column("annotator", sa.String(200), nullable=False),
    sa.Column("answered_at", sa.Float, nullable=False),
    sa.Column("undone_by", sa.String(200), nullable=False),
    sa.Column("undone_at", sa.Float, nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False, server_default="not_an_error"),
    sa.Column("label_version", sa.Integer, nullable=False, server_default="0"),  # 0: no label submitted with it
    # The object class whose own bounds judged the finding ("": the project-wide bounds).
    sa.Column("object_class", sa.String(100), nullable=False, server_default=""),
)
skips = sa.Table(
    "skips", metadata,
    # An annotator passed on a sample (with why): offered to them again only
    # when nothing else is left.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sample_id", sa.ForeignKey("samples.id"), nullable=False, index=True),
    sa.Column("annotator", sa.String(200), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)


project_inspection = sa.Table(
    "project_inspection", metadata,
    # {"criteria": [[name, {parameter: value}], ...], "disabled": [name, ...]}
    sa.Column("project_id", sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("settings", sa.JSON, nullable=False),
)
project_assist = sa.Table(
    "project_assist", metadata,
    # {"preprocess": [[name, {parameter: value}], ...], "method": [name, {...}] | null, "postprocess": [...]}
    sa.Column("project_id", sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("settings", sa.JSON, nullable=False),
)
project_trainings = sa.Table(
    "project_trainings", metadata,
    # {"runs": [{"model", "version", "labels", "validation_dice", "recorded_at"}, ...]}: the models
    # trained on the project's labels, the points of its learning curve.
    sa.Column("project_id", sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("settings", sa.JSON, nullable=False),
)
project_evidence = sa.Table(
    "project_evidence", metadata,
    # {"sources": {source: {"dice": [...], "matched": [...], "updated_at"}}}: each pre-label source
    # measured against the latest submitted labels (selector.prelabel_evidence).
    sa.Column("project_id", sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("settings", sa.JSON, nullable=False),
)
project_overlap = sa.Table(
    "project_overlap", metadata,
    # {"annotators": k, "share": fraction of samples labelled by k annotators}: see selector.overlap.
    sa.Column("project_id", sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("settings", sa.JSON, nullable=False),
)
project_classes = sa.Table(
    "project_classes", metadata,
    # {"object": [{"name", "colour", "key"}, ...], "image": [...], "multi_label": bool}: selector.class_schema.
    sa.Column("project_id", sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("settings", sa.JSON, nullable=False),
)
# A project's settings (and records) of each kind, one table each.
PROJECT_SETTINGS = {"inspection": project_inspection, "assist": project_assist, "trainings": project_trainings,
                    "evidence": project_evidence, "overlap": project_overlap, "classes": project_classes}
label_classes = sa.Table(
    "label_classes", metadata,
    # The classes one label version carries: {"objects": {"<id>": name}, "image": [name, ...]}.
    sa.Column("sample_id", sa.ForeignKey("samples.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("classes", sa.JSON, nullable=False),
)

sample_classes = sa.Table(
    "sample_classes", metadata,
    # The class index: one row per class the newest label version of a sample
    # carries (kind "object" or "image"; "unclassified" with name "" for
    # objects without a class), with the sample's pool position so that a
    # filtered listing is one range scan of the key in pool order.
    sa.Column("project_id", sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("sample_id", sa.ForeignKey("samples.id"), nullable=False, index=True),
)
class_counts = sa.Table(
    "class_counts", metadata,
    # Samples per (kind, name) of the class index, kept with it: Progress reads a row per class.
    sa.Column("project_id", sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("samples", sa.Integer, nullable=False),
)


annotator_counts = sa.Table(
    "annotator_counts", metadata,
    # Samples each annotator has labelled in a project, kept with project_counts.
    sa.Column("project_id", sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("annotator", sa.String(200), primary_key=True),
    sa.Column("labeled", sa.Integer, nullable=False),
)


scores = sa.Table(
    "scores", metadata,
    # One row per sample and model version: recomputed when a version is published.
    sa.Column("sample_id", sa.ForeignKey("samples.id"), primary_key=True),
    sa.Column("model_version", sa.Integer, primary_key=True),
    sa.Column("values", sa.LargeBinary, nullable=False),  # float32, scoring.SCORE_NAMES order
    sa.Column("embedding", sa.LargeBinary, nullable=False),  # float32
    sa.Index("scores_by_version", "model_version", "sample_id"),
)
scored_counts = sa.Table(
    "scored_counts", metadata,
    # Samples of a project scored by a model version, kept as scores are saved.
    sa.Column("project_id", sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("model_version", sa.Integer, primary_key=True),
    sa.Column("scored", sa.Integer, nullable=False),
)


class_scores = sa.Table(
    "class_scores", metadata,
    # One row per unlabelled sample and class model version (assist's
    # "classes@N"): the class uncertainty summary the classification strategies rank by.
    sa.Column("sample_id", sa.ForeignKey("samples.id"), primary_key=True),
    sa.Column("model_version", sa.Integer, primary_key=True),
    sa.Column("values", sa.LargeBinary, nullable=False),  # float32, class_uncertainty.SCORE_NAMES order
    sa.Column("expected", sa.LargeBinary, nullable=False),  # float32, objects of each class expected
    sa.Index("class_scores_by_version", "model_version", "sample_id"),
)
class_scoring = sa.Table(
    "class_scoring", metadata,
    # Per project, the class model version the class scorer scores with, the
    # classes its summaries are over, the labels it was found for, and how many samples it scored.
    sa.Column("project_id", sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("model_version", sa.Integer, nullable=False),
    sa.Column("classes", sa.JSON, nullable=False),  # {"kind": "object" | "image", "names": [...]}
    sa.Column("labels_key", sa.String(200), nullable=False),
    sa.Column("scored", sa.Integer, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
)


ranked = sa.Table(
    "ranked", metadata,
    # The head of each ranked queue: a strategy's best samples of a project,
    # computed off the request path; a lease takes the first available entry.
    sa.Column("project_id", sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("ranking", sa.String(300), primary_key=True),
    sa.Column("rank", sa.Integer, primary_key=True),
    sa.Column("sample_id", sa.ForeignKey("samples.id"), nullable=False, index=True),
)
rankings = sa.Table(
    "rankings", metadata,
    # What each queue head was built from, to tell when it is stale.
    sa.Column("project_id", sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("ranking", sa.String(300), primary_key=True),
    sa.Column("total", sa.Integer, nullable=False),
    # The model it was ranked with: the U-Net's, or the class model's for a classification strategy.
    sa.Column("model_version", sa.Integer, nullable=False),
    sa.Column("scored", sa.Integer, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("complete", sa.Boolean, nullable=False),  # the head holds the whole pool
    sa.Column("built_at", sa.Float, nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
)


project_events = sa.Table(
    "project_events", metadata,
    # What was done to a project and by whom (renamed, samples deleted, the
    # project deleted): no foreign key, so the history outlives the project.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.Integer, nullable=False),
    sa.Column("project", sa.String(200), nullable=False),  # its name at the time
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("project_events_by_project", "project_id", "id"),
)
