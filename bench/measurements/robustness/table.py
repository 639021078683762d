"""Corrupted digits in the tables: a run's columns, a configuration's figures over its seeds
and the leaderboard's columns."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from bench.measure.stats import mean_interval
from bench.measurements.robustness.section import Robustness
from report.columns import Column, interval, num
from report.leaderboard import split_pairs, within_unit

INTERVAL = "corruption_interval"
# All but the accuracy under "more columns": the leaderboard still fits a 1400-pixel window.
COLUMNS = [
    Column(
        "corruption_accuracy",
        "corrupted acc",
        num(".4f"),
        "accuracy on corrupted test digits, every corruption and severity; mean over seeds",
        hyphenated="cor\u00adrupted acc",
    ),
    Column(
        INTERVAL,
        "corrupted 95%",
        interval,
        "corrupted accuracy: Student's t, over seeds, cut at 0 and 1",
        False,
        more=True,
    ),
    Column(
        "corruption_error_ratio",
        "error ratio",
        num(".2f"),
        "error on corrupted digits over error on clean ones (MNIST-C's); mean over seeds",
        more=True,
    ),
]


def run_columns(robustness: Robustness | None) -> dict[str, Any]:
    """``corruption_accuracy`` (the mean over every corruption and severity),
    ``corruption_error_ratio`` (mean corruption error over clean error) and, per corruption,
    ``corruption_<name>`` (its mean over severities); None for a run made without them."""
    if robustness is None:
        return {"corruption_accuracy": None, "corruption_error_ratio": None}
    by_name = {
        f"corruption_{name}": sum(levels.values()) / len(levels)
        for name, levels in robustness.accuracy.items()
        if levels
    }
    return {
        "corruption_accuracy": robustness.mean_accuracy,
        "corruption_error_ratio": robustness.error_ratio,
        **by_name,
    }


def board_figures(group: pd.DataFrame) -> dict[str, Any]:
    """Accuracy on corrupted digits over the seeds that measured it, with its interval, and
    the error ratio; NaN where none did (runs made before, or with --corruptions none)."""
    column = group.get("corruption_accuracy", pd.Series(dtype=float))
    measured = pd.to_numeric(column, errors="coerce").dropna()
    if measured.empty:
        return {
            "corruption_accuracy": math.nan,
            INTERVAL: (math.nan, math.nan),
            "corruption_error_ratio": math.nan,
        }
    ratio = group.get("corruption_error_ratio", pd.Series(dtype=float))
    accuracy = mean_interval(measured)
    return {
        "corruption_accuracy": accuracy.mean,
        INTERVAL: within_unit(accuracy),
        "corruption_error_ratio": pd.to_numeric(ratio, errors="coerce").mean(),
    }


def recorded(board: pd.DataFrame) -> bool:
    """Whether some row was measured on corrupted digits."""
    return "corruption_accuracy" in board and bool(board["corruption_accuracy"].notna().any())


def hidden_columns(board: pd.DataFrame) -> set[str]:
    """All its columns where no row was measured on corrupted digits."""
    return set() if recorded(board) else {c.key for c in COLUMNS}


def csv_columns(board: pd.DataFrame) -> pd.DataFrame:
    """``board`` as the CSV has it: the interval as two columns, or no corrupted-digit
    columns where no row was measured on them."""
    if not recorded(board):
        return board.drop(columns=[c.key for c in COLUMNS if c.key in board])
    return split_pairs(board, [INTERVAL])
