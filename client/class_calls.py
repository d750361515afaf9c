"""A project's classes on the selector: its class schema, and the classes
a label carries (``client.classes``; the client's top-level methods of the
same names are shortcuts, and ``submit_label`` takes a label's classes)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from labelassist.client.results import ClassSchema
from labelassist.client.transport import Facade
from labelassist.proto.v1 import selector_pb2

ClassLike = str | Mapping[str, str]


def class_definitions(classes: Iterable[ClassLike], what: str) -> list[selector_pb2.ClassDefinition]:
    """Definitions from names or mappings with "name" and optional "colour" and "key"."""
    if isinstance(classes, str):
        classes = [name for name in classes.split(",") if name.strip()]
    definitions = []
    for item in classes:
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise TypeError(f"each of {what} is a class name or a dict with 'name' (and 'colour', 'key'); "
                            f"got {item!r}")
        definitions.append(selector_pb2.ClassDefinition(name=item["name"].strip(), colour=item.get("colour", ""),
                                                        key=item.get("key", "")))
    return definitions


def label_classes(object_classes: Mapping[int, str] | None,
                  image_classes: Iterable[str] | None) -> selector_pb2.LabelClasses | None:
    """A label's classes for the contract (None without any)."""
    if not object_classes and not image_classes:
        return None
    if isinstance(image_classes, str):
        image_classes = [image_classes]
    try:
        objects = {int(k): str(v) for k, v in dict(object_classes or {}).items()}
    except (TypeError, ValueError):
        raise TypeError("'object_classes' maps object ids (ints) to class names") from None
    if any(k <= 0 for k in objects):
        raise ValueError(f"'object_classes' has object id(s) {sorted(k for k in objects if k <= 0)}; ids are > 0")
    return selector_pb2.LabelClasses(objects=objects, image=list(image_classes or []))


class Classes(Facade):
    """Class schemas, on the selector."""

    service = "selector"

    def set_class_schema(self, project: str, object_classes: Iterable[ClassLike] = (),
                         image_classes: Iterable[ClassLike] = (), multi_label: bool = False,
                         migrate: Mapping[str, str] | None = None) -> ClassSchema:
        """Replace the classes a project's labels carry (admins).

        Parameters
        ----------
        project : str
            The project.
        object_classes, image_classes : iterable of str or dict
            Class names (or a comma-separated string), or dicts with "name"
            and optional "colour" ("#rrggbb") and "key" (one character).
        multi_label : bool
            An image may carry several image classes.
        migrate : dict, optional
            Old name -> new name for classes stored labels use that the new
            schema renames or merges; their labels are rewritten.

        Returns
        -------
        ClassSchema
            The schema as stored (default colours filled in).

        Raises
        ------
        FailedPreconditionError
            A class stored labels use is missing from the schema and from ``migrate``.
        InvalidArgumentError
            A repeated or bad name, colour or key.
        """
        request = selector_pb2.SetClassSchemaRequest(project=project, migrate=dict(migrate or {}),
                                                     classes=selector_pb2.ClassSchema(
            object_classes=class_definitions(object_classes, "object_classes"),
            image_classes=class_definitions(image_classes, "image_classes"), image_multi_label=multi_label))
        return ClassSchema.from_proto(self.transport.unary(self.stub.SetClassSchema, request).project.classes)

    def class_schema(self, project: str) -> ClassSchema:
        """The project's class schema (empty: segmentation only)."""
        return ClassSchema.from_proto(self.transport.unary(
            self.stub.GetProject, selector_pb2.GetProjectRequest(project=project)).project.classes)
