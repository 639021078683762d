"""The leaderboard: one row per configuration, seeds pooled, with intervals.

A configuration is (dataset, profile, architecture, augmentation, variant); its seeds are
averaged, and the test accuracy gets a 95% Student's t interval when there are several.
A run's LiteRT exports (``<precision>_<figure>`` columns) are averaged the same way; an
export that failed for any seed shows as failed, its error beside it. Accuracy on corrupted
test digits gets its interval over the seeds that measured it, as the test accuracy does.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pandas as pd

from bench.measure.stats import Interval, mean_interval
from bench.store.records import EXPORTS
from report.columns import (
    COLUMNS,
    EXPORT_FIGURES,
    FAILED,
    MISSING,
    ROBUSTNESS_COLUMNS,
    TARGETS,
    Column,
)

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
            interval=_within_unit(accuracy),
            accuracy_range=(group["test_accuracy"].min(), group["test_accuracy"].max()),
            error_pct=100 * (1 - accuracy.mean),
        )
        row.update(_time_to_accuracy(group))
        row.update(_export_figures(group))
        row.update(_robustness_figures(group))
        for column in _MEAN_OVER_SEEDS:
            values = pd.to_numeric(group[column], errors="coerce") if column in group else None
            row[column] = values.mean() if values is not None else math.nan
        rows.append(row)
    board = pd.DataFrame(rows, columns=[*GROUP_KEYS, *_board_columns()])
    board = board.sort_values("test_accuracy", ascending=False, ignore_index=True)
    if comparisons is not None:
        from report.significance import better_than_column

        board["better_than"] = better_than_column(board, comparisons)
    return board


def _within_unit(accuracy: Interval) -> tuple[float, float]:
    """An accuracy's interval cut at 0 and 1: few seeds make t intervals wide enough to pass
    100%, which no accuracy can. max/min return their first argument for NaN, so one seed's
    NaN bounds stay."""
    return max(accuracy.low, 0.0), min(accuracy.high, 1.0)


def _robustness_figures(group: pd.DataFrame) -> dict:
    """Accuracy on corrupted digits over the seeds that measured it, with its interval, and
    the error ratio; NaN where none did (runs made before, or with --corruptions none)."""
    column = group.get("corruption_accuracy", pd.Series(dtype=float))
    measured = pd.to_numeric(column, errors="coerce").dropna()
    if measured.empty:
        return {"corruption_accuracy": math.nan, "corruption_interval": (math.nan, math.nan)}
    ratio = group.get("corruption_error_ratio", pd.Series(dtype=float))
    accuracy = mean_interval(measured)
    return {
        "corruption_accuracy": accuracy.mean,
        "corruption_interval": _within_unit(accuracy),
        "corruption_error_ratio": pd.to_numeric(ratio, errors="coerce").mean(),
    }


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


def _export_figures(group: pd.DataFrame) -> dict:
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
        figures[f"{precision}_error"] = _export_error(failed, precision, len(status))
        for figure in EXPORT_FIGURES:
            column = f"{precision}_{figure}"
            values = pd.to_numeric(group.get(column, pd.Series(dtype=float)), errors="coerce")
            figures[column] = values.mean() if failed.empty else math.nan
    return figures


def _export_error(failed: pd.DataFrame, precision: str, seeds: int) -> str | float:
    """The first failed seed's error, with how many seeds failed when there were several."""
    if failed.empty:
        return math.nan
    errors = failed.get(f"{precision}_error", pd.Series(dtype=object)).dropna()
    error = str(errors.iloc[0]) if len(errors) else "unknown error"
    return error if seeds == 1 else f"{error} ({len(failed)} of {seeds} seeds)"


def _board_columns() -> list[str]:
    shown = [c.key for c in COLUMNS if c.key not in GROUP_KEYS]
    exports = [
        f"{precision}_{figure}"
        for precision in EXPORTS
        for figure in ["status", "error", *EXPORT_FIGURES]
    ]
    return shown + [key for key in exports if key not in shown]


def recorded_exports(board: pd.DataFrame) -> list[str]:
    """The precisions some row has an export of, failed or not, in ``EXPORTS``
    order; none for runs made before exports were kept."""
    return [p for p in EXPORTS if board[f"{p}_status"].notna().any()]


def recorded_robustness(board: pd.DataFrame) -> bool:
    """Whether some row was measured on corrupted digits."""
    return bool(board["corruption_accuracy"].notna().any())


def shown_columns(board: pd.DataFrame) -> list[Column]:
    """The columns worth showing: ``variant`` only when tuned runs exist, the seed
    spread only with several seeds, significance only when it was computed, an export's
    figures only when some run recorded that export."""
    single_variant = board["variant"].nunique() <= 1 and (board["variant"] == "default").all()
    single_seed = len(board) == 0 or board["seeds"].max() <= 1
    hidden = {"variant"} if single_variant else set()
    if single_seed:
        hidden |= {"accuracy_std", "accuracy_range"}
    if board["better_than"].isna().all():
        hidden.add("better_than")
    recorded = recorded_exports(board)
    hidden |= {c.key for c in COLUMNS if c.export and c.export not in recorded}
    if not recorded_robustness(board):
        hidden |= set(ROBUSTNESS_COLUMNS)
    return [c for c in COLUMNS if c.key not in hidden]


@dataclasses.dataclass(frozen=True)
class Cell:
    text: str
    sort: str  # what the page sorts by (sort_value)
    error: str | None = None  # a failed export's, which the page shows on hover


def cell(column: Column, row: pd.Series) -> Cell:
    """A row's cell of ``column``: ``failed`` with its error when its export failed."""
    if column.export and row.get(f"{column.export}_status") == FAILED:
        return Cell(FAILED, "", str(row.get(f"{column.export}_error")))
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


def markdown(board: pd.DataFrame) -> str:
    """The leaderboard as a GitHub Markdown table."""
    from tabulate import tabulate

    columns = shown_columns(board)
    rows = [[cell(c, row).text for c in columns] for _, row in board.iterrows()]
    return tabulate(
        rows,
        headers=[c.header for c in columns],
        tablefmt="github",
        disable_numparse=True,
        colalign=["left" if not c.numeric else "right" for c in columns],
    )


def table_csv(board: pd.DataFrame) -> str:
    """The leaderboard as CSV, full precision: pairs split into ``_low``/``_high`` columns;
    the columns of exports, or of corrupted digits, no run recorded are left out."""
    recorded = recorded_exports(board)
    unrecorded = [
        f"{precision}_{figure}"
        for precision in EXPORTS
        if precision not in recorded
        for figure in ["status", "error", *EXPORT_FIGURES]
    ]
    robust = recorded_robustness(board)
    frame = board.drop(columns=unrecorded + ([] if robust else ROBUSTNESS_COLUMNS))
    for column in ["interval", "accuracy_range"] + (["corruption_interval"] if robust else []):
        pairs = frame.pop(column).tolist()
        frame[f"{column}_low"] = [pair[0] for pair in pairs]
        frame[f"{column}_high"] = [pair[1] for pair in pairs]
    return _whole_numbers_as_integers(frame).to_csv(index=False)


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
