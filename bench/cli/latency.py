"""``bench latency``: inference latency and throughput of each architecture per runtime."""

from __future__ import annotations

import argparse

from bench import deployment
from bench.cli.args import (
    add_arch_args,
    add_renamed,
    add_results_arg,
    arch_selection,
    given,
    positive_int,
)
from bench.measure.latency import RUNTIMES

HELP = "measure inference latency and throughput through each runtime"
DESCRIPTION = (
    "Measure batch-1 latency (p50/p90/p99) and batch throughput of each "
    "architecture through a compiled tf.function, model.predict, LiteRT and ONNX Runtime. "
    "Trained models in --results are used where there are any (freshly built ones "
    "otherwise: latency does not depend on the weights); the figures are stored in "
    "DIR/latency/ for the report."
)


def add_parser(commands) -> argparse.ArgumentParser:
    latency = commands.add_parser("latency", help=HELP, description=DESCRIPTION)
    add_arch_args(latency, selection=True, required=False)
    add_results_arg(latency)
    latency.add_argument(
        "--runtime",
        nargs="+",
        choices=list(RUNTIMES),
        default=list(RUNTIMES),
        help="runtimes to measure (default: all)",
    )
    latency.add_argument(
        "--calls",
        type=positive_int,
        default=200,
        help="timed batch-1 calls per runtime (default: 200)",
    )
    latency.add_argument(
        "--throughput-batch",
        type=positive_int,
        default=256,
        metavar="N",
        help="images per call when timing throughput (default: 256)",
    )
    add_renamed(
        latency, "--batch-size", "--throughput-batch", "throughput_batch", type=positive_int
    )
    latency.add_argument(
        "--threads",
        type=positive_int,
        metavar="N",
        help="threads each runtime may use, TensorFlow's included (default: every core)",
    )
    latency.set_defaults(handler=cmd_latency)
    return latency


def cmd_latency(args) -> int:
    from bench.measure.latency import table

    measured = deployment.measure_latency(
        **arch_selection(args),
        **given(args, "results", "calls", "threads"),
        batch_size=args.throughput_batch,
        runtimes=args.runtime,
        announce=lambda line: print(line, flush=True),
    )
    print(table(measured))
    print(f"* fastest batch-1 p50 per architecture; figures stored in {args.results}/latency/")
    return 0
