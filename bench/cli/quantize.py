"""``bench quantize``: LiteRT exports for finished runs that were made without them."""

from __future__ import annotations

import argparse

from bench import deployment
from bench.cli.args import add_export_args, add_saved_runs_args, given
from bench.words import counted

HELP = "export finished runs' models to LiteRT (float16, int8) and measure them"
DESCRIPTION = (
    "For each finished run in --results whose record has no exports (every run with --force) "
    "and whose model.keras is there: export the model to LiteRT at each precision, evaluate "
    "each export on the run's test images, time it, and add the figures to the record. "
    "The data is loaded as each run's spec says; full-integer int8 is calibrated on its "
    "training images."
)


def add_parser(commands) -> argparse.ArgumentParser:
    quantize = commands.add_parser("quantize", help=HELP, description=DESCRIPTION)
    add_saved_runs_args(quantize, force_help="export runs whose record has exports already")
    add_export_args(quantize)
    quantize.set_defaults(handler=cmd_quantize)
    return quantize


def cmd_quantize(args) -> int:
    updated = deployment.quantize(
        **given(args, "results", "data_dir", "exports", "keep_exports", "force"),
        arch_modules=args.arch_module,
        announce=lambda line: print(line, flush=True),
    )
    print(f"{counted(len(updated), 'run')} given exports in {args.results}")
    return 0
