"""Answers to inspection findings: a finding someone marked "not an error",
until a reviewer takes the answer back.

Revision ID: r0003
Revises: r0002
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "r0003"
down_revision = "r0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "finding_answers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("sample_id", sa.Integer, nullable=False),
        sa.Column("criterion", sa.String(100), nullable=False),
        sa.Column("measured", sa.Float, nullable=False),
        sa.Column("bound", sa.Float, nullable=False),
        sa.Column("object_ids", sa.String(2000), nullable=False),
        sa.Column("annotator", sa.String(200), nullable=False),
        sa.Column("answered_at", sa.Float, nullable=False),
        sa.Column("undone_by", sa.String(200), nullable=False),
        sa.Column("undone_at", sa.Float, nullable=False),
    )
    op.create_index("ix_finding_answers_project_id", "finding_answers", ["project_id"])


def downgrade() -> None:
    op.drop_index("ix_finding_answers_project_id", table_name="finding_answers")
    op.drop_table("finding_answers")
