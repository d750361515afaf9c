"""Classes: each project's class schema, and the classes each label
version carries (a class per object id, the image's classes).

Revision ID: r0006
Revises: r0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "r0006"
down_revision = "r0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_classes",
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), primary_key=True),
        sa.Column("settings", sa.JSON, nullable=False),
    )
    op.create_table(
        "label_classes",
        sa.Column("sample_id", sa.Integer, sa.ForeignKey("samples.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("classes", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("sample_id", "version"),
    )


def downgrade() -> None:
    op.drop_table("label_classes")
    op.drop_table("project_classes")
