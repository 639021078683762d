"""``bench report``: the HTML comparison page, or the leaderboard as Markdown or CSV."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench import api
from bench.cli.args import add_renamed, add_results_arg
from bench.words import counted

HELP = "build the HTML comparison page (or a Markdown or CSV leaderboard) from results"
DESCRIPTION = (
    "Build one self-contained HTML page comparing the runs of a results "
    "folder (a partial suite is fine), or print the leaderboard as Markdown or CSV."
)


def add_parser(commands) -> argparse.ArgumentParser:
    report = commands.add_parser("report", help=HELP, description=DESCRIPTION)
    add_results_arg(report, "results folder to read")
    report.add_argument(
        "--file",
        metavar="FILE",
        help="file to write (default: DIR/report.html for html; md and csv print the table "
        "unless given a file)",
    )
    add_renamed(report, "--out", "--file", "file", metavar="FILE")
    report.add_argument(
        "--benchmarks",
        default=".benchmarks",
        metavar="DIR",
        help="pytest-benchmark's saved runs, for the latency history (default: .benchmarks)",
    )
    report.add_argument(
        "--format",
        choices=["html", "md", "csv"],
        default="html",
        help="html: write the page; md: print a table (--table) as Markdown; csv: print it as "
        "CSV, the leaderboard's intervals as low and high columns (default: html)",
    )
    report.add_argument(
        "--table",
        choices=["leaderboard", "picks", "times"],
        default="leaderboard",
        help="the table --format md or csv prints: the leaderboard, which to pick under each "
        "constraint, or the runs' wall time per architecture and CPU (default: leaderboard)",
    )
    report.add_argument(
        "--columns",
        nargs="+",
        metavar="KEY",
        help="the leaderboard's columns --format md prints, in this order, by key (test_accuracy, "
        "params, int8_bytes, ...; default: every column some run measured)",
    )
    report.set_defaults(handler=cmd_report)
    return report


def cmd_report(args) -> int:
    if args.format in ("md", "csv"):
        from bench.store import files
        from report import markdown, table_csv

        if args.table == "picks":
            text, rows = _picks_text(args.results, args.format)
        elif args.table == "times":
            text, rows = _times_text(args.results, args.format)
        else:
            board = api.leaderboard(args.results)
            text = markdown(board, args.columns) + "\n" if args.format == "md" else table_csv(board)
            rows = len(board)
        if args.file:
            files.write_text(Path(args.file), text)
            print(f"{args.table}: {args.file} ({counted(rows, 'row')})")
        else:
            print(text, end="")
        return 0
    path = api.build_report(args.results, args.file, args.benchmarks)
    print(f"report: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def _picks_text(results: str, form: str) -> tuple[str, int]:
    """The "which to pick" table as Markdown or CSV, and its number of rows."""
    import dataclasses

    import pandas as pd

    from report.picks import markdown

    found = api.which_to_pick(results)
    if form == "md":
        return markdown(found), len(found)
    frame = pd.DataFrame([{**dataclasses.asdict(p), "tied": p.tied_text} for p in found])
    return frame.to_csv(index=False), len(found)


def _times_text(results: str, form: str) -> tuple[str, int]:
    """The runs' wall time per CPU and architecture, as Markdown or CSV."""
    from bench.store import results as store
    from report.times import markdown, wall_times

    times = wall_times(list(store.iter_records(results)))
    return (markdown(times) if form == "md" else times.to_csv(index=False)), len(times)
