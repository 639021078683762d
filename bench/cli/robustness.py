"""``bench robustness``: accuracy on corrupted digits for finished runs made without it."""

from __future__ import annotations

import argparse

from bench import robustness
from bench.cli.args import add_corruptions_arg, add_saved_runs_args, given
from bench.words import counted

HELP = "evaluate finished runs' models on corrupted test digits (rotated, noisy, occluded...)"
DESCRIPTION = (
    "For each finished run in --results whose record has no corrupted-digit figures (every "
    "run with --force) and whose model.keras is there: evaluate the model on corrupted copies "
    "of the run's test images (bench.measure.corruptions, made from the data, not downloaded) "
    "and add the accuracy per corruption and severity to the record, and the predictions to "
    "corruptions.npz. The corrupted sets are cached in --results/.corruptions."
)


def add_parser(commands) -> argparse.ArgumentParser:
    parser = commands.add_parser("robustness", help=HELP, description=DESCRIPTION)
    add_saved_runs_args(parser, force_help="evaluate runs whose record has the figures already")
    add_corruptions_arg(parser, default="default")
    parser.set_defaults(handler=cmd_robustness)
    return parser


def cmd_robustness(args) -> int:
    updated = robustness.evaluate_robustness(
        **given(args, "results", "data_dir", "corruptions", "force"),
        arch_modules=args.arch_module,
        announce=lambda line: print(line, flush=True),
    )
    print(f"{counted(len(updated), 'run')} evaluated on corrupted digits in {args.results}")
    return 0
