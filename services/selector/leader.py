"""Which selector replica runs a piece of background work: with several
replicas on one PostgreSQL, the one holding that work's session advisory
lock, which the database frees when that replica dies; on SQLite (one
process) always this one."""

from __future__ import annotations

import logging

import sqlalchemy as sa

logger = logging.getLogger("labelassist.leader")
# PostgreSQL's two-key advisory lock space, apart from the per-project locks: one second key per kind of work.
LOCK_SPACE = 0x6C61


class Leadership:
    """This replica's claim on the background work ``name`` (second key ``key``)."""

    def __init__(self, store, key: int, name: str):
        self.store, self.key, self.name = store, key, name
        self.connection = None

    def held(self) -> bool:
        """Whether this replica runs the work now: taken when free, kept
        while the session that took it lives."""
        if not self.store.is_postgres:
            return True
        if self.connection is not None:
            try:
                self.connection.execute(sa.text("SELECT 1"))
                self.connection.commit()
                return True
            except sa.exc.SQLAlchemyError:  # the session, and with it the lock, is gone
                self.connection.invalidate()
                self.connection = None
        connection = self.store.engine.connect()
        taken = connection.execute(sa.text("SELECT pg_try_advisory_lock(:a, :b)"),
                                   {"a": LOCK_SPACE, "b": self.key}).scalar()
        connection.commit()  # a session lock outlives the transaction
        if not taken:
            connection.close()
            return False
        self.connection = connection
        logger.info("this replica now runs the %s", self.name)
        return True


__all__ = ["Leadership", "LOCK_SPACE"]
