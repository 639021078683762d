"""The leaderboard: one row per configuration, seeds pooled, with intervals.

A configuration is (dataset, profile, architecture, augmentation, variant); its seeds are
averaged, and the test accuracy gets a 95% Student's t interval when there are several.
A run's LiteRT exports (``<precision>_<figure>`` columns) are averaged the same way; an
export that failed for any seed shows as failed, its error beside it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from bench.measure.stats import mean_interval
from bench.store.records import ACCURACY_TARGETS, EXPORTS, target_key
from bench.store.results import EXPORT_COLUMNS

GROUP_KEYS = ["dataset", "profile", "arch", "augment", "variant"]
MISSING = "\u2014"  # em dash: not measured (yet)
FAILED = "failed"  # an export that failed: said, not left blank
# The precisions a run exports to (bench.store.records.Export), and the figures of each, as
# bench.store.results.export_columns names them: int8_accuracy, int8_bytes, ...
EXPORT_FIGURES = [c for c in EXPORT_COLUMNS.values() if c not in ("status", "error")]
KB = 1024  # sizes in KB and MB are of 1024 bytes, as microcontroller data sheets count them


@dataclasses.dataclass(frozen=True)
class Column:
    """A leaderboard column: its key in the frame, header, text format and help."""

    key: str
    header: str
    fmt: Callable[[Any], str]
    help: str = ""
    numeric: bool = True
    more: bool = False  # the page shows it only when asked for "more columns"
    wrap: bool = False  # long text: wraps rather than widening the table
    export: str = ""  # the precision of the export it comes from: "failed" when that failed

    @property
    def css(self) -> str:
        """The HTML classes of its header and cells."""
        flags = {"text": not self.numeric, "wrap": self.wrap, "more": self.more}
        return " ".join(name for name, on in flags.items() if on)


def _num(spec: str) -> Callable[[Any], str]:
    return lambda value: format(value, spec)


def _scaled(factor: float, spec: str) -> Callable[[Any], str]:
    return lambda value: format(value * factor, spec)


def _interval(value: Any) -> str:
    low, high = value
    return f"{low:.4f} to {high:.4f}"


def _seconds_to(value: Any) -> str:
    return "not reached" if math.isinf(value) else f"{value:.0f}"


def _points(value: Any) -> str:
    return f"{100 * value:+.2f}"


def _export(precision: str, figure: str, header: str, fmt, help: str, more: bool = True):
    return Column(f"{precision}_{figure}", header, fmt, help, more=more, export=precision)


# Time to accuracy: validation accuracy targets by the suffix of their record fields.
TARGETS = {target_key(target): target for target in ACCURACY_TARGETS}
SHOWN_TARGET = 0.99  # the page's one target column without "more columns"


COLUMNS: list[Column] = [
    Column("arch", "architecture", str, numeric=False),
    Column("augment", "augment", lambda v: "on" if v else "off", numeric=False),
    Column("variant", "variant", str, "default settings or tuned hyperparameters", False),
    Column("seeds", "seeds", str, "finished runs pooled in this row"),
    Column("test_accuracy", "test acc", _num(".4f"), "mean over seeds"),
    Column("interval", "95% interval", _interval, "Student's t, over seeds, cut at 0 and 1", False),
    Column("accuracy_std", "std", _num(".4f"), "standard deviation over seeds", more=True),
    Column("accuracy_range", "min to max", _interval, "lowest and highest seed", False, more=True),
    Column(
        "better_than",
        "significantly better than",
        str,
        "McNemar's test (mid-p) on the same test images, every seed agreeing, "
        "Holm-corrected over the pairs of its augmentation setting, at 0.05",
        False,
        wrap=True,
    ),
    Column("error_pct", "error %", _num(".2f"), "100 x (1 - test accuracy)", more=True),
    Column("params", "params", _num(",.0f")),
    Column("flops", "MFLOPs", _scaled(1e-6, ".2f"), "forward pass, per image"),
    Column(
        "saved_bytes",
        "saved MB",
        _scaled(1e-6, ".2f"),
        ".keras file, no optimizer state",
        more=True,
    ),
    Column("train_seconds", "train s", _num(".0f"), "training time, mean over seeds"),
    Column("seconds_per_epoch", "s/epoch", _num(".1f"), "median epoch, mean over seeds", more=True),
    Column("images_per_second", "train img/s", _num(",.0f"), more=True),
    *(
        Column(
            f"seconds_to_{key}",
            f"s to {100 * target:g}%",
            _seconds_to,
            f"wall seconds until validation accuracy first reached {100 * target:g}%, "
            "mean over seeds",
            more=target != SHOWN_TARGET,
        )
        for key, target in TARGETS.items()
    ),
    Column("latency_p50_ms", "p50 ms", _num(".3f"), "batch-1 latency, median"),
    Column("latency_p99_ms", "p99 ms", _num(".3f"), "batch-1 latency, 99th percentile", more=True),
    Column(
        "throughput",
        "batch img/s",
        _num(",.0f"),
        "inference throughput at a large batch",
        more=True,
    ),
    # LiteRT exports; int8 is full-integer, int8 inputs and outputs: what a microcontroller runs
    _export("int8", "accuracy", "int8 acc", _num(".4f"), "int8 LiteRT test accuracy", False),
    _export(
        "int8",
        "accuracy_change",
        "int8 change",
        _points,
        "int8 test accuracy minus the float32 Keras model's, in points",
        False,
    ),
    _export("int8", "bytes", "int8 KB", _scaled(1 / KB, ",.1f"), "int8 .tflite file", False),
    _export(
        "int8",
        "peak_activation_bytes",
        "int8 RAM KB",
        _scaled(1 / KB, ",.1f"),
        "peak activation memory at batch 1: the largest total of tensors alive at once",
    ),
    _export("int8", "p50_ms", "int8 p50 ms", _num(".3f"), "LiteRT batch-1 latency", False),
    _export("int8", "p99_ms", "int8 p99 ms", _num(".3f"), "LiteRT batch-1 latency, 99th pct"),
    _export(
        "int8", "changed", "int8 changed", _num(",.0f"), "test predictions unlike the Keras model's"
    ),
    _export("float16", "accuracy", "float16 acc", _num(".4f"), "float16 LiteRT test accuracy"),
    _export("float16", "bytes", "float16 KB", _scaled(1 / KB, ",.1f"), "float16 .tflite file"),
    _export(
        "dynamic_int8",
        "accuracy",
        "dyn int8 acc",
        _num(".4f"),
        "dynamic-range int8 (int8 weights, float activations) LiteRT test accuracy",
    ),
    _export(
        "dynamic_int8", "bytes", "dyn int8 KB", _scaled(1 / KB, ",.1f"), "dynamic-range int8 file"
    ),
]

_MEAN_OVER_SEEDS = [
    "params",
    "flops",
    "saved_bytes",
    "train_seconds",
    "seconds_per_epoch",
    "images_per_second",
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
            # Few seeds make t intervals wide enough to pass 100%, which no accuracy can.
            # max/min return their first argument for NaN, so one seed's NaN bounds stay.
            interval=(max(accuracy.low, 0.0), min(accuracy.high, 1.0)),
            accuracy_range=(group["test_accuracy"].min(), group["test_accuracy"].max()),
            error_pct=100 * (1 - accuracy.mean),
        )
        row.update(_time_to_accuracy(group))
        row.update(_export_figures(group))
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
    the columns of exports no run recorded are left out."""
    recorded = recorded_exports(board)
    frame = board.drop(
        columns=[
            f"{precision}_{figure}"
            for precision in EXPORTS
            if precision not in recorded
            for figure in ["status", "error", *EXPORT_FIGURES]
        ]
    )
    for column in ("interval", "accuracy_range"):
        pairs = frame.pop(column).tolist()
        frame[f"{column}_low"] = [pair[0] for pair in pairs]
        frame[f"{column}_high"] = [pair[1] for pair in pairs]
    return frame.to_csv(index=False, float_format="%.6g")
