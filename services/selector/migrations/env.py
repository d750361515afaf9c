"""Alembic's environment for the selector: migrations run on the connection
(and inside the transaction) that :func:`labelassist.selector.migrate.upgrade_schema`
opened, so they commit or roll back together, under its lock."""

from alembic import context

from labelassist.selector.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("the selector's migrations run through labelassist.selector.migrate, "
                       "which passes the connection")
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
