"""The report's plotly charts. Each function takes plain data and returns a figure."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from bench.config import RunSpec
from bench.measure.stats import Interval
from bench.store.records import RunRecord
from report.labels import Mark, label_points
from report.significance import AugmentationEffect

AUGMENT_COLOURS = {False: "#1f77b4", True: "#ff7f0e"}
_LAYOUT = dict(template="plotly_white", height=420, margin=dict(l=60, r=20, t=50, b=50))


# A log axis labelled at 1, 2 and 5 of each decade: over a decade or two Plotly labels every
# digit, and the labels of 6 to 9 run into each other.
LOG_AXIS = dict(type="log", dtick="D2")

# A legend in a row above the plot, under the title: beside it, it narrows the plot.
LEGEND_ABOVE = dict(orientation="h", x=0, y=1.0, yanchor="bottom")

# What a chart of single-seed runs says instead of intervals.
ONE_SEED = "one seed each: no intervals, and differences of a few tenths may be noise"


def layout(top: int, **settings) -> dict:
    """The common layout with a top margin of ``top`` pixels and other ``settings``."""
    return {**_LAYOUT, "margin": {**_LAYOUT["margin"], "t": top}, **settings}


def config_label(row: pd.Series) -> str:
    """A configuration as the charts name it: ``lenet5 (aug)``, its variant added when tuned."""
    text = f"{row['arch']} ({'aug' if row['augment'] else 'no aug'})"
    return text if row.get("variant", "default") == "default" else f"{text}, {row['variant']}"


def _error_bars(board: pd.DataFrame) -> dict | None:
    low = board["interval"].map(lambda pair: pair[0])
    high = board["interval"].map(lambda pair: pair[1])
    if low.isna().all():
        return None
    return dict(
        type="data",
        symmetric=False,
        array=(high - board["test_accuracy"]).fillna(0).tolist(),
        arrayminus=(board["test_accuracy"] - low).fillna(0).tolist(),
    )


def _seeds_note(board: pd.DataFrame, one_seed: bool) -> str:
    if one_seed:
        return ONE_SEED
    return "bars: 95% intervals over seeds" if _error_bars(board) is not None else ""


def pareto_front(cost: pd.Series, accuracy: pd.Series) -> list[int]:
    """Row positions no other row beats: nothing cheaper (or as cheap) is more accurate."""
    order = sorted(range(len(cost)), key=lambda i: (cost.iloc[i], -accuracy.iloc[i]))
    front, best = [], -math.inf
    for i in order:
        if accuracy.iloc[i] > best:
            front.append(i)
            best = accuracy.iloc[i]
    return front


def accuracy_against(
    board: pd.DataFrame, cost: str, title: str, axis_title: str, marks: Sequence[Mark] = ()
) -> go.Figure:
    """Test accuracy against a cost (log x axis), one marker per configuration,
    with the Pareto frontier over all of them and a labelled line at each of ``marks``."""
    fig = go.Figure()
    measured = board[pd.to_numeric(board[cost], errors="coerce").notna()]
    for augment, group in measured.groupby("augment"):
        fig.add_trace(
            go.Scatter(
                x=group[cost],
                y=group["test_accuracy"],
                error_y=_error_bars(group),
                mode="markers",
                hovertext=group.apply(config_label, axis=1),
                name=augment_name(augment),
                marker=dict(size=11, color=AUGMENT_COLOURS[bool(augment)]),
            )
        )
    one_seed = len(measured) > 0 and measured["seeds"].max() <= 1
    if len(measured):
        front = measured.iloc[pareto_front(measured[cost], measured["test_accuracy"])]
        fig.add_trace(
            go.Scatter(
                x=front[cost],
                y=front["test_accuracy"],
                mode="lines",
                line=dict(shape="hv", dash="dot", color="#2ca02c"),
                name="frontier of one seed" if one_seed else "Pareto frontier",
                hoverinfo="skip",
            )
        )
        # one name per network: with and without augmentation it is the same size
        names = measured["arch"] + _variant_suffix(measured)
        label_points(fig, measured, cost, names, front, marks)
    else:
        annotate_empty(fig, "not measured yet")
    fig.update_layout(
        title=dict(text=title, subtitle_text=_seeds_note(measured, one_seed)),
        xaxis_title=axis_title,
        yaxis_title="test accuracy",
        legend=LEGEND_ABOVE,
        **layout(top=100),  # the title and its subtitle, then the legend
    )
    fig.update_xaxes(type="log")
    return fig


def augmentation_effect(effects: list[AugmentationEffect]) -> go.Figure:
    """Test accuracy with augmentation minus without, in accuracy points, per architecture:
    the mean paired difference over seeds with its 95% interval (none with one seed)."""
    fig = go.Figure()
    several_seeds = any(e.difference.n > 1 for e in effects)
    if effects:
        several = len({(e.dataset, e.profile) for e in effects}) > 1
        names = [
            network_name(e.arch, e.variant) + (f", {e.dataset} {e.profile}" if several else "")
            for e in effects
        ]
        mean, above, below = zip(*(_effect_bar(e.difference) for e in effects), strict=True)
        fig.add_trace(
            go.Bar(
                x=names,
                y=mean,
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=above,
                    arrayminus=below,
                    visible=several_seeds,
                ),
                marker_color=AUGMENT_COLOURS[True],
                customdata=[e.difference.n for e in effects],
                hovertemplate="%{x}: %{y:+.2f} points over %{customdata} seed(s)<extra></extra>",
                name="with minus without augmentation",
            )
        )
    else:
        annotate_empty(fig, "no architecture ran both with and without augmentation")
    fig.update_layout(
        title=dict(
            text="What augmentation buys each architecture",
            # on two lines: the one-seed note is wider than a chart in half the page
            subtitle_text="test accuracy with minus without, paired by seed;<br>"
            + ("95% intervals" if several_seeds else ONE_SEED),
            y=0.97,  # from the top: centred in the margin, the second line reaches the plot
            yanchor="top",
        ),
        yaxis_title="test accuracy change, points",
        yaxis_zeroline=True,
        yaxis_zerolinecolor="#888",
        **layout(top=95),  # the title and its two-line subtitle
    )
    return fig


def _effect_bar(difference: Interval) -> tuple[float, float | None, float | None]:
    """A difference in accuracy in percentage points, and how far its interval reaches
    above and below it; None with one seed, which has no interval."""
    mean = 100 * difference.mean
    if difference.n < 2:
        return mean, None, None
    return mean, 100 * difference.high - mean, mean - 100 * difference.low


def network_name(arch: str, variant: str) -> str:
    return arch if variant == "default" else f"{arch} ({variant})"


def network_colours(networks: Sequence[str]) -> dict[str, str]:
    """A colour per network: D3's ten tell apart better than plotly's own; beyond ten, 26
    less distinct ones."""
    palette = qualitative.D3 if len(networks) <= len(qualitative.D3) else qualitative.Alphabet
    return {network: palette[i % len(palette)] for i, network in enumerate(networks)}


def _run_key(spec: RunSpec) -> tuple[str, bool, int]:
    """(network, augmentation, seed): the legend's order, augmentation off first."""
    return network_name(spec.arch, spec.variant), bool(spec.augment), spec.seed


def _bars_per_augmentation(
    board: pd.DataFrame, column: str, extra: Callable[[pd.DataFrame], dict]
) -> list[go.Bar]:
    """Two bar traces of ``column`` by architecture, without and with augmentation, for a
    grouped bar chart; ``extra(group)`` gives each trace's own settings (text, hover...)."""
    bars = []
    for augment in (False, True):
        group = board[board["augment"] == augment].sort_values("arch")
        bars.append(
            go.Bar(
                x=group["arch"] + _variant_suffix(group),
                y=group[column],
                name=augment_name(augment),
                marker_color=AUGMENT_COLOURS[augment],
                **extra(group),
            )
        )
    return bars


def augment_name(augment: bool) -> str:
    return "augmentation on" if augment else "augmentation off"


def _variant_suffix(group: pd.DataFrame) -> pd.Series:
    return group["variant"].map(lambda v: "" if v == "default" else f" ({v})")


def learning_curves(curves: list[tuple[RunRecord, pd.DataFrame]]) -> go.Figure:
    """Validation accuracy per epoch, one line per run (its record and history): a colour
    per network, dashed with augmentation, the legend grouped by network, one entry per
    augmentation setting for all its seeds; a click on an entry shows or hides the group."""
    fig = go.Figure()
    curves = [(record, history) for record, history in curves if "val_accuracy" in history]
    runs = sorted(
        ((_run_key(record.spec), record, history) for record, history in curves),
        key=lambda run: (run[0], run[1].run_id),
    )
    colours = network_colours(sorted({network for (network, _, _), _, _ in runs}))
    in_legend = set()
    for (network, augment, _), record, history in runs:
        fig.add_trace(
            go.Scatter(
                x=history["epoch"],
                y=history["val_accuracy"],
                mode="lines+markers",
                name=augment_name(augment),
                legendgroup=network,
                legendgrouptitle_text=network,
                showlegend=(network, augment) not in in_legend,
                line=dict(color=colours[network], dash="dash" if augment else "solid"),
                marker_size=4,
                hovertext=[record.run_id] * len(history),
                hovertemplate="%{hovertext}, epoch %{x}: %{y:.4f}<extra></extra>",
            )
        )
        in_legend.add((network, augment))
    fig.update_layout(
        title="Validation accuracy per epoch",
        xaxis_title="epoch",
        yaxis_title="validation accuracy",
        **{**_LAYOUT, "height": 480},
    )
    return fig


def training_time(board: pd.DataFrame) -> go.Figure:
    """Training time per architecture, with and without augmentation."""
    fig = go.Figure(
        _bars_per_augmentation(
            board,
            "train_seconds",
            lambda group: dict(
                customdata=np.stack(
                    [group["seconds_per_epoch"], group["images_per_second"]], axis=-1
                ),
                hovertemplate="%{x}: %{y:.0f} s<br>%{customdata[0]:.1f} s/epoch, "
                "%{customdata[1]:,.0f} images/s<extra></extra>",
            ),
        )
    )
    fig.update_layout(
        title="Training time",
        barmode="group",
        yaxis_title="seconds (mean over seeds)",
        legend=LEGEND_ABOVE,  # beside the plot, it narrowed it until the names tilted
        **layout(top=80),
    )
    return fig


def confusion(matrix: list[list[int]], class_names: list[str], run_id: str) -> go.Figure:
    """A confusion-matrix heatmap: true class down, predicted class across.

    The run's id goes in a subtitle under a short title, and the toolbar keeps only its
    download and reset buttons (a drag still zooms), so that it no longer covers the title.
    """
    values = np.asarray(matrix)
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=class_names,
            y=class_names,
            colorscale="Blues",
            text=values,
            texttemplate="%{text}",
            hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>",
        )
    )
    fig.update_layout(
        title=dict(text="Confusion matrix", subtitle_text=run_id),
        xaxis_title="predicted",
        yaxis_title="true",
        modebar_remove=["zoom", "pan", "zoomin", "zoomout", "autoscale"],
        **layout(top=70, height=460, width=500),
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    return fig


def class_counts(counts: dict[str, np.ndarray], class_names: list[str]) -> go.Figure:
    """Images per class in each split."""
    fig = go.Figure(
        [go.Bar(x=class_names, y=values, name=split) for split, values in counts.items()]
    )
    fig.update_layout(title="Images per class", barmode="group", xaxis_type="category", **_LAYOUT)
    return fig


def pixel_histogram(images: np.ndarray) -> go.Figure:
    """Distribution of pixel intensities (log count: most pixels are background)."""
    counts, edges = np.histogram(images, bins=32, range=(0.0, 1.0))
    fig = go.Figure(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, name="pixels"))
    fig.update_layout(
        title="Pixel intensities (training images)",
        xaxis_title="intensity",
        yaxis_title="pixels",
        bargap=0.05,
        **_LAYOUT,
    )
    fig.update_yaxes(**LOG_AXIS)
    return fig


def pca_projection(points: np.ndarray, labels: np.ndarray, class_names: list[str]) -> go.Figure:
    """A 2-D PCA projection of sample images, coloured by class."""
    fig = go.Figure()
    for label, name in enumerate(class_names):
        mine = points[labels == label]
        fig.add_trace(
            go.Scatter(x=mine[:, 0], y=mine[:, 1], mode="markers", name=name, marker_size=4)
        )
    fig.update_layout(
        title=f"PCA projection of {len(points):,} training images",
        xaxis_title="component 1",
        yaxis_title="component 2",
        **{**_LAYOUT, "height": 520},
    )
    return fig


def annotate_empty(fig: go.Figure, message: str) -> go.Figure:
    """Say in the middle of an empty chart why it is empty."""
    fig.add_annotation(
        text=message,
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        font=dict(size=14, color="#888"),
    )
    # nothing to read off the axes, and their made-up ticks meet in the corner
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    return fig
