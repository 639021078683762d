"""What does TensorFlow's op determinism cost? Training epochs with it off and on.

For each architecture, trains two copies for one epoch at a time on N MNIST images
through the suite's own pipeline (augmentation on, so the parallel map is covered),
one copy with op determinism off and one with it on, alternating in one process so that
machine noise hits both alike. Prints the median images/s of each and the cost
(on/off epoch time, minus one):

    BENCH_DATA_DIR=../shared/data python benchmarks/determinism_cost.py --images 3840 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# isort: off
import bench  # noqa: E402, F401  (its TensorFlow settings must come before TensorFlow)

# isort: on

# TensorFlow has no public switch back, and this comparison needs both modes in one process.
from tensorflow.python.framework import config as tf_config  # noqa: E402

import architectures  # noqa: E402
from bench.config import (
    get_profile,  # noqa: E402
    plan,  # noqa: E402
)
from bench.data import load_dataset, split_dataset  # noqa: E402
from bench.train.checkpoint import training_dataset  # noqa: E402
from bench.train.fit import compile_for_training  # noqa: E402

MODES = {"off": tf_config.disable_op_determinism, "on": tf_config.enable_op_determinism}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", nargs="+", default=None, help="default: every architecture")
    parser.add_argument("--images", type=int, default=3840)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    splits = split_dataset(load_dataset("mnist"), train_size=args.images)
    x, y = splits.x_train, splits.y_train
    for arch in args.arch or architectures.names():
        (spec,) = plan([arch], "mnist", get_profile("standard"), [True])
        models = {}
        for mode, switch in MODES.items():  # each copy traces its kernels in its own mode
            switch()
            models[mode] = architectures.create(arch)
            compile_for_training(models[mode], spec)
            models[mode].fit(training_dataset(spec, x, y), epochs=1, verbose=0)
        rates: dict[str, list[float]] = {mode: [] for mode in MODES}
        for _ in range(args.rounds):
            for mode, switch in MODES.items():
                switch()
                start = time.perf_counter()
                models[mode].fit(training_dataset(spec, x, y), epochs=1, verbose=0)
                rates[mode].append(len(x) / (time.perf_counter() - start))
        off, on = (statistics.median(rates[mode]) for mode in MODES)
        ratios = [a / b for a, b in zip(rates["off"], rates["on"], strict=True)]
        print(
            f"{arch:15s} off {off:6.0f} img/s  on {on:6.0f} img/s  "
            f"cost {100 * (statistics.median(ratios) - 1):+.1f}% "
            f"(per round: {', '.join(f'{100 * (r - 1):+.1f}%' for r in ratios)})",
            flush=True,
        )


if __name__ == "__main__":
    main()
