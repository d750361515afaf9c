"""The selector's schema under Alembic migrations: every selector brings
its database to the newest revision when it starts, under a lock, in one
transaction, so an upgrade either completes or leaves the database as it
was. A database of release 0.1, which carries no revision, is adopted by the
first revision as it is (see ``migrations/versions/r0001_release_0_1.py``)."""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from labelassist.runtime.errors import ConflictError

MIGRATIONS = Path(__file__).parent / "migrations"
# pg_advisory_xact_lock key: selectors starting at once on one PostgreSQL upgrade one after the other.
MIGRATION_LOCK = 0x1A5E_0001
logger = logging.getLogger("labelassist.selector.migrate")
# Alembic narrates every start ("Context impl SQLiteImpl."); the upgrade's one line below says what matters.
logging.getLogger("alembic").setLevel(logging.WARNING)


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest schema revision this selector knows."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def schema_revision(connection: sa.Connection) -> str | None:
    """The database's schema revision; None for a database of release 0.1 or an empty one."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_schema(engine: sa.Engine) -> str:
    """Bring the database to the newest revision; the revision it is at.

    Raises
    ------
    ConflictError
        The database was written by a newer selector (a revision this one
        does not know): nothing is changed.
    """
    head = head_revision()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        before = schema_revision(connection)
        if before == head:
            return head
        known = {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}
        if before is not None and before not in known:
            raise ConflictError(f"the database is at schema revision {before!r}, newer than this selector knows "
                                f"(it knows up to {head!r}): run the release that wrote it, or restore a backup "
                                "made before the upgrade")
        try:
            command.upgrade(_config(connection), "head")
        except CommandError as error:
            raise ConflictError(f"the database schema could not be upgraded from {before!r}: {error}") from None
    logger.info("database schema upgraded from %s to %s", before or "release 0.1 (no revision)", head)
    return head
