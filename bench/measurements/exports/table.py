"""LiteRT exports in the tables: a run's ``<precision>_<figure>`` columns, a configuration's
figures over its seeds, and the leaderboard's columns. An export that failed for any seed
shows as failed, its error beside it."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from bench.measurements.exports.section import EXPORTS, Export, Exports
from report.columns import FAILED, KB, Column, num, points, scaled

# Record field -> table column suffix: int8_accuracy, int8_bytes, int8_p50_ms, ...
RUN_COLUMNS = {
    "status": "status",
    "error": "error",
    "test_accuracy": "accuracy",
    "accuracy_change": "accuracy_change",
    "changed_predictions": "changed",
    "bytes": "bytes",
    "peak_activation_bytes": "peak_activation_bytes",
    "p50_ms": "p50_ms",
    "p99_ms": "p99_ms",
    "throughput": "throughput",
    "micro_status": "micro_status",
    "micro_error": "micro_error",
    "arena_bytes": "arena_bytes",
    "arena_activation_bytes": "arena_activation_bytes",
    "arena_persistent_bytes": "arena_persistent_bytes",
    "micro_changed": "micro_changed",
    "micro_host_ms": "micro_host_ms",
}
TEXT = ("status", "error", "micro_status", "micro_error")
FIGURES = [c for c in RUN_COLUMNS.values() if c not in TEXT]


def _export(precision: str, figure: str, header: str, fmt, help: str, more: bool = True):
    return Column(f"{precision}_{figure}", header, fmt, help, more=more, outcome=precision)


# int8 is full-integer, int8 inputs and outputs: what a microcontroller runs
COLUMNS = [
    _export("int8", "accuracy", "int8 acc", num(".4f"), "int8 LiteRT test accuracy", False),
    _export(
        "int8",
        "accuracy_change",
        "int8 change",
        points,
        "int8 test accuracy minus the float32 Keras model's, in points",
        False,
    ),
    _export("int8", "bytes", "int8 KB", scaled(1 / KB, ",.1f"), "int8 .tflite file", False),
    Column(
        "int8_arena_bytes",
        "int8 RAM KB",
        scaled(1 / KB, ",.1f"),
        "the tensor arena TFLM allocates for the int8 model: the RAM a firmware reserves",
        outcome="int8_micro",
    ),
    _export(
        "int8",
        "peak_activation_bytes",
        "LiteRT plan KB",
        scaled(1 / KB, ",.1f"),
        "LiteRT's activation plan at batch 1, the largest total of tensors alive at once: "
        "less than TFLM's arena, which adds the interpreter's persistent data",
    ),
    Column(
        "int8_micro_host_ms",
        "TFLM host ms",
        num(".2f"),
        "median TFLM invoke on this machine's CPU (not a microcontroller's latency)",
        more=True,
        outcome="int8_micro",
    ),
    _export("int8", "p50_ms", "int8 p50 ms", num(".3f"), "LiteRT batch-1 latency", False),
    _export("int8", "p99_ms", "int8 p99 ms", num(".3f"), "LiteRT batch-1 latency, 99th pct"),
    _export(
        "int8", "changed", "int8 changed", num(",.0f"), "test predictions unlike the Keras model's"
    ),
    _export("float16", "accuracy", "float16 acc", num(".4f"), "float16 LiteRT test accuracy"),
    _export("float16", "bytes", "float16 KB", scaled(1 / KB, ",.1f"), "float16 .tflite file"),
    _export(
        "dynamic_int8",
        "accuracy",
        "dyn int8 acc",
        num(".4f"),
        "dynamic-range int8 (int8 weights, float activations) LiteRT test accuracy",
    ),
    _export(
        "dynamic_int8", "bytes", "dyn int8 KB", scaled(1 / KB, ",.1f"), "dynamic-range int8 file"
    ),
]


def export_columns(precision: str, export: Export | None) -> dict[str, Any]:
    """One export's table columns, named ``<precision>_<figure>`` (``int8_accuracy``)."""
    return {
        f"{precision}_{column}": getattr(export, field) if export is not None else None
        for field, column in RUN_COLUMNS.items()
    }


def run_columns(exports: Exports | None) -> dict[str, Any]:
    """Every precision's columns; empty where the run has no such export."""
    found = exports or {}
    return {k: v for p in EXPORTS for k, v in export_columns(p, found.get(p)).items()}


def board_figures(group: pd.DataFrame) -> dict[str, Any]:
    """Each precision's status, error and figures over the seeds: ``failed`` with the first
    error when any seed's export failed (no figures then: they would speak for the others
    only), else the mean of each figure; all NaN where no run recorded the export."""
    figures = {}
    for precision in EXPORTS:
        status = group.get(f"{precision}_status", pd.Series(dtype=object)).dropna()
        failed = group.loc[status.index[status != "ok"]]
        figures[f"{precision}_status"] = (
            math.nan if status.empty else FAILED if len(failed) else "ok"
        )
        figures[f"{precision}_error"] = _error(failed, precision, len(status))
        figures.update(_micro(group, precision))
        for figure in FIGURES:
            column = f"{precision}_{figure}"
            values = pd.to_numeric(group.get(column, pd.Series(dtype=float)), errors="coerce")
            figures[column] = values.mean() if failed.empty else math.nan
    return figures


def _micro(group: pd.DataFrame, precision: str) -> dict[str, Any]:
    """TFLM's status over the seeds: the first that is not ``ok``, with its error; NaN where
    none was recorded."""
    status = group.get(f"{precision}_micro_status", pd.Series(dtype=object)).dropna()
    worst = status[status != "ok"]
    errors = group.get(f"{precision}_micro_error", pd.Series(dtype=object)).dropna()
    return {
        f"{precision}_micro_status": worst.iloc[0]
        if len(worst)
        else ("ok" if len(status) else math.nan),
        f"{precision}_micro_error": str(errors.iloc[0]) if len(errors) else math.nan,
    }


def _error(failed: pd.DataFrame, precision: str, seeds: int) -> str | float:
    """The first failed seed's error, with how many seeds failed when there were several."""
    if failed.empty:
        return math.nan
    errors = failed.get(f"{precision}_error", pd.Series(dtype=object)).dropna()
    error = str(errors.iloc[0]) if len(errors) else "unknown error"
    return error if seeds == 1 else f"{error} ({len(failed)} of {seeds} seeds)"


def recorded_exports(board: pd.DataFrame) -> list[str]:
    """The precisions some row has an export of, failed or not, in ``EXPORTS`` order; none
    for runs made before exports were kept."""
    return [p for p in EXPORTS if f"{p}_status" in board and board[f"{p}_status"].notna().any()]


def hidden_columns(board: pd.DataFrame) -> set[str]:
    """The columns of the precisions no row has an export of."""
    recorded = recorded_exports(board)
    return {c.key for c in COLUMNS if _precision(c.key) not in recorded}


def _precision(key: str) -> str:
    """The precision of a column: ``int8_arena_bytes`` -> ``int8``."""
    return next(p for p in sorted(EXPORTS, key=len, reverse=True) if key.startswith(f"{p}_"))


def csv_columns(board: pd.DataFrame) -> pd.DataFrame:
    """``board`` less the columns of the precisions no row has an export of."""
    recorded = recorded_exports(board)
    unrecorded = [
        f"{precision}_{figure}"
        for precision in EXPORTS
        if precision not in recorded
        for figure in RUN_COLUMNS.values()
    ]
    return board.drop(columns=[c for c in unrecorded if c in board])
