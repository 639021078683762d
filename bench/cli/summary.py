"""The table ``bench run`` prints when its runs are done."""

from __future__ import annotations

from bench.store.records import Metrics, ModelSummary, RunRecord
from bench.store.results import speed_columns

STATUSES = ("ok", "failed", "locked")  # a run's, as `bench run` counts them
HEADERS = [
    "arch",
    "augment",
    "status",
    "test acc",
    "int8 acc",
    "int8 KB",
    "params",
    "MFLOPs",
    "epochs",
    "s/epoch",
    "img/s",
    "GFLOP/s",
    "of limit",
    "other s",
    "error",
]


def summary_table(records: list[RunRecord]) -> str:
    from tabulate import tabulate

    return tabulate([_row(r) for r in records], headers=HEADERS, disable_numparse=True)


def _row(r: RunRecord) -> list:
    spec, metrics, model = r.spec, r.metrics or Metrics(), r.model or ModelSummary()
    ok = r.ok
    return [
        spec.arch if spec.variant == "default" else f"{spec.arch} ({spec.variant})",
        "on" if spec.augment else "off",
        r.status,
        f"{metrics.test_accuracy:.4f}" if ok else "",
        *_int8(r),
        f"{model.params:,}" if ok else "",
        f"{model.flops / 1e6:.2f}" if ok else "",
        "" if metrics.epochs is None else metrics.epochs,
        f"{metrics.seconds_per_epoch:.1f}" if ok else "",
        f"{metrics.images_per_second:.0f}" if ok else "",
        f"{metrics.gflops_per_second:.1f}" if ok else "",
        *_speed(r),
        "" if ok else r.error,
    ]


def _speed(r: RunRecord) -> list[str]:
    """Training GFLOP/s as a share of the machine's own matmul, and the run's seconds
    outside training; blank where the record does not say."""
    columns = speed_columns(r)
    fraction, outside = columns["fraction_of_limit"], columns["outside_training_seconds"]
    return [
        "" if fraction is None else f"{fraction:.0%}",
        "" if outside is None else f"{outside:.0f}",
    ]


def _int8(r: RunRecord) -> list[str]:
    """The full-integer export's accuracy and size; "failed", or blank where none was made."""
    export = (r.exports or {}).get("int8")
    if export is None:
        return ["", ""]
    if not export.ok:
        return ["failed", ""]
    return [f"{export.test_accuracy:.4f}", f"{export.bytes / 1024:,.0f}"]
