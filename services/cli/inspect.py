"""``criteria``, ``inspection``, ``inspect``, ``review-queue`` and ``answers``: label inspection from the
command line."""

from __future__ import annotations

import sys
from pathlib import Path

from labelassist.cli.common import client_for, parse_step, print_specs


def cmd_criteria(args) -> int:
    with client_for(args) as client:
        print_specs(client.list_criteria())
    return 0


def cmd_inspection(args) -> int:
    """Show a project's inspection settings, or replace them."""
    from labelassist.proto.wire.values import value_from_proto

    with client_for(args) as client:
        if args.criterion or args.disable or args.reset or args.min_confidence:
            project = client.set_inspection(args.project, args.criterion, args.disable, args.min_confidence or 0.0)
        else:
            project = client.get_project(args.project)
    settings = project.inspection
    print(f"inspection settings of project {project.name!r}:")
    for call in settings.criteria:
        values = ", ".join(f"{k}={value_from_proto(v)}" for k, v in sorted(call.parameters.items()))
        print(f"  {call.name}: {values}")
    print(f"  disabled: {', '.join(settings.disabled) or 'none'}")
    if settings.min_confidence:
        print(f"  min_confidence: {settings.min_confidence:g} (less certain warnings are info)")
    if not settings.criteria and not settings.disabled:
        print("  (the defaults of `labelassist criteria`)")
    with client_for(args) as client:
        calibration = client.calibration(project.name)
    if calibration.criteria:
        print(f"calibrated from {calibration.images} accepted labels ({calibration.objects} objects), "
              "under the settings above:")
        for name, values in calibration.criteria.items():
            print(f"  {name}: " + ", ".join(f"{k}={v}" for k, v in sorted(values.items())))
    else:
        print(f"not calibrated yet: {calibration.images} of the {calibration.min_images} accepted labels needed")
    for name, criteria in calibration.classes.items():
        print(f"objects of class '{name}' ({calibration.class_objects[name]} objects), by their own bounds:")
        for criterion, values in criteria.items():
            print(f"  {criterion}: " + ", ".join(f"{k}={v}" for k, v in sorted(values.items())))
    return 0


def cmd_answers(args) -> int:
    """List a project's answers to inspection findings, or take one back."""
    import time

    with client_for(args) as client:
        if args.undo:
            answer = client.undo_finding_answer(args.undo)
            print(f"answer {answer.answer_id} ({answer.criterion}, {answer.outcome or 'not_an_error'}) taken back "
                  f"by {answer.undone_by}")
            return 0
        answers = client.finding_answers(args.project)
    if not answers:
        print(f"no answers to inspection findings in project {args.project!r} yet")
    for answer in answers:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(answer.answered_at))
        label = f" v{answer.label_version}" if answer.label_version else ""
        review = f", {answer.review}" if answer.review else ""
        undone = f"  [taken back by {answer.undone_by}]" if answer.undone_by else ""
        print(f"{answer.answer_id:>6}  {when}  {answer.annotator:<12} {answer.outcome or 'not_an_error':<12} "
              f"{answer.criterion}: {answer.measured:g} against {answer.bound:g}, sample {answer.sample_id}{label}"
              f"{review}{undone}")
    return 0


def _dataset_samples(folder: Path):
    """How many labelled files a dataset folder has, and (name, load) for
    each of their planes (a stack gives several), read only when the file's
    turn comes; load() returns (label, image)."""
    from labelassist.io.dataset_folder import read_dataset
    from labelassist.io.project_files import dataset_samples

    samples = [s for s in read_dataset(folder) if s.label is not None]
    if not samples:
        raise ValueError(f"no labelled samples in {folder} (labels go in DIR/labels/<stem>.tif|png)")

    def failing(error: str):
        def load():
            raise ValueError(error)
        return load

    def planes():
        for sample in samples:
            for entry in dataset_samples([sample]):
                if "error" in entry:
                    yield entry["stem"], failing(entry["error"])
                elif entry["label"] is None:
                    yield entry["stem"], failing(f"{entry['stem']}: no plane of its label file matches this plane")
                else:
                    yield entry["stem"], lambda e=entry: (e["label"], e["image"])
    return len(samples), planes()


def _project_samples(client, project: str):
    """The same for a selector project: its latest label versions, each
    fetched only when its turn comes."""
    samples = client.list_samples(project, labeled_only=True)
    if not samples:
        raise ValueError(f"project {project!r} has no labelled samples yet")

    def fetch(sample_id: int):
        envelope = client.get_sample(sample_id)
        return envelope.require("label"), envelope.require("image")
    return len(samples), ((f"{s.stem} (#{s.sample_id} v{s.label_version})", lambda i=s.sample_id: fetch(i))
                          for s in samples)


def _readable(samples, failed: list[dict]):
    """(name, mask, image, None) for each sample that loads; one that does
    not is recorded in ``failed`` and left out, so the batch goes on."""
    for name, load in samples:
        try:
            yield (name, *load(), None)
        except (OSError, ValueError) as error:
            failed.append({"sample": name, "error": str(error)})


def _report_entry(name: str, inspection) -> dict:
    return {"sample": name, "objects": len(inspection.objects), "prelabel_source": inspection.prelabel_source,
            "prelabel_note": inspection.prelabel_note,
            "findings": [f.as_dict() for f in inspection.findings]}


def cmd_inspect(args) -> int:
    """Inspect every labelled sample of a folder or a project; a sample that
    cannot be read or inspected is reported and the rest go on (exit 1)."""
    import json

    from tqdm import tqdm

    from labelassist.client.errors import InvalidArgumentError

    if bool(args.dataset) == bool(args.project):
        raise ValueError("inspect takes a dataset folder or --project NAME (one of the two)")
    report, failed = [], []
    with client_for(args) as client:
        count, samples = _dataset_samples(args.dataset) if args.dataset else _project_samples(client, args.project)
        client.timeout = max(client.timeout, 60.0 * count)
        reports = client.inspect_batch(_readable(samples, failed), criteria=args.criterion,
                                       project=args.project or args.settings or "", on_error="report")
        for name, response in tqdm(reports, total=count, desc="inspecting", unit="label", file=sys.stderr):
            if isinstance(response, InvalidArgumentError):
                failed.append({"sample": name, "error": response.details().removeprefix(f"sample {name!r}: ")})
            else:
                report.append(_report_entry(name, response))
    output = args.output or (Path(args.dataset) / "inspection.json" if args.dataset
                             else Path(f"inspection-{args.project}.json"))
    source = {"dataset": str(args.dataset)} if args.dataset else {"project": args.project}
    output.write_text(json.dumps({**source, "samples": report, "failed": failed}, indent=2))
    flagged = 0
    print(f"{'sample':<28} {'objects':>7}  findings")
    for entry in report:
        alarms = [f for f in entry["findings"] if f["severity"] in ("warning", "error")]
        flagged += bool(alarms)
        summary = "; ".join(f"{f['severity']}: {f['message']}" for f in alarms) or "ok"
        print(f"{entry['sample']:<28} {entry['objects']:>7}  {summary}")
    for entry in failed:
        print(f"{entry['sample']:<28} {'-':>7}  FAILED: {entry['error']}")
    sources = sorted({entry["prelabel_source"] for entry in report} - {""})
    print(f"{flagged}/{len(report)} labels with warnings or errors; agreement checked against the "
          f"{' and '.join(sources) or 'no'} pre-label; report: {output}")
    for note in sorted({entry["prelabel_note"] for entry in report} - {""}):
        print(f"pre-label: {note}")
    if failed:
        print(f"{len(failed)} sample(s) could not be inspected (listed above and under 'failed' in the report)",
              file=sys.stderr)
    return 1 if failed else 0


def cmd_review_queue(args) -> int:
    """The project's stored labels, most likely errors first."""
    import json

    from tqdm import tqdm

    with client_for(args) as client, tqdm(desc="scoring labels", unit="label", file=sys.stderr) as bar:
        def progress(scored: int, total: int) -> None:
            bar.total = total
            bar.update(scored - bar.n)

        client.timeout = max(client.timeout, 3600.0)
        ranking = client.rank_label_errors(args.project, args.max_samples, args.limit, args.include_accepted,
                                           progress)
    model = f"{ranking.model} v{ranking.model_version}" if ranking.model_version else ranking.model
    calibrated = (f"criteria calibrated on {ranking.calibration.images} accepted labels"
                  if ranking.calibration.criteria else "default criteria (not calibrated yet)")
    print(f"{len(ranking.labels)} labels of project {args.project!r} scored with the {model} model and "
          f"{calibrated}; most likely errors first:")
    print(f"{'score':>5}  {'sample':<32} {'object':>6}  {'box (r0 c0 r1 c1)':<20} reason")
    for suspect in ranking.suspects:
        box = " ".join(map(str, (*suspect.box.start, *suspect.box.stop)))
        name = f"{suspect.stem} (#{suspect.sample_id} v{suspect.label_version})"
        print(f"{suspect.score:5.2f}  {name:<32} {suspect.object_id or '-':>6}  {box:<20} {suspect.reason}")
    if ranking.class_note:
        print(ranking.class_note)
    for line in ranking.skipped:
        print(f"skipped: {line}", file=sys.stderr)
    if args.output:
        args.output.write_text(json.dumps({
            "project": args.project, "model": ranking.model, "model_version": ranking.model_version,
            "suspects": [{"sample_id": s.sample_id, "stem": s.stem, "label_version": s.label_version,
                          "score": s.score, "signals": s.signals, "reason": s.reason, "object_id": s.object_id,
                          "box": [*s.box.start, *s.box.stop], "given_class": s.given_class,
                          "suspected_class": s.suspected_class, "class_confidence": s.class_confidence}
                         for s in ranking.suspects],
            "labels": [dict(zip(("sample_id", "stem", "label_version", "score", "suspects"), row))
                       for row in ranking.labels],
            "skipped": ranking.skipped, "class_note": ranking.class_note}, indent=2))
        print(f"report: {args.output}")
    return 0


def register(commands) -> None:
    commands.add_parser("criteria", help="list inspection criteria").set_defaults(handler=cmd_criteria)
    inspection = commands.add_parser("inspection", help="show or set a project's inspection settings")
    inspection.add_argument("project")
    inspection.add_argument("--criterion", type=parse_step, action="append", default=[], metavar="NAME[:k=v,...]",
                            help="a criterion's parameters for this project (replaces all settings)")
    inspection.add_argument("--disable", action="append", default=[], metavar="NAME",
                            help="a criterion that does not apply to this project")
    inspection.add_argument("--min-confidence", type=float, metavar="C",
                            help="the precision wanted: warnings whose estimated probability of being an error "
                            "is below C are hints (default 0.5)")
    inspection.add_argument("--reset", action="store_true", help="back to the defaults")
    inspection.set_defaults(handler=cmd_inspection)
    inspect = commands.add_parser("inspect", help="inspect every label of a dataset folder or of a project")
    inspect.add_argument("dataset", type=Path, nargs="?", help="DIR with images/ and labels/")
    inspect.add_argument("--project", help="instead of a folder: the latest labels stored in this project "
                                           "(a reviewer's or admin's token)")
    inspect.add_argument("--settings", metavar="PROJECT",
                         help="for a folder: apply this project's inspection settings (with --project they apply)")
    inspect.add_argument("-o", "--output", type=Path,
                         help="JSON report (default: DIR/inspection.json, or inspection-PROJECT.json)")
    inspect.add_argument("--criterion", type=parse_step, action="append", default=[],
                         metavar="NAME[:k=v,...]", help="override a criterion's parameters")
    inspect.set_defaults(handler=cmd_inspect)
    queue = commands.add_parser("review-queue", help="a project's stored labels, most likely errors first "
                                "(model disagreement and calibrated criteria)")
    queue.add_argument("project")
    queue.add_argument("--limit", type=int, default=30, help="suspects to list")
    queue.add_argument("--max-samples", type=int, default=0,
                       help="score the newest N labelled samples (default: the service's 500)")
    queue.add_argument("--include-accepted", action="store_true", help="also score labels a reviewer accepted")
    queue.add_argument("-o", "--output", type=Path, help="also write the ranking as JSON")
    queue.set_defaults(handler=cmd_review_queue)
    answers = commands.add_parser("answers", help="a project's answers to inspection findings (not an error, "
                                  "corrected, kept), or take one back")
    answers.add_argument("project")
    answers.add_argument("--undo", type=int, metavar="ANSWER_ID",
                         help="take this answer back (a reviewer's or admin's token): it no longer counts")
    answers.set_defaults(handler=cmd_answers)
