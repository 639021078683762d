"""How close does training come to the machine's limit? Images/s per architecture and lever.

For every architecture (or those named), at its default training settings through the
suite (its tf.data pipeline, its optimizer and schedule, op determinism on), each lever
asked for (``--precision``, ``--batch-size``, ``--jit``) gets its own model; then R rounds
each train every model for S steps in turn, with a 2048x2048 fp32 matmul timed between
them as the machine's reference. So one round's noise hits every option alike. Printed:
images/s (median and best round), achieved GFLOP/s (a step counted as three forward
passes) and its ratio to the matmul's median GFLOP/s:

    BENCH_DATA_DIR=../shared/data python benchmarks/training_throughput.py --rounds 3
    python benchmarks/training_throughput.py --arch custom_cnn --precision float32 bfloat16
    python benchmarks/training_throughput.py --arch inception_lite --separate-inception

``--separate-inception`` adds inception_lite built with a 1x1 convolution per branch (the
paper's form, ``architectures.inception.separate_inception_module``) beside the fused one.

Shared machines are often bimodal (the same work takes twice as long in one round as in
the next): read the best round beside the median, and compare options run in one process.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import architectures  # noqa: E402
from architectures import inception  # noqa: E402
from bench.config import (  # noqa: E402
    PRECISIONS,
    TrainConfig,
    get_profile,  # noqa: E402
    plan,
    resolve_precision,
)
from bench.data import load_dataset, split_dataset  # noqa: E402
from bench.measure.flops import count_flops  # noqa: E402
from bench.store.environment import cpu_model, enable_determinism  # noqa: E402
from bench.train.build import build_for  # noqa: E402
from bench.train.checkpoint import training_dataset  # noqa: E402
from bench.train.fit import compile_for_training, steps_per_epoch  # noqa: E402
from bench.train.metrics import TRAIN_FLOPS_PER_FORWARD  # noqa: E402


@dataclasses.dataclass
class Option:
    arch: str
    precision: str
    batch_size: int
    jit: bool
    separate: bool = False  # inception_lite with its 1x1 convolutions apart
    model: object = None
    data: object = None
    flops: int = 0
    rates: list = dataclasses.field(default_factory=list)

    @property
    def label(self) -> str:
        label = f"{self.precision} batch {self.batch_size}" + (" xla" if self.jit else "")
        return label + (" separate 1x1" if self.separate else "")


def prepare(option: Option, x, y, augment: bool) -> None:
    """Build, compile and warm up (trace) the option's model on the suite's pipeline."""
    (spec,) = plan([option.arch], "mnist", get_profile("standard"), [augment])
    spec = dataclasses.replace(spec, precision=option.precision, batch_size=option.batch_size)
    keras.utils.clear_session()
    module = inception.inception_module
    if option.separate:
        inception.inception_module = inception.separate_inception_module
    try:
        option.model = build_for(spec, x.shape[1:], 10)
    finally:
        inception.inception_module = module
    option.flops = count_flops(option.model)
    compile_for_training(option.model, spec, steps_per_epoch(spec, len(x)))
    if option.jit:
        option.model.jit_compile = True
    option.data = training_dataset(spec, x, y).repeat()
    option.model.fit(option.data, epochs=1, steps_per_epoch=3, shuffle=False, verbose=0)


def matmul_gflops(n: int, calls: int = 10) -> float:
    a = tf.random.normal((n, n))
    matmul = tf.function(lambda: tf.matmul(a, a))
    matmul().numpy()
    start = time.perf_counter()
    for _ in range(calls):
        matmul().numpy()
    return calls * 2 * n**3 / (time.perf_counter() - start) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", nargs="+", help="default: every registered architecture")
    parser.add_argument("--precision", nargs="+", choices=PRECISIONS, default=None)
    parser.add_argument("--batch-size", nargs="+", type=int, help="default: each arch's own")
    parser.add_argument("--jit", nargs="+", choices=["off", "on"], default=["off"])
    parser.add_argument("--augment", action="store_true", help="train with augmentation")
    parser.add_argument("--separate-inception", action="store_true")
    parser.add_argument("--steps", type=int, default=30, help="training steps per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--matmul-size", type=int, default=2048)
    args = parser.parse_args()
    if args.rounds < 3:
        parser.error("--rounds: at least 3, for a median that means something")

    enable_determinism()
    archs = args.arch or architectures.names()
    precisions = args.precision or [resolve_precision("auto")]
    images = args.steps * max(args.batch_size or [256])
    splits = split_dataset(load_dataset("mnist"), train_size=max(images, 1000), val_size=500)
    x, y = splits.x_train, splits.y_train
    options = []
    for arch, precision, jit in itertools.product(archs, precisions, args.jit):
        for batch in args.batch_size or [TrainConfig.of(architectures.get(arch)).batch_size]:
            separate = (
                [False, True] if args.separate_inception and arch == "inception_lite" else [0]
            )
            for apart in separate:
                option = Option(arch, precision, batch, jit == "on", apart)
                prepare(option, x, y, args.augment)
                options.append(option)
    matmul = []
    for _ in range(args.rounds):
        matmul.append(matmul_gflops(args.matmul_size))
        for option in options:
            start = time.perf_counter()
            option.model.fit(
                option.data, epochs=1, steps_per_epoch=args.steps, shuffle=False, verbose=0
            )
            option.rates.append(args.steps * option.batch_size / (time.perf_counter() - start))
    peak = statistics.median(matmul)
    print(
        f"{cpu_model()}, {os.cpu_count()} cores; {args.rounds} rounds of {args.steps} steps, "
        f"augmentation {'on' if args.augment else 'off'}"
    )
    print(
        f"fp32 matmul {args.matmul_size}x{args.matmul_size}: median {peak:.0f} GFLOP/s "
        f"(rounds: {', '.join(f'{v:.0f}' for v in matmul)})"
    )
    print(
        f"{'arch':16s} {'option':24s} {'img/s median':>12s} {'best':>7s} "
        f"{'GFLOP/s':>7s} {'of matmul':>9s}  rounds"
    )
    for o in options:
        median = statistics.median(o.rates)
        achieved = TRAIN_FLOPS_PER_FORWARD * o.flops * median / 1e9
        print(
            f"{o.arch:16s} {o.label:24s} {median:12.0f} {max(o.rates):7.0f} "
            f"{achieved:7.1f} {achieved / peak:9.2f}  {', '.join(f'{r:.0f}' for r in o.rates)}"
        )
    print(
        "This machine's timings can be bimodal: a round at half the speed of the next is "
        "the machine, not the option; compare options within this table."
    )


if __name__ == "__main__":
    main()
