"""The deployment view of a trained run: its LiteRT exports and how each does.

For each precision (``bench.measure.litert.EXPORTS``) the trained model is converted, its
size and peak activation memory read, its predictions on the run's test images compared with
the float32 Keras model's, and its batch-1 latency and batch throughput timed through the
LiteRT interpreter (the input already in the model's type, as a device's would be).
Full-integer int8 is calibrated on ``ExportSettings.calibration_images`` training images
drawn with a fixed seed: never validation or test images. The test images are predicted
after the Keras model's one look and choose nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.data.pipeline import inference_batches
from bench.errors import BenchError, one_line
from bench.measure import litert, tflm
from bench.measure.latency import time_calls
from bench.measurements.exports.section import EXPORTS, Export
from bench.store import files


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
    # The full-integer model is also run by TFLM, a microcontroller's runtime, on the first
    # this many test images: one invoke each, on the host's CPU, from 0.5 ms an image (mlp)
    # to 130 ms (inception_lite) on a busy 2-core AMD EPYC.
    micro_images: int = 100

    def __post_init__(self):
        unknown = [p for p in self.precisions if p not in EXPORTS]
        if unknown:
            raise BenchError(
                f"unknown export precision '{unknown[0]}'; choose all, none or some of "
                f"{', '.join(EXPORTS)}"
            )


def parse_exports(text: str, keep: bool = False) -> ExportSettings:
    """``all``, ``none`` or a list of precisions, separated by spaces or commas."""
    words = text.replace(",", " ").split()
    if words == ["all"]:
        return ExportSettings(keep=keep)
    if words == ["none"]:
        return ExportSettings(precisions=(), keep=keep)
    return ExportSettings(precisions=tuple(words), keep=keep)


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
    predictions: np.ndarray,
    settings: ExportSettings,
    folder: Path | None = None,
) -> dict[str, Export]:
    """Each precision's ``Export`` record; a precision that fails is recorded as failed.

    ``predictions`` are ``model``'s predicted test classes. The exports are compared with the
    float32 Keras model: ``model`` itself, or for a mixed-precision model its float32 twin,
    whose test predictions are made here. With ``settings.keep`` the exported models are
    written into ``folder``; without it, a file an earlier export left there is removed.
    """
    if not settings.precisions:
        return {}
    from bench.measure.twin import in_float32

    try:
        twin = in_float32(model)
    except Exception as exc:  # a model Keras cannot rebuild in float32: no export of it
        return {precision: _failed(exc) for precision in settings.precisions}
    if twin is not model:
        predictions = twin.predict(inference_batches(x_test), verbose=0).argmax(axis=1)
    calibration = calibration_sample(
        x_train, settings.calibration_images, settings.calibration_seed
    )
    with contextlib.ExitStack() as stack:
        started = time.perf_counter()
        try:
            source = stack.enter_context(litert.saved_for_conversion(twin))
        except Exception as exc:  # a model TensorFlow cannot save cannot be converted either
            return {precision: _failed(exc) for precision in settings.precisions}
        # The saved model serves every precision: each export's seconds hold its share.
        shared = (time.perf_counter() - started) / len(settings.precisions)
        found = {}
        for precision in settings.precisions:
            started = time.perf_counter()
            try:
                content = litert.convert(source, precision, calibration)
                export = _measure(content, x_test, y_test, predictions, settings, precision)
            except Exception as exc:  # a converter that refuses a model is a finding
                content, export = None, _failed(exc)
            if folder is not None:
                _keep(folder / export_name(precision), content if settings.keep else None)
            seconds = shared + time.perf_counter() - started
            found[precision] = dataclasses.replace(export, seconds=seconds)
        return found


def _keep(path: Path, content: bytes | None) -> None:
    """Write ``content`` to ``path``; with none, remove what an earlier export left there."""
    if content is not None:
        files.write_bytes(path, content)
    else:
        path.unlink(missing_ok=True)


def _failed(exc: Exception) -> Export:
    return Export(status="failed", error=f"{type(exc).__name__}: {one_line(exc)}"[:500])


def export_name(precision: str) -> str:
    """The file an export is kept in, beside the run's model."""
    return f"model-{precision}.tflite"


def _measure(content, x_test, y_test, float32_predictions, settings, precision) -> Export:
    runner = litert.Runner(content, threads=settings.threads or os.cpu_count() or 1)
    predictions = runner.predict(x_test).argmax(axis=1)
    micro = on_micro(content, x_test, predictions, settings) if precision == "int8" else {}
    correct = int(np.sum(predictions == y_test))
    float32_correct = int(np.sum(float32_predictions == y_test))
    one = runner.bound(x_test[:1])
    ms = 1e3 * time_calls(one, settings.latency_calls, settings.latency_calls // 10)
    batch = runner.bound(x_test[: settings.throughput_batch])
    batch_seconds = time_calls(batch, 5, 1)
    return Export(
        bytes=len(content),
        peak_activation_bytes=litert.peak_activation_bytes(content),
        test_accuracy=correct / len(y_test),
        accuracy_change=(correct - float32_correct) / len(y_test),
        changed_predictions=int(np.sum(predictions != float32_predictions)),
        p50_ms=float(np.percentile(ms, 50)),
        p99_ms=float(np.percentile(ms, 99)),
        throughput=float(min(settings.throughput_batch, len(x_test)) / np.median(batch_seconds)),
        **micro,
    )


def on_micro(content: bytes, x_test, litert_classes, settings: ExportSettings) -> dict:
    """The int8 model in TFLM (``bench.measure.tflm``): whether it runs, the arena it needs,
    and its classes on the first ``settings.micro_images`` test images against LiteRT's."""
    n = min(settings.micro_images, len(x_test))
    try:
        found = tflm.run_model(content, x_test[:n])
    except tflm.Unavailable:
        return {"micro_status": "not installed"}
    except tflm.MicroFailed as exc:
        return {"micro_status": "failed", "micro_error": str(exc)[:500]}
    return {
        "micro_status": "ok",
        "arena_bytes": found.arena.total,
        "arena_activation_bytes": found.arena.activations,
        "arena_persistent_bytes": found.arena.persistent,
        "micro_images": n,
        "micro_changed": int(np.sum(found.classes != litert_classes[:n])),
        "micro_host_ms": 1e3 * found.host_seconds,
    }
