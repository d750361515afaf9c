"""The sample list's class filter, without Qt: the choices a project's class
schema offers (each object class, each image class, objects without a
class), the one chosen, and the page call that applies it on the selector's
class index. A project without classes offers none, and the list hides the
filter. Scripts and tests drive it without a window."""

from __future__ import annotations

from collections.abc import Callable

from labelassist.client.results import ClassSchema, SampleInfo

ALL = "all classes"
UNCLASSIFIED = "objects without a class"


def filter_choices(schema: ClassSchema | None) -> dict[str, dict]:
    """Label -> the listing's keyword arguments; empty without classes."""
    if schema is None or not (schema.object_classes or schema.image_classes):
        return {}
    choices: dict[str, dict] = {ALL: {}}
    choices |= {f"object: {d.name}": {"object_class": d.name} for d in schema.object_classes}
    choices |= {f"image: {d.name}": {"image_class": d.name} for d in schema.image_classes}
    if schema.object_classes:
        choices[UNCLASSIFIED] = {"unclassified_objects": True}
    return choices


class ClassFilter:
    """Which class the sample list shows; ``choices`` label -> filter."""

    def __init__(self):
        self.choices: dict[str, dict] = {}
        self.chosen = ALL

    def use(self, schema: ClassSchema | None) -> list[str]:
        """The choices of a project's schema (none: the filter is hidden);
        the chosen one stays when the new schema still has it."""
        self.choices = filter_choices(schema)
        if self.chosen not in self.choices:
            self.chosen = ALL
        return list(self.choices)

    @property
    def offered(self) -> bool:
        return bool(self.choices)

    def choose(self, label: str) -> bool:
        """Choose a filter by its label; whether the list must be reloaded."""
        if label not in self.choices:
            raise ValueError(f"no class filter {label!r}; the project's: {', '.join(self.choices) or 'none'}")
        changed, self.chosen = label != self.chosen, label
        return changed

    def page_call(self, fetch_page, project: str, token: str, labelled: bool
                  ) -> Callable[[], tuple[list[SampleInfo], str]]:
        """One page of the list, ``fetch_page(project, token, labelled,
        **filter)``, with the filter chosen now: captured, so a later choice
        does not change a page already asked for."""
        wanted = dict(self.choices.get(self.chosen, {}))
        return lambda: fetch_page(project, token, labelled, **wanted)


__all__ = ["ALL", "UNCLASSIFIED", "ClassFilter", "filter_choices"]
