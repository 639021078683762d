"""Is the input pipeline a bottleneck? Plain ``model.fit`` on arrays against the suite's pipeline.

Trains custom_cnn for one epoch on N MNIST images three ways, interleaved in one process
(so machine noise hits all three alike), R rounds, and prints median images/s and the
ratio of each pipeline to plain ``fit``:

    BENCH_DATA_DIR=../shared/data python benchmarks/pipeline_overhead.py --images 12800 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import architectures  # noqa: E402
from bench.data import load_dataset, split_dataset  # noqa: E402
from bench.data.augment import build_augmenter  # noqa: E402
from bench.data.pipeline import train_dataset  # noqa: E402


def _model(arch: str):
    model = architectures.create(arch)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="custom_cnn")
    parser.add_argument("--images", type=int, default=12800)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()

    splits = split_dataset(load_dataset("mnist"), train_size=args.images)
    x, y = splits.x_train, splits.y_train
    ways = {
        "plain fit": lambda m: m.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0),
        "suite pipeline, augment off": lambda m: m.fit(
            train_dataset(x, y, args.batch_size, seed=0), epochs=1, verbose=0
        ),
        "suite pipeline, augment on": lambda m: m.fit(
            train_dataset(x, y, args.batch_size, seed=0, augmenter=build_augmenter(seed=0)),
            epochs=1,
            verbose=0,
        ),
    }
    models = {name: _model(args.arch) for name in ways}
    for name, fit in ways.items():  # warm-up: tracing is not what is measured
        fit(models[name])
    rates: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, fit in ways.items():
            start = time.perf_counter()
            fit(models[name])
            rates[name].append(len(x) / (time.perf_counter() - start))
    plain = statistics.median(rates["plain fit"])
    for name, values in rates.items():
        median = statistics.median(values)
        print(f"{name:22s} {median:8.0f} images/s  ({median / plain:.2f} x plain fit)")


if __name__ == "__main__":
    main()
