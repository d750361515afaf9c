"""Opening the selector's database: SQLite (embedded, WAL, one writer at a
time without busy-waiting) or PostgreSQL, by URL, with its schema brought to
the newest revision (:mod:`migrate`); bulk inserts (COPY on PostgreSQL); and
the driver's own words when a call fails."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from sqlalchemy import event

from labelassist.selector.migrate import upgrade_schema


def database_cause(error: BaseException) -> str:
    """The driver's first line on why a database call failed, without the SQL."""
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    return lines[0][:200] if lines else type(error).__name__


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # Let SQLAlchemy, not pysqlite, decide when transactions begin (the
    # documented recipe), so BEGIN IMMEDIATE below takes the write lock.
    dbapi_connection.isolation_level = None


def _sqlite_begin_deferred(connection) -> None:
    connection.exec_driver_sql("BEGIN")


def _queue_sqlite_writers(engine: sa.Engine) -> None:
    """Writers of this process wait their turn on a lock, then take SQLite's
    write lock when they begin (BEGIN IMMEDIATE), so two lease decisions
    never interleave and no writer sleeps in SQLite's busy handler (which
    backs off in steps of up to 100 ms: the tail latency under 8 annotators)."""
    turn = threading.Lock()

    def begin(connection) -> None:
        if not connection.info.get("holds_turn"):
            turn.acquire()
            connection.info["holds_turn"] = True
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    def end(_dbapi_connection, record, *_unused) -> None:
        # On return to the pool: after the commit (and its fsync) has finished.
        if record is not None and record.info.pop("holds_turn", False):
            turn.release()

    event.listen(engine, "begin", begin)
    event.listen(engine.pool, "checkin", end)
    event.listen(engine.pool, "invalidate", end)


def insert_rows(connection, table: sa.Table, rows: list[dict]) -> None:
    """Insert many rows in the caller's transaction: through COPY on
    PostgreSQL (psycopg 3), one stream with no statement per row; elsewhere
    as one executemany. Every row has the same keys."""
    if not rows:
        return
    if connection.dialect.name != "postgresql" or connection.dialect.driver != "psycopg":
        connection.execute(table.insert(), rows)
        return
    names = list(rows[0])
    columns = ", ".join(connection.dialect.identifier_preparer.quote(name) for name in names)
    with connection.connection.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] for name in names])


def create_engine(url: str, for_writes: bool = True, durable: bool = True) -> sa.Engine:
    """An engine; on SQLite, writers take the write lock when they begin
    (BEGIN IMMEDIATE) so two lease decisions never interleave, while readers
    begin deferred and, in WAL mode, never wait for a writer. On PostgreSQL,
    without ``durable`` a commit does not wait for the log flush (what it
    wrote may be lost in a crash, never half-written)."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        if for_writes:
            _queue_sqlite_writers(engine)
        else:
            event.listen(engine, "begin", _sqlite_begin_deferred)
    else:
        # No ping per checkout (a round trip on every call): a connection the
        # server dropped fails its statement, the pool is invalidated, and
        # the caller gets UNAVAILABLE, which clients retry.
        connect_args = {"connect_timeout": 5} if "psycopg" in url else {}
        if not durable:
            connect_args["options"] = "-c synchronous_commit=off"
        engine = sa.create_engine(url, pool_size=10, max_overflow=20, pool_recycle=1800, connect_args=connect_args)
    if for_writes:
        upgrade_schema(engine)
    return engine
