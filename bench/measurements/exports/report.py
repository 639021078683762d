"""The deployment panel of the report: what the full-integer int8 LiteRT exports cost in
accuracy and flash, and the most accurate model that fits a microcontroller's flash and RAM.

A model fits a budget when its int8 ``.tflite`` file fits the flash and its peak activation
memory at batch 1 fits the RAM. Neither counts the runtime's own code and buffers, which
come on top: a fit here is necessary, not sufficient.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from bench.config import is_check
from bench.measurements.exports.evaluate import ExportSettings
from bench.measurements.exports.section import EXPORTS, NAME
from bench.measurements.exports.table import recorded_exports
from bench.store.records import RunRecord
from report.charts import accuracy_against, config_label
from report.columns import FAILED, KB
from report.labels import Mark
from report.panels import Panel, PanelContext, render_panel
from report.picks import Question

MB = 1024 * KB
TEMPLATE = Path(__file__).with_name("panel.html.j2")


@dataclasses.dataclass(frozen=True)
class Budget:
    """A microcontroller's memories: flash holds the model, RAM its activations."""

    flash: int  # bytes
    ram: int  # bytes
    example: str  # a part with about these memories


# Common microcontroller memories, smallest first, from the parts' data sheets; the 1 MB /
# 320 KB and 2 MB / 512 KB parts are the STM32 boards MCUNet (Lin et al., 2020) deploys on.
BUDGETS = [
    Budget(64 * KB, 16 * KB, "STM32F103C8 (Cortex-M3; 20 KB RAM)"),
    Budget(256 * KB, 64 * KB, "STM32F401RC (Cortex-M4)"),
    Budget(1 * MB, 320 * KB, "STM32F746 (Cortex-M7), MCUNet's board"),
    Budget(2 * MB, 512 * KB, "STM32H743 (Cortex-M7; its largest SRAM block)"),
]
CHART_FLASH = (256 * KB, 1 * MB)  # the flash budgets the chart draws a line at

# How each precision is described in the method section.
PRECISION_NAMES = {
    "float32": "float32",
    "float16": "float16",
    "dynamic_int8": "dynamic-range int8",
    "int8": "full-integer int8 (int8 inputs and outputs, calibrated on {calibration} training "
    "images drawn with a fixed seed)",
}


@dataclasses.dataclass(frozen=True)
class BudgetFit:
    """The most accurate configuration within a budget; ``model`` None when none fits."""

    budget: Budget
    model: str | None = None
    accuracy: float | None = None  # int8 test accuracy, mean over seeds
    flash: float | None = None  # bytes of its int8 file
    ram: float | None = None  # bytes of its peak activations
    group: str = ""  # "mnist quick" where a page holds several datasets or profiles


@dataclasses.dataclass
class DeploymentView:
    """What the page's deployment section shows; notes say why a part is missing."""

    chart: go.Figure | None
    fits: list[BudgetFit]
    failed: list[tuple[str, str]]  # (configuration, error) of each failed int8 export
    # configurations with no int8 export recorded: made before exports, or without int8
    unexported: list[str] = dataclasses.field(default_factory=list)
    # configurations whose RAM is LiteRT's activation plan, not TFLM's arena, and why
    planned_only: list[str] = dataclasses.field(default_factory=list)
    micro_note: str = ""
    chart_note: str = ""
    fits_note: str = ""


def panel(context: PanelContext) -> Panel:
    """The page's deployment section: a note when no run recorded an export."""
    view = deployment_view(context.board)
    html = render_panel(TEMPLATE, {"size": size_text}, deployment=view)
    figures = {"chart-deployment": view.chart} if view is not None and view.chart else {}
    return Panel("deployment", "Deployment", html, figures, export_method(context.records))


def deployment_view(board: pd.DataFrame) -> DeploymentView | None:
    """The section of a leaderboard (``report.leaderboard.leaderboard``); None when no run
    recorded an export (runs made before exports were kept)."""
    if not recorded_exports(board):
        return None
    points = int8_points(board)
    chart = int8_chart(points) if len(points) else None
    ranked = points[~points["profile"].map(is_check)]
    fits = most_accurate_fits(ranked) if len(ranked) else []
    failed = board[board["int8_status"] == FAILED]
    unexported = board[board["int8_status"].isna()]
    return DeploymentView(
        chart=chart,
        fits=fits,
        failed=[(config_label(row), row["int8_error"]) for _, row in failed.iterrows()],
        unexported=[config_label(row) for _, row in unexported.iterrows()],
        planned_only=[config_label(row) for _, row in points[~points["ram_is_arena"]].iterrows()],
        micro_note=_micro_note(board),
        chart_note="" if chart else "No int8 export succeeded: nothing to draw.",
        fits_note="" if fits else _fits_note(points),
    )


def _micro_note(board: pd.DataFrame) -> str:
    """Why some int8 models have no TFLM arena: TFLM missing, failing, or not yet measured."""
    status = board.get("int8_micro_status", pd.Series(dtype=object))
    reasons = []
    if (status == "not installed").any():
        reasons.append("TFLM was not installed when they were measured (pip install tflite-micro)")
    if (status == "failed").any():
        reasons.append("TFLM could not run them (their errors are in the leaderboard's cells)")
    if status.isna().any():
        reasons.append("they were measured before TFLM was")
    return "; ".join(reasons)


def _fits_note(points: pd.DataFrame) -> str:
    if len(points):
        return "Runs of a check profile are not ranked: nothing to choose from."
    return "No int8 export succeeded: nothing to choose from."


def int8_points(board: pd.DataFrame) -> pd.DataFrame:
    """The rows whose int8 export worked for every seed, as the accuracy charts read a
    board: ``test_accuracy`` is the int8 model's, ``int8_kb`` its file's size; no interval."""
    ok = board[(board["int8_status"] == "ok") & board["int8_bytes"].notna()]
    ok = ok[ok["int8_accuracy"].notna()]
    arena = ok.get("int8_arena_bytes", pd.Series(math.nan, index=ok.index))
    return ok.assign(
        test_accuracy=ok["int8_accuracy"],
        int8_kb=ok["int8_bytes"] / KB,
        interval=[(math.nan, math.nan)] * len(ok),
        # RAM: TFLM's arena where TFLM ran the model, else LiteRT's plan, which is less
        ram_bytes=arena.fillna(ok["int8_peak_activation_bytes"]),
        ram_is_arena=arena.notna(),
    ).reset_index(drop=True)


def int8_chart(points: pd.DataFrame) -> go.Figure:
    """int8 test accuracy against the int8 file's size (log x axis, KB), labelled and with
    its Pareto frontier as the accuracy-against-size chart has them, and the flash budgets
    of ``CHART_FLASH`` as labelled lines."""
    marks = [Mark(flash / KB, f"{size_text(flash)} flash") for flash in CHART_FLASH]
    fig = accuracy_against(
        points,
        "int8_kb",
        "int8 accuracy against flash size",
        "int8 .tflite size, KB (log)",
        marks,
    )
    fig.update_layout(yaxis_title="int8 test accuracy")
    ticks = power_of_two_ticks(*fig.layout.xaxis.range)
    fig.update_xaxes(tickvals=ticks, ticktext=[f"{t:,g}" for t in ticks])
    return fig


def power_of_two_ticks(low: float, high: float, most: int = 9) -> list[float]:
    """Ticks at powers of two between 10**low and 10**high, as memories are sized (plotly's
    own log ticks crowd a narrow plot's digits), every other or fewer when there are many."""
    exponents = range(math.ceil(low / math.log10(2)), math.floor(high / math.log10(2)) + 1)
    step = max(1, math.ceil(len(exponents) / most))
    return [2.0**k for k in exponents[::step]]


def most_accurate_fits(points: pd.DataFrame, budgets: list[Budget] = BUDGETS) -> list[BudgetFit]:
    """For each (dataset, profile) of ``points`` (``int8_points``) and each budget, the row
    with the highest int8 test accuracy whose file fits its flash and whose RAM (``ram_bytes``:
    TFLM's arena, else LiteRT's activation plan) fits its RAM; ties go to the smaller file. A
    row whose RAM was not measured fits no budget. Accuracies of other datasets or profiles
    are not compared."""
    groups = list(points.groupby(["dataset", "profile"], sort=True))
    return [
        _best_fit(group, budget, f"{dataset} {profile}" if len(groups) > 1 else "")
        for (dataset, profile), group in groups
        for budget in budgets
    ]


def _fitting(points: pd.DataFrame, budget: Budget) -> pd.DataFrame:
    """The rows whose int8 file fits the budget's flash and whose RAM fits its RAM."""
    return points[(points["int8_bytes"] <= budget.flash) & (points["ram_bytes"] <= budget.ram)]


def _best_fit(points: pd.DataFrame, budget: Budget, group: str) -> BudgetFit:
    fitting = _fitting(points, budget)
    if fitting.empty:
        return BudgetFit(budget, group=group)
    best = fitting.sort_values(
        ["int8_accuracy", "int8_bytes"], ascending=[False, True], kind="stable"
    ).iloc[0]
    return BudgetFit(
        budget,
        config_label(best),
        float(best["int8_accuracy"]),
        float(best["int8_bytes"]),
        float(best["ram_bytes"]),
        group,
    )


def budget_questions(board: pd.DataFrame, budgets: list[Budget] = BUDGETS) -> list[Question]:
    """ "Which to pick" under each microcontroller budget: the rule of ``most_accurate_fits``
    (the highest int8 accuracy that fits, ties to the smaller file)."""
    if "int8_status" not in board:
        return []
    points = int8_points(board).sort_values("int8_bytes", kind="stable")
    if points.empty:
        return []
    return [
        Question(
            f"Runs on a {budget.example}: {size_text(budget.flash)} flash, "
            f"{size_text(budget.ram)} RAM",
            "highest int8 test accuracy whose file fits the flash and whose TFLM arena fits "
            "the RAM",
            _fitting(points, budget),
            "int8_accuracy",
            _int8_figures,
        )
        for budget in budgets
    ]


def _int8_figures(row: pd.Series) -> str:
    ram = "RAM" if row["ram_is_arena"] else "RAM (LiteRT's plan; TFLM did not run it)"
    return (
        f"int8 accuracy {row['int8_accuracy']:.4f}, {size_text(row['int8_bytes'])} flash, "
        f"{size_text(row['ram_bytes'])} {ram}"
    )


def size_text(n_bytes: float) -> str:
    """A size as a data sheet gives it: ``64 KB``, ``1 MB`` (1 KB = 1024 bytes)."""
    if n_bytes >= MB and n_bytes % MB == 0:
        return f"{n_bytes / MB:g} MB"
    return f"{n_bytes / KB:,.0f} KB" if n_bytes >= KB else f"{n_bytes:,.0f} B"


def export_method(records: list[RunRecord]) -> str:
    """How the exports were made, for the page's method section; empty without exports."""
    made = {precision for record in records for precision in record.section(NAME) or {}}
    if not made:
        return ""
    calibration = ExportSettings().calibration_images
    names = [PRECISION_NAMES[p].format(calibration=calibration) for p in EXPORTS if p in made]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return (
        f"Each trained model is also exported to LiteRT as {listed}, each evaluated on the "
        "same test images after the Keras model and compared with the float32 Keras model, "
        "so that nothing is chosen by them; peak activation memory is the largest total size "
        "of the tensors alive at once at batch 1 when the LiteRT ops run in order (a lower "
        "bound for any memory planner)."
    )
