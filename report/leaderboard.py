"""The leaderboard: one row per configuration, seeds pooled, with intervals.

A configuration is (dataset, profile, architecture, augmentation, variant); its seeds are
averaged, and the test accuracy gets a 95% Student's t interval when there are several.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from bench.measure.stats import mean_interval
from bench.store.records import ACCURACY_TARGETS, target_key

GROUP_KEYS = ["dataset", "profile", "arch", "augment", "variant"]
MISSING = "\u2014"  # em dash: not measured (yet)


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


def _board_columns() -> list[str]:
    return [c.key for c in COLUMNS if c.key not in GROUP_KEYS]


def shown_columns(board: pd.DataFrame) -> list[Column]:
    """The columns worth showing: ``variant`` only when tuned runs exist, the seed
    spread only with several seeds, significance only when it was computed."""
    single_variant = board["variant"].nunique() <= 1 and (board["variant"] == "default").all()
    single_seed = len(board) == 0 or board["seeds"].max() <= 1
    hidden = {"variant"} if single_variant else set()
    if single_seed:
        hidden |= {"accuracy_std", "accuracy_range"}
    if board["better_than"].isna().all():
        hidden.add("better_than")
    return [c for c in COLUMNS if c.key not in hidden]


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
    rows = [[cell_text(c, row[c.key]) for c in columns] for _, row in board.iterrows()]
    return tabulate(
        rows,
        headers=[c.header for c in columns],
        tablefmt="github",
        disable_numparse=True,
        colalign=["left" if not c.numeric else "right" for c in columns],
    )


def table_csv(board: pd.DataFrame) -> str:
    """The leaderboard as CSV, full precision: pairs split into ``_low``/``_high`` columns."""
    frame = board.copy()
    for column in ("interval", "accuracy_range"):
        pairs = frame.pop(column).tolist()
        frame[f"{column}_low"] = [pair[0] for pair in pairs]
        frame[f"{column}_high"] = [pair[1] for pair in pairs]
    return frame.to_csv(index=False, float_format="%.6g")
