"""What the commands share: the one-line parser, number types, and the architecture, data
and determinism flags."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable

from bench.config import DEFAULT_PROFILE, PROFILES

EXIT_RUNS_FAILED = 1
EXIT_BAD_INPUT = 2


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


positive_int = _number(lambda value: value > 0, "a positive integer", int)
non_negative_int = _number(lambda value: value >= 0, "an integer of 0 or more", int)
positive_float = _number(lambda value: value > 0, "a positive number")
non_negative_float = _number(lambda value: value >= 0, "a number of 0 or more")
# Zoom and shift ranges are 10% times the strength and must stay below 100%.
fraction = _number(lambda value: 0 <= value < 1, "a number of 0 or more and below 1")
augment_strength = _number(lambda value: 0 <= value < 10, "a number of 0 or more and below 10")


def add_determinism_arg(parser: argparse.ArgumentParser, outcome: str, note: str) -> None:
    parser.add_argument(
        "--determinism",
        choices=["on", "off"],
        default="on",
        help=f"TensorFlow's op determinism, so that the same seed gives the same {outcome} "
        f"on the same machine; {note} (default: on)",
    )


def add_arch_args(
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


def add_data_args(parser: argparse.ArgumentParser) -> None:
    from bench.data import DATASET_HELP

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


def add_results_arg(parser: argparse.ArgumentParser, what: str = "results folder") -> None:
    parser.add_argument(
        "--results", default="results", metavar="DIR", help=f"{what} (default: results)"
    )


class _Renamed(argparse.Action):
    """An option's old spelling: it still works, hidden from --help, and says what replaced
    it in one line."""

    def __init__(self, option_strings, dest, new: str, **kwargs):
        super().__init__(option_strings, dest, **kwargs)
        self.new = new

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"warning: {option_string} is deprecated; use {self.new}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def add_renamed(parser, old: str, new: str, dest: str, **kwargs) -> None:
    """``old``, the spelling of ``new`` (whose value goes to ``dest``) kept for a release."""
    parser.add_argument(old, dest=dest, action=_Renamed, new=new, help=argparse.SUPPRESS, **kwargs)


def words(values: list[str] | str | None, option: str) -> list[str] | None:
    """A list option's values: given space-separated; a comma-separated value, the old
    spelling, still splits, and says it is deprecated in one line."""
    if values is None or isinstance(values, str):
        return values
    if any("," in value for value in values):
        print(
            f"warning: comma-separated {option} is deprecated; separate its values by spaces",
            file=sys.stderr,
        )
    return [word.strip() for value in values for word in value.split(",") if word.strip()]


def given(args: argparse.Namespace, *names: str) -> dict:
    """The flags ``names`` as keyword arguments of ``bench.api``, which names them alike."""
    return {name: getattr(args, name) for name in names}


def arch_selection(args: argparse.Namespace) -> dict:
    """--arch (None with --all) and --arch-module, as ``bench.api`` names them."""
    return {"archs": args.arch, "arch_modules": args.arch_module}


FORCE_HELP = "redo what is done already: finished runs (run), figures a record has (measure)"


def add_force_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help=FORCE_HELP)


def add_saved_runs_args(parser: argparse.ArgumentParser) -> None:
    """--results, --data-dir, --arch-module and --force: the commands that add to finished
    runs' records (bench quantize, bench robustness)."""
    add_results_arg(parser)
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="folder with the runs' dataset, as for bench run (default: $BENCH_DATA_DIR, then "
        "Keras' cache)",
    )
    add_arch_args(parser, selection=False)
    add_force_arg(parser)


MEASUREMENT_MODULE = "--measurement-module"


def add_measurement_args(parser: argparse.ArgumentParser, only: str | None = None) -> None:
    """Each registered measurement's options (``bench.plugins``), or ``only`` that one's,
    and --measurement-module."""
    from bench.plugins import get_measurement, measurements

    group = parser.add_argument_group("after-training measurements")
    for measurement in [get_measurement(only)] if only else measurements():
        measurement.add_arguments(group)
    group.add_argument(
        MEASUREMENT_MODULE,
        action="append",
        default=[],
        metavar="FILE",
        help="a Python file that registers more measurements (bench.plugins); repeatable",
    )


def measurement_values(args: argparse.Namespace) -> dict:
    """The measurements' options as given, as ``bench.api.run``'s ``measure`` takes them:
    each option's text by measurement name (given ones only), its other options by name."""
    from bench.plugins import measurements

    values = {}
    for measurement in measurements():
        dest = measurement.option.lstrip("-").replace("-", "_")
        if getattr(args, dest, None) is not None:
            values[measurement.name] = words(getattr(args, dest), measurement.option)
        for option in measurement.other_options:
            if getattr(args, option, None):
                values[option] = getattr(args, option)
    return values


def preload_measurement_modules(argv: list[str]) -> None:
    """Import the --measurement-module files of ``argv`` before the parser is built, so that
    the measurements they register bring their options and their ``bench measure`` NAME."""
    from bench.plugins import load_measurement_module

    for index, word in enumerate(argv):
        if word == MEASUREMENT_MODULE and index + 1 < len(argv):
            load_measurement_module(argv[index + 1])
        elif word.startswith(MEASUREMENT_MODULE + "="):
            load_measurement_module(word.split("=", 1)[1])
