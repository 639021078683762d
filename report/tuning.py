"""The report's tuning section: what each search found, and what tuning buys over the defaults.

Read from ``DIR/tuning/<dataset>/<arch>/``: ``best.json`` names the search it came from, and
that search's ``trial_*/trial.json`` files (keras-tuner's) give every trial's values and score.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from bench.tune import BEST, OBJECTIVE, TUNING_DIR, BestConfig, read_best, trial_number
from report.charts import annotate_empty

_LAYOUT = dict(template="plotly_white", height=420, margin=dict(l=70, r=40, t=110, b=40))
_LOG_SPAN = 100  # a positive range this wide or wider is drawn on a log axis


@dataclasses.dataclass
class TrialRow:
    number: str
    status: str
    val_accuracy: float | None
    values: list[str]  # in the order of TuningView.names


@dataclasses.dataclass
class Comparison:
    """Default against tuned test accuracy for one (profile, augmentation) setting."""

    profile: str
    augment: bool
    default: float | None
    tuned: float | None

    @property
    def change(self) -> float | None:
        return None if self.default is None or self.tuned is None else self.tuned - self.default


@dataclasses.dataclass
class TuningView:
    """One architecture's search on one dataset, as the page shows it."""

    chart_id: str
    anchor: str
    arch: str
    best: BestConfig
    best_values: list[tuple[str, str]]
    names: list[str]
    trials: list[TrialRow]
    comparisons: list[Comparison]
    figure: go.Figure

    @property
    def best_number(self) -> str:
        return trial_number(self.best.best_trial)


def tuning_views(results_dir: str | os.PathLike, board: pd.DataFrame) -> list[TuningView]:
    """Every search under ``results_dir`` that saved a best configuration; [] when none did."""
    views = []
    for path in sorted(Path(results_dir).glob(f"{TUNING_DIR}/*/*/{BEST}")):
        best = read_best(path)
        if best is None:
            continue
        trials = read_trials(path.parent / best.project)
        names = sorted({name for trial in trials for name in trial["values"]})
        names = names or sorted(best.hyperparameters)
        slug = path.parent.parent.name
        views.append(
            TuningView(
                chart_id=f"chart-tuning-{slug}-{best.arch}",
                anchor=f"tuning-{slug}-{best.arch}",
                arch=best.arch,
                best=best,
                best_values=[(k, _text(v)) for k, v in sorted(best.hyperparameters.items())],
                names=names,
                trials=[
                    TrialRow(
                        number=trial_number(t["trial_id"]),
                        status=t["status"],
                        val_accuracy=t["score"],
                        values=[_text(t["values"].get(name)) for name in names],
                    )
                    for t in trials
                ],
                comparisons=comparisons(board, best.dataset, best.arch),
                figure=parallel_coordinates(
                    trials, names, f"Trials of {best.arch}: {best.tuner} search"
                ),
            )
        )
    return views


def read_trials(project_dir: Path) -> list[dict[str, Any]]:
    """The trials of one search: id, status, score and values, in the order they started."""
    trials = []
    for path in project_dir.glob("trial_*/trial.json"):
        try:
            data = json.loads(path.read_text())
            trial_id = str(data["trial_id"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        values = (data.get("hyperparameters") or {}).get("values") or {}
        score = data.get("score")
        trials.append(
            {
                "trial_id": trial_id,
                "status": str(data.get("status", "?")),
                "score": float(score) if isinstance(score, (int, float)) else None,
                "values": {k: v for k, v in values.items() if not k.startswith("tuner/")},
            }
        )
    return sorted(trials, key=_start_order)


def _start_order(trial: dict) -> tuple[int, str]:
    # keras-tuner pads ids to the width of max_trials, which may change between sessions.
    trial_id = trial["trial_id"]
    return (int(trial_id), "") if trial_id.isdigit() else (sys.maxsize, trial_id)


def comparisons(board: pd.DataFrame, dataset: str, arch: str) -> list[Comparison]:
    """Default and tuned test accuracy of ``arch`` per (profile, augmentation), where run."""
    rows = board[(board["dataset"] == dataset) & (board["arch"] == arch)]
    found = []
    for (profile, augment), group in rows.groupby(["profile", "augment"], sort=True):
        by_variant = dict(zip(group["variant"], group["test_accuracy"], strict=True))
        found.append(
            Comparison(
                profile=str(profile),
                augment=bool(augment),
                default=by_variant.get("default"),
                tuned=by_variant.get("tuned"),
            )
        )
    return found


def parallel_coordinates(trials: list[dict], names: list[str], title: str) -> go.Figure:
    """One line per scored trial across its hyperparameters, coloured by validation accuracy."""
    scored = [t for t in trials if t["status"] == "COMPLETED" and t["score"] is not None]
    fig = go.Figure()
    if not scored:
        annotate_empty(fig, "no finished trial yet")
    else:
        scores = [t["score"] for t in scored]
        dimensions = [_dimension(name, [t["values"].get(name) for t in scored]) for name in names]
        dimensions.append(dict(label=OBJECTIVE, values=scores))
        fig.add_trace(
            go.Parcoords(
                line=dict(
                    color=scores,
                    colorscale="Viridis",
                    showscale=True,
                    colorbar=dict(title=OBJECTIVE),
                ),
                dimensions=dimensions,
            )
        )
    fig.update_layout(title=title, **_LAYOUT)
    return fig


def _dimension(name: str, values: list[Any]) -> dict:
    """A numeric axis (log10 where the range spans decades), or one tick per category."""
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    if numeric:
        low, high = min(values), max(values)
        if low > 0 and high / low >= _LOG_SPAN or name == "learning_rate":
            return dict(label=f"log10 {name}", values=[math.log10(v) for v in values])
        return dict(label=name, values=values)
    categories = sorted({_text(v) for v in values})
    return dict(
        label=name,
        values=[categories.index(_text(v)) for v in values],
        tickvals=list(range(len(categories))),
        ticktext=categories,
    )


def _text(value: Any) -> str:
    if value is None:
        return "\u2014"  # not used by this trial
    return f"{value:.4g}" if isinstance(value, float) else str(value)
