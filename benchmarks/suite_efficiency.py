"""How close a whole suite came to its machine's limit: training FLOPs over wall time.

Reads a results folder's records. Per architecture (its runs pooled) and for the suite:
the training FLOPs (each run's achieved GFLOP/s times its training seconds), the runs'
``wall_seconds`` summed, their total seconds where records keep them (the run and the
measurements after it: corrupted digits, exports), the GFLOP/s that makes over the wall
time, and its fraction of the machine's limit: the fastest matmul each record timed in its
own process (bfloat16 where native). Records made before they timed it need ``--limit``:

    python benchmarks/suite_efficiency.py --results results/reference/standard-suite/runs
    python benchmarks/suite_efficiency.py --results OLD --limit 740   # the AMD EPYC's bf16
"""

from __future__ import annotations

import argparse
import sys

from bench.store.results import load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", required=True, help="a results folder")
    parser.add_argument("--limit", type=float, help="GFLOP/s, for records that lack their own")
    args = parser.parse_args()
    runs = load(args.results)
    runs = runs[runs["status"] == "ok"]
    if runs.empty:
        sys.exit(f"{args.results}: no finished runs")
    runs = runs.assign(tflop=runs["gflops_per_second"] * runs["train_seconds"] / 1000)
    timed = runs["limit_gflops"].dropna()
    if args.limit is None and timed.empty:
        sys.exit("the records do not say their machine's limit: pass --limit GFLOPS")
    limit = args.limit or float(timed.median())
    print(f"{len(runs)} runs; limit {limit:.0f} GFLOP/s ({'given' if args.limit else 'timed'})")
    print(
        f"{'arch':16s} {'runs':>4s} {'TFLOP':>7s} {'wall s':>8s} {'total s':>8s} "
        f"{'GFLOP/s':>7s} {'of limit':>8s}"
    )
    rows = [(arch, group) for arch, group in runs.groupby("arch")]
    rows.append(("suite", runs))
    for name, group in rows:
        wall = group["wall_seconds"].sum()
        total = group["total_seconds"].sum(min_count=len(group))
        rate = 1000 * group["tflop"].sum() / wall
        print(
            f"{name:16s} {len(group):4d} {group['tflop'].sum():7.1f} {wall:8.0f} "
            f"{'' if total != total else f'{total:.0f}':>8s} {rate:7.1f} {rate / limit:8.1%}"
        )


if __name__ == "__main__":
    main()
