"""The leaderboard: one row per configuration, seeds pooled, with intervals.

A configuration is (dataset, profile, architecture, augmentation, variant); its seeds are
averaged, and the test accuracy gets a 95% Student's t interval when there are several.
Each after-training measurement (``bench.plugins``) pools its own columns over the seeds
(``Measurement.board_figures``) and says which of them are worth showing.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pandas as pd

from bench.errors import BenchError
from bench.measure.stats import Interval, mean_interval
from bench.plugins import measurements
from report.columns import COLUMNS, FAILED, MISSING, TARGETS, Column

GROUP_KEYS = ["dataset", "profile", "arch", "augment", "variant"]

_MEAN_OVER_SEEDS = [
    "params",
    "flops",
    "saved_bytes",
    "train_seconds",
    "seconds_per_epoch",
    "images_per_second",
    "fraction_of_limit",
    "outside_training_seconds",
    "latency_p50_ms",
    "latency_p99_ms",
    "throughput",
]


def leaderboard(runs: pd.DataFrame, comparisons: list | None = None) -> pd.DataFrame:
    """Pool the finished runs of ``runs`` (``bench.store.results.load``) by configuration.

    Sorted by test accuracy, best first. Columns that no run measured are all NaN.
    ``comparisons`` (``report.significance.compare_groups``) fills ``better_than``.
    """
    ok = runs[runs["status"] == "ok"].copy()
    if "variant" not in ok:
        ok["variant"] = "default"
    ok["variant"] = ok["variant"].fillna("default")
    rows = []
    for key, group in ok.groupby(GROUP_KEYS, sort=False, dropna=False):
        accuracy = mean_interval(group["test_accuracy"])
        row = dict(zip(GROUP_KEYS, key, strict=True))
        row.update(
            seeds=len(group),
            test_accuracy=accuracy.mean,
            accuracy_std=accuracy.std,
            interval=within_unit(accuracy),
            accuracy_range=(group["test_accuracy"].min(), group["test_accuracy"].max()),
            error_pct=100 * (1 - accuracy.mean),
        )
        row.update(_time_to_accuracy(group))
        for measurement in measurements():
            row.update(measurement.board_figures(group))
        for column in _MEAN_OVER_SEEDS:
            values = pd.to_numeric(group[column], errors="coerce") if column in group else None
            row[column] = values.mean() if values is not None else math.nan
        rows.append(row)
    keys = [*GROUP_KEYS, *_board_columns()]
    # and what measurements pool beside their shown columns (an export's status, say)
    keys += dict.fromkeys(key for row in rows for key in row if key not in keys)
    board = pd.DataFrame(rows, columns=keys)
    board = board.sort_values("test_accuracy", ascending=False, ignore_index=True)
    if comparisons is not None:
        from report.significance import better_than_column

        board["better_than"] = better_than_column(board, comparisons)
    return board


def within_unit(accuracy: Interval) -> tuple[float, float]:
    """An accuracy's interval cut at 0 and 1: few seeds make t intervals wide enough to pass
    100%, which no accuracy can. max/min return their first argument for NaN, so one seed's
    NaN bounds stay."""
    return max(accuracy.low, 0.0), min(accuracy.high, 1.0)


def _time_to_accuracy(group: pd.DataFrame) -> dict:
    """Mean seconds to each target over the seeds; inf when a seed never reached it,
    NaN when the runs predate the measurement."""
    best = pd.to_numeric(group.get("best_val_accuracy", pd.Series(dtype=float)), errors="coerce")
    figures = {}
    for key, target in TARGETS.items():
        column = f"seconds_to_{key}"
        seconds = pd.to_numeric(group.get(column, pd.Series(dtype=float)), errors="coerce")
        measured = seconds.notna().any()
        if not measured and not (len(best) and (best < target).all()):
            figures[column] = math.nan
        elif seconds.isna().any() or len(seconds) < len(group):
            figures[column] = math.inf
        else:
            figures[column] = seconds.mean()
    return figures


def all_columns() -> list[Column]:
    """The core's columns, then each measurement's."""
    return [*COLUMNS, *(c for m in measurements() for c in m.board_columns())]


def _board_columns() -> list[str]:
    return [c.key for c in all_columns() if c.key not in GROUP_KEYS]


def shown_columns(board: pd.DataFrame) -> list[Column]:
    """The columns worth showing: ``variant`` only when tuned runs exist, the seed
    spread only with several seeds, significance only when it was computed, a
    measurement's only where it says they are worth it (some run recorded them)."""
    single_variant = board["variant"].nunique() <= 1 and (board["variant"] == "default").all()
    single_seed = len(board) == 0 or board["seeds"].max() <= 1
    hidden = {"variant"} if single_variant else set()
    if single_seed:
        hidden |= {"accuracy_std", "accuracy_range"}
    if board["better_than"].isna().all():
        hidden.add("better_than")
    for measurement in measurements():
        hidden |= measurement.hidden_columns(board)
    return [c for c in all_columns() if c.key not in hidden]


def chosen_columns(keys: list[str]) -> list[Column]:
    by_key = {c.key: c for c in all_columns()}
    unknown = [key for key in keys if key not in by_key]
    if unknown:
        raise BenchError(f"unknown column {unknown[0]!r}; known: {', '.join(by_key)}")
    return [by_key[key] for key in keys]


@dataclasses.dataclass(frozen=True)
class Cell:
    text: str
    sort: str  # what the page sorts by (sort_value)
    error: str | None = None  # why a figure could not be made, which the page shows on hover


def cell(column: Column, row: pd.Series) -> Cell:
    """A row's cell of ``column``: ``failed`` with its error when its figure's outcome is."""
    if column.outcome and row.get(f"{column.outcome}_status") == FAILED:
        return Cell(FAILED, "", str(row.get(f"{column.outcome}_error")))
    value = row[column.key]
    return Cell(cell_text(column, value), sort_value(column, value))


def cell_text(column: Column, value: Any) -> str:
    """A cell as text; anything not measured is an em dash."""
    if _missing(value):
        return MISSING
    return column.fmt(value)


def sort_value(column: Column, value: Any) -> str:
    """What the page sorts a cell by: the raw number, or the text; empty when missing."""
    if _missing(value):
        return ""
    if isinstance(value, tuple):
        return repr(float(value[0]))
    if column.numeric and math.isinf(value):
        return "Infinity"  # what the page's Number() parses
    return repr(float(value)) if column.numeric else cell_text(column, value)


def _missing(value: Any) -> bool:
    if isinstance(value, tuple):
        return any(_missing(v) for v in value)
    if value is None:
        return True
    return isinstance(value, float) and math.isnan(value)


def markdown(board: pd.DataFrame, keys: list[str] | None = None) -> str:
    """The leaderboard as a GitHub Markdown table: the columns worth showing, or those of
    ``keys`` in that order (``BenchError`` for a key no column has)."""
    from tabulate import tabulate

    columns = shown_columns(board) if keys is None else chosen_columns(keys)
    rows = [[cell(c, row).text for c in columns] for _, row in board.iterrows()]
    return tabulate(
        rows,
        headers=[c.header for c in columns],
        tablefmt="github",
        disable_numparse=True,
        colalign=["left" if not c.numeric else "right" for c in columns],
    )


def table_csv(board: pd.DataFrame) -> str:
    """The leaderboard as CSV, full precision: pairs split into ``_low``/``_high`` columns,
    each measurement's columns as it says (none where no run recorded them)."""
    frame = split_pairs(board, ["interval", "accuracy_range"])
    for measurement in measurements():
        frame = measurement.csv_columns(frame)
    return _whole_numbers_as_integers(frame).to_csv(index=False)


def split_pairs(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` with each of ``columns`` (pairs) split into ``<column>_low`` and
    ``<column>_high`` at the end."""
    frame = frame.copy()
    for column in columns:
        pairs = frame.pop(column).tolist()
        frame[f"{column}_low"] = [pair[0] for pair in pairs]
        frame[f"{column}_high"] = [pair[1] for pair in pairs]
    return frame


def _whole_numbers_as_integers(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each float column that holds only whole numbers (parameter counts,
    bytes, epochs: floats once averaged over seeds or missing somewhere) as integers, so the
    CSV says 2926730 rather than 2.92673e+06; the other floats keep every digit."""
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_float_dtype(values):
            known = values.dropna()
            if len(known) and (known == known.round()).all() and known.abs().max() < 2**53:
                frame[column] = values.round().astype("Int64")
    return frame
