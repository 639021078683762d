"""What the corrupted-digit evaluation adds to a run, against the run's own wall time.

For each finished run under --results that kept its model (those of --arch, seed 0), times the
evaluation on the default corrupted sets two ways, interleaved in one process so that machine
noise hits both alike, R rounds: the suite's (``evaluate_corruptions``, the sets pooled into a
few ``predict`` calls) and one ``predict`` call per set, beside loading the saved model, which
the evaluation also does first. It prints the minimum and median seconds of each and the
median's share of the run's recorded ``wall_seconds`` (training and the clean test evaluation:
what the corrupted sets add to). The sets come from a cache made before timing, as every run of
a suite but its first finds them.

    BENCH_DATA_DIR=../shared/data python benchmarks/corruption_cost.py \
        --results results --arch mlp lenet5 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# isort: off
import bench  # noqa: E402, F401  (its TensorFlow settings must come before TensorFlow)

# isort: on

import numpy as np  # noqa: E402

from bench.measurements.robustness.evaluate import (  # noqa: E402
    BATCH,
    CorruptionSettings,
    corrupted_set,
    evaluate_corruptions,
    sample,
)
from bench.revisit import saved_runs  # noqa: E402
from bench.store import results  # noqa: E402


def one_call_per_set(model, x_test, settings: CorruptionSettings, cache: Path) -> None:
    """The evaluation's predictions made set by set, as the suite first made them."""
    x_test = x_test[sample(len(x_test), settings)]
    for name in settings.names:
        for severity in settings.severities:
            images, _ = corrupted_set(x_test, name, severity, settings.seed, cache)
            model.predict(images.astype(np.float32) / 255.0, batch_size=BATCH, verbose=0)


def time_run(folder: Path, record, splits, settings, cache: Path, rounds: int) -> None:
    """Print each way's minimum and median seconds for one run, and the median's share."""
    import keras

    model = keras.saving.load_model(folder / results.MODEL, compile=False)
    clean = np.zeros(len(splits.y_test), np.uint8)  # the clean accuracy is not timed here
    ways = {
        "load the model": lambda: keras.saving.load_model(folder / results.MODEL, compile=False),
        "pooled (the suite's)": lambda: evaluate_corruptions(
            model, splits.x_test, splits.y_test, clean, settings, cache
        ),
        "one call per set": lambda: one_call_per_set(model, splits.x_test, settings, cache),
    }
    for way in ways.values():  # warm-up: makes the cached sets and traces predict
        way()
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(rounds):
        for name, way in ways.items():
            start = time.perf_counter()
            way()
            seconds[name].append(time.perf_counter() - start)
    for name, times in seconds.items():
        median = statistics.median(times)
        print(
            f"{record.run_id:42s} {name:22s} {min(times):6.2f} {median:8.2f} "
            f"{median / record.wall_seconds:12.1%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results", help="a results folder (default: results)")
    parser.add_argument("--arch", nargs="+", default=["mlp", "lenet5", "custom_cnn"])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    settings = CorruptionSettings()

    def wanted(record) -> bool:
        return record.spec.arch in args.arch and record.spec.seed == 0

    print(f"{'run':42s} {'way':22s} {'min s':>6s} {'median s':>8s} {'share of run':>12s}")
    with tempfile.TemporaryDirectory(prefix="corruption-cost-") as cache:
        for folder, record, splits in saved_runs(args.results, wanted):
            time_run(folder, record, splits, settings, Path(cache), args.rounds)


if __name__ == "__main__":
    main()
