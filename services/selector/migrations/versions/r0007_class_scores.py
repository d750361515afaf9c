"""Class scores: per unlabelled sample and class model version, the class
uncertainty summary the classification strategies rank by, and per project
the class model version the class scorer scores with.

Revision ID: r0007
Revises: r0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "r0007"
down_revision = "r0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "class_scores",
        sa.Column("sample_id", sa.Integer, sa.ForeignKey("samples.id"), nullable=False),
        sa.Column("model_version", sa.Integer, nullable=False),
        sa.Column("values", sa.LargeBinary, nullable=False),
        sa.Column("expected", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("sample_id", "model_version"),
    )
    op.create_index("class_scores_by_version", "class_scores", ["model_version", "sample_id"])
    op.create_table(
        "class_scoring",
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), primary_key=True),
        sa.Column("model_version", sa.Integer, nullable=False),
        sa.Column("classes", sa.JSON, nullable=False),
        sa.Column("labels_key", sa.String(200), nullable=False),
        sa.Column("scored", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("class_scoring")
    op.drop_index("class_scores_by_version", table_name="class_scores")
    op.drop_table("class_scores")
