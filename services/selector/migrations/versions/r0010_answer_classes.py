"""Answers to findings keep the object class whose own bounds judged the
finding, so false alarms move that class's bound (inspect.class_bounds).

Revision ID: r0010
Revises: r0009
Create Date: 2026-12-07

Answers given before carry none: they were about the project-wide bounds
or are counted with them.
"""

import sqlalchemy as sa
from alembic import op

revision = "r0010"
down_revision = "r0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("finding_answers") as batch:
        batch.add_column(sa.Column("object_class", sa.String(100), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("finding_answers") as batch:
        batch.drop_column("object_class")
