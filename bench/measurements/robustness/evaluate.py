"""A trained model's accuracy on corrupted copies of its test images.

Each (corruption, severity) set of ``corruptions`` is made once from a test set and kept
as uint8, as MNIST-C ships its images, in a cache folder (``CACHE_DIR`` under
the results folder); the record keeps each set's sha256, so two runs can be seen to have met
the same images. The sets are test data: they are predicted after the run's one look at the
clean test set and choose nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.data.pipeline import inference_batches
from bench.errors import BenchError
from bench.measurements.robustness import corruptions
from bench.measurements.robustness.section import Robustness
from bench.store import files

PREDICTED = "corruptions.npz"  # beside a run's model: its predicted classes on each set
CACHE_DIR = ".corruptions"  # under a results folder: the corrupted sets, by test set
CHOICES = corruptions.SETS
BATCH = 1024  # images per prediction step
POOL = 16 * BATCH  # images per predict call: a float32 copy of about 50 MB at 28x28


@dataclasses.dataclass(frozen=True)
class CorruptionSettings:
    """Which corrupted sets a run is evaluated on."""

    names: tuple[str, ...] = corruptions.DEFAULT  # () evaluates none
    severities: tuple[int, ...] = corruptions.SEVERITIES
    seed: int = 0  # the corruptions' randomness: the same sets for every run of a test set
    # Test images per set, drawn once with ``seed`` (None: all): 30 sets of all 10,000 MNIST
    # test images would add 10-30% to a standard run; 2,000 keep it within a few percent and
    # still give each set's accuracy to about +-1.3 points (95%).
    images: int | None = 2000

    def __post_init__(self):
        unknown = [name for name in self.names if name not in corruptions.CORRUPTIONS]
        if unknown:
            raise BenchError(
                f"unknown corruption '{unknown[0]}'; choose from "
                f"{', '.join(corruptions.CORRUPTIONS)}"
            )


def parse_corruptions(text: str) -> CorruptionSettings:
    """``none``, ``default`` or ``all`` (``corruptions.names``)."""
    return CorruptionSettings(names=corruptions.names(text.strip()))


def sample(size: int, settings: CorruptionSettings) -> np.ndarray:
    """The positions in a test set of ``size`` images that the corrupted sets are made of:
    the same for every run of that test set."""
    if settings.images is None or settings.images >= size:
        return np.arange(size)
    rng = np.random.default_rng(settings.seed)
    return np.sort(rng.choice(size, settings.images, replace=False))


def set_key(name: str, severity: int) -> str:
    """``rotate-2``: how the record and the predictions file name a corrupted set."""
    return f"{name}-{severity}"


def corrupted_set(
    x_test: np.ndarray, name: str, severity: int, seed: int, cache: Path | None
) -> tuple[np.ndarray, str]:
    """The corrupted copy of ``x_test`` as uint8, and its sha256; read from ``cache`` when an
    earlier run of the same test images made it, else made and written there."""
    path = None
    if cache is not None:
        path = cache / _images_digest(x_test) / f"{set_key(name, severity)}-s{seed}.npy"
        try:
            images = np.load(path, allow_pickle=False)
            if images.shape == x_test.shape and images.dtype == np.uint8:
                return images, _sha256(images)
        except (OSError, ValueError):
            pass  # not made yet, or cut short: make it again
    images = np.rint(corruptions.corrupt(x_test, name, severity, seed) * 255).astype(np.uint8)
    if path is not None:
        try:
            with files.atomic_path(path) as tmp, open(tmp, "wb") as fh:
                np.save(fh, images, allow_pickle=False)
        except OSError:
            pass  # a cache that cannot be written costs time, not the run
    return images, _sha256(images)


def evaluate_corruptions(
    model: Any,
    x_test: np.ndarray,
    y_test: np.ndarray,
    clean_predictions: np.ndarray,
    settings: CorruptionSettings,
    cache: Path | None = None,
) -> tuple[Robustness, dict[str, np.ndarray]]:
    """``model``'s accuracy on each corrupted set of ``settings``, and the arrays for paired
    comparisons: its predicted classes on each set (by ``set_key``), and the ``indices`` and
    labels (``y_true``) of the test images the sets are made of. ``clean_predictions`` are
    its classes on ``x_test`` itself, from the run's one look."""
    started = time.perf_counter()
    indices = sample(len(y_test), settings)
    x_test, y_test, clean_predictions = x_test[indices], y_test[indices], clean_predictions[indices]
    keys = [(name, severity) for name in settings.names for severity in settings.severities]
    made = [corrupted_set(x_test, name, severity, settings.seed, cache) for name, severity in keys]
    classes = _predict(model, [images for images, _ in made])
    accuracy: dict[str, dict[str, float]] = {}
    checksums, predicted = {}, {"indices": indices, "y_true": y_test}
    for (name, severity), (_, checksum), found in zip(keys, made, classes, strict=True):
        accuracy.setdefault(name, {})[str(severity)] = float(np.mean(found == y_test))
        checksums[set_key(name, severity)] = checksum
        predicted[set_key(name, severity)] = found
    robustness = Robustness(
        accuracy=accuracy,
        clean_accuracy=float(np.mean(clean_predictions == y_test)),
        images=len(y_test),
        seed=settings.seed,
        checksums=checksums,
        seconds=time.perf_counter() - started,
    )
    return robustness, predicted


def _predict(model: Any, sets: list[np.ndarray]) -> list[np.ndarray]:
    """Predicted classes of each set of uint8 images, scaled as the model was trained (float32
    in [0, 1]). The sets are pooled into a few large ``predict`` calls: one call per set cost
    more than the predictions themselves for a small model (`benchmarks/corruption_cost.py`).
    BatchNorm is folded into the layers before it: the same outputs to float rounding, in
    about two thirds of the time for ``mobilenet_lite``."""
    from bench.measure.folding import fold_batchnorm  # Keras: not for the command line's help

    if not sets:
        return []
    model = fold_batchnorm(model)
    pooled = np.concatenate(sets)
    classes = [
        model.predict(
            inference_batches(
                pooled[start : start + POOL].astype(np.float32) / 255.0, batch_size=BATCH
            ),
            verbose=0,
        )
        .argmax(axis=1)
        .astype(np.uint8)
        for start in range(0, len(pooled), POOL)
    ]
    return np.split(np.concatenate(classes), np.cumsum([len(images) for images in sets])[:-1])


def _images_digest(x: np.ndarray) -> str:
    """A short name for a test set: the sha256 of its images, so different splits never share
    a cached set."""
    return _sha256(x)[:16]


def _sha256(array: np.ndarray) -> str:
    digest = hashlib.sha256(str((array.shape, array.dtype.str)).encode())
    digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()
