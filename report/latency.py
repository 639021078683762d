"""Latency for the report: stored runtime figures and pytest-benchmark's saved history."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from bench.store.latency import ArchLatency
from report.charts import LOG_AXIS, annotate_empty, layout

_TOP = 50  # the title's margin, as the other charts without a subtitle have it


def runtime_rows(figures: dict[str, ArchLatency]) -> list[dict]:
    """One row per (architecture, runtime), the fastest batch-1 p50 of each marked."""
    rows = []
    for arch in sorted(figures):
        runtimes = figures[arch].runtimes
        fastest = min((r.p50_ms for r in runtimes if r.ok), default=None)
        for r in runtimes:
            rows.append(
                {
                    "arch": arch,
                    "weights": figures[arch].weights,
                    **dataclasses.asdict(r),
                    "fastest": r.ok and r.p50_ms == fastest,
                }
            )
    return rows


def benchmark_history(folder: str | os.PathLike = ".benchmarks") -> pd.DataFrame:
    """pytest-benchmark's saved runs as rows: when, commit (``abc1234+`` when the tree had
    uncommitted changes), arch, batch size, median ms."""
    rows = []
    for path in sorted(Path(folder).glob("**/*.json")):
        try:
            saved = json.loads(path.read_text())
            when = saved["datetime"]
            commit_info = saved.get("commit_info") or {}
            # "+" marks a run saved with uncommitted changes: its code is not that commit's
            commit = (commit_info.get("id") or "")[:7] + ("+" if commit_info.get("dirty") else "")
            for bench in saved["benchmarks"]:
                info = bench.get("extra_info", {})
                if "arch" not in info:
                    continue
                rows.append(
                    {
                        "datetime": when,
                        "commit": commit,
                        "arch": info["arch"],
                        "batch_size": info.get("batch_size"),
                        "median_ms": bench["stats"]["median"] * 1e3,
                        "file": path.name,
                    }
                )
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a pytest-benchmark file, or from an older layout
    columns = ["datetime", "commit", "arch", "batch_size", "median_ms", "file"]
    return pd.DataFrame(rows, columns=columns).sort_values("datetime", ignore_index=True)


def runtime_latency(rows: list[dict]) -> go.Figure:
    """Batch-1 p50 latency per architecture, one bar per runtime (log scale)."""
    fig = go.Figure()
    ok = pd.DataFrame([r for r in rows if r.get("status") == "ok"])
    if ok.empty:
        annotate_empty(fig, "not measured yet: python -m bench latency")
    else:
        for runtime, group in ok.groupby("runtime", sort=False):
            fig.add_trace(
                go.Bar(
                    x=group["arch"],
                    y=group["p50_ms"],
                    name=runtime,
                    customdata=group["p99_ms"],
                    hovertemplate="%{x}: p50 %{y:.3f} ms, p99 %{customdata:.3f} ms",
                )
            )
    fig.update_layout(
        title="Batch-1 latency by runtime (p50)",
        barmode="group",
        yaxis_title="ms (log)",
        yaxis=LOG_AXIS,
        **layout(top=_TOP),
    )
    return fig


def latency_history(history: pd.DataFrame) -> go.Figure:
    """Median latency per architecture over pytest-benchmark's saved runs."""
    fig = go.Figure()
    if history.empty:
        annotate_empty(fig, "no saved runs: python -m pytest tests/benchmarks --benchmark-autosave")
    else:
        history = history.assign(run=history["datetime"].str[:19] + " " + history["commit"])
        for (arch, batch), group in history.groupby(["arch", "batch_size"]):
            fig.add_trace(
                go.Scatter(
                    x=group["run"],
                    y=group["median_ms"],
                    mode="lines+markers",
                    name=f"{arch}, batch {batch}",
                )
            )
    fig.update_layout(
        title="Latency over saved benchmark runs (median)",
        xaxis_title="run (date, commit)",
        xaxis_type="category",
        yaxis_title="ms (log)",
        yaxis=LOG_AXIS,
        **layout(top=_TOP, height=480),
    )
    return fig
