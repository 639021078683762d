"""The robustness section's charts: accuracy on corrupted test digits by configuration and
corruption, and against severity for the geometric corruptions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from bench.measurements.robustness.corruptions import Corruption
from report.charts import layout, network_colours

MEAN = "mean"  # the heatmap's last column: over every corruption and severity
PLOTS_PER_ROW = 2  # small multiples: two side by side stay legible on a laptop


def corruption_heatmap(table: pd.DataFrame) -> go.Figure:
    """Accuracy in percent of each configuration (a row, named by the index) on each
    corruption (a column, averaged over its severities and the seeds), the ``MEAN`` column
    set apart by a white line; an empty cell where a configuration did not meet a corruption."""
    percent = 100 * table.to_numpy(dtype=float)
    text = [["" if math.isnan(v) else f"{v:.1f}" for v in row] for row in percent]
    fig = go.Figure(
        go.Heatmap(
            z=percent,
            x=list(table.columns),
            y=list(table.index),
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            colorbar=dict(title="accuracy %"),
            xgap=1,
            ygap=1,
            hovertemplate="%{y}, %{x}: %{z:.2f}%<extra></extra>",
        )
    )
    if MEAN in table.columns:
        fig.add_vline(x=list(table.columns).index(MEAN) - 0.5, line_color="#fff", line_width=4)
    fig.update_layout(
        title=dict(
            text="Accuracy on corrupted test digits",
            subtitle_text="percent; each corruption averaged over its severities and the seeds",
        ),
        **layout(top=70, height=150 + 28 * len(table)),
    )
    fig.update_xaxes(type="category", tickangle=-30)
    fig.update_yaxes(type="category", autorange="reversed", automargin=True)
    return fig


def severity_curves(means: pd.DataFrame, shown: list[Corruption]) -> go.Figure:
    """Accuracy against severity (0: the clean digits) for each corruption of ``shown``, a
    small plot each. ``means`` has a row per (label, network, augment, corruption, severity)
    with its ``accuracy`` over the seeds; a line per configuration (``label``), a colour per
    network, dashed with augmentation, and a click on its legend entry shows or hides it in
    every plot."""
    rows = math.ceil(len(shown) / PLOTS_PER_ROW)
    fig = make_subplots(
        rows=rows,
        cols=PLOTS_PER_ROW,
        subplot_titles=[corruption.name for corruption in shown],
        shared_yaxes=True,
        horizontal_spacing=0.06,
        vertical_spacing=0.32 / rows,  # room for a row's axis title below it
    )
    colours = network_colours(sorted(means["network"].unique()))
    for index, corruption in enumerate(shown):
        row, col = index // PLOTS_PER_ROW + 1, index % PLOTS_PER_ROW + 1
        mine = means[means["corruption"] == corruption.name].sort_values("severity")
        # by network, augmentation off first, as the heatmap's rows
        for (network, augment, label), line in mine.groupby(["network", "augment", "label"]):
            fig.add_trace(_severity_line(line, label, colours[network], augment, index), row, col)
        fig.update_xaxes(
            tickvals=list(range(len(corruption.levels) + 1)),
            ticktext=["clean", *(f"{level:g}" for level in corruption.levels)],
            title_text=corruption.unit,
            row=row,
            col=col,
        )
    fig.update_yaxes(title_text="accuracy", col=1)
    fig.update_layout(
        title=dict(
            text="Accuracy against severity, geometric corruptions",
            subtitle_text="mean over seeds; each axis gives the corruption's level",
        ),
        **layout(top=90, height=120 + 320 * rows),
    )
    return fig


def _severity_line(
    line: pd.DataFrame, label: str, colour: str, augment: bool, plot: int
) -> go.Scatter:
    return go.Scatter(
        x=line["severity"],
        y=line["accuracy"],
        mode="lines+markers",
        name=label,
        legendgroup=label,
        showlegend=plot == 0,  # one legend entry per configuration, for all the plots
        line=dict(color=colour, dash="dash" if augment else "solid"),
        customdata=np.full(len(line), label),
        hovertemplate="%{customdata}, severity %{x}: %{y:.4f}<extra></extra>",
    )
