"""The class index: per sample, the classes its newest label version
carries, keyed by project, kind, class name and pool position, so that the
sample list filtered by class pages as fast as the whole pool; and the
samples per class, kept with it.

Revision ID: r0008
Revises: r0007
Create Date: 2026-12-07

Filled from the stored label classes. Whether a label has objects without
a class needs its mask, which the database does not hold: a sample whose
newest version carries no object class counts as unclassified (a label
with objects nearly always); one that carries some is indexed by the
classes it has, and found as unclassified from its next version on.
"""

import sqlalchemy as sa
from alembic import op

revision = "r0008"
down_revision = "r0007"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    index = op.create_table(
        "sample_classes",
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("sample_id", sa.Integer, sa.ForeignKey("samples.id"), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "kind", "name", "position"),
    )
    op.create_index("ix_sample_classes_sample_id", "sample_classes", ["sample_id"])
    op.create_table(
        "class_counts",
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("samples", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("project_id", "kind", "name"),
    )
    connection = op.get_bind()
    meta = sa.MetaData()
    samples = sa.Table("samples", meta, autoload_with=connection)
    labels = sa.Table("labels", meta, autoload_with=connection)
    label_classes = sa.Table("label_classes", meta, autoload_with=connection)
    newest = (sa.select(labels.c.sample_id, sa.func.max(labels.c.version).label("version"))
              .group_by(labels.c.sample_id).subquery())
    query = (sa.select(samples.c.id, samples.c.project_id, samples.c.position, label_classes.c.classes)
             .join(newest, newest.c.sample_id == samples.c.id)
             .outerjoin(label_classes, (label_classes.c.sample_id == newest.c.sample_id)
                        & (label_classes.c.version == newest.c.version)))
    rows = []
    for sample_id, project_id, position, classes in connection.execute(query):
        classes = classes or {}
        entries = {("object", n) for n in classes.get("objects", {}).values()}
        entries |= {("image", n) for n in classes.get("image", [])}
        if not classes.get("objects"):
            entries.add(("unclassified", ""))
        rows += [{"project_id": project_id, "kind": kind, "name": name, "position": position,
                  "sample_id": sample_id} for kind, name in entries]
        if len(rows) >= BATCH:
            connection.execute(index.insert(), rows)
            rows = []
    if rows:
        connection.execute(index.insert(), rows)
    connection.execute(sa.text("INSERT INTO class_counts (project_id, kind, name, samples) SELECT project_id, kind, "
                               "name, COUNT(*) FROM sample_classes GROUP BY project_id, kind, name"))


def downgrade() -> None:
    op.drop_table("class_counts")
    op.drop_index("ix_sample_classes_sample_id", table_name="sample_classes")
    op.drop_table("sample_classes")
