"""Class change stamps: per project, a stamp that moves whenever what its
class model is trained on changes (a label version, a review, the class
schema, a labelled sample deleted) and one that moves with the class schema
alone, so assist and the clients check in O(1) whether what they keep is
current.

Revision ID: r0009
Revises: r0008
Create Date: 2026-12-07

Existing projects start at the time of the upgrade, so a class model kept
from before it is trained again once.
"""

import time

import sqlalchemy as sa
from alembic import op

revision = "r0009"
down_revision = "r0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("class_stamp", sa.BigInteger, nullable=False, server_default="0"))
        batch.add_column(sa.Column("schema_stamp", sa.BigInteger, nullable=False, server_default="0"))
    now = int(time.time() * 1e6)
    op.execute(sa.text("UPDATE projects SET class_stamp = :now, schema_stamp = :now").bindparams(now=now))


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("schema_stamp")
        batch.drop_column("class_stamp")
