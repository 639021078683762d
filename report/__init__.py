"""The comparison report: a leaderboard, charts, per-run detail and the data, on one page."""

from report.build import build_report, load_runs, render_report
from report.leaderboard import leaderboard, markdown, table_csv

__all__ = [
    "build_report",
    "leaderboard",
    "load_runs",
    "markdown",
    "render_report",
    "table_csv",
]
