"""How long the HTML report takes to build, and how big it is.

Builds the report of a results folder R times in one process and prints the median build
time and the file size:

    python benchmarks/report_build.py --results results --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from report import build_report  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    seconds = []
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.html"
        for _ in range(args.rounds):
            start = time.perf_counter()
            build_report(args.results, out)
            seconds.append(time.perf_counter() - start)
        size = out.stat().st_size
    runs = sum(1 for _ in Path(args.results).glob("**/record.json"))
    rounded = ", ".join(f"{s:.1f}" for s in seconds)
    median = statistics.median(seconds)
    print(f"{runs} runs: report {size / 1e6:.2f} MB; build {median:.1f} s median")
    print(f"rounds: {rounded} s")


if __name__ == "__main__":
    main()
