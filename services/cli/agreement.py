"""``agreement``: how much a project's annotators agree on the samples
several of them labelled (each one's newest label of a sample); ``overlap``,
``consensus``, ``adjudicate`` and ``quality``: running a project several
annotators label."""

from __future__ import annotations

from pathlib import Path

from labelassist.cli.common import client_for
from labelassist.proto.v1 import selector_pb2

DERIVED = (selector_pb2.LABEL_ORIGIN_CONSENSUS, selector_pb2.LABEL_ORIGIN_ADJUDICATED)


def project_labels(client, project: str) -> tuple[dict[str, dict[str, object]], dict[str, dict[str, dict]]]:
    """sample name -> {annotator -> that annotator's newest label of it},
    and sample name -> {annotator -> that label's classes} ({"objects":
    {"<id>": name}, "image": [...]})."""
    from labelassist.client.transfer_calls import stored_classes

    labels: dict[str, dict[str, object]] = {}
    classes: dict[str, dict[str, dict]] = {}
    for info in client.iter_samples(project, labeled_only=True):
        newest = {}
        for version in client.label_history(info.sample_id):
            if version.origin not in DERIVED:
                newest[version.annotator] = version
        labels[info.stem] = {annotator: client.get_sample(info.sample_id, with_image=False,
                                                          label_version=version.version).arrays["label"]
                             for annotator, version in newest.items()}
        classes[info.stem] = {annotator: stored_classes(version) for annotator, version in newest.items()}
    return labels, classes


def cmd_agreement(args) -> int:
    if args.over_time:
        return cmd_agreement_over_time(args)
    try:
        from labelassist.evaluation.agreement_report import agreement_report, agreement_table, write_agreement
    except ImportError as error:
        raise ValueError(f"agreement needs the services extra (pip install 'label-assistant[services]'): "
                         f"{error}") from None
    with client_for(args) as client:
        labels, classes = project_labels(client, args.project)
        report = agreement_report(labels, args.tolerance, classes)
    print(agreement_table(report))
    if args.output:
        print(f"report: {write_agreement(report, args.output)}")
    return 0


def cmd_agreement_over_time(args) -> int:
    """Matched-object F1 per window, for the project and each annotator the caller may see."""
    window, _, size = args.over_time.partition(":")
    with client_for(args) as client:
        answer = client.agreement_over_time(args.project, window, int(size or 0), args.annotator, args.tolerance)
    lines = [f"{'':<20} {'window':<12} {'labels':>6}  {'F1 [95 % interval]':<24} {'boundary F1':>11}"]
    for name, windows in [("project", answer.project)] + [(s.annotator, s.windows) for s in answer.annotators]:
        for w in windows:
            lines.append(f"{name:<20} {w.name:<12} {w.labels:>6}  "
                         f"{f'{w.f1:.3f} [{w.f1_low:.3f}, {w.f1_high:.3f}]':<24} {w.boundary_f1:>11.3f}")
    print("\n".join(lines))
    if args.output:
        from google.protobuf import json_format

        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json_format.MessageToJson(answer, preserving_proto_field_name=True))
        print(f"report: {args.output}")
    return 0


def cmd_overlap(args) -> int:
    with client_for(args) as client:
        answer = client.set_overlap(args.project, args.annotators, args.share)
    settings = answer.project.overlap
    print(f"{args.project}: {settings.annotators} annotators per shared sample, share {settings.share:g}, "
          f"{settings.gold_samples} gold samples; {answer.changed} samples changed")
    return 0


def cmd_consensus(args) -> int:
    with client_for(args) as client:
        answer = client.build_consensus(args.project, args.sample or ())
    for version in answer.built:
        sources = ", ".join(f"v{s.version} {s.annotator} ({s.weight:.2f})" for s in version.sources)
        print(f"sample {version.sample_id}: consensus v{version.version} from {sources}")
    print(f"{len(answer.built)} consensus versions stored, {answer.unchanged} unchanged; weights: "
          + ", ".join(f"{w.annotator} {w.weight:.2f} (F1 {w.agreement:.3f})" for w in answer.weights))
    return 0


def cmd_adjudicate(args) -> int:
    with client_for(args) as client:
        if args.pick:
            sample_id, version = args.pick
            chosen = client.adjudicate(sample_id, version, comment=args.comment)
            print(f"sample {sample_id}: v{chosen.version} is the newest and accepted")
            return 0
        queue = client.adjudication_queue(args.project, args.limit)
    print(f"{'sample':>8}  {'stem':<24} {'disagreement':>12} {'boundary F1':>11}  labels (version annotator)")
    for item in queue:
        labels = ", ".join(f"v{v.version} {v.annotator}" for v in item.labels)
        consensus = f"; consensus v{item.consensus_version}" if item.consensus_version else ""
        print(f"{item.sample_id:>8}  {item.stem:<24} {item.disagreement:>12.3f} {item.mean_boundary_f1:>11.3f}  "
              f"{labels}{consensus}{'; ' + item.review if item.review else ''}")
    return 0


def cmd_quality(args) -> int:
    with client_for(args) as client:
        rows = client.annotator_quality(args.project, args.annotator)
    print(f"{'annotator':<20} {'accuracy':>8} {'samples':>7} {'consensus F1':>12} {'gold F1':>7} "
          f"{'accepted':>8} {'rejected':>8} {'class kappa':>11}  disagreement (missed/extra/merged/split/wide/narrow, "
          "offset px)")
    for q in rows:
        k = q.kinds
        gold = f"{q.gold_f1:.3f}" if q.gold_samples else "-"
        kappa = f"{q.classes.kappa:.3f}" if q.classes.HasField("kappa") else "-"
        print(f"{q.annotator:<20} {q.accuracy:>8.3f} {q.samples:>7} {q.consensus_f1:>12.3f} {gold:>7} "
              f"{q.accepted:>8} {q.rejected:>8} {kappa:>11}  {k.missed}/{k.extra}/{k.merged}/{k.split}/{k.wide}/"
              f"{k.narrow} of {k.reference_objects}, {k.outline_offset:+.2f}")
    return 0


def register(commands) -> None:
    agreement = commands.add_parser(
        "agreement", help="how much the project's annotators agree, object by object",
        description="Every pair of annotators who labelled the same sample (each one's newest label) is compared "
                    "object by object: matched-object F1 at IoU 0.5, mean matched IoU, boundary F1 and panoptic "
                    "quality; per annotator and for the project, with 95 % bootstrap intervals.")
    agreement.add_argument("project")
    agreement.add_argument("-o", "--output", type=Path, help="write the whole report (every pair) as JSON here")
    agreement.add_argument("--tolerance", type=float, default=2.0, help="outline tolerance in pixels (default 2)")
    agreement.add_argument("--over-time", nargs="?", const="week", metavar="week|labels[:N]",
                           help="agreement per calendar week (default) or per N labels (labels:10), for the project "
                                "and each annotator: whether annotators improve")
    agreement.add_argument("--annotator", default="", help="with --over-time: only this annotator")
    agreement.set_defaults(handler=cmd_agreement)

    overlap = commands.add_parser(
        "overlap", help="have several different annotators label a project's samples (admins)",
        description="Each shared sample stays leasable until ANNOTATORS different annotators submitted a label, "
                    "never to one annotator twice; samples others labelled are offered between fresh ones.")
    overlap.add_argument("project")
    overlap.add_argument("annotators", type=int, help="different annotators per shared sample (1: each once)")
    overlap.add_argument("--share", type=float, default=0.0,
                         help="share of the samples that is shared, chosen by name (e.g. 0.1; default all)")
    overlap.set_defaults(handler=cmd_overlap)
    consensus = commands.add_parser(
        "consensus", help="merge each sample's annotators' labels into a consensus label version",
        description="Objects matched across annotators, each annotator weighted by their estimated agreement; "
                    "the consensus is stored as a label version that names the versions it came from.")
    consensus.add_argument("project")
    consensus.add_argument("--sample", type=int, action="append", help="only this sample id (repeatable)")
    consensus.set_defaults(handler=cmd_consensus)
    adjudicate = commands.add_parser(
        "adjudicate", help="the samples annotators disagree on most, and settling one",
        description="Lists the project's samples several annotators labelled, the most disputed first; "
                    "--pick SAMPLE VERSION makes that version (the consensus or one annotator's) the newest "
                    "and accepts it.")
    adjudicate.add_argument("project")
    adjudicate.add_argument("--limit", type=int, default=20)
    adjudicate.add_argument("--pick", type=int, nargs=2, metavar=("SAMPLE", "VERSION"))
    adjudicate.add_argument("--comment", default="")
    adjudicate.set_defaults(handler=cmd_adjudicate)
    quality = commands.add_parser(
        "quality", help="each annotator's estimated accuracy and kinds of disagreement",
        description="Against gold labels, the consensus and reviewers' verdicts. A project's admins see "
                    "everyone; anyone else only themselves.")
    quality.add_argument("project")
    quality.add_argument("--annotator", default="")
    quality.set_defaults(handler=cmd_quality)
