"""``ops`` and ``prelabel``: the assist service from the command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from labelassist.cli.common import add_plane_arguments, client_for, elapsed, parse_step, print_specs
from labelassist.proto.wire.values import call_text


def cmd_ops(args) -> int:
    with client_for(args) as client:
        print_specs(client.list_operations(args.family or ""))
    return 0


def cmd_prelabel(args) -> int:
    from labelassist.io.axes import read_with_axes, select_plane
    from labelassist.io.images import write_labels

    image = select_plane(read_with_axes(args.image, args.axes), args.channel, args.z, args.t)
    with client_for(args) as client, elapsed(f"pre-labelling {args.image} ({'x'.join(map(str, image.shape))})"):
        outcome = client.prelabel(image, method=args.method, preprocess=args.pre, postprocess=args.post,
                                  project=args.project or "", binary=args.binary)
    if args.binary:
        mask, kind = ((outcome.mask > 0) * 255).astype(np.uint8), "a 0/255 mask"
    else:  # one id per object, 1..n, visible in any viewer that stretches 16-bit images
        mask, kind = outcome.mask, "instance ids (uint16)"
    write_labels(args.output, mask, smallest=np.uint8 if args.binary else np.uint16)
    print(f"{args.output}: {outcome.object_count} objects by {outcome.method} "
          f"({' -> '.join(outcome.applied)}), written as {kind}")
    return 0


def cmd_assist_settings(args) -> int:
    """Show a project's assist settings, or replace them."""
    with client_for(args) as client:
        if args.method or args.pre or args.post or args.reset:
            project = client.set_assist(args.project, args.pre, args.method, args.post)
        else:
            project = client.get_project(args.project)
    settings = project.assist
    print(f"assist settings of project {project.name!r}:")
    print(f"  pre-processing: {' -> '.join(map(call_text, settings.preprocess)) or 'none'}")
    print(f"  method: {call_text(settings.method) if settings.method.name else 'the default pipeline'}")
    print(f"  post-processing: {' -> '.join(map(call_text, settings.postprocess)) or 'none'}")
    return 0


def add_assist_steps(parser) -> None:
    """--pre, --method and --post, as ``prelabel`` takes them."""
    parser.add_argument("--method", type=parse_step, default=None,
                        help="NAME[:k=v,...], e.g. otsu:polarity=bright; default: the default pipeline")
    parser.add_argument("--pre", type=parse_step, action="append", default=[], metavar="OP[:k=v,...]")
    parser.add_argument("--post", type=parse_step, action="append", default=[], metavar="OP[:k=v,...]")


def register(commands) -> None:
    ops = commands.add_parser("ops", help="list assist operations and their parameters")
    ops.add_argument("--family", choices=("preprocess", "prelabel", "refine", "postprocess"))
    ops.set_defaults(handler=cmd_ops)
    prelabel = commands.add_parser(
        "prelabel", help="pre-label an image file (TIFF, PNG, JPEG; OME-Zarr, CZI, ND2, LIF with the formats extra)")
    prelabel.add_argument("image", type=Path)
    add_plane_arguments(prelabel)
    prelabel.add_argument("-o", "--output", type=Path, required=True, help="label image, .tif or .png")
    add_assist_steps(prelabel)
    prelabel.add_argument("--project", default=None,
                          help="without --method: this project's assist settings (see `labelassist assist-settings`)")
    prelabel.add_argument("--binary", action="store_true",
                          help="write a 0/255 mask instead of one id per object (uint16, 1..n)")
    prelabel.set_defaults(handler=cmd_prelabel)
    settings = commands.add_parser("assist-settings",
                                   help="show or set a project's assist settings (the steps its pre-labels run)")
    settings.add_argument("project")
    add_assist_steps(settings)
    settings.add_argument("--reset", action="store_true", help="back to the default pipeline")
    settings.set_defaults(handler=cmd_assist_settings)
