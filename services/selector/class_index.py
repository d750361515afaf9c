"""The class index (table ``sample_classes``): per sample, the classes its
newest label version carries, kept in the transaction that stores the
version, so that listing the samples of one class is one range scan in pool
order however large the project; and the samples per class (table
``class_counts``), kept with it, so that counting them is a row per class.

Kinds: "object" (an object of the class), "image" (the image class) and
"unclassified" (name "": objects without a class)."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

from labelassist.selector.class_schema import Classes, Schema, class_names
from labelassist.selector.database import insert_rows
from labelassist.selector.schema import class_counts, label_classes, labels, sample_classes, samples

UNCLASSIFIED = ("unclassified", "")


def has_unclassified(mask: np.ndarray | None, classes: Classes | None) -> bool:
    """Whether ``mask`` has an object that ``classes`` gives no class."""
    if mask is None:
        return False
    named = (classes or {}).get("objects", {})
    if not named:
        return bool(np.any(mask))
    present = np.unique(mask)
    return bool(np.setdiff1d(present[present != 0], np.fromiter(map(int, named), dtype=np.int64)).size)


def entries(classes: Classes | None, unclassified: bool) -> set[tuple[str, str]]:
    """(kind, name) rows of a label version's classes."""
    classes = classes or {}
    found = {("object", n) for n in classes.get("objects", {}).values()} | {("image", n)
                                                                           for n in classes.get("image", [])}
    return found | {UNCLASSIFIED} if unclassified else found


def index(connection, sample_id: int, classes: Classes | None, unclassified: bool) -> None:
    """Make the sample's rows those of its newest version, and the counts
    follow (inside the caller's transaction, which holds the project's lock)."""
    old = set(map(tuple, connection.execute(sa.select(sample_classes.c.kind, sample_classes.c.name)
                                            .where(sample_classes.c.sample_id == sample_id))))
    found = entries(classes, unclassified)
    if old == found:
        return
    project_id, position = connection.execute(sa.select(samples.c.project_id, samples.c.position)
                                              .where(samples.c.id == sample_id)).one()
    if old:
        connection.execute(sample_classes.delete().where(sample_classes.c.sample_id == sample_id))
    if found:
        insert_rows(connection, sample_classes, [
            {"project_id": project_id, "kind": kind, "name": name, "position": position, "sample_id": sample_id}
            for kind, name in found])
    for (kind, name), change in [(entry, -1) for entry in old - found] + [(entry, 1) for entry in found - old]:
        key = (class_counts.c.project_id == project_id) & (class_counts.c.kind == kind) & (class_counts.c.name == name)
        if not connection.execute(class_counts.update().where(key)
                                  .values(samples=class_counts.c.samples + change)).rowcount:
            connection.execute(class_counts.insert().values(project_id=project_id, kind=kind, name=name,
                                                            samples=change))


def recount(connection, project_id: int) -> None:
    """The project's counts computed again from its index (after a rename or a deletion)."""
    connection.execute(class_counts.delete().where(class_counts.c.project_id == project_id))
    connection.execute(class_counts.insert().from_select(
        ["project_id", "kind", "name", "samples"],
        sa.select(sample_classes.c.project_id, sample_classes.c.kind, sample_classes.c.name, sa.func.count())
        .where(sample_classes.c.project_id == project_id)
        .group_by(sample_classes.c.project_id, sample_classes.c.kind, sample_classes.c.name)))


def reindex_names(connection, project_id: int) -> None:
    """The project's object and image rows rebuilt from its newest versions'
    classes, after a schema change renamed classes (unclassified rows stay)."""
    connection.execute(sample_classes.delete().where(
        (sample_classes.c.project_id == project_id) & (sample_classes.c.kind != UNCLASSIFIED[0])))
    newest = (sa.select(labels.c.sample_id, sa.func.max(labels.c.version).label("version"))
              .join(samples, samples.c.id == labels.c.sample_id).where(samples.c.project_id == project_id)
              .group_by(labels.c.sample_id).subquery())
    rows = connection.execute(sa.select(samples.c.id, samples.c.position, label_classes.c.classes)
                              .join(newest, newest.c.sample_id == samples.c.id)
                              .join(label_classes, (label_classes.c.sample_id == newest.c.sample_id)
                                    & (label_classes.c.version == newest.c.version))).all()
    inserted = [{"project_id": project_id, "kind": kind, "name": name, "position": position, "sample_id": sample_id}
                for sample_id, position, classes in rows for kind, name in entries(classes, False)]
    insert_rows(connection, sample_classes, inserted)
    recount(connection, project_id)


def check_filter(schema: Schema, object_class: str, image_class: str, unclassified: bool) -> tuple[str, str]:
    """The (kind, name) a class filter asks for; ``ValueError`` naming the
    project's classes for an unknown name, and for more than one filter."""
    asked = [f for f, on in (("object_class", object_class), ("image_class", image_class),
                             ("unclassified_objects", unclassified)) if on]
    if len(asked) != 1:
        raise ValueError(f"a class filter takes one of 'object_class', 'image_class', 'unclassified_objects'; "
                         f"got {', '.join(asked) or 'none'}")
    if unclassified:
        if not class_names(schema, "object"):
            raise ValueError("'unclassified_objects': the project has no object classes; set them with "
                             "`labelassist classes PROJECT --object NAME,NAME`")
        return UNCLASSIFIED
    kind, name = ("object", object_class) if object_class else ("image", image_class)
    if name not in class_names(schema, kind):
        raise ValueError(f"no {kind} class {name[:100]!r} in the project; its {kind} classes: "
                         f"{', '.join(class_names(schema, kind)) or 'none'}")
    return kind, name


def page(connection, columns, project_id: int, kind: str, name: str, after: int, limit: int) -> list:
    """``columns`` of up to ``limit + 1`` samples of the class after pool
    position ``after``, in pool order: a range scan of the index's key."""
    return connection.execute(sa.select(*columns).join(sample_classes, sample_classes.c.sample_id == samples.c.id)
                              .where((sample_classes.c.project_id == project_id) & (sample_classes.c.kind == kind)
                                     & (sample_classes.c.name == name) & (sample_classes.c.position > after))
                              .order_by(sample_classes.c.position).limit(limit + 1)).all()


def counts(connection, project_id: int) -> list[tuple[str, str, int]]:
    """(kind, name, samples) of every class the project's newest versions carry."""
    return [(kind, name, int(count)) for kind, name, count in connection.execute(
        sa.select(class_counts.c.kind, class_counts.c.name, class_counts.c.samples)
        .where((class_counts.c.project_id == project_id) & (class_counts.c.samples > 0))
        .order_by(class_counts.c.kind, class_counts.c.name))]
