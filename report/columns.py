"""The leaderboard's columns: each one's key in the board, header, text format and help.

These are the core's; each after-training measurement adds its own
(``Measurement.board_columns``), shown when some run recorded it (``report.leaderboard``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

from bench.store.records import ACCURACY_TARGETS, target_key

MISSING = "\u2014"  # em dash: not measured (yet)
FAILED = "failed"  # a figure that could not be made: said, not left blank
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
    # the prefix of the ``<outcome>_status`` and ``<outcome>_error`` columns that say whether
    # its figure was made: a cell whose status is "failed" says so, its error on hover
    outcome: str = ""
    # the header with soft hyphens where the page may break a long word, so the table fits
    hyphenated: str = ""

    @property
    def page_header(self) -> str:
        return self.hyphenated or self.header

    @property
    def css(self) -> str:
        """The HTML classes of its header and cells."""
        flags = {"text": not self.numeric, "wrap": self.wrap, "more": self.more}
        return " ".join(name for name, on in flags.items() if on)


def num(spec: str) -> Callable[[Any], str]:
    return lambda value: format(value, spec)


def scaled(factor: float, spec: str) -> Callable[[Any], str]:
    return lambda value: format(value * factor, spec)


def interval(value: Any) -> str:
    low, high = value
    return f"{low:.4f} to {high:.4f}"


def seconds_to(value: Any) -> str:
    return "not reached" if math.isinf(value) else f"{value:.0f}"


def points(value: Any) -> str:
    return f"{100 * value:+.2f}"


# Time to accuracy: validation accuracy targets by the suffix of their record fields.
TARGETS = {target_key(target): target for target in ACCURACY_TARGETS}
SHOWN_TARGET = 0.99  # the page's one target column without "more columns"


COLUMNS: list[Column] = [
    Column("arch", "architecture", str, numeric=False),
    Column("augment", "augment", lambda v: "on" if v else "off", numeric=False),
    Column("variant", "variant", str, "default settings or tuned hyperparameters", False),
    Column("seeds", "seeds", str, "finished runs pooled in this row"),
    Column("test_accuracy", "test acc", num(".4f"), "mean over seeds"),
    Column("interval", "95% interval", interval, "Student's t, over seeds, cut at 0 and 1", False),
    Column("accuracy_std", "std", num(".4f"), "standard deviation over seeds", more=True),
    Column("accuracy_range", "min to max", interval, "lowest and highest seed", False, more=True),
    Column(
        "better_than",
        "significantly better than",
        str,
        "McNemar's test (mid-p) on the same test images, every seed agreeing, "
        "Holm-corrected over the pairs of its augmentation setting, at 0.05",
        False,
        wrap=True,
    ),
    Column("error_pct", "error %", num(".2f"), "100 x (1 - test accuracy)", more=True),
    Column("params", "params", num(",.0f")),
    Column("flops", "MFLOPs", scaled(1e-6, ".2f"), "forward pass, per image"),
    Column(
        "saved_bytes",
        "saved MB",
        scaled(1e-6, ".2f"),
        ".keras file, no optimizer state",
        more=True,
    ),
    Column("train_seconds", "train s", num(".0f"), "training time, mean over seeds"),
    Column("seconds_per_epoch", "s/epoch", num(".1f"), "median epoch, mean over seeds", more=True),
    Column("images_per_second", "train img/s", num(",.0f"), more=True),
    Column(
        "fraction_of_limit",
        "of limit",
        num(".0%"),
        "training GFLOP/s over the run's own machine's matmul (bfloat16 where native, else "
        "float32), timed in the same process; mean over seeds",
        more=True,
    ),
    Column(
        "outside_training_seconds",
        "other s",
        num(".0f"),
        "seconds of the run outside training: test evaluation, saving, corrupted digits, "
        "exports; mean over seeds",
        more=True,
    ),
    *(
        Column(
            f"seconds_to_{key}",
            f"s to {100 * target:g}%",
            seconds_to,
            f"wall seconds until validation accuracy first reached {100 * target:g}%, "
            "mean over seeds",
            more=target != SHOWN_TARGET,
        )
        for key, target in TARGETS.items()
    ),
    Column("latency_p50_ms", "p50 ms", num(".3f"), "batch-1 latency, median"),
    Column("latency_p99_ms", "p99 ms", num(".3f"), "batch-1 latency, 99th percentile", more=True),
    Column(
        "throughput",
        "batch img/s",
        num(",.0f"),
        "inference throughput at a large batch",
        more=True,
    ),
]
