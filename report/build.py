"""Build the HTML comparison page from a results folder."""

from __future__ import annotations

import dataclasses
import datetime
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.config import RunSpec, is_check
from bench.data import NAMED_DATASETS, Splits, load_dataset, split_dataset
from bench.errors import BenchError
from bench.plugins import measurements
from bench.store import files, results
from bench.store.latency import read_latency
from bench.store.records import DatasetInfo, RecordUnreadable, RunRecord
from bench.words import counted
from report import charts
from report.dataview import DataView, data_view
from report.highlights import check_profiles, highlights
from report.images import data_uri
from report.latency import benchmark_history, latency_history, runtime_latency, runtime_rows
from report.leaderboard import Cell, cell, leaderboard, shown_columns
from report.panels import Panel, PanelContext, environment
from report.picks import picks
from report.significance import augmentation_effects, compare_groups
from report.tuning import tuning_views

MISTAKES_SHOWN = 12
_CHART_CONFIG = {"displaylogo": False, "responsive": True}


@dataclasses.dataclass
class Chart:
    """A plotly figure, placed on the page by id and drawn by the inlined plotly.js."""

    id: str
    spec: str  # the figure as JSON, with <, > and / escaped by plotly

    @classmethod
    def of(cls, chart_id: str, figure: Any) -> Chart:
        import plotly.io as pio

        return cls(chart_id, pio.to_json(figure, validate=False, engine="json"))


@dataclasses.dataclass
class Mistake:
    image: str | None  # data URI, or None when the test images could not be reloaded
    true: int
    predicted: int
    confidence: float


@dataclasses.dataclass
class RunView:
    run_id: str
    arch: str
    augment: bool
    seed: int
    test_accuracy: float
    confusion: Chart
    per_class: list[dict]
    mistakes: list[Mistake]


def load_runs(
    results_dir: str | os.PathLike, unreadable: list[RecordUnreadable] | None = None
) -> tuple[pd.DataFrame, list[tuple[Path, RunRecord]]]:
    """The runs table and the (folder, record) pairs; an empty folder is an error.

    A record that cannot be read is left out with a warning line on stderr, and added to
    ``unreadable`` when given (the page notes it).
    """
    root = Path(results_dir)
    found: list[RecordUnreadable] = []
    runs = results.finished_runs(root, found)
    for problem in found:
        print(f"warning: {problem}, left out of the report", file=sys.stderr)
    if unreadable is not None:
        unreadable.extend(found)
    return results.load(root), runs


def build_report(
    results_dir: str | os.PathLike = "results",
    out: str | os.PathLike | None = None,
    benchmarks_dir: str | os.PathLike = ".benchmarks",
) -> Path:
    """Write the self-contained HTML report for ``results_dir``; returns its path."""
    out_path = Path(out) if out is not None else Path(results_dir) / "report.html"
    html = render_report(results_dir, benchmarks_dir)
    files.write_text(out_path, html)
    return out_path


def render_report(
    results_dir: str | os.PathLike, benchmarks_dir: str | os.PathLike = ".benchmarks"
) -> str:
    from plotly.offline import get_plotlyjs

    unreadable: list[RecordUnreadable] = []
    frame, runs = load_runs(results_dir, unreadable)
    # the runs of check profiles are not compared: their accuracies mean nothing
    measured = [(folder, r) for folder, r in runs if not is_check(r.spec.profile)]
    comparisons = compare_groups(measured)
    board = leaderboard(frame, comparisons)
    ok_runs = [(folder, record) for folder, record in runs if record.ok]
    data = _DataCache()
    effects = augmentation_effects(frame)
    charts_top = _top_charts(board, effects, ok_runs)
    context = PanelContext(
        ok_runs, [r for _, r in runs], frame, board, data.splits, check_profiles(frame["profile"])
    )
    panels = _panels(context)
    charts_top += [Chart.of(key, f) for panel in panels for key, f in panel.figures.items()]
    runtimes = runtime_rows(read_latency(results_dir))
    history = benchmark_history(benchmarks_dir)
    latency_charts = [
        Chart.of("chart-runtimes", runtime_latency(runtimes)),
        Chart.of("chart-latency-history", latency_history(history)),
    ]
    view, data_note = _data_section(ok_runs, data)
    tuning = tuning_views(results_dir, board)  # [] unless `bench tune` saved results here
    page = {
        "title": "mnist-bench comparison",
        "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "highlights": highlights(board, comparisons),
        "picks": picks(board, comparisons),
        "check_profiles": check_profiles(frame["profile"]),
        "comparisons": comparisons,
        "augmentation_effects": effects,
        "columns": shown_columns(board),
        "board_rows": _board_rows(board),
        "charts": {chart.id: chart for chart in charts_top + latency_charts},
        "panels": panels,
        "runtimes": runtimes,
        "failed": [
            {"run_id": record.run_id, "error": record.error or "unknown"}
            for _, record in runs
            if not record.ok
        ],
        "architectures": _architectures(runs),
        "runs": [_run_view(folder, record, data) for folder, record in ok_runs],
        "data": view,
        "data_charts": [Chart.of(k, fig) for k, fig in view.figures.items()] if view else [],
        "data_note": data_note,
        "method": _method([record for _, record in runs], frame),
        "plotly_js": get_plotlyjs(),
        "chart_config": _CHART_CONFIG,
        "run_count": counted(len(runs), "run"),
        "unreadable": unreadable,
        "tuning": tuning,
        "tuning_charts": [Chart.of(t.chart_id, t.figure) for t in tuning],
    }
    return environment().get_template("report.html.j2").render(**page)


def _top_charts(
    board: pd.DataFrame, effects: list, ok_runs: list[tuple[Path, RunRecord]]
) -> list[Chart]:
    """The charts beside the leaderboard: accuracy against size and latency, augmentation's
    paired effect, the learning curves and the training time."""
    curves = [
        (record, pd.read_csv(folder / results.HISTORY))
        for folder, record in ok_runs
        if (folder / results.HISTORY).exists()
    ]
    return [
        Chart.of(
            "chart-pareto",
            charts.accuracy_against(
                board, "params", "Accuracy against size", "trainable + other parameters (log)"
            ),
        ),
        Chart.of(
            "chart-latency",
            charts.accuracy_against(
                board, "latency_p50_ms", "Accuracy against latency", "batch-1 latency, ms (log)"
            ),
        ),
        Chart.of("chart-augment", charts.augmentation_effect(effects)),
        Chart.of("chart-curves", charts.learning_curves(curves)),
        Chart.of("chart-time", charts.training_time(board)),
    ]


def _panels(context: PanelContext) -> list[Panel]:
    """The sections the after-training measurements add, those with something to show."""
    found = (measurement.panel(context) for measurement in measurements())
    return [panel for panel in found if panel is not None]


def _board_rows(board: pd.DataFrame) -> list[list[Cell]]:
    columns = shown_columns(board)
    return [[cell(c, row) for c in columns] for _, row in board.iterrows()]


def _architectures(runs: list[tuple[Path, RunRecord]]) -> list[dict]:
    """Name, description and reference of each architecture, from its latest run."""
    latest: dict[str, dict] = {}
    for _, record in sorted(runs, key=lambda run: run[1].date):
        info = record.architecture.to_json() if record.architecture is not None else {}
        latest[record.spec.arch] = {"name": record.spec.arch, **info}
    return [latest[name] for name in sorted(latest)]


# --- data: reloaded from where the runs read it ----------------------------------------------


class _DataCache:
    """Datasets and splits as the runs saw them, loaded once each; failures remembered."""

    def __init__(self) -> None:
        self._splits: dict[tuple, Splits | str] = {}

    def splits(self, record: RunRecord) -> Splits | str:
        """The record's splits, or a sentence saying why they could not be rebuilt."""
        spec, info = record.spec, record.dataset or DatasetInfo()
        key = (
            spec.dataset if info.name is None else info.name,
            info.source,
            spec.val_size,
            spec.train_size,
            spec.test_size,
            spec.split_seed,
        )
        if key not in self._splits:
            self._splits[key] = self._load(*key)
        return self._splits[key]

    @staticmethod
    def _load(name, source, val_size, train_size, test_size, seed) -> Splits | str:
        data_dir = source if name in NAMED_DATASETS and source and Path(source).is_dir() else None
        try:
            dataset = load_dataset(name, data_dir)
            return split_dataset(dataset, val_size, train_size, test_size, seed)
        except BenchError as exc:
            return f"the images of {name} could not be reloaded ({exc})"


def _data_section(ok_runs, data: _DataCache) -> tuple[DataView | None, str]:
    if not ok_runs:
        return None, "no finished runs to take the data from"
    _, record = ok_runs[0]
    splits = data.splits(record)
    if isinstance(splits, str):
        return None, splits
    return data_view(splits, record.spec.augment_strength), ""


# --- per run ----------------------------------------------------------------------------------


def _run_view(folder: Path, record: RunRecord, data: _DataCache) -> RunView:
    spec, matrix, per_class = record.spec, record.confusion_matrix, record.per_class
    names = [str(c) for c in range(len(matrix))]
    return RunView(
        run_id=record.run_id,
        arch=spec.arch,
        augment=bool(spec.augment),
        seed=spec.seed,
        test_accuracy=record.metrics.test_accuracy,
        confusion=Chart.of(
            f"chart-confusion-{record.run_id}",
            charts.confusion(matrix, names, record.run_id),
        ),
        per_class=[
            {
                "name": name,
                "precision": per_class.precision[i],
                "recall": per_class.recall[i],
                "f1": per_class.f1[i],
                "support": per_class.support[i],
            }
            for i, name in enumerate(names)
        ],
        mistakes=_mistakes(folder, data.splits(record)),
    )


def _mistakes(folder: Path, splits: Splits | str) -> list[Mistake]:
    """The most confident wrong test predictions, with their images where available."""
    path = folder / results.PREDICTIONS
    if not path.exists():
        return []
    with np.load(path) as saved:
        y_true, y_pred, probs = saved["y_true"], saved["y_pred"], saved["probabilities"]
    wrong = np.flatnonzero(y_true != y_pred)
    confidence = probs[wrong, y_pred[wrong]]
    order = wrong[np.argsort(-confidence, kind="stable")][:MISTAKES_SHOWN]
    images = None
    if not isinstance(splits, str) and np.array_equal(splits.y_test, y_true):
        images = splits.x_test
    return [
        Mistake(
            image=data_uri(images[i]) if images is not None else None,
            true=int(y_true[i]),
            predicted=int(y_pred[i]),
            confidence=float(probs[i, y_pred[i]]),
        )
        for i in order
    ]


# --- method and environment ---------------------------------------------------------------------


def _method(records: list[RunRecord], frame: pd.DataFrame) -> dict:
    latest = max(records, key=lambda r: r.date)
    dataset = latest.dataset or DatasetInfo()
    specs = [r.spec for r in records]

    def distinct(key: str) -> str:
        values = {getattr(s, key) for s in specs}
        return ", ".join(sorted({"all" if v is None else str(v) for v in values}))

    commits = {r.environment.git_commit if r.environment else None for r in records}
    return {
        "dataset": distinct("dataset") if dataset.name is None else dataset.name,
        "source": dataset.source or "",
        "checksums": dataset.checksums,
        "profiles": distinct("profile"),
        "seeds": distinct("seed"),
        "sizes": {
            "train": distinct("train_size"),
            "validation": distinct("val_size"),
            "test": distinct("test_size"),
        },
        "protocol": protocol_text(specs),
        "env": latest.environment.to_json() if latest.environment else {},
        "mixed_commits": len(commits) > 1,
        "runs": len(records),
        "ok": int((frame["status"] == "ok").sum()),
    }


def protocol_text(specs: list[RunSpec]) -> str:
    """How the runs trained, in a sentence per schedule, with their precisions."""

    def spread(values: Iterable[float]) -> str:
        return " or ".join(f"{v:g}" for v in sorted(set(values)))

    parts = []
    onecycle = [s for s in specs if s.schedule == "onecycle"]
    plateau = [s for s in specs if s.schedule == "plateau"]
    if onecycle:
        parts.append(
            f"Schedule onecycle: a fixed epoch budget of {spread(s.epochs for s in onecycle)}, "
            "the learning rate rising linearly to a peak of "
            f"{spread(s.learning_rate for s in onecycle)} over the first "
            f"{spread(100 * s.warmup for s in onecycle)}% of the steps, then falling along a "
            "half cosine to 0; each run keeps its last weights."
        )
    if plateau:
        parts.append(
            f"Schedule plateau: at most {spread(s.epochs for s in plateau)} epochs from a "
            f"learning rate of {spread(s.learning_rate for s in plateau)}, halved when the "
            "validation loss stalls; early stopping on validation accuracy keeps the best "
            "epoch's weights."
        )
    precisions = sorted({s.precision for s in specs})
    parts.append(f"Precision: {', '.join(precisions)}.")
    return " ".join(parts)
