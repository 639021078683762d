"""The data section: how the images look, how the classes spread, what augmentation does."""

from __future__ import annotations

import dataclasses

import numpy as np

from bench.data import Splits
from bench.data.augment import AugmentConfig, build_augmenter
from report import charts
from report.images import data_uri

SAMPLES_PER_CLASS = 8
PCA_IMAGES = 2000
HISTOGRAM_IMAGES = 10_000
PREVIEW_IMAGES = 8
PREVIEW_COPIES = 3


@dataclasses.dataclass
class DataView:
    """Everything the data section shows, ready for the template."""

    class_names: list[str]
    counts: dict[str, list[int]]
    samples: list[tuple[str, list[str]]]  # (class name, image URIs)
    means: list[tuple[str, str]]  # (class name, mean image URI)
    preview: list[list[str]]  # rows: an original, then its augmented copies
    figures: dict[str, object]  # chart id -> plotly figure


def data_view(splits: Splits, augment_strength: float = 1.0, seed: int = 0) -> DataView:
    rng = np.random.default_rng(seed)
    names = [str(c) for c in range(splits.num_classes)]
    counts = {
        "train": np.bincount(splits.y_train, minlength=splits.num_classes),
        "validation": np.bincount(splits.y_val, minlength=splits.num_classes),
        "test": np.bincount(splits.y_test, minlength=splits.num_classes),
    }
    samples, means = [], []
    for label, name in enumerate(names):
        mine = np.flatnonzero(splits.y_train == label)
        if not len(mine):
            continue
        picked = mine[_sample(rng, len(mine), SAMPLES_PER_CLASS)]
        samples.append((name, [data_uri(splits.x_train[i]) for i in picked]))
        means.append((name, data_uri(splits.x_train[mine].mean(axis=0))))

    pca_idx = _sample(rng, len(splits.x_train), PCA_IMAGES)
    hist_idx = _sample(rng, len(splits.x_train), HISTOGRAM_IMAGES)
    figures = {
        "chart-class-counts": charts.class_counts(counts, names),
        "chart-pixels": charts.pixel_histogram(splits.x_train[hist_idx]),
        "chart-pca": charts.pca_projection(
            _pca_2d(splits.x_train[pca_idx], seed), splits.y_train[pca_idx], names
        ),
    }
    preview_idx = _sample(rng, len(splits.x_train), PREVIEW_IMAGES)
    return DataView(
        class_names=names,
        counts={k: v.tolist() for k, v in counts.items()},
        samples=samples,
        means=means,
        preview=_augmentation_preview(splits.x_train[preview_idx], augment_strength, seed),
        figures=figures,
    )


def _sample(rng: np.random.Generator, population: int, size: int) -> np.ndarray:
    return rng.choice(population, size=min(size, population), replace=False)


def _pca_2d(images: np.ndarray, seed: int) -> np.ndarray:
    from sklearn.decomposition import PCA

    return PCA(n_components=2, random_state=seed).fit_transform(images.reshape(len(images), -1))


def _augmentation_preview(originals: np.ndarray, strength: float, seed: int) -> list[list[str]]:
    augmenter = build_augmenter(AugmentConfig(strength=strength), seed=seed)
    copies = [np.asarray(augmenter(originals, training=True)) for _ in range(PREVIEW_COPIES)]
    return [
        [data_uri(original)] + [data_uri(copy[i]) for copy in copies]
        for i, original in enumerate(originals)
    ]
