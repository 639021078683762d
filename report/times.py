"""What a set of runs cost: the sum of their records' ``wall_seconds`` per architecture and in
all, per kind of CPU (runs on different machines are not added up as one figure), as a
reference folder's README gives it."""

from __future__ import annotations

import pandas as pd

from bench.environment import describe_cpu
from bench.progress import format_duration
from bench.store.records import RunRecord


def machine(record: RunRecord) -> str:
    """The record's CPU as one line (``bench.environment.describe_cpu``)."""
    env = record.environment
    if env is None:
        return "unknown CPU"
    return describe_cpu(env.cpu_details, env.cpu, env.cpu_count)


def wall_times(records: list[RunRecord]) -> pd.DataFrame:
    """One row per (CPU, architecture): runs and their summed and median ``wall_seconds``,
    then an "all" row per CPU; only finished runs count."""
    rows = [
        {"cpu": machine(r), "arch": r.spec.arch, "wall_seconds": r.wall_seconds}
        for r in records
        if r.ok and r.wall_seconds is not None
    ]
    frame = pd.DataFrame(rows, columns=["cpu", "arch", "wall_seconds"])
    table = []
    for cpu, runs in frame.groupby("cpu", sort=True):
        for arch, of_arch in runs.groupby("arch", sort=True):
            table.append(_row(cpu, arch, of_arch["wall_seconds"]))
        table.append(_row(cpu, "all", runs["wall_seconds"]))
    return pd.DataFrame(table, columns=["cpu", "arch", "runs", "seconds", "median_run_seconds"])


def _row(cpu: str, arch: str, seconds: pd.Series) -> dict:
    return {
        "cpu": cpu,
        "arch": arch,
        "runs": len(seconds),
        "seconds": float(seconds.sum()),
        "median_run_seconds": float(seconds.median()),
    }


def markdown(times: pd.DataFrame) -> str:
    """The table as GitHub Markdown."""
    rows = [
        "| CPU | architecture | runs | wall time | median run |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in times.itertuples():
        name = f"**{row.arch}**" if row.arch == "all" else row.arch
        rows.append(
            f"| {row.cpu} | {name} | {row.runs} | {format_duration(row.seconds)} | "
            f"{format_duration(row.median_run_seconds)} |"
        )
    return "\n".join(rows) + "\n"
