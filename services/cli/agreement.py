"""``agreement``: how much a project's annotators agree on the samples
several of them labelled (each one's newest label of a sample)."""

from __future__ import annotations

from pathlib import Path

from labelassist.cli.common import client_for


def project_labels(client, project: str) -> dict[str, dict[str, object]]:
    """sample name -> {annotator -> that annotator's newest label of it}."""
    labels: dict[str, dict[str, object]] = {}
    for info in client.iter_samples(project, labeled_only=True):
        newest: dict[str, int] = {}
        for version in client.label_history(info.sample_id):
            newest[version.annotator] = max(newest.get(version.annotator, 0), version.version)
        labels[info.stem] = {annotator: client.get_sample(info.sample_id, with_image=False,
                                                          label_version=version).arrays["label"]
                             for annotator, version in newest.items()}
    return labels


def cmd_agreement(args) -> int:
    try:
        from labelassist.evaluation.agreement_report import agreement_report, agreement_table, write_agreement
    except ImportError as error:
        raise ValueError(f"agreement needs the services extra (pip install 'label-assistant[services]'): "
                         f"{error}") from None
    with client_for(args) as client:
        report = agreement_report(project_labels(client, args.project), args.tolerance)
    print(agreement_table(report))
    if args.output:
        print(f"report: {write_agreement(report, args.output)}")
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
    agreement.set_defaults(handler=cmd_agreement)
