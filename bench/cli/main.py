"""The ``bench`` command line: ``run`` trains and evaluates, ``tune`` searches
hyperparameters, ``report`` turns results into a comparison page, ``latency`` times
inference, ``measure NAME`` adds an after-training measurement to finished runs, ``list``
shows the registry. Each command's flags and handler are in its own module; the handlers
call ``bench.api`` (and ``bench.deployment``, ``bench.revisit``) and print."""

from __future__ import annotations

import argparse
import sys

from bench import tflog
from bench.cli import latency, measure, report, run, tune
from bench.cli import list as list_command
from bench.cli.args import EXIT_BAD_INPUT, OneLineParser, preload_measurement_modules
from bench.errors import BAD_INPUT


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="bench",
        description="Train, evaluate and compare small CNNs on MNIST-family data.",
        epilog=f"TensorFlow's own log is kept off the terminal; set {tflog.LOG_ENV}=1 to see it.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (run, tune, report, latency, measure, list_command):
        command.add_parser(commands)
    measure.add_deprecated_parsers(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    # TensorFlow's C++ log (start-up chatter, and a harmless graph-rewrite notice for the
    # augmentation map under op determinism) would bury the one-line errors and progress;
    # nothing has imported TensorFlow yet. BENCH_TF_LOG=1 lets it through.
    tflog.quiet()
    try:
        preload_measurement_modules(sys.argv[1:] if argv is None else argv)
        args = build_parser().parse_args(argv)
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
