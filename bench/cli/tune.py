"""``bench tune``: search each architecture's hyperparameters on the validation split."""

from __future__ import annotations

import argparse

from bench import api
from bench.cli.args import (
    EXIT_RUNS_FAILED,
    add_arch_args,
    add_data_args,
    add_determinism_arg,
    arch_selection,
    given,
    non_negative_int,
    positive_float,
    positive_int,
)
from bench.words import counted

HELP = "search hyperparameters with keras-tuner, on the validation split only"
DESCRIPTION = (
    "Search each architecture's hyperparameters (its own search space plus "
    "the learning rate) with the same budget for all, scoring trials on validation "
    "accuracy; the test set is not used. State is kept in OUT/tuning/<dataset>/<arch>/, so "
    "the same command again continues the search; the best configuration goes to best.json "
    "there, for `bench run --tuned`. A search uses one seed (--seed), so the full profile "
    "searches as the standard one does."
)


def add_parser(commands) -> argparse.ArgumentParser:
    from bench.tune import TUNERS

    tune = commands.add_parser("tune", help=HELP, description=DESCRIPTION)
    add_arch_args(tune, selection=True)
    add_data_args(tune)
    tune.add_argument(
        "--tuner", choices=list(TUNERS), default="random", help="search algorithm (default: random)"
    )
    tune.add_argument(
        "--max-trials",
        type=positive_int,
        help="trials per architecture, counting those already done (default: 10; hyperband: "
        "its own schedule unless given)",
    )
    tune.add_argument(
        "--time-budget",
        type=positive_float,
        metavar="MINUTES",
        help="start no new trial after this many minutes (per architecture)",
    )
    tune.add_argument(
        "--augment",
        choices=["on", "off"],
        default="off",
        help="train trials with augmentation (default: off)",
    )
    tune.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default: 0)")
    add_determinism_arg(tune, "trial scores", "as in `run`")
    tune.add_argument(
        "--out", default="results", metavar="DIR", help="results folder (default: results)"
    )
    _add_distributed_args(tune)
    tune.add_argument("--quiet", action="store_true", help="print only the summary and errors")
    tune.set_defaults(handler=cmd_tune)
    return tune


def _add_distributed_args(tune: argparse.ArgumentParser) -> None:
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
        type=non_negative_int,
        metavar="N",
        help="this worker's number, different for each worker (with --distributed worker)",
    )


def cmd_tune(args) -> int:
    from bench.tune import OBJECTIVE, TUNING_DIR

    flags = ("dataset", "data_dir", "profile", "tuner", "max_trials", "time_budget", "seed")
    search = api.prepare_search(
        **arch_selection(args),
        **given(args, *flags, "out", "quiet", "distributed", "oracle", "worker_id"),
        augment=args.augment == "on",
        determinism=args.determinism == "on",
    )
    if not args.quiet:
        splits = search.data.splits
        print(
            f"tuning {counted(len(search.specs), 'architecture')} on {search.data.dataset.name} as "
            f"{search.role}: {args.tuner} search, profile {args.profile}, augmentation "
            f"{args.augment}, objective {OBJECTIVE}; {len(splits.x_train):,} train / "
            f"{len(splits.x_val):,} validation images (the test set is not used); state in "
            f"{search.out / TUNING_DIR}",
            flush=True,
        )
    failed = 0
    for outcome in search.outcomes():
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
        return f"{outcome.arch}: this worker ran {counted(ran, 'trial')}: {numbers}"
    budget = "; time budget spent" if outcome.stopped_by_budget else ""
    if outcome.best is None:
        trials = counted(outcome.trials_total, "trial")
        return f"{outcome.arch}: {trials}, none finished yet{budget}"
    best = outcome.best
    return (
        f"{outcome.arch}: {counted(best.trials, 'trial')} ({ran} run now){budget}; "
        f"best {OBJECTIVE} "
        f"{best.best_val_accuracy:.4f} (trial {trial_number(best.best_trial)}): "
        f"{format_values(best.hyperparameters)} -> {outcome.best_path}"
    )
