"""``bench list``: the registered architectures with their size and cost."""

from __future__ import annotations

import argparse
import json
import sys

from bench import api, deployment
from bench.cli.args import add_arch_args, positive_int, words
from bench.errors import BenchError
from bench.measurements.exports import exports_flag

HELP = "list registered architectures with their size and cost"
DESCRIPTION = (
    "List registered architectures: parameters, forward FLOPs per image, saved size, and "
    "the flash size and peak activation memory (RAM at batch 1) of their float32 and "
    "full-integer int8 LiteRT exports."
)


def add_parser(commands) -> argparse.ArgumentParser:
    lst = commands.add_parser("list", help=HELP, description=DESCRIPTION)
    add_arch_args(lst, selection=False)
    lst.add_argument(
        "--format",
        choices=["table", "json"],
        default="table",
        help="a table to read, or JSON for scripts (default: table)",
    )
    lst.add_argument(
        "--input-shape",
        default="28,28,1",
        metavar="H,W,C",
        help="input shape to build for (default: 28,28,1)",
    )
    lst.add_argument(
        "--num-classes",
        type=positive_int,
        default=10,
        help="classes to build the output layer for (default: 10)",
    )
    lst.add_argument(
        "--exports",
        type=exports_flag,
        nargs="+",
        metavar="WHICH",
        help="LiteRT exports to size: float32 int8 (the default, or $BENCH_EXPORTS), all, "
        "none (no export columns, and no wait), or others of the precisions",
    )
    lst.set_defaults(handler=cmd_list)
    return lst


def cmd_list(args) -> int:
    api.load_architectures(args.arch_module)
    try:
        input_shape = tuple(int(v) for v in args.input_shape.split(","))
    except ValueError:
        raise BenchError(
            f"--input-shape {args.input_shape}: expected H,W,C such as 28,28,1"
        ) from None
    rows = deployment.list_architectures(
        input_shape=input_shape,
        num_classes=args.num_classes,
        exports=" ".join(words(args.exports, "--exports") or []) or None,
        # the exports take a few seconds each: at a terminal, say which is under way
        announce=_to_terminal,
    )
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    else:
        print(_table(rows))
    return 0


def _to_terminal(line: str) -> None:
    if sys.stderr.isatty():
        print(line, file=sys.stderr, flush=True)


def _table(rows: list[dict]) -> str:
    from tabulate import tabulate

    sizes = {key: title for key, title in _SIZES.items() if any(r[key] is not None for r in rows)}
    table = [
        [
            r["name"],
            f"{r['params']:,}",
            f"{r['flops'] / 1e6:.2f}",
            *(_kb(r[key]) for key in sizes),
            r["description"].split(":")[0],  # the family, "VGG-style": the rest is in JSON
        ]
        for r in rows
    ]
    headers = ["name", "params", "MFLOPs", *sizes.values(), "description"]
    return tabulate(table, headers=headers, disable_numparse=True)


_SIZES = {
    "float32_bytes": "f32 flash KB",
    "float32_peak_activation_bytes": "f32 plan KB",
    "int8_bytes": "int8 flash KB",
    "int8_arena_bytes": "int8 RAM KB",  # TFLM's arena: what a firmware reserves
    "int8_peak_activation_bytes": "int8 plan KB",
}


def _kb(size: int | None) -> str:
    return "\u2014" if size is None else f"{size / 1024:,.0f}"  # not exported, or failed
