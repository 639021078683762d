"""``bench run``: train and evaluate architectures, or repeat one recorded run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench import api
from bench.cli.args import (
    EXIT_RUNS_FAILED,
    OneLineParser,
    add_arch_args,
    add_data_args,
    add_determinism_arg,
    add_force_arg,
    add_measurement_args,
    arch_selection,
    augment_strength,
    fraction,
    given,
    measurement_values,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
)
from bench.cli.summary import STATUSES, summary_table
from bench.config import PRECISIONS, SCHEDULES, TRAIN_SETTINGS
from bench.errors import BenchError
from bench.words import counted

# Run settings beyond the training ones that `run` takes as flags; with TRAIN_SETTINGS, what
# a run's flags override.
SPEC_FLAGS = ("val_size",)
# Settings a record fixes, so that `run --from` refuses them rather than ignore them.
REPEAT_FIXES = ("dataset", "profile", "augment", "seed", "seeds", "tuned")
REPEAT_FIXES += SPEC_FLAGS + TRAIN_SETTINGS


HELP = "train and evaluate architectures; results go under --out"
DESCRIPTION = (
    "Train and evaluate architectures with and without augmentation. "
    "Finished runs are skipped when run again; --force reruns them."
)


def add_parser(commands) -> argparse.ArgumentParser:
    run = commands.add_parser("run", help=HELP, description=DESCRIPTION)
    selection = add_arch_args(run, selection=True)
    selection.add_argument(
        "--from",
        dest="from_record",
        metavar="RECORD",
        help="repeat the run a record.json describes, with its exact settings and seed, into "
        "--out (default: a 'repeats' folder beside the record's run), and compare its test "
        "predictions with the original's",
    )
    add_data_args(run)
    _add_suite_args(run)
    _add_training_args(run)
    add_measurement_args(run)
    _add_cluster_args(run)
    add_determinism_arg(run, "predictions", "recorded with every run")
    run.add_argument("--out", metavar="DIR", help="results folder (default: results)")
    add_force_arg(run)
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
    return run


def _add_suite_args(run: argparse.ArgumentParser) -> None:
    """Which runs: augmentation, its strength and the seeds."""
    run.add_argument(
        "--augment",
        choices=["on", "off", "both"],
        default="both",
        help="train with augmentation, without, or both (default: both)",
    )
    run.add_argument(
        "--augment-strength",
        type=augment_strength,
        default=None,
        metavar="S",
        help="scale of the augmentation ranges: 1.0 is rotation 10 degrees, zoom 10%%, "
        "shift 10%% (default: 1.0)",
    )
    run.add_argument(
        "--seed", type=non_negative_int, default=0, help="the first random seed (default: 0)"
    )
    run.add_argument(
        "--seeds",
        type=positive_int,
        metavar="N",
        help="runs per configuration, with seeds SEED, SEED+1, ... (default: the profile's, "
        "1, or 3 for full)",
    )


def _add_cluster_args(run: argparse.ArgumentParser) -> None:
    """Where the runs go: this process (default) or a Dask cluster."""
    cluster = run.add_argument_group(
        "Dask cluster",
        'run the suite\'s runs side by side (needs Dask: pip install -e ".[distributed]")',
    )
    place = cluster.add_mutually_exclusive_group()
    place.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="start a cluster of N worker processes on this machine, one run at a time each",
    )
    place.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="use the running cluster whose scheduler is at ADDRESS (tcp://HOST:8786), "
        "started with `dask scheduler` and `dask worker ADDRESS --nthreads 1`",
    )
    cluster.add_argument(
        "--threads-per-worker",
        type=positive_int,
        metavar="T",
        help="TensorFlow threads in each worker (default with --workers: the cores split "
        "evenly between them; with --scheduler: as the workers started)",
    )


def _add_training_args(run: argparse.ArgumentParser) -> None:
    """Overrides of the training settings (``bench.config.TrainConfig``) and the split."""
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
        type=positive_int,
        help="override the epoch budget (plateau: the cap)",
    )
    run.add_argument("--batch-size", type=positive_int, help="override the batch size")
    run.add_argument(
        "--learning-rate",
        type=positive_float,
        help="override the learning rate (onecycle: its peak; plateau: its start)",
    )
    run.add_argument(
        "--precision",
        choices=["auto", *PRECISIONS],
        help="arithmetic of training and inference: bfloat16 and float16 are Keras mixed "
        "precision (float32 variables); auto: bfloat16 on a CPU with native bfloat16 "
        "(AVX512-BF16 or AMX), float16 on a GPU, else float32 (default: each "
        "architecture's; auto for the built-in ones but lenet5 and mobilenet_lite, which "
        "train faster in float32)",
    )
    run.add_argument(
        "--weight-decay",
        type=non_negative_float,
        help="override the decoupled weight decay (AdamW style: each step shrinks the "
        "weights by learning rate x weight decay)",
    )
    run.add_argument(
        "--label-smoothing",
        type=fraction,
        help="the share of each training target spread evenly over all classes (default 0)",
    )
    run.add_argument(
        "--ema",
        type=fraction,
        help="keep an exponential moving average of the weights with this momentum per step "
        "(e.g. 0.999) and end the run with the averaged weights (default 0: off)",
    )
    run.add_argument(
        "--patience",
        type=positive_int,
        help="plateau only: override early stopping's patience, epochs without a better "
        "validation accuracy before a run stops (the epoch cap or more: never stop early)",
    )
    run.add_argument(
        "--val-size",
        type=positive_int,
        help="validation images carved from the training set (default: the profile's: 500 "
        "for smoke, else 5000 or a tenth of a smaller training set)",
    )


def cmd_run(args) -> int:
    from bench.progress import Progress, format_duration

    # before the networks' modules load Keras: a cluster that is not there fails in a second
    api.check_cluster(args.workers, args.threads_per_worker, args.scheduler)
    if args.from_record:
        repeat = _repeat_from(args)
        specs, profile_name = [repeat.spec], repeat.spec.profile
    else:
        repeat = None
        args.out = args.out or "results"
        specs, profile_name = _planned_specs(args), args.profile
    if args.determinism == "on":
        api.enable_determinism()
    data = api.data_for(specs[0], args.data_dir)
    if repeat is not None:
        repeat.check_dataset(data.dataset)
    progress = Progress(len(specs), quiet=args.quiet)
    if not args.quiet:
        splits = data.splits
        print(
            f"{counted(len(specs), 'run')} on {data.dataset.name} ({data.dataset.source}): "
            f"{len(splits.x_train):,} train / {len(splits.x_val):,} validation / "
            f"{len(splits.x_test):,} test images, profile {profile_name}, results in {args.out}"
        )
    force = args.force or repeat is not None
    records = api.run(
        specs,
        data,
        args.out,
        force,
        determinism=args.determinism == "on",
        progress=progress,
        measure=measurement_values(args),
        workers=args.workers,
        threads_per_worker=args.threads_per_worker,
        scheduler=args.scheduler,
        arch_modules=args.arch_module,
        measurement_modules=args.measurement_module,
    )
    print(summary_table(records))
    count = {status: sum(r.status == status for r in records) for status in STATUSES}
    locked = f", {count['locked']} locked by another process" if count["locked"] else ""
    print(
        f"{count['ok']} ok, {count['failed']} failed{locked} "
        f"in {format_duration(progress.elapsed())}"
    )
    if repeat is not None and records[0].ok:
        print(repeat.compare_predictions(Path(args.out) / specs[0].run_id))
    if args.report:
        print(f"report: {api.build_report(args.out)}")
    return EXIT_RUNS_FAILED if count["failed"] else 0


def _planned_specs(args) -> list:
    """The runs that --all/--arch, the profile, --augment, the seeds and overrides ask for."""
    overrides = {
        name: getattr(args, name)
        for name in TRAIN_SETTINGS + SPEC_FLAGS
        if getattr(args, name, None) is not None
    }
    return api.plan(
        **arch_selection(args),
        **given(args, "dataset", "profile", "augment", "seeds", "seed", "tuned", "out"),
        announce=None if args.quiet else print,
        **overrides,
    )


def _repeat_from(args):
    """Set up ``run --from RECORD``: the record's spec, its dataset, and where to write."""
    from bench.train.repeat import Repeat

    defaults = add_parser(OneLineParser().add_subparsers())
    for name in REPEAT_FIXES:
        if getattr(args, name, None) != defaults.get_default(name):
            flag = "--" + name.replace("_", "-")
            raise BenchError(f"--from repeats the record's own settings; drop {flag}")
    api.load_architectures(args.arch_module)
    repeat = Repeat.load(args.from_record)
    args.dataset = repeat.spec.dataset
    args.out = args.out or str(repeat.default_out())
    repeat.check_target(Path(args.out))
    for warning in repeat.warnings():
        print(f"warning: {warning}", file=sys.stderr)
    return repeat
