"""What became of an inspection finding: answered "not an error" (every
answer so far), corrected before submit, or kept at submit, with the label
version submitted.

Revision ID: r0004
Revises: r0003
Create Date: 2026-12-09
"""

import sqlalchemy as sa
from alembic import op

revision = "r0004"
down_revision = "r0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("finding_answers") as batch:
        batch.add_column(sa.Column("outcome", sa.String(20), nullable=False, server_default="not_an_error"))
        batch.add_column(sa.Column("label_version", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("finding_answers") as batch:
        batch.drop_column("label_version")
        batch.drop_column("outcome")
