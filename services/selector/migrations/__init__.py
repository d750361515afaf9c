"""The selector's schema history as Alembic revisions, run by
:func:`labelassist.selector.migrate.upgrade_schema` when a selector starts."""
