"""LiteRT exports: each finished run's saved model converted at each precision (float32,
float16, dynamic-range int8, full-integer int8), each export's size, peak activation memory,
test accuracy against the float32 Keras model's, and latency through the LiteRT interpreter.

The section of the record is ``Exports`` (an ``Export`` per precision); with
``--keep-exports`` the ``.tflite`` files stay beside the run's model.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from bench.config import is_check
from bench.errors import BenchError
from bench.measurements.exports import report
from bench.measurements.exports import table as tables
from bench.measurements.exports.evaluate import (
    ExportSettings,
    evaluate_exports,
    export_name,
    parse_exports,
)
from bench.measurements.exports.section import EXPORTS, NAME, Export, Exports
from bench.plugins import Measurement, register_measurement
from bench.train.after import FinishedRun

__all__ = [
    "EXPORTS",
    "Export",
    "ExportSettings",
    "Exports",
    "ExportsMeasurement",
    "export_name",
    "parse_exports",
]


def exports_flag(text: str) -> str:
    """An argparse type: ``all``, ``none`` or a precision (or, the old spelling, several
    separated by commas)."""
    try:
        parse_exports(text)  # checked here, so that a bad name is a usage error
    except BenchError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


@register_measurement
class ExportsMeasurement(Measurement):
    """LiteRT exports of each trained model, measured on its test images."""

    name = NAME
    title = "exports made"
    section = Exports
    table = tables
    option = "--exports"
    environment_variable = "BENCH_EXPORTS"
    other_options = ("keep_exports",)
    summary_headers = ("int8 acc", "int8 KB", "int8 RAM KB")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            self.option,
            type=exports_flag,
            nargs="+",
            metavar="WHICH",
            help="LiteRT exports to make of each trained model and measure on its test images: "
            f"all, none, or some of {' '.join(EXPORTS)} (default: $BENCH_EXPORTS, else int8 "
            "for a check profile such as smoke, all for the others)",
        )
        parser.add_argument(
            "--keep-exports",
            action="store_true",
            help="keep the exported .tflite files beside each run's model.keras",
        )

    def profile_default(self, profile: str | None) -> str:
        # the one a microcontroller runs: the other three would add a minute to a check
        return "int8" if is_check(profile) else "all"

    def settings(self, given: Any, profile: str | None, options: dict[str, Any]) -> Any:
        if isinstance(given, ExportSettings):
            return given
        if isinstance(given, (list, tuple)):
            given = ",".join(given)
        return parse_exports(self.option_text(given, profile), bool(options.get("keep_exports")))

    def asks(self, settings: ExportSettings) -> bool:
        return bool(settings.precisions)

    def missing(self, record, settings: ExportSettings, force: bool) -> ExportSettings | None:
        have = () if force else tuple(record.section(NAME) or {})
        precisions = tuple(p for p in settings.precisions if p not in have)
        return dataclasses.replace(settings, precisions=precisions) if precisions else None

    def measure(self, run: FinishedRun, settings: ExportSettings) -> Exports:
        splits = run.splits
        made = evaluate_exports(
            run.model, splits.x_train, splits.x_test, splits.y_test, run.predictions, settings,
            run.folder,
        )  # fmt: skip
        return Exports(made)

    def merged(self, previous: Exports | None, measured: Exports) -> Exports:
        # the precisions made before and not now are kept
        return Exports({**(previous or {}), **measured})

    def said(self, section: Exports) -> str:
        int8 = section.get("int8")
        if int8 is None:
            return ""
        if not int8.ok:
            return f"int8 export failed ({int8.error})"
        said = f"int8 {int8.test_accuracy:.4f} in {int8.bytes / 1024:,.0f} KB"
        if int8.arena_bytes is not None:
            return f"{said}, TFLM arena {int8.arena_bytes / 1024:,.0f} KB"
        return f"{said}, TFLM {int8.micro_status}" if int8.micro_status else said

    def summary(self, section: Exports) -> dict[str, str]:
        int8 = section.get("int8")
        if int8 is None:
            return {}
        if not int8.ok:
            return {"int8 acc": "failed"}
        arena = int8.arena_bytes
        return {
            "int8 acc": f"{int8.test_accuracy:.4f}",
            "int8 KB": f"{int8.bytes / 1024:,.0f}",
            "int8 RAM KB": f"{arena / 1024:,.0f}" if arena is not None else "",
        }

    def questions(self, board: Any) -> list[Any]:
        return report.budget_questions(board)

    def panel(self, context: Any) -> Any:
        return report.panel(context)
