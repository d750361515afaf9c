"""Several annotators per sample: how many more each sample wants, leases
keyed by sample and annotator, reference (gold) labels kept apart from the
versions, the label versions a consensus was made from, and each project's
overlap settings.

Revision ID: r0005
Revises: r0004
Create Date: 2026-12-12
"""

import sqlalchemy as sa
from alembic import op

revision = "r0005"
down_revision = "r0004"
branch_labels = None
depends_on = None


def _leases_table(name: str, key: list[str]) -> None:
    op.create_table(
        name,
        sa.Column("sample_id", sa.Integer, sa.ForeignKey("samples.id"), nullable=False),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("annotator", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint(*key),
    )


def _rekey_leases(key: list[str]) -> None:
    """The lease table again with another primary key (SQLite cannot alter one in place)."""
    _leases_table("leases_rekeyed", key)
    op.execute("INSERT INTO leases_rekeyed (sample_id, project_id, annotator, expires_at) "
               "SELECT sample_id, project_id, annotator, expires_at FROM leases")
    op.drop_index("ix_leases_project_id", table_name="leases")
    op.drop_table("leases")
    op.rename_table("leases_rekeyed", "leases")
    op.create_index("ix_leases_project_id", "leases", ["project_id"])


def upgrade() -> None:
    op.add_column("samples", sa.Column("needed", sa.Integer, nullable=False, server_default="1"))
    op.execute(sa.text("UPDATE samples SET needed = 0 WHERE labeled"))
    _rekey_leases(["sample_id", "annotator"])
    op.create_table(
        "label_sources",
        sa.Column("sample_id", sa.Integer, sa.ForeignKey("samples.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("source_version", sa.Integer, nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("sample_id", "version", "source_version"),
    )
    op.create_table(
        "gold_labels",
        sa.Column("sample_id", sa.Integer, sa.ForeignKey("samples.id"), primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_gold_labels_project_id", "gold_labels", ["project_id"])
    op.create_index("ix_gold_labels_checksum", "gold_labels", ["checksum"])
    op.create_table(
        "project_overlap",
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), primary_key=True),
        sa.Column("settings", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("project_overlap")
    op.drop_index("ix_gold_labels_checksum", table_name="gold_labels")
    op.drop_index("ix_gold_labels_project_id", table_name="gold_labels")
    op.drop_table("gold_labels")
    op.drop_table("label_sources")
    op.execute("DELETE FROM leases WHERE rowid NOT IN (SELECT MIN(rowid) FROM leases GROUP BY sample_id)"
               if op.get_bind().dialect.name == "sqlite" else
               "DELETE FROM leases a USING leases b WHERE a.sample_id = b.sample_id AND a.annotator > b.annotator")
    _rekey_leases(["sample_id"])
    with op.batch_alter_table("samples") as batch:
        batch.drop_column("needed")
