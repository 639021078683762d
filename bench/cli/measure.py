"""``bench measure NAME``: add an after-training measurement to finished runs made without
it; ``bench quantize`` and ``bench robustness``, which it replaces, stay for a release."""

from __future__ import annotations

import argparse
import sys

from bench import revisit
from bench.cli.args import add_measurement_args, add_saved_runs_args, measurement_values
from bench.plugins import measurements
from bench.words import counted

HELP = "add an after-training measurement (exports, robustness, ...) to finished runs"
DESCRIPTION = (
    "For each finished run in --results whose record lacks the measurement NAME (every run "
    "with --force) and whose model.keras is there: measure the saved model and add its figures "
    "to the record. The data is loaded as each run's spec says. Without the measurement's "
    "option, each run gets what its profile makes by default (or, where that is nothing, as "
    "for a check profile, what the other profiles make)."
)
# The commands `measure` replaces: old name -> measurement.
DEPRECATED = {"quantize": "exports", "robustness": "robustness"}


def add_parser(commands) -> argparse.ArgumentParser:
    parser = commands.add_parser("measure", help=HELP, description=DESCRIPTION)
    names = parser.add_subparsers(dest="measurement", required=True, metavar="NAME")
    for measurement in measurements():
        sub = names.add_parser(measurement.name, help=measurement.description())
        _add_revisit_args(sub, measurement.name)
    parser.set_defaults(handler=cmd_measure)
    return parser


def add_deprecated_parsers(commands) -> None:
    """``bench quantize`` and ``bench robustness``, as they were, saying what replaces them."""
    for old, name in DEPRECATED.items():
        sub = commands.add_parser(old, help=f"deprecated: bench measure {name}")
        _add_revisit_args(sub, name)
        sub.set_defaults(handler=cmd_measure, measurement=name, deprecated=old)


def _add_revisit_args(parser: argparse.ArgumentParser, name: str) -> None:
    add_saved_runs_args(parser)
    add_measurement_args(parser, only=name)


def cmd_measure(args) -> int:
    name = args.measurement
    old = getattr(args, "deprecated", None)
    if old is not None:
        print(f"warning: bench {old} is deprecated; use bench measure {name}", file=sys.stderr)
    given = measurement_values(args)
    updated = revisit.measure_runs(
        name,
        args.results,
        args.data_dir,
        given.pop(name, None),
        args.force,
        args.arch_module,
        args.measurement_module,
        announce=lambda line: print(line, flush=True),
        options=given,
    )
    print(f"{name}: {counted(len(updated), 'run')} measured in {args.results}")
    return 0
