"""How close does training come to the machine's limit? Images/s per architecture and lever.

For every architecture (or those named), at its default training settings through the
suite (its tf.data pipeline, its optimizer and schedule, op determinism on), each lever
asked for (``--precision``, ``--batch-size``, ``--jit``, ``--batchnorm``) gets its own
model; then R rounds each train every model for S steps in turn, with 2048x2048 matmuls
timed between them as the machine's reference (float32, and bfloat16 where the CPU has it
natively). So one round's noise hits every option alike. A round is timed from the start of
its first batch to the end of its last: ``fit`` itself can return seconds later (tf.data's
autotuner, docs/speed.md), which the "fit tail" column shows. Printed: images/s (median and
best round), achieved GFLOP/s (a step counted as three forward passes) and its ratio to
each matmul's median GFLOP/s, and the cores kept busy (the process's CPU seconds per
second of a round, median):

    BENCH_DATA_DIR=../shared/data python benchmarks/training_throughput.py --rounds 3
    python benchmarks/training_throughput.py --arch custom_cnn --precision float32 bfloat16
    python benchmarks/training_throughput.py --arch inception_lite --separate-inception
    python benchmarks/training_throughput.py --arch mobilenet_lite --batchnorm keras fused

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

# isort: off
import bench  # noqa: E402, F401  (its TensorFlow settings must come before TensorFlow)
# isort: on

import keras  # noqa: E402

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
from bench.environment import (  # noqa: E402
    cpu_description,
    enable_determinism,
)
from bench.measure.calibration import limit_dtypes, matmul_rate  # noqa: E402
from bench.measure.flops import count_flops  # noqa: E402
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
    batchnorm: str = "fused"  # "keras": Keras' own BatchNormalization, as before
    model: object = None
    data: object = None
    flops: int = 0
    rates: list = dataclasses.field(default_factory=list)
    tails: list = dataclasses.field(default_factory=list)
    cores: list = dataclasses.field(default_factory=list)  # CPU seconds per second of a round

    @property
    def label(self) -> str:
        label = f"{self.precision} batch {self.batch_size}" + (" xla" if self.jit else "")
        label += " keras-bn" if self.batchnorm == "keras" else ""
        return label + (" separate 1x1" if self.separate else "")


class BatchSpan(keras.callbacks.Callback):
    """From the start of the first training batch to the end of the last."""

    def on_train_batch_begin(self, batch, logs=None):
        if batch == 0:
            self.first = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.last = time.perf_counter()


def prepare(option: Option, x, y, augment: bool) -> None:
    """Build, compile and warm up (trace) the option's model on the suite's pipeline."""
    (spec,) = plan([option.arch], "mnist", get_profile("standard"), [augment])
    spec = dataclasses.replace(spec, precision=option.precision, batch_size=option.batch_size)
    keras.utils.clear_session()
    module = inception.inception_module
    if option.separate:
        inception.inception_module = inception.separate_inception_module
    try:
        option.model = build_for(spec, x.shape[1:], 10, fused_batchnorm=option.batchnorm == "fused")
    finally:
        inception.inception_module = module
    option.flops = count_flops(option.model)
    compile_for_training(option.model, spec, steps_per_epoch(spec, len(x)))
    if option.jit:
        option.model.jit_compile = True
    option.data = training_dataset(spec, x, y).repeat()
    option.model.fit(option.data, epochs=1, steps_per_epoch=3, shuffle=False, verbose=0)


def train_round(option: Option, steps: int) -> None:
    span = BatchSpan()
    cpu, wall = time.process_time(), time.perf_counter()
    option.model.fit(
        option.data, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0, callbacks=[span]
    )
    # whole fit call: a short tail adds little; threads spinning while they wait count as busy
    option.cores.append((time.process_time() - cpu) / (time.perf_counter() - wall))
    option.tails.append(time.perf_counter() - span.last)
    option.rates.append(steps * option.batch_size / (span.last - span.first))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", nargs="+", help="default: every registered architecture")
    parser.add_argument("--precision", nargs="+", choices=PRECISIONS, default=None)
    parser.add_argument("--batch-size", nargs="+", type=int, help="default: each arch's own")
    parser.add_argument("--jit", nargs="+", choices=["off", "on"], default=["off"])
    parser.add_argument("--augment", action="store_true", help="train with augmentation")
    parser.add_argument("--separate-inception", action="store_true")
    parser.add_argument(
        "--batchnorm",
        nargs="+",
        choices=["keras", "fused"],
        default=["fused"],
        help="BatchNormalization's training kernel: Keras' own ops or the fused one (default)",
    )
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
    for arch, precision, jit, norm in itertools.product(
        archs, precisions, args.jit, args.batchnorm
    ):
        for batch in args.batch_size or [TrainConfig.of(architectures.get(arch)).batch_size]:
            separate = (
                [False, True] if args.separate_inception and arch == "inception_lite" else [0]
            )
            for apart in separate:
                option = Option(arch, precision, batch, jit == "on", apart, norm)
                prepare(option, x, y, args.augment)
                options.append(option)
    dtypes = limit_dtypes()
    matmul: dict[str, list[float]] = {dtype: [] for dtype in dtypes}
    for _ in range(args.rounds):
        for dtype in dtypes:
            matmul[dtype].append(matmul_rate(dtype, args.matmul_size).median_gflops)
        for option in options:
            train_round(option, args.steps)
    peaks = {dtype: statistics.median(rates) for dtype, rates in matmul.items()}
    report(args, options, matmul, peaks)


def report(args, options: list[Option], matmul: dict, peaks: dict) -> None:
    print(
        f"{cpu_description()}; {args.rounds} rounds of {args.steps} steps, "
        f"augmentation {'on' if args.augment else 'off'}"
    )
    for dtype, rates in matmul.items():
        print(
            f"{dtype} matmul {args.matmul_size}x{args.matmul_size}: median {peaks[dtype]:.0f} "
            f"GFLOP/s (rounds: {', '.join(f'{v:.0f}' for v in rates)})"
        )
    if "bfloat16" not in peaks:
        print("no native bfloat16 on this CPU: the fraction is of the float32 matmul")
    limit = "bfloat16" if "bfloat16" in peaks else "float32"
    print(
        f"{'arch':16s} {'option':28s} {'img/s median':>12s} {'best':>7s} {'GFLOP/s':>7s} "
        f"{'of fp32':>7s} {'of ' + limit[:4]:>7s} {'fit tail':>8s} {'cores':>5s}  rounds"
    )
    for o in options:
        median = statistics.median(o.rates)
        achieved = TRAIN_FLOPS_PER_FORWARD * o.flops * median / 1e9
        print(
            f"{o.arch:16s} {o.label:28s} {median:12.0f} {max(o.rates):7.0f} {achieved:7.1f} "
            f"{achieved / peaks['float32']:7.2f} {achieved / peaks[limit]:7.2f} "
            f"{statistics.median(o.tails):7.2f}s {statistics.median(o.cores):5.2f}  "
            f"{', '.join(f'{r:.0f}' for r in o.rates)}"
        )
    print(
        "This machine's timings can be bimodal: a round at half the speed of the next is "
        "the machine, not the option; compare options within this table."
    )


if __name__ == "__main__":
    main()
