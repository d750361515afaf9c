"""The classes of the label being made, without Qt: the project's class
palette (names, colours, keys), the current class, each object's class and
where it came from (the class model's guess with its confidence, the
annotator, or the current class when the object appeared), and the image's
classes. The desktop client and the napari widget both show it; the
labelling session sends its classes with the mask on submit.

Objects are keyed by their id in the mask, as the contract keys them: an
object keeps its class while its id is in the mask, and gets it back when
an undo brings the id back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from labelassist.client.results import ClassPrelabels, ClassSchema

GUESSED, SET, DEFAULT, STORED = "guessed", "set", "default", "stored"  # where an object's class came from
UNCLASSIFIED_COLOUR = (200, 200, 200)
DIGITS = "123456789"


@dataclass(frozen=True)
class ObjectClass:
    """One object's class, where it came from, and the model's confidence
    (for a guess; 1 for a class the annotator set or a stored label has)."""
    name: str
    source: str
    confidence: float = 1.0


def rgb(colour: str) -> tuple[int, int, int]:
    """"#rrggbb" as (r, g, b); the unclassified grey for anything else."""
    if len(colour) == 7 and colour.startswith("#"):
        try:
            return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
        except ValueError:
            pass
    return UNCLASSIFIED_COLOUR


def class_keys(schema: ClassSchema, taken: Iterable[str] = ()) -> dict[str, tuple[str, str]]:
    """Key -> (kind, class name): the schema's own keys, then digits 1-9 in
    order for object classes without one; a key in ``taken`` (the client's
    own shortcuts, compared without case) is left out."""
    taken = {key.lower() for key in taken}
    keys: dict[str, tuple[str, str]] = {}
    for kind, classes in (("object", schema.object_classes), ("image", schema.image_classes)):
        for definition in classes:
            if definition.key and definition.key.lower() not in taken and definition.key not in keys:
                keys[definition.key] = (kind, definition.name)
    free = iter(d for d in DIGITS if d not in keys and d not in taken)
    named = {name for _, name in keys.values()}
    for definition in schema.object_classes:
        if definition.name not in named:
            digit = next(free, None)
            if digit is None:
                break
            keys[digit] = ("object", definition.name)
    return keys


def object_ids(mask: np.ndarray) -> set[int]:
    """The object ids in ``mask`` (counted, not sorted: fast on large masks)."""
    mask = np.asarray(mask)
    if not mask.size:
        return set()
    return set(np.flatnonzero(np.bincount(mask.ravel().astype(np.intp, copy=False))).tolist()) - {0}


def object_centres(mask: np.ndarray) -> dict[int, tuple[float, float]]:
    """Each object's centre of mass (row, col), by id."""
    mask = np.asarray(mask)
    if not mask.size or mask.max() <= 0:
        return {}
    ids = mask.astype(np.intp, copy=False)
    counts = np.bincount(ids.ravel())
    rows = np.bincount(ids.ravel(), np.repeat(np.arange(mask.shape[0], dtype=np.float64), mask.shape[1]),
                       minlength=len(counts))
    cols = np.bincount(ids.ravel(), np.tile(np.arange(mask.shape[1], dtype=np.float64), mask.shape[0]),
                       minlength=len(counts))
    return {int(i): (rows[i] / counts[i], cols[i] / counts[i]) for i in np.flatnonzero(counts) if i}


class ObjectCentres:
    """Each object's pixel count and centre of mass, brought up to date from
    the box an edit changed (a brush stroke's, not the whole mask's), so
    captions can follow the objects at the cost of the edit. It keeps the
    mask as last seen: the box's content before the edit."""

    def __init__(self):
        self.seen: np.ndarray | None = None
        self.sums = np.zeros((1, 3), np.int64)  # per id: pixels, sum of their rows, sum of their columns

    def update(self, mask: np.ndarray, window: tuple[slice, slice] | None = None) -> None:
        """``mask`` changed inside ``window`` (anywhere with None) since the last update."""
        mask = np.asarray(mask)
        if window is None or self.seen is None or self.seen.shape != mask.shape:
            self.seen, self.sums = mask.copy(), np.zeros((1, 3), np.int64)
            window = (slice(0, mask.shape[0]), slice(0, mask.shape[1]))
            before = np.zeros(mask.shape, mask.dtype)
        else:
            before = self.seen[window]
        after = mask[window]
        rows, cols = np.nonzero(before != after)
        if not rows.size:
            return
        old, new = before[rows, cols].astype(np.intp), after[rows, cols].astype(np.intp)
        rows, cols = rows + (window[0].start or 0), cols + (window[1].start or 0)
        size = max(len(self.sums), int(old.max()) + 1, int(new.max()) + 1)
        if size > len(self.sums):
            self.sums = np.concatenate([self.sums, np.zeros((size - len(self.sums), 3), np.int64)])
        for ids, sign in ((old, -1), (new, 1)):
            for column, weights in enumerate((None, rows, cols)):
                self.sums[:, column] += sign * np.rint(np.bincount(ids, weights, size)).astype(np.int64)
        self.seen[window] = after

    def pixels(self, object_id: int) -> int:
        return int(self.sums[object_id, 0]) if 0 < object_id < len(self.sums) else 0

    def next_id(self) -> int:
        """One past the highest id present (1 for an empty mask)."""
        present = np.flatnonzero(self.sums[:, 0])
        return int(present[-1]) + 1 if present.size and present[-1] else 1

    def centres(self) -> dict[int, tuple[float, float]]:
        """Each object's centre of mass (row, col), by id."""
        ids = np.flatnonzero(self.sums[1:, 0]) + 1
        counts = self.sums[ids, 0]
        return dict(zip(ids.tolist(), zip((self.sums[ids, 1] / counts).tolist(),
                                          (self.sums[ids, 2] / counts).tolist())))


class ClassPalette:
    """The project's classes and those of the label being made.

    Parameters
    ----------
    schema : ClassSchema
        The project's class schema (empty: a segmentation project, and the
        palette only keeps the classes a stored label already has).
    """

    def __init__(self, schema: ClassSchema | None = None):
        self.schema = schema or ClassSchema()
        self.current = self.schema.names("object")[0] if self.schema.object_classes else ""
        self.objects: dict[int, ObjectClass] = {}
        self.image: list[str] = []
        self.selected = 0  # the object a class key or a palette click re-classes (0: none)
        self.also_selected: set[int] = set()  # more objects it re-classes with ``selected`` (shift-click)
        self.guess_confidence: dict[int, float] = {}  # the pre-label's guesses, kept when decided

    # -- the schema -----------------------------------------------------------

    def use(self, schema: ClassSchema) -> None:
        """A project's schema (after the project changed); the current class
        stays when the new schema has it."""
        self.schema = schema
        names = schema.names("object")
        if self.current not in names:
            self.current = names[0] if names else ""

    def load_call(self, client, project: str):
        """The project's class schema, for :meth:`use`."""
        classes = client.classes
        return lambda: classes.class_schema(project)

    @property
    def has_object_classes(self) -> bool:
        return bool(self.schema.object_classes)

    @property
    def has_image_classes(self) -> bool:
        return bool(self.schema.image_classes)

    def choose(self, name: str) -> None:
        """Make ``name`` the current class: new objects get it."""
        if name not in self.schema.names("object"):
            raise ValueError(f"no object class {name!r}; the project's object classes: "
                             f"{', '.join(self.schema.names('object')) or 'none'}")
        self.current = name

    # -- a sample's classes ------------------------------------------------------

    def start(self, object_classes: Mapping[int, str] | None = None, image_classes: Iterable[str] = ()) -> None:
        """A new sample: the classes its stored label has (none for a new one)."""
        self.objects = {int(k): ObjectClass(v, STORED) for k, v in dict(object_classes or {}).items()}
        self.image = list(image_classes)
        self.selected, self.also_selected = 0, set()
        self.guess_confidence = {}

    def accept_guesses(self, guesses: ClassPrelabels | None) -> None:
        """A pre-label replaced the mask: its objects take the class model's
        guesses (to be corrected where wrong), the image its predicted classes."""
        self.objects, self.selected, self.also_selected, self.guess_confidence = {}, 0, set(), {}
        if guesses is None:
            return
        self.objects = {int(i): ObjectClass(g.predicted_class, GUESSED, float(g.confidence))
                        for i, g in guesses.objects.items()}
        self.guess_confidence = {i: c.confidence for i, c in self.objects.items()}
        if self.has_image_classes:
            self.image = list(guesses.image_classes)

    def appeared(self, ids: Iterable[int], select: bool = True) -> list[int]:
        """Objects that appeared in the mask (an edit's ids): those without
        a class get the current one, and (with ``select``) the newest
        becomes selected. Returns the ids that got a class."""
        given = []
        for object_id in sorted({int(i) for i in ids} - {0}):
            if object_id not in self.objects and self.current:
                self.objects[object_id] = ObjectClass(self.current, DEFAULT)
                given.append(object_id)
        if given and select:
            self.select(given[-1])
        return given

    def select(self, object_id: int, add: bool = False) -> None:
        """Select one object (0: none); with ``add`` (a shift-click), add it
        to the selection, or take it out when it is in: one class key then
        re-classes them all."""
        object_id = int(object_id)
        if not add or not self.selected:
            self.selected, self.also_selected = object_id, set()
        elif object_id in self.selection:
            rest = sorted(set(self.selection) - {object_id})
            self.selected, self.also_selected = (rest[-1], set(rest[:-1])) if rest else (0, set())
        elif object_id > 0:
            self.also_selected.add(self.selected)
            self.selected = object_id

    @property
    def selection(self) -> list[int]:
        """Every selected object's id, in order."""
        return sorted(({self.selected} | self.also_selected) - {0})

    def class_of(self, object_id: int) -> str:
        """The class object ``object_id`` has, else the current class (the one a new object gets)."""
        found = self.objects.get(int(object_id))
        return found.name if found is not None else self.current

    def assign(self, name: str | None = None, object_id: int | None = None) -> int:
        """Give the selected objects (or ``object_id``, which becomes
        selected) class ``name`` (the current class when None), as the
        annotator's decision. Returns the (first) selected object's id; 0
        when no object is selected."""
        name = self.current if name is None else name
        if name not in self.schema.names("object"):
            raise ValueError(f"no object class {name!r}; the project's object classes: "
                             f"{', '.join(self.schema.names('object')) or 'none'}")
        if object_id is not None:
            self.select(object_id)
        for chosen in self.selection:
            self.objects[chosen] = ObjectClass(name, SET)
        return self.selected

    def press(self, key: str, taken: Iterable[str] = ()) -> tuple[str, str] | None:
        """A class key: an object class re-classes the selected objects and
        becomes current; an image class is toggled. Returns (kind, name), or
        None for a key that is no class's."""
        keys = class_keys(self.schema, taken)
        found = keys.get(key) or keys.get(key.lower())
        if found is None:
            return None
        kind, name = found
        if kind == "object":
            self.current = name
            if self.selected:
                self.assign(name)
        else:
            self.toggle_image_class(name, name not in self.image)
        return found

    def toggle_image_class(self, name: str, on: bool) -> None:
        """Tick or untick an image class; a single-label schema keeps at most one."""
        if name not in self.schema.names("image"):
            raise ValueError(f"no image class {name!r}; the project's image classes: "
                             f"{', '.join(self.schema.names('image')) or 'none'}")
        if not on:
            self.image = [c for c in self.image if c != name]
        elif self.schema.multi_label:
            self.image = [c for c in self.schema.names("image") if c in self.image or c == name]
        else:
            self.image = [name]

    # -- reading it --------------------------------------------------------------

    def least_sure(self, mask: np.ndarray, after: int = 0) -> int:
        """The next guessed object of ``mask`` the annotator has not decided,
        the least confident first (after the guess of object ``after``,
        cycling); 0 when every guess is decided. It becomes selected."""
        present = object_ids(mask)
        open_guesses = sorted((c.confidence, i) for i, c in self.objects.items()
                              if c.source == GUESSED and i in present)
        if not open_guesses:
            return 0
        if after in self.guess_confidence:  # after a guess, decided since or not: the next less doubtful one
            later = [g for g in open_guesses if g > (self.guess_confidence[after], after)]
            open_guesses = later or open_guesses
        self.select(open_guesses[0][1])
        return self.selected

    def caption(self, object_id: int) -> str:
        """What the canvas writes on an object: its id and class, with the
        model's confidence while the class is a guess."""
        found = self.objects.get(int(object_id))
        if found is None:
            return str(object_id)
        sure = f" {found.confidence:.0%}?" if found.source == GUESSED else ""
        return f"{object_id} {found.name}{sure}"

    def captions(self, centres: Mapping[int, tuple[float, float]], most: int = 400
                 ) -> dict[int, tuple[str, tuple[float, float]]]:
        """Each object's caption and centre (row, col), from the objects'
        ``centres`` (:func:`object_centres`, :class:`ObjectCentres`), for at
        most ``most`` objects (more would hide the image)."""
        if len(centres) > most:
            return {}
        return {i: (self.caption(i), centre) for i, centre in centres.items()}

    def colour_lookup(self, size: int, drawing: int = 0) -> np.ndarray:
        """RGBA per object id 0..size-1 in its class's colour (grey without
        a class; 0 transparent), for the overlay; object ``drawing`` (the
        id a new object gets) in the current class's, the class it will
        get, so a stroke keeps its colour when it ends."""
        lookup = np.zeros((max(int(size), 1), 4), np.uint8)
        lookup[1:] = (*UNCLASSIFIED_COLOUR, 255)
        colours = {c.name: rgb(c.colour) for c in self.schema.object_classes}
        for object_id, found in self.objects.items():
            if 0 < object_id < len(lookup):
                lookup[object_id] = (*colours.get(found.name, UNCLASSIFIED_COLOUR), 255)
        if 0 < drawing < len(lookup) and drawing not in self.objects and self.current:
            lookup[drawing] = (*colours.get(self.current, UNCLASSIFIED_COLOUR), 255)
        return lookup

    def submitted(self, mask: np.ndarray) -> tuple[dict[int, str], list[str]]:
        """The classes to store with ``mask``: each of its objects' class
        (objects without one are left out) and the image's classes."""
        present = object_ids(mask)
        return {i: c.name for i, c in sorted(self.objects.items()) if i in present}, list(self.image)

    def counts(self, mask: np.ndarray) -> dict[str, int]:
        """The objects of ``mask`` per class, guesses included, in the schema's order."""
        counts = {name: 0 for name in self.schema.names("object")}
        for name in self.submitted(mask)[0].values():
            counts[name] = counts.get(name, 0) + 1
        return counts


__all__ = ["ClassPalette", "ObjectCentres", "ObjectClass", "class_keys", "object_centres", "object_ids", "rgb"]
