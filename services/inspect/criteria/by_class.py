"""The object-level criteria judged per object class: each class's objects
by the parameters its own objects set (see
:mod:`labelassist.inspect.class_bounds`), measured in the whole label."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from labelassist.inspect.criteria.base import Finding, LabelUnderInspection
from labelassist.inspect.measure import ObjectTable

# The object-level criteria a class learns bounds of and is judged by, in the order their learners run.
CLASS_CRITERIA = ("object_size", "irregular_shape", "background_intensity", "object_brightness")


def class_view(label: LabelUnderInspection, ids: Sequence[int]) -> LabelUnderInspection:
    """``label`` seen by the object-level criteria as holding only the
    objects ``ids`` (internal ids), measured as in the whole label: the
    same label image, smoothing and background."""
    view = dataclasses.replace(label)
    shared = ["labels", "grey"] + (["smooth", "background", "contrast"] if label.grey is not None else [])
    for name in shared:
        view.__dict__[name] = getattr(label, name)
    table = label.objects
    keep = np.isin(table.ids, np.asarray(ids, np.int64))
    view.__dict__["objects"] = ObjectTable(**{f.name: getattr(table, f.name)[keep]
                                              for f in dataclasses.fields(ObjectTable)})
    return view


def class_members(label: LabelUnderInspection, classes: Mapping[int, str]) -> dict[str | None, list[int]]:
    """The internal ids of ``label``'s objects per class (None: no class),
    from ``classes`` keyed by the ids as sent."""
    members: dict[str | None, list[int]] = {}
    for internal, sent in zip(label.objects.ids.tolist(), label.as_sent(label.objects.ids)):
        members.setdefault(classes.get(int(sent)), []).append(int(internal))
    return members


def judge_by_class(label: LabelUnderInspection, entry, kwargs: Mapping[str, Any], classes: Mapping[int, str],
                   class_values: Mapping[str, Mapping[str, Any]]) -> list[Finding]:
    """An object-level criterion's findings with each object judged by its
    class's parameters (``class_values``: class -> this criterion's
    parameters), objects of other classes or none by ``kwargs``; a finding
    by a class's bounds names the class."""
    members = class_members(label, classes)
    own = sorted(name for name in members if name is not None and name in class_values)
    if not own:
        return entry.function(label, **kwargs)
    rest = [i for name, ids in members.items() if name not in own for i in ids]
    findings = entry.function(class_view(label, rest), **kwargs) if rest else []
    for name in own:
        for finding in entry.function(class_view(label, members[name]), **entry.bind(class_values[name])):
            finding.message = f"'{name}' objects: {finding.message}, by the bounds of this project's '{name}' objects"
            finding.object_class = name
            findings.append(finding)
    return findings


__all__ = ["CLASS_CRITERIA", "class_members", "class_view", "judge_by_class"]
