"""The ``bench`` command line: ``run`` trains and evaluates, ``tune`` searches
hyperparameters, ``report`` turns results into a comparison page, ``latency`` times
inference, ``list`` shows the registry."""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path

from bench import tflog
from bench.config import DEFAULT_PROFILE, PRECISIONS, PROFILES, SCHEDULES
from bench.errors import BAD_INPUT, BenchError
from bench.measure.latency import RUNTIMES

EXIT_RUNS_FAILED = 1
EXIT_BAD_INPUT = 2
STATUSES = ("ok", "failed", "locked")  # a run's, as `bench run` counts them


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line (and exit code 2), not a usage block."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(
    accepts: Callable[[float], bool], wanted: str, kind: type = float
) -> Callable[[str], float]:
    """An argparse type: a ``kind`` (float or int) that ``accepts`` admits, else an error
    naming ``wanted``."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            value = math.nan  # admitted by no check below
        if not accepts(value):
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text}")
        return value

    return parse


_positive_int = _number(lambda value: value > 0, "a positive integer", int)
_non_negative_int = _number(lambda value: value >= 0, "an integer of 0 or more", int)
_positive_float = _number(lambda value: value > 0, "a positive number")
_non_negative_float = _number(lambda value: value >= 0, "a number of 0 or more")
# Zoom and shift ranges are 10% times the strength and must stay below 100%.
_augment_strength = _number(lambda value: 0 <= value < 10, "a number of 0 or more and below 10")


def _add_determinism_arg(parser: argparse.ArgumentParser, outcome: str, note: str) -> None:
    parser.add_argument(
        "--determinism",
        choices=["on", "off"],
        default="on",
        help=f"TensorFlow's op determinism, so that the same seed gives the same {outcome} "
        f"on the same machine; {note} (default: on)",
    )


def _apply_determinism(args) -> None:
    """Turn op determinism on when ``--determinism on`` (the default) asks for it."""
    if args.determinism == "on":
        from bench.store.environment import enable_determinism

        enable_determinism()


def _add_arch_args(
    parser: argparse.ArgumentParser, selection: bool, required: bool = True
) -> argparse._MutuallyExclusiveGroup | None:
    group = None
    if selection:
        group = parser.add_mutually_exclusive_group(required=required)
        group.add_argument("--all", action="store_true", help="every registered architecture")
        group.add_argument("--arch", nargs="+", metavar="NAME", help="these architectures")
    parser.add_argument(
        "--arch-module",
        action="append",
        default=[],
        metavar="FILE",
        help="a Python file that registers more architectures (repeatable)",
    )
    return group


def _add_data_args(parser: argparse.ArgumentParser) -> None:
    from bench.data.sources import DATASET_HELP

    parser.add_argument(
        "--dataset", default="mnist", help=f"dataset (default: mnist). {DATASET_HELP}"
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="folder with the four IDX files, directly or in a subfolder named after the "
        "dataset (default: $BENCH_DATA_DIR, then Keras' cache)",
    )
    parser.add_argument(
        "--profile",
        choices=list(PROFILES),
        default=DEFAULT_PROFILE,
        help="; ".join(f"{p.name}: {p.description}" for p in PROFILES.values())
        + f" (default: {DEFAULT_PROFILE})",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="bench",
        description="Train, evaluate and compare small CNNs on MNIST-family data.",
        epilog=f"TensorFlow's own log is kept off the terminal; set {tflog.LOG_ENV}=1 to see it.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="train and evaluate architectures; results go under --out",
        description="Train and evaluate architectures with and without augmentation. "
        "Finished runs are skipped when run again; --force reruns them.",
    )
    selection = _add_arch_args(run, selection=True)
    selection.add_argument(
        "--from",
        dest="from_record",
        metavar="RECORD",
        help="repeat the run a record.json describes, with its exact settings and seed, into "
        "--out (default: a 'repeats' folder beside the record's run), and compare its test "
        "predictions with the original's",
    )
    _add_data_args(run)
    run.add_argument(
        "--augment",
        choices=["on", "off", "both"],
        default="both",
        help="train with augmentation, without, or both (default: both)",
    )
    run.add_argument(
        "--augment-strength",
        type=_augment_strength,
        default=None,
        metavar="S",
        help="scale of the augmentation ranges: 1.0 is rotation 10 degrees, zoom 10%%, "
        "shift 10%% (default: 1.0)",
    )
    run.add_argument(
        "--seed", type=_non_negative_int, default=0, help="the first random seed (default: 0)"
    )
    run.add_argument(
        "--seeds",
        type=_positive_int,
        metavar="N",
        help="runs per configuration, with seeds SEED, SEED+1, ... (default: the profile's, "
        "1, or 3 for full)",
    )
    run.add_argument(
        "--schedule",
        choices=list(SCHEDULES),
        help="onecycle: train exactly the epoch budget, the learning rate warming up linearly "
        "to its peak over the first 15%% of the steps, then falling along a half cosine to 0, "
        "and keep the last weights; plateau: the older protocol, early stopping on validation "
        "accuracy (best weights kept) with the rate halved when the validation loss stalls "
        "(default: each architecture's, onecycle for all built in)",
    )
    run.add_argument(
        "--epochs",
        type=_positive_int,
        help="override the epoch budget (plateau: the cap)",
    )
    run.add_argument("--batch-size", type=_positive_int, help="override the batch size")
    run.add_argument(
        "--learning-rate",
        type=_positive_float,
        help="override the learning rate (onecycle: its peak; plateau: its start)",
    )
    run.add_argument(
        "--precision",
        choices=["auto", *PRECISIONS],
        help="arithmetic of training and inference: bfloat16 and float16 are Keras mixed "
        "precision (float32 variables); auto: bfloat16 on a CPU with native bfloat16 "
        "(AVX512-BF16 or AMX), float16 on a GPU, else float32 (default: each "
        "architecture's; auto for the built-in ones but lenet5, which is faster in float32)",
    )
    run.add_argument(
        "--weight-decay",
        type=_non_negative_float,
        help="override the decoupled weight decay (AdamW style: each step shrinks the "
        "weights by learning rate x weight decay)",
    )
    run.add_argument(
        "--patience",
        type=_positive_int,
        help="plateau only: override early stopping's patience, epochs without a better "
        "validation accuracy before a run stops (the epoch cap or more: never stop early)",
    )
    run.add_argument(
        "--val-size",
        type=_positive_int,
        help="validation images carved from the training set (default: the profile's: 500 "
        "for smoke, else 5000 or a tenth of a smaller training set)",
    )
    _add_determinism_arg(run, "predictions", "recorded with every run")
    run.add_argument("--out", metavar="DIR", help="results folder (default: results)")
    run.add_argument("--force", action="store_true", help="rerun runs that already finished")
    run.add_argument("--quiet", action="store_true", help="print only the summary and errors")
    run.add_argument(
        "--report",
        action="store_true",
        help="build the HTML report (OUT/report.html) when the runs are done",
    )
    run.add_argument(
        "--tuned",
        action="store_true",
        help="train and evaluate each architecture's best hyperparameters from `bench tune` "
        "(OUT/tuning/<dataset>/<arch>/best.json) as variant 'tuned'",
    )
    run.set_defaults(handler=cmd_run)
    _add_tune_parser(commands)

    report = commands.add_parser(
        "report",
        help="build the HTML comparison page (or a Markdown or CSV leaderboard) from results",
        description="Build one self-contained HTML page comparing the runs of a results "
        "folder (a partial suite is fine), or print the leaderboard as Markdown or CSV.",
    )
    report.add_argument(
        "--results",
        default="results",
        metavar="DIR",
        help="results folder to read (default: results)",
    )
    report.add_argument(
        "--out",
        metavar="FILE",
        help="file to write (default: DIR/report.html for html; md and csv print the table "
        "unless given a file)",
    )
    report.add_argument(
        "--benchmarks",
        default=".benchmarks",
        metavar="DIR",
        help="pytest-benchmark's saved runs, for the latency history (default: .benchmarks)",
    )
    report.add_argument(
        "--format",
        choices=["html", "md", "csv"],
        default="html",
        help="html: write the page; md: print the leaderboard as a Markdown table; csv: print "
        "it as CSV, intervals as low and high columns (default: html)",
    )
    report.set_defaults(handler=cmd_report)

    latency = commands.add_parser(
        "latency",
        help="measure inference latency and throughput through each runtime",
        description="Measure batch-1 latency (p50/p90/p99) and batch throughput of each "
        "architecture through a compiled tf.function, model.predict, LiteRT and ONNX Runtime. "
        "Trained models in --results are used where there are any (freshly built ones "
        "otherwise: latency does not depend on the weights); the figures are stored in "
        "DIR/latency/ for the report.",
    )
    _add_arch_args(latency, selection=True, required=False)
    latency.add_argument(
        "--results", default="results", metavar="DIR", help="results folder (default: results)"
    )
    latency.add_argument(
        "--runtime",
        nargs="+",
        choices=list(RUNTIMES),
        default=list(RUNTIMES),
        help="runtimes to measure (default: all)",
    )
    latency.add_argument(
        "--calls",
        type=_positive_int,
        default=200,
        help="timed batch-1 calls per runtime (default: 200)",
    )
    latency.add_argument(
        "--batch-size",
        type=_positive_int,
        default=256,
        help="batch size for throughput (default: 256)",
    )
    latency.add_argument(
        "--threads",
        type=_positive_int,
        metavar="N",
        help="threads each runtime may use, TensorFlow's included (default: every core)",
    )
    latency.set_defaults(handler=cmd_latency)

    lst = commands.add_parser(
        "list",
        help="list registered architectures with their size and cost",
        description="List registered architectures: parameters, forward FLOPs per image, "
        "saved size and description.",
    )
    _add_arch_args(lst, selection=False)
    lst.add_argument(
        "--format",
        choices=["table", "json"],
        default="table",
        help="a table to read, or JSON for scripts (default: table)",
    )
    lst.add_argument(
        "--input-shape",
        default="28,28,1",
        metavar="H,W,C",
        help="input shape to build for (default: 28,28,1)",
    )
    lst.add_argument(
        "--num-classes",
        type=_positive_int,
        default=10,
        help="classes to build the output layer for (default: 10)",
    )
    lst.set_defaults(handler=cmd_list)
    return parser


def _load_architectures(arch_modules: list[str]):
    import architectures

    architectures.load_entry_points()
    for path in arch_modules:
        architectures.load_module(path)
    return architectures


def _selected_architectures(args):
    """The registry and the names chosen by --arch (all of them by default or with --all);
    unknown names fail here, before any data is read."""
    architectures = _load_architectures(args.arch_module)
    archs = args.arch or architectures.names()
    for name in archs:
        architectures.get(name)
    return architectures, archs


def cmd_list(args) -> int:
    from tabulate import tabulate

    from bench.measure.modelinfo import model_info

    architectures = _load_architectures(args.arch_module)
    try:
        input_shape = tuple(int(v) for v in args.input_shape.split(","))
    except ValueError:
        raise BenchError(
            f"--input-shape {args.input_shape}: expected H,W,C such as 28,28,1"
        ) from None
    rows = []
    for name in architectures.names():
        spec = architectures.get(name)
        model = architectures.create(name, input_shape=input_shape, num_classes=args.num_classes)
        info = model_info(model)
        rows.append(
            {
                "name": name,
                "params": info.params,
                "flops": info.flops,
                "saved_bytes": info.saved_bytes,
                "description": spec.description,
                "reference": spec.reference,
            }
        )
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    else:
        table = [
            [
                r["name"],
                f"{r['params']:,}",
                f"{r['flops'] / 1e6:.2f}",
                f"{r['saved_bytes'] / 1e6:.2f}",
                r["description"],
            ]
            for r in rows
        ]
        headers = ["name", "params", "MFLOPs", "saved MB", "description"]
        print(tabulate(table, headers=headers, disable_numparse=True))
    return 0


def _load_splits(args, spec):
    """The dataset named by ``--dataset``/``--data-dir``, split as ``spec`` says."""
    from bench.data.sources import load_dataset, split_dataset

    dataset = load_dataset(args.dataset, args.data_dir)
    splits = split_dataset(
        dataset,
        val_size=spec.val_size,
        train_size=spec.train_size,
        test_size=spec.test_size,
        seed=spec.split_seed,
    )
    return dataset, splits


def _dataset_info(dataset) -> dict:
    return {
        "name": dataset.name,
        "source": dataset.source,
        "checksums": dataset.checksums,
        "num_classes": dataset.num_classes,
        "input_shape": list(dataset.input_shape),
    }


def cmd_run(args) -> int:
    from bench.progress import Progress, format_duration
    from bench.train.suite import run_suite

    if args.from_record:
        repeat = _repeat_from(args)
        specs, profile_name = [repeat.spec], repeat.spec.profile
    else:
        repeat = None
        args.out = args.out or "results"
        specs, profile_name = _planned_specs(args)
    _apply_determinism(args)
    dataset, splits = _load_splits(args, specs[0])
    if repeat is not None:
        repeat.check_dataset(dataset)
    dataset_info = _dataset_info(dataset)
    progress = Progress(len(specs), quiet=args.quiet)
    if not args.quiet:
        print(
            f"{len(specs)} runs on {dataset.name} ({dataset.source}): "
            f"{len(splits.x_train):,} train / {len(splits.x_val):,} validation / "
            f"{len(splits.x_test):,} test images, profile {profile_name}, results in {args.out}"
        )
    force = args.force or repeat is not None
    records = run_suite(specs, splits, dataset_info, Path(args.out), force, progress)
    print(summary_table(records))
    count = {status: sum(r["status"] == status for r in records) for status in STATUSES}
    locked = f", {count['locked']} locked by another process" if count["locked"] else ""
    print(
        f"{count['ok']} ok, {count['failed']} failed{locked} "
        f"in {format_duration(progress.elapsed())}"
    )
    if repeat is not None and records[0]["status"] == "ok":
        print(repeat.compare_predictions(Path(args.out) / specs[0].run_id))
    if args.report:
        from report import build_report

        print(f"report: {build_report(args.out)}")
    return EXIT_RUNS_FAILED if count["failed"] else 0


def _planned_specs(args):
    """The runs that --all/--arch, the profile, --augment, the seeds and overrides ask for."""
    from bench.config import get_profile, plan

    architectures, archs = _selected_architectures(args)
    profile = get_profile(args.profile)
    augment_modes = {"on": [True], "off": [False], "both": [False, True]}[args.augment]
    overrides = dict(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        weight_decay=args.weight_decay,
        schedule=args.schedule,
        precision=args.precision,
        patience=args.patience,
        augment_strength=args.augment_strength,
        val_size=args.val_size,
    )
    seeds = range(args.seed, args.seed + (args.seeds or profile.seeds))
    if args.tuned:
        from bench.tune import tuned_specs

        announce = None if args.quiet else print
        specs = tuned_specs(
            args.out, archs, args.dataset, profile, augment_modes, seeds, announce, **overrides
        )
    else:
        specs = plan(archs, args.dataset, profile, augment_modes, seeds, **overrides)
    return specs, profile.name


# Settings a record fixes, so that `run --from` refuses them rather than ignore them.
REPEAT_FIXES = (
    "dataset",
    "profile",
    "augment",
    "augment_strength",
    "seed",
    "seeds",
    "epochs",
    "batch_size",
    "learning_rate",
    "weight_decay",
    "schedule",
    "precision",
    "patience",
    "val_size",
    "tuned",
)


def _repeat_from(args):
    """Set up ``run --from RECORD``: the record's spec, its dataset, and where to write."""
    from bench.train.repeat import Repeat

    defaults = build_parser().parse_args(["run", "--from", args.from_record])
    for name in REPEAT_FIXES:
        if getattr(args, name) != getattr(defaults, name):
            flag = "--" + name.replace("_", "-")
            raise BenchError(f"--from repeats the record's own settings; drop {flag}")
    _load_architectures(args.arch_module)
    repeat = Repeat.load(args.from_record)
    args.dataset = repeat.spec.dataset
    args.out = args.out or str(repeat.default_out())
    repeat.check_target(Path(args.out))
    for warning in repeat.warnings():
        print(f"warning: {warning}", file=sys.stderr)
    return repeat


def cmd_report(args) -> int:
    from report import build_report, leaderboard, load_runs, markdown, table_csv

    if args.format in ("md", "csv"):
        from report.significance import compare_groups

        frame, runs = load_runs(args.results)
        board = leaderboard(frame, compare_groups(runs))
        text = markdown(board) + "\n" if args.format == "md" else table_csv(board)
        if args.out:
            from bench.store import results

            results.write_text(Path(args.out), text)
            print(f"leaderboard: {args.out} ({len(board)} rows)")
        else:
            print(text, end="")
        return 0
    path = build_report(args.results, args.out, args.benchmarks)
    print(f"report: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def cmd_latency(args) -> int:
    from bench.measure import latency as lat
    from bench.store import results

    if args.threads:
        lat.limit_tensorflow_threads(args.threads)  # before any model exists
    architectures, archs = _selected_architectures(args)
    settings = lat.LatencySettings(
        calls=args.calls, batch_size=args.batch_size, threads=args.threads or 0
    )
    trained = results.latest_models(args.results)
    measured = []
    for name in archs:
        model, weights = _latency_model(architectures, name, trained.get(name))
        print(f"{name}: {weights}", flush=True)
        found = lat.measure(model, tuple(args.runtime), settings)
        results.write_latency(args.results, name, found, weights, model.input_shape[1:])
        measured.append((name, found))
    print(lat.table(measured))
    print(f"* fastest batch-1 p50 per architecture; figures stored in {args.results}/latency/")
    return 0


def _latency_model(architectures, name: str, model_path):
    """The trained model of ``name`` where one exists, else a freshly built one."""
    import keras

    if model_path is not None:
        return keras.saving.load_model(model_path, compile=False), f"trained ({model_path})"
    return architectures.create(name), "freshly built weights (no trained model found)"


def _add_tune_parser(commands) -> None:
    from bench.tune import TUNERS

    tune = commands.add_parser(
        "tune",
        help="search hyperparameters with keras-tuner, on the validation split only",
        description="Search each architecture's hyperparameters (its own search space plus "
        "the learning rate) with the same budget for all, scoring trials on validation "
        "accuracy; the test set is not used. State is kept in OUT/tuning/<dataset>/<arch>/, so "
        "the same command again continues the search; the best configuration goes to best.json "
        "there, for `bench run --tuned`. A search uses one seed (--seed), so the full profile "
        "searches as the standard one does.",
    )
    _add_arch_args(tune, selection=True)
    _add_data_args(tune)
    tune.add_argument(
        "--tuner", choices=list(TUNERS), default="random", help="search algorithm (default: random)"
    )
    tune.add_argument(
        "--max-trials",
        type=_positive_int,
        help="trials per architecture, counting those already done (default: 10; hyperband: "
        "its own schedule unless given)",
    )
    tune.add_argument(
        "--time-budget",
        type=_positive_float,
        metavar="MINUTES",
        help="start no new trial after this many minutes (per architecture)",
    )
    tune.add_argument(
        "--augment",
        choices=["on", "off"],
        default="off",
        help="train trials with augmentation (default: off)",
    )
    tune.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (default: 0)")
    _add_determinism_arg(tune, "trial scores", "as in `run`")
    tune.add_argument(
        "--out", default="results", metavar="DIR", help="results folder (default: results)"
    )
    tune.add_argument(
        "--distributed",
        choices=["chief", "worker"],
        help="run as keras-tuner's chief (holds the search, runs no trials) or as a worker",
    )
    tune.add_argument(
        "--oracle", metavar="HOST:PORT", help="the chief's address (with --distributed)"
    )
    tune.add_argument(
        "--worker-id",
        type=_non_negative_int,
        metavar="N",
        help="this worker's number, different for each worker (with --distributed worker)",
    )
    tune.add_argument("--quiet", action="store_true", help="print only the summary and errors")
    tune.set_defaults(handler=cmd_tune)


def cmd_tune(args) -> int:
    from bench import tune as tuning
    from bench.config import get_profile, plan

    architectures, archs = _selected_architectures(args)
    profile = get_profile(args.profile)
    if args.distributed is None and (args.oracle or args.worker_id is not None):
        raise BenchError("--oracle and --worker-id go with --distributed chief|worker")
    if args.distributed is not None and not args.oracle:
        raise BenchError("--distributed needs --oracle HOST:PORT, the chief's address")
    env = {}
    if args.distributed is not None:
        env = tuning.distributed_env(args.distributed, args.oracle, args.worker_id)
    specs = plan(archs, args.dataset, profile, [args.augment == "on"], seeds=[args.seed])
    if (env or tuning.distributed_role() != "local") and len(specs) > 1:
        raise BenchError("a distributed search takes one architecture: use --arch NAME")
    dataset, splits = _load_splits(args, specs[0])
    _apply_determinism(args)
    os.environ.update(env)  # keras-tuner reads its chief/worker settings from these
    role = tuning.distributed_role()
    settings = tuning.SearchSettings(args.tuner, args.max_trials, args.time_budget, args.quiet)
    if not args.quiet:
        print(
            f"tuning {len(specs)} architecture(s) on {dataset.name} as {role}: {args.tuner} "
            f"search, profile {profile.name}, augmentation {args.augment}, objective "
            f"{tuning.OBJECTIVE}; {len(splits.x_train):,} train / {len(splits.x_val):,} "
            f"validation images (the test set is not used); state in "
            f"{Path(args.out) / tuning.TUNING_DIR}",
            flush=True,
        )
    failed = 0
    for spec in specs:
        outcome = tuning.search(spec, splits, args.out, settings)
        print(_tune_summary(outcome), flush=True)
        failed += outcome.error is not None
    return EXIT_RUNS_FAILED if failed else 0


def _tune_summary(outcome) -> str:
    from bench.tune import OBJECTIVE, format_values, trial_number

    ran = len(outcome.trials_run)
    if outcome.error is not None:
        return f"{outcome.arch}: search stopped: {outcome.error}"
    if outcome.role == "worker":
        numbers = ", ".join(trial_number(t) for t in outcome.trials_run) or "none"
        return f"{outcome.arch}: this worker ran {ran} trial(s): {numbers}"
    budget = "; time budget spent" if outcome.stopped_by_budget else ""
    if outcome.best is None:
        return f"{outcome.arch}: {outcome.trials_total} trials, none finished yet{budget}"
    best = outcome.best
    return (
        f"{outcome.arch}: {best.trials} trials ({ran} run now){budget}; best {OBJECTIVE} "
        f"{best.best_val_accuracy:.4f} (trial {trial_number(best.best_trial)}): "
        f"{format_values(best.hyperparameters)} -> {outcome.best_path}"
    )


def summary_table(records: list[dict]) -> str:
    from tabulate import tabulate

    rows = []
    for r in records:
        spec, metrics, model = r["spec"], r.get("metrics", {}), r.get("model", {})
        ok = r["status"] == "ok"
        variant = spec.get("variant", "default")
        rows.append(
            [
                spec["arch"] if variant == "default" else f"{spec['arch']} ({variant})",
                "on" if spec["augment"] else "off",
                r["status"],
                f"{metrics['test_accuracy']:.4f}" if ok else "",
                f"{model['params']:,}" if ok else "",
                f"{model['flops'] / 1e6:.2f}" if ok else "",
                metrics.get("epochs", ""),
                f"{metrics['seconds_per_epoch']:.1f}" if ok else "",
                f"{metrics['images_per_second']:.0f}" if ok else "",
                f"{metrics['gflops_per_second']:.1f}" if ok else "",
                "" if ok else r.get("error", ""),
            ]
        )
    headers = [
        "arch",
        "augment",
        "status",
        "test acc",
        "params",
        "MFLOPs",
        "epochs",
        "s/epoch",
        "img/s",
        "GFLOP/s",
        "error",
    ]
    return tabulate(rows, headers=headers, disable_numparse=True)


def main(argv: list[str] | None = None) -> int:
    # TensorFlow's C++ log (start-up chatter, and a harmless graph-rewrite notice for the
    # augmentation map under op determinism) would bury the one-line errors and progress;
    # nothing has imported TensorFlow yet. BENCH_TF_LOG=1 lets it through.
    tflog.silence()
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except BAD_INPUT as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted; finished runs are saved", file=sys.stderr)
        return 130


def main_entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
