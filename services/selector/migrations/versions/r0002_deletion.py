"""Deleting and renaming: each project's history of such changes, and the
indexes that tell whether an image or label blob is still referred to.

Revision ID: r0002
Revises: r0001
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "r0002"
down_revision = "r0001"
branch_labels = None
depends_on = None

BLOB_INDEXES = (("samples_by_image_blob", "samples", "image_blob"),
                ("samples_by_prelabel_blob", "samples", "prelabel_blob"),
                ("labels_by_checksum", "labels", "checksum"))


def upgrade() -> None:
    op.create_table(
        "project_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, nullable=False),
        sa.Column("project", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("project_events_by_project", "project_events", ["project_id", "id"])
    for name, table, column in BLOB_INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _ in BLOB_INDEXES:
        op.drop_index(name, table_name=table)
    op.drop_index("project_events_by_project", table_name="project_events")
    op.drop_table("project_events")
