"""The deployment view of a trained run: its LiteRT exports and how each does.

For each precision (``bench.measure.litert.EXPORTS``) the trained model is converted, its
size and peak activation memory read, its predictions on the run's test images compared with
the Keras model's, and its batch-1 latency and batch throughput timed through the LiteRT
interpreter. Full-integer int8 is calibrated on ``ExportSettings.calibration_images``
training images drawn with a fixed seed: never validation or test images. The test images
are predicted after the Keras model's one look and choose nothing.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.errors import BenchError, one_line
from bench.measure import litert
from bench.measure.latency import time_calls
from bench.store import files
from bench.store.records import Export

EXPORTS = litert.EXPORTS
EXPORTS_VARIABLE = "BENCH_EXPORTS"  # the default of --exports, for a shell or CI


@dataclasses.dataclass(frozen=True)
class ExportSettings:
    """Which exports a run makes and how they are measured."""

    precisions: tuple[str, ...] = EXPORTS  # () makes none
    keep: bool = False  # write model-<precision>.tflite beside model.keras
    calibration_images: int = 256
    calibration_seed: int = 0
    latency_calls: int = 200  # timed batch-1 calls, after latency_calls // 10 untimed
    throughput_batch: int = 256
    threads: int = 0  # 0: every core

    def __post_init__(self):
        unknown = [p for p in self.precisions if p not in EXPORTS]
        if unknown:
            raise BenchError(
                f"unknown export precision '{unknown[0]}'; choose from {', '.join(EXPORTS)}"
            )


def parse_exports(
    text: str | None = None, keep: bool = False, default: str = "all"
) -> ExportSettings:
    """``all``, ``none`` or a comma-separated list of precisions; without ``text``, the
    ``BENCH_EXPORTS`` variable, else ``default`` (a profile's)."""
    text = (text if text is not None else os.environ.get(EXPORTS_VARIABLE) or default).strip()
    if text == "all":
        return ExportSettings(keep=keep)
    if text == "none":
        return ExportSettings(precisions=(), keep=keep)
    return ExportSettings(precisions=tuple(p.strip() for p in text.split(",")), keep=keep)


def calibration_sample(x_train: np.ndarray, size: int, seed: int) -> np.ndarray:
    """``size`` training images drawn without replacement with ``seed``: the same images for
    every architecture and run of a training split."""
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(x_train), size=min(size, len(x_train)), replace=False)
    return x_train[np.sort(picked)]


def evaluate_exports(
    model: Any,
    x_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    keras_predictions: np.ndarray,
    settings: ExportSettings,
    folder: Path | None = None,
) -> dict[str, Export]:
    """Each precision's ``Export`` record; a precision that fails is recorded as failed.

    ``keras_predictions`` are the Keras model's predicted test classes; with
    ``settings.keep`` the exported models are written into ``folder``."""
    if not settings.precisions:
        return {}
    from bench.train.protocol import in_float32

    try:
        twin = in_float32(model)
    except Exception as exc:  # a model Keras cannot rebuild in float32: no export of it
        return {precision: _failed(exc) for precision in settings.precisions}
    calibration = calibration_sample(
        x_train, settings.calibration_images, settings.calibration_seed
    )
    keras_correct = int(np.sum(keras_predictions == y_test))
    found = {}
    for precision in settings.precisions:
        started = time.perf_counter()
        try:
            content = litert.convert(twin, precision, calibration)
            if settings.keep and folder is not None:
                files.write_bytes(folder / export_name(precision), content)
            export = _measure(content, x_test, y_test, keras_predictions, keras_correct, settings)
        except Exception as exc:  # a converter that refuses a model is a finding, not a crash
            export = _failed(exc)
        found[precision] = dataclasses.replace(export, seconds=time.perf_counter() - started)
    return found


def _failed(exc: Exception) -> Export:
    return Export(status="failed", error=f"{type(exc).__name__}: {one_line(exc)}"[:500])


def export_name(precision: str) -> str:
    """The file an export is kept in, beside the run's model."""
    return f"model-{precision}.tflite"


def _measure(content, x_test, y_test, keras_predictions, keras_correct, settings) -> Export:
    runner = litert.Runner(content, threads=settings.threads or os.cpu_count() or 1)
    predictions = runner.predict(x_test).argmax(axis=1)
    correct = int(np.sum(predictions == y_test))
    one = x_test[:1]
    ms = 1e3 * time_calls(lambda: runner(one), settings.latency_calls, settings.latency_calls // 10)
    batch = x_test[: settings.throughput_batch]
    batch_seconds = time_calls(lambda: runner(batch), 5, 1)
    return Export(
        bytes=len(content),
        peak_activation_bytes=litert.peak_activation_bytes(content),
        test_accuracy=correct / len(y_test),
        accuracy_change=(correct - keras_correct) / len(y_test),
        changed_predictions=int(np.sum(predictions != keras_predictions)),
        p50_ms=float(np.percentile(ms, 50)),
        p99_ms=float(np.percentile(ms, 99)),
        throughput=float(len(batch) / np.median(batch_seconds)),
    )
