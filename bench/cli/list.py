"""``bench list``: the registered architectures with their size and cost."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from bench import deployment
from bench.cli.args import add_arch_args, add_results_arg, positive_int, words
from bench.errors import BenchError
from bench.measurements.exports import exports_flag

HELP = "list registered architectures with their size and cost"
DESCRIPTION = (
    "List registered architectures: parameters, forward FLOPs per image, saved size, and "
    "the flash size and peak activation memory (RAM at batch 1) of their float32 and "
    "full-integer int8 LiteRT exports, and the tensor arena TFLM allocates for the int8 "
    "model. The sizes are kept in DIR/.cache/ by network and read back on the next call."
)


def add_parser(commands) -> argparse.ArgumentParser:
    lst = commands.add_parser("list", help=HELP, description=DESCRIPTION)
    add_arch_args(lst, selection=True, required=False)
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
    add_results_arg(lst, "results folder whose .cache/ keeps the export sizes")
    lst.add_argument(
        "--no-cache",
        action="store_true",
        help="export every network again instead of reading sizes kept from an earlier call",
    )
    lst.set_defaults(handler=cmd_list)
    return lst


def cmd_list(args) -> int:
    try:
        input_shape = tuple(int(v) for v in args.input_shape.split(","))
    except ValueError:
        raise BenchError(
            f"--input-shape {args.input_shape}: expected H,W,C such as 28,28,1"
        ) from None
    rows = deployment.list_architectures(
        archs=args.arch,
        arch_modules=args.arch_module,
        input_shape=input_shape,
        num_classes=args.num_classes,
        exports=" ".join(words(args.exports, "--exports") or []) or None,
        # the exports take a few seconds each: at a terminal, say which is under way
        announce=_to_terminal,
        cache=None if args.no_cache else Path(args.results) / SIZES_CACHE,
    )
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    else:
        print(_table(rows))
        print(_how(rows, Path(args.results) / SIZES_CACHE))
    return 0


SIZES_CACHE = ".cache/sizes.json"  # under --results


def _how(rows: list[dict], cache: Path) -> str:
    """How the sizes were found: a line under the table."""
    if not any(row["sizes"] for row in rows):
        return "No exports: --exports none."
    cached = sum(row["sizes"] == "cached" for row in rows)
    kept = f"{cached} of {len(rows)} read from {cache}" if cached else f"kept in {cache}"
    return textwrap.fill(
        "Flash: the LiteRT file of each network built with its weights nudged apart, as a "
        "trained one's are (sizes do not depend on the values); RAM: the tensor arena TFLM "
        f"allocates for the int8 model; plan: LiteRT's activation plan. Sizes {kept}.",
        width=100,
        break_on_hyphens=False,  # a path stays whole
        break_long_words=False,
    )


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
