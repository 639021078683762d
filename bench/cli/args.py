"""What the commands share: the one-line parser, number types, and the architecture, data
and determinism flags."""

from __future__ import annotations

import argparse
import math
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


def given(args: argparse.Namespace, *names: str) -> dict:
    """The flags ``names`` as keyword arguments of ``bench.api``, which names them alike."""
    return {name: getattr(args, name) for name in names}


def arch_selection(args: argparse.Namespace) -> dict:
    """--arch (None with --all) and --arch-module, as ``bench.api`` names them."""
    return {"archs": args.arch, "arch_modules": args.arch_module}


def add_export_args(parser: argparse.ArgumentParser) -> None:
    """--exports and --keep-exports: the LiteRT models each run makes and measures."""
    parser.add_argument(
        "--exports",
        type=exports_flag,
        default=None,
        metavar="WHICH",
        help="LiteRT exports to make of each trained model and measure on its test images: "
        "all (float32, float16, dynamic_int8, int8), none, or a comma-separated list "
        "(default: $BENCH_EXPORTS, else the profile's: int8 for smoke, all for the others)",
    )
    parser.add_argument(
        "--keep-exports",
        action="store_true",
        help="keep the exported models (model-<precision>.tflite) beside each run's model; "
        "their figures go to the record either way",
    )


def add_saved_runs_args(parser: argparse.ArgumentParser, force_help: str) -> None:
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
    parser.add_argument("--force", action="store_true", help=force_help)


def add_corruptions_arg(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    """--corruptions: the corrupted test sets each trained model is evaluated on."""
    from bench.measure.robustness import CHOICES

    parser.add_argument(
        "--corruptions",
        choices=CHOICES,
        default=default,
        help="corrupted copies of the test images (rotated, shifted, noisy, blurred, occluded, "
        "faded: bench.measure.corruptions) to evaluate each trained model on: none, the "
        "default 10 corruptions or all 13, at 3 severities each (default: "
        + (
            default
            or "$BENCH_CORRUPTIONS, else the profile's: none for smoke, default for the others"
        )
        + ")",
    )


def exports_flag(text: str) -> str:
    """An argparse type: ``all``, ``none`` or a comma-separated list of precisions."""
    from bench.errors import BenchError
    from bench.measure.deploy import parse_exports

    try:
        parse_exports(text)  # checked here, so that a bad name is a usage error
    except BenchError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text
