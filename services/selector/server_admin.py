"""The selector's project administration calls: deleting projects and
samples, renaming projects. Decode, check the caller is the project's
admin, call :mod:`deletion`, log, encode."""

from __future__ import annotations

import logging

from labelassist.proto.v1 import selector_pb2 as pb
from labelassist.runtime import logs
from labelassist.runtime.auth import caller, require
from labelassist.selector.deletion import delete_project, delete_samples, rename_project
from labelassist.selector.store import Store

logger = logging.getLogger("labelassist.selector.admin")


def actor() -> str:
    """Who the history names: the caller's identity, or "local" where the services run without auth."""
    identity = caller()
    return identity.name if identity is not None else "local"


class ProjectAdmin:
    """Deleting and renaming, for the servicer; ``project_message`` encodes a project."""

    def __init__(self, store: Store, project_message):
        self.store, self.project_message = store, project_message

    def delete_project(self, request: pb.DeleteProjectRequest) -> pb.DeleteProjectResponse:
        require("delete", request.project)
        removed = delete_project(self.store, self.store.project(request.project), actor())
        logs.log_fields(logger, logging.INFO, "project deleted", project=request.project, by=actor(),
                        samples=removed.samples, labels=removed.labels, blobs_removed=removed.blobs)
        return pb.DeleteProjectResponse(samples=removed.samples, labels=removed.labels, blobs_removed=removed.blobs)

    def rename_project(self, request: pb.RenameProjectRequest) -> pb.RenameProjectResponse:
        require("rename", request.project)
        require("rename", request.new_name)  # or the name would hand the project to whoever has roles under it
        renamed = rename_project(self.store, self.store.project(request.project), request.new_name, actor())
        logs.log_fields(logger, logging.INFO, "project renamed", project=request.project, to=renamed.name,
                        by=actor())
        return pb.RenameProjectResponse(project=self.project_message(renamed))

    def delete_sample(self, request: pb.DeleteSampleRequest) -> pb.DeleteSampleResponse:
        if request.sample_id:
            row = self.store.sample(request.sample_id)
            project = self.store.project(self.store.project_name(row.project_id))
        else:
            if not request.project or not request.stem:
                raise ValueError("name the sample: 'sample_id', or 'project' and 'stem'")
            project = self.store.project(request.project)
        require("delete", project.name)
        if not request.sample_id:
            row = self.store.sample_by_stem(project, request.stem)
        removed = delete_samples(self.store, project, [row.id], actor())
        logs.log_fields(logger, logging.INFO, "sample deleted", project=project.name, sample_id=row.id,
                        stem=row.stem, by=actor(), labels=removed.labels, blobs_removed=removed.blobs)
        return pb.DeleteSampleResponse(labels=removed.labels, blobs_removed=removed.blobs)
