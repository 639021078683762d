"""Name labels beside the points of a scatter chart, placed so that they neither overlap
each other, the markers and error bars, nor leave the plot.

Plotly puts every text at the same side of its marker and knows nothing of the others, and
on a log axis networks of similar size crowd together. Here each label takes the side (of
eight) that overlaps least with what is already drawn, judged in pixels estimated from the
axis ranges (which this module sets, padded so that the outermost labels fit) and the
smallest plot a chart gets on the page; on a wider plot the points only spread further.
Marks (a vertical line with its text at the plot's top: a budget) are kept clear the same way.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

PLOT_PX = (480, 290)  # plot area of a half-width chart at its narrowest (560 px, margins off)
FONT_PX = 12
CHAR_PX = 7.5  # a generous mean width of a character at 12 px
LINE_PX = 16
GAP_PX = 12  # from a point to its label: plotly's offset for the invisible marker below
MARKER_PX = 6  # half a marker's side
ERROR_BAR_PX = 3  # half an error bar's cap
MARK_GAP_PX = 4  # from a mark's line to its text
MARK_COLOUR = "#888"

# Where a label may go, in order of preference: (horizontal, vertical) side of the point.
SIDES = {
    "middle right": (1, 0),
    "middle left": (-1, 0),
    "top right": (1, 1),
    "bottom right": (1, -1),
    "top left": (-1, 1),
    "bottom left": (-1, -1),
    "top center": (0, 1),
    "bottom center": (0, -1),
}

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels, y upwards


@dataclasses.dataclass(frozen=True)
class Point:
    x: float  # on the chart's axis: log10 of the value on a log axis
    y: float
    low: float  # the error bar's ends; y itself without one
    high: float


@dataclasses.dataclass(frozen=True)
class Mark:
    """A vertical line at the cost ``value`` with its text at the bottom of the plot, beside
    the line (where an accuracy chart has the fewest points): a budget or a threshold to read
    the points against."""

    value: float
    text: str

    @property
    def x(self) -> float:
        """Where it is on the (log) axis."""
        return math.log10(self.value)


def label_points(
    fig: go.Figure,
    board: pd.DataFrame,
    cost: str,
    labels: pd.Series,
    steps: pd.DataFrame,
    marks: Sequence[Mark] = (),
) -> None:
    """Label each group of ``board``'s rows that share a label once, at its most accurate
    point, on a chart of test accuracy against ``cost`` (log x axis) with a step line
    through the rows ``steps`` (a Pareto frontier, drawn ``hv``); sets both axis ranges.
    Draws the ``marks``, inside the x range and their texts clear of the labels."""
    points = [_point(row, cost) for _, row in board.iterrows()]
    anchors: dict[str, Point] = {}
    for name, point in zip(labels, points, strict=True):
        if name not in anchors or point.y > anchors[name].y:
            anchors[name] = point
    names = list(anchors)
    x_range, y_range = axis_ranges(points, [anchors[n] for n in names], names, marks)
    corners = [_point(row, cost) for _, row in steps.iterrows()]
    sides = place([anchors[n] for n in names], names, points, corners, x_range, y_range, marks)
    for mark in marks:
        _draw_mark(fig, mark, mark_side(mark, x_range), y_range)
    fig.add_trace(
        go.Scatter(
            x=[10 ** anchors[n].x for n in names],
            y=[anchors[n].y for n in names],
            text=names,
            # invisible markers keep the text clear of the real ones and their error bars
            mode="markers+text",
            marker=dict(size=2 * GAP_PX, opacity=0),
            textposition=sides,
            textfont=dict(size=FONT_PX),
            hoverinfo="skip",
            showlegend=False,
        )
    )
    fig.update_xaxes(range=list(x_range))
    fig.update_yaxes(range=list(y_range))


def _point(row: pd.Series, cost: str) -> Point:
    low, high = row["interval"]
    y = row["test_accuracy"]
    return Point(
        math.log10(row[cost]), y, y if math.isnan(low) else low, y if math.isnan(high) else high
    )


def axis_ranges(
    points: list[Point], anchors: list[Point], names: list[str], marks: Sequence[Mark] = ()
) -> tuple[tuple[float, float], tuple[float, float]]:
    """x and y ranges that hold every point and error bar, and the line of every mark, with
    room beside the leftmost and rightmost points for their labels."""
    xs = [p.x for p in points] + [m.x for m in marks]
    first, last = min(xs), max(xs)
    ends = (_width(n) for a, n in zip(anchors, names, strict=True) if a.x == last)
    right = max(ends, default=0.0)  # a mark's text goes left when there is no room right
    if last - first < 0.5:  # a lone point or near-equal costs: half a decade about them
        first, last = (first + last) / 2 - 0.25, (first + last) / 2 + 0.25
    left_px, right_px = 3 * GAP_PX, min(right + 2 * GAP_PX, PLOT_PX[0] / 3)
    total = (last - first) / (1 - (left_px + right_px) / PLOT_PX[0])
    x_range = (first - left_px / PLOT_PX[0] * total, last + right_px / PLOT_PX[0] * total)
    low, high = min(p.low for p in points), max(p.high for p in points)
    pad = max(high - low, 1e-3) * (LINE_PX + GAP_PX) / PLOT_PX[1]
    return x_range, (low - pad, high + pad)


def _width(name: str) -> float:
    return CHAR_PX * len(name)


def mark_side(mark: Mark, x_range: tuple[float, float]) -> int:
    """Where a mark's text goes: right of its line (1) when it fits there, else left (-1)."""
    x = (mark.x - x_range[0]) / (x_range[1] - x_range[0]) * PLOT_PX[0]
    return 1 if x + MARK_GAP_PX + _width(mark.text) <= PLOT_PX[0] else -1


def _draw_mark(fig: go.Figure, mark: Mark, side: int, y_range: tuple[float, float]) -> None:
    # A shape's x is the value itself on a log axis, an annotation's its log10. The line
    # goes between the grid and the points, which plotly does only for a shape drawn on
    # the axes (yref "paper" puts it under the grid, where a grid line can hide it).
    fig.add_shape(
        type="line",
        xref="x",
        yref="y",
        x0=mark.value,
        x1=mark.value,
        y0=y_range[0],
        y1=y_range[1],
        line=dict(color=MARK_COLOUR, width=1, dash="dash"),
        layer="between",
    )
    fig.add_annotation(
        x=mark.x,
        y=0,
        xref="x",
        yref="paper",
        text=mark.text,
        showarrow=False,
        xanchor="left" if side == 1 else "right",
        yanchor="bottom",
        xshift=side * MARK_GAP_PX,
        font=dict(size=FONT_PX, color=MARK_COLOUR),
    )


def place(
    anchors: list[Point],
    names: list[str],
    points: list[Point],
    steps: list[Point],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    marks: Sequence[Mark] = (),
) -> list[str]:
    """The side of its anchor each label goes to: greedily, left to right, the first side
    of ``SIDES`` that overlaps least with the labels placed so far, the markers and error
    bars of ``points``, the step line through ``steps``, the lines and texts of ``marks``,
    and the outside of the plot."""

    def to_px(x: float, y: float) -> tuple[float, float]:
        return (
            (x - x_range[0]) / (x_range[1] - x_range[0]) * PLOT_PX[0],
            (y - y_range[0]) / (y_range[1] - y_range[0]) * PLOT_PX[1],
        )

    obstacles = _obstacles(points, steps, to_px) + _mark_boxes(marks, x_range, to_px)
    plot = (0.0, 0.0, *PLOT_PX)
    sides = [""] * len(anchors)
    for i in sorted(range(len(anchors)), key=lambda i: anchors[i].x):
        x, y = to_px(anchors[i].x, anchors[i].y)
        boxes = {side: _label_box(x, y, side, _width(names[i])) for side in SIDES}
        sides[i] = min(
            SIDES,
            key=lambda side: (
                sum(_overlap(boxes[side], other) for other in obstacles)
                + 100 * (_area(boxes[side]) - _overlap(boxes[side], plot))
            ),
        )
        obstacles.append(boxes[sides[i]])
    return sides


def _obstacles(points: list[Point], steps: list[Point], to_px) -> list[Box]:
    """Boxes around the markers, the error bars and the segments of the step line."""
    boxes = []
    for p in points:
        x, y = to_px(p.x, p.y)
        boxes.append((x - MARKER_PX, y - MARKER_PX, x + MARKER_PX, y + MARKER_PX))
        (_, low), (_, high) = to_px(p.x, p.low), to_px(p.x, p.high)
        boxes.append((x - ERROR_BAR_PX, low, x + ERROR_BAR_PX, high))
    for a, b in itertools.pairwise(steps):  # across at a's height, then up or down to b
        (xa, ya), (xb, yb) = to_px(a.x, a.y), to_px(b.x, b.y)
        boxes.append((xa, ya - 1, xb, ya + 1))
        boxes.append((xb - 1, min(ya, yb), xb + 1, max(ya, yb)))
    return boxes


def _mark_boxes(marks: Sequence[Mark], x_range: tuple[float, float], to_px) -> list[Box]:
    """Boxes around each mark's line, from the bottom of the plot to its top, and its text
    at the bottom."""
    boxes = []
    for mark in marks:
        x, _ = to_px(mark.x, 0.0)
        width, top = _width(mark.text), PLOT_PX[1]
        start = x + MARK_GAP_PX if mark_side(mark, x_range) == 1 else x - MARK_GAP_PX - width
        boxes.append((x - 1, 0.0, x + 1, top))
        boxes.append((start, 0.0, start + width, LINE_PX))
    return boxes


def _label_box(x: float, y: float, side: str, width: float) -> Box:
    across, up = SIDES[side]
    x0 = {1: x + GAP_PX, -1: x - GAP_PX - width, 0: x - width / 2}[across]
    y0 = {1: y + GAP_PX, -1: y - GAP_PX - LINE_PX, 0: y - LINE_PX / 2}[up]
    return (x0, y0, x0 + width, y0 + LINE_PX)


def _overlap(a: Box, b: Box) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return max(width, 0.0) * max(height, 0.0)


def _area(box: Box) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])
