"""The classes stored with label versions: read and written inside the
store's transactions, listed for a project's schema changes, and renamed
when a schema change migrates them."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from labelassist.selector import class_index
from labelassist.selector.class_schema import Classes, migrated, names_in
from labelassist.selector.schema import label_classes, samples


def read(connection, sample_id: int, version: int) -> Classes:
    return connection.execute(sa.select(label_classes.c.classes).where(
        (label_classes.c.sample_id == sample_id) & (label_classes.c.version == version))).scalar() or {}


def write(connection, sample_id: int, version: int, classes: Classes | None, unclassified: bool) -> None:
    """Store the classes of the sample's new newest version, and index them
    (``unclassified``: its mask has objects they give no class)."""
    if classes:
        connection.execute(label_classes.insert().values(sample_id=sample_id, version=version, classes=classes))
    class_index.index(connection, sample_id, classes, unclassified)


def by_version(connection, sample_id: int) -> dict[int, Classes]:
    return {row.version: row.classes for row in connection.execute(
        sa.select(label_classes.c.version, label_classes.c.classes).where(label_classes.c.sample_id == sample_id))}


def _project_rows(connection, project_id: int):
    in_project = sa.select(samples.c.id).where(samples.c.project_id == project_id)
    return connection.execute(sa.select(label_classes).where(label_classes.c.sample_id.in_(in_project))).all()


def in_use(connection, project_id: int) -> set[tuple[str, str]]:
    """(kind, name) of every class a stored label version of the project uses."""
    used: set[tuple[str, str]] = set()
    for row in _project_rows(connection, project_id):
        used |= names_in(row.classes)
    return used


def migrate(connection, project_id: int, mapping: Mapping[str, str]) -> int:
    """Rename classes in every stored label version of the project; how many changed."""
    changed = 0
    for row in _project_rows(connection, project_id):
        renamed = migrated(row.classes, mapping)
        if renamed != row.classes:
            connection.execute(label_classes.update().where(
                (label_classes.c.sample_id == row.sample_id) & (label_classes.c.version == row.version))
                .values(classes=renamed))
            changed += 1
    if changed:
        class_index.reindex_names(connection, project_id)
    return changed
