"""The table ``bench run`` prints when its runs are done."""

from __future__ import annotations

from bench.plugins import measurements
from bench.store.records import Metrics, ModelSummary, RunRecord
from bench.store.results import speed_columns

STATUSES = ("ok", "failed", "locked")  # a run's, as `bench run` counts them
FIRST = ["arch", "augment", "status", "test acc"]
HEADERS = [
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

    headers = [*FIRST, *(h for m in measurements() for h in m.summary_headers), *HEADERS]
    return tabulate([_row(r) for r in records], headers=headers, disable_numparse=True)


def _row(r: RunRecord) -> list:
    spec, metrics, model = r.spec, r.metrics or Metrics(), r.model or ModelSummary()
    ok = r.ok
    return [
        spec.arch if spec.variant == "default" else f"{spec.arch} ({spec.variant})",
        "on" if spec.augment else "off",
        r.status,
        f"{metrics.test_accuracy:.4f}" if ok else "",
        *_measured(r),
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


def _measured(r: RunRecord) -> list[str]:
    """Each measurement's cells (``Measurement.summary``); blank where it made none."""
    cells = []
    for measurement in measurements():
        section = r.section(measurement.name) if r.ok else None
        said = measurement.summary(section) if section is not None else {}
        cells += [said.get(header, "") for header in measurement.summary_headers]
    return cells
