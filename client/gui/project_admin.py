"""Renaming and deleting projects and samples from the desktop client,
without Qt: the checks a confirmation makes, which sample comes after a
deleted one and the wording of a refusal. The calls themselves are
:class:`~labelassist.client.gui.projects_controller.ProjectsController`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

# What a refused rename or deletion means for whoever asked (the server's own words stay in the details).
PROJECT_ADMIN_ONLY = {"PERMISSION_DENIED": "Only a project admin can delete or rename a project."}
SAMPLE_ADMIN_ONLY = {"PERMISSION_DENIED": "Only a project admin can delete a sample."}


def deletion_confirmed(project: str, typed: str) -> bool:
    """Whether ``typed`` is exactly the project's name, as a deletion asks
    (surrounding spaces aside: a name never has them)."""
    return bool(project) and typed.strip() == project


def new_project_name(project: str, typed: str) -> str:
    """The new name a rename asks for; ValueError when it is empty or the
    same name, which would be a call for nothing."""
    name = typed.strip()
    if not name:
        raise ValueError("type the project's new name")
    if name == project:
        raise ValueError(f"the project is already called {project!r}: type another name")
    return name


def sample_after(listed: Sequence[int], deleted: int, leased: bool) -> int | None:
    """The sample to show once ``deleted`` is gone: the one after it in the
    sample list (the one before it when it was last), or None to lease the
    next sample. A leased sample is followed by the next lease, as labelling
    goes on; one opened from the list by its neighbour there."""
    if leased or deleted not in listed:
        return None
    rest = [sample_id for sample_id in listed if sample_id != deleted]
    if not rest:
        return None
    index = list(listed).index(deleted)
    return rest[min(index, len(rest) - 1)]


__all__ = ["PROJECT_ADMIN_ONLY", "SAMPLE_ADMIN_ONLY", "deletion_confirmed", "new_project_name", "sample_after"]
