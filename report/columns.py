"""The leaderboard's columns: each one's key in the board, header, text format and help.

Export columns (``<precision>_<figure>``) are shown when some run recorded that export, the
columns of corrupted digits when some run was measured on them (``report.leaderboard``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

from bench.store.records import ACCURACY_TARGETS, target_key
from bench.store.results import EXPORT_COLUMNS

MISSING = "\u2014"  # em dash: not measured (yet)
FAILED = "failed"  # an export that failed: said, not left blank
# The precisions a run exports to (bench.store.records.Export), and the figures of each, as
# bench.store.results.export_columns names them: int8_accuracy, int8_bytes, ...
EXPORT_FIGURES = [c for c in EXPORT_COLUMNS.values() if c not in ("status", "error")]
ROBUSTNESS_COLUMNS = ["corruption_accuracy", "corruption_interval", "corruption_error_ratio"]
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
    # On corrupted copies of the test digits (bench.measure.corruptions), when measured; all
    # but the accuracy under "more columns": the leaderboard still fits a 1400-pixel window.
    Column(
        "corruption_accuracy",
        "corrupted acc",
        _num(".4f"),
        "accuracy on corrupted test digits, every corruption and severity; mean over seeds",
        hyphenated="cor\u00adrupted acc",
    ),
    Column(
        "corruption_interval",
        "corrupted 95%",
        _interval,
        "corrupted accuracy: Student's t, over seeds, cut at 0 and 1",
        False,
        more=True,
    ),
    Column(
        "corruption_error_ratio",
        "error ratio",
        _num(".2f"),
        "error on corrupted digits over error on clean ones (MNIST-C's); mean over seeds",
        more=True,
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
    Column(
        "fraction_of_limit",
        "of limit",
        _num(".0%"),
        "training GFLOP/s over the run's own machine's matmul (bfloat16 where native, else "
        "float32), timed in the same process; mean over seeds",
        more=True,
    ),
    Column(
        "outside_training_seconds",
        "other s",
        _num(".0f"),
        "seconds of the run outside training: test evaluation, saving, corrupted digits, "
        "exports; mean over seeds",
        more=True,
    ),
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
