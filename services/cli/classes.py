"""``classes``: the classes a project's labels carry, shown or set;
``predict-classes``: the project's class model's pre-label of a sample or
an image file's objects."""

from __future__ import annotations

from pathlib import Path

from labelassist.cli.common import add_plane_arguments, client_for


def pairs(arguments: list[str], option: str, example: str) -> dict[str, str]:
    """NAME=VALUE pairs (each argument may hold several, comma-separated)."""
    mapping = {}
    for pair in (p for argument in arguments for p in argument.split(",") if p.strip()):
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ValueError(f"{option} {pair!r}: give NAME=VALUE, e.g. {option} {example}")
        mapping[name.strip()] = value.strip()
    return mapping


def show(project: str, schema) -> None:
    if not (schema.object_classes or schema.image_classes):
        print(f"{project}: no classes (segmentation only); set them with "
              "`labelassist classes PROJECT --object a,b --image c`")
        return
    for kind, classes in (("object", schema.object_classes), ("image", schema.image_classes)):
        if classes:
            note = " (multi-label)" if kind == "image" and schema.multi_label else ""
            print(f"{kind} classes{note}:")
            for c in classes:
                print(f"  {c.name:<24} {c.colour}  {'key ' + c.key if c.key else ''}".rstrip())


def cmd_classes(args) -> int:
    changing = args.object is not None or args.image is not None or args.clear
    with client_for(args) as client:
        if not changing:
            show(args.project, client.class_schema(args.project))
            return 0
        keys = pairs(args.key, "--key", "mitotic=1")

        def definitions(names):
            return [{"name": n.strip(), "key": keys.get(n.strip(), "")} for n in (names or "").split(",") if n.strip()]

        schema = client.set_class_schema(args.project, definitions(args.object), definitions(args.image),
                                         args.multi, pairs(args.migrate, "--migrate", "mitosis=mitotic"))
    show(args.project, schema)
    return 0


def cmd_predict_classes(args) -> int:
    from labelassist.io.axes import read_with_axes, select_plane
    from labelassist.io.images import read_image

    if args.image is None and args.sample is None:
        raise ValueError("give --sample ID (a labelled sample), or --image FILE with --mask FILE")
    if args.image is not None and args.mask is None:
        raise ValueError("--image needs --mask: the label image of its objects (one id per object)")
    image = select_plane(read_with_axes(args.image, args.axes), args.channel, args.z, args.t) if args.image else None
    mask = read_image(args.mask) if args.mask else None
    with client_for(args) as client:
        guesses = client.predict_classes(args.project or "", image, mask, args.sample or 0)
    print(f"{guesses.model}: trained on {guesses.trained_objects} objects and {guesses.trained_images} images")
    for object_id, guess in sorted(guesses.objects.items()):
        others = ", ".join(f"{name} {p:.2f}" for name, p in guess.probabilities.items())
        print(f"  object {object_id:<6} {guess.predicted_class:<24} {guess.confidence:.2f}  ({others})")
    if guesses.image_probabilities:
        shown = ", ".join(f"{name} {p:.2f}" for name, p in guesses.image_probabilities.items())
        print(f"  image: {', '.join(guesses.image_classes) or 'none'}  ({shown})")
    if guesses.note:
        print(f"  note: {guesses.note}")
    return 0


def register(commands) -> None:
    predict = commands.add_parser(
        "predict-classes", help="class pre-labels: each object's (and the image's) class from the project's "
                                "class model, trained on its labelled objects",
        description="The project's class model (classes@N) guesses the class of each object of a sample's "
                    "newest label or of --mask, with its confidence. It is trained on the project's labels with "
                    "classes, again whenever they changed.")
    predict.add_argument("project", nargs="?", default="", help="the project (a sample's own with --sample)")
    predict.add_argument("--sample", type=int, help="a sample id: its image and newest label (or --mask)")
    predict.add_argument("--image", type=Path, help="an image file, with --mask")
    predict.add_argument("--mask", type=Path, help="its objects: a label image, one id per object")
    add_plane_arguments(predict)
    predict.set_defaults(handler=cmd_predict_classes)

    classes = commands.add_parser(
        "classes", help="show or set the classes a project's labels carry (admins set them)",
        description="Without options, shows the project's classes. --object and --image replace the schema "
                    "(both kinds at once: give both to keep both). On a project with labels, a class in use "
                    "may be renamed or removed only with --migrate OLD=NEW, which rewrites the stored labels.")
    classes.add_argument("project")
    classes.add_argument("--object", help="object classes, comma-separated (e.g. mitotic,interphase)")
    classes.add_argument("--image", help="image classes, comma-separated (e.g. in-focus,blurred)")
    classes.add_argument("--multi", action="store_true", help="an image may carry several image classes")
    classes.add_argument("--key", action="append", default=[], metavar="CLASS=KEY",
                         help="a keyboard key for a class (repeatable), e.g. --key mitotic=1")
    classes.add_argument("--migrate", action="append", default=[], metavar="OLD=NEW",
                         help="rename a class stored labels use (repeatable or comma-separated)")
    classes.add_argument("--clear", action="store_true", help="remove every class (segmentation only)")
    classes.set_defaults(handler=cmd_classes)
