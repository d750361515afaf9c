"""The selector's calls on classes: a project's class schema, and the
classes a submitted or imported label carries. Decode, check the caller's
role, call :mod:`class_schema` and :mod:`class_records`, encode."""

from __future__ import annotations

import logging
import time

from labelassist.proto.v1 import selector_pb2 as pb
from labelassist.proto.wire.classes import schema_from_proto
from labelassist.runtime.auth import require
from labelassist.selector import class_index, class_records, class_stamps
from labelassist.selector.class_schema import Classes, check_change, check_label_classes, check_schema
from labelassist.selector.schema import PROJECT_SETTINGS, project_events
from labelassist.selector.server_admin import actor
from labelassist.selector.store import LISTED_COLUMNS, Project, SampleRow, Store

logger = logging.getLogger("labelassist.selector.classes")


class ClassCalls:
    """SetClassSchema, and the checked classes of labels, for the servicer;
    ``project_message`` encodes a project."""

    def __init__(self, store: Store, project_message):
        self.store, self.project_message = store, project_message

    def set_schema(self, request: pb.SetClassSchemaRequest) -> pb.SetClassSchemaResponse:
        """Replace the schema (admins); classes in use by stored labels go
        only through ``migrate``, which rewrites them in the same transaction."""
        require("configure", request.project)
        project = self.store.project(request.project)
        schema = check_schema(schema_from_proto(request.classes))
        migrate = dict(request.migrate)
        table = PROJECT_SETTINGS["classes"]
        with self.store.engine.begin() as connection:
            self.store.lock_project(connection, project.id)
            old = self.store.settings(project, "classes")
            check_change(old, schema, class_records.in_use(connection, project.id), migrate)
            migrated = class_records.migrate(connection, project.id, migrate) if migrate else 0
            connection.execute(table.delete().where(table.c.project_id == project.id))
            if schema:
                connection.execute(table.insert().values(project_id=project.id, settings=schema))
            class_stamps.moved(connection, project.id, schema=True)
            connection.execute(project_events.insert().values(
                project_id=project.id, project=project.name, action="set_classes", actor=actor(),
                detail={"migrate": migrate, "migrated": migrated}, created_at=time.time()))
        logger.info("class schema of %r set by %s (%d label versions migrated)", project.name, actor(), migrated)
        return pb.SetClassSchemaResponse(project=self.project_message(self.store.project(project.name)),
                                         migrated=migrated)

    def label_classes(self, project: Project, message: pb.LabelClasses, mask) -> Classes:
        """The stored form of a label's classes, checked against the
        project's schema and the mask (``ValueError`` naming what is wrong)."""
        if not message.objects and not message.image:
            return {}
        return check_label_classes(self.store.settings(project, "classes"), dict(message.objects),
                                   list(message.image), mask)

    def entry_classes(self, project: Project, entry: dict) -> Classes:
        """An imported sample's classes (AddSample(s)): only with a label."""
        message = entry.pop("classes_sent", None)
        if message is None or not (message.objects or message.image):
            return {}
        if entry.get("label") is None:
            raise ValueError(f"sample {entry.get('stem')!r} has classes but no 'label' to carry them")
        return self.label_classes(project, message, entry["label"])

    def samples_page(self, project: Project, wanted: pb.SampleClassFilter, after: int, size: int
                     ) -> tuple[list[SampleRow], int | None]:
        """ListSamples with a class filter: up to ``size`` samples whose
        newest label carries the class, after pool position ``after``, and
        the position to continue from (None at the end)."""
        kind, name = class_index.check_filter(self.store.settings(project, "classes"), wanted.object_class,
                                              wanted.image_class, wanted.unclassified_objects)
        with self.store.reader.connect() as connection:
            rows = class_index.page(connection, LISTED_COLUMNS, project.id, kind, name, after, size)
        found = [SampleRow(**r._mapping, features=None) for r in rows[:size]]
        return found, found[-1].position if len(rows) > size else None

    def schema_stamps(self, project_ids) -> dict[int, int]:
        """Project id -> its class schema stamp, for the SampleInfo of a page of samples."""
        if not project_ids:
            return {}
        with self.store.reader.connect() as connection:
            return class_stamps.schema_stamps(connection, project_ids)

    def counts(self, project: Project) -> list[pb.ClassCount]:
        """Progress: samples per class of the project's newest label versions."""
        with self.store.reader.connect() as connection:
            return [pb.ClassCount(kind=kind, name=name, samples=count)
                    for kind, name, count in class_index.counts(connection, project.id)]
