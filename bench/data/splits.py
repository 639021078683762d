"""Splitting a dataset by class: the fixed test hold-out, and train/validation/test arrays."""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np

from bench.data.dataset import Dataset
from bench.errors import DataError, one_line

TEST_FRACTION = 1 / 7  # MNIST's own 10,000 of 70,000, for sources without a test set
HOLDOUT_SEED = 0  # fixed, so the test part of a source never changes between runs
MAX_VAL_SIZE = 5000


@dataclasses.dataclass(frozen=True, eq=False)
class Splits:
    """Model-ready arrays: float32 images in [0, 1] (NHWC) and int64 labels."""

    x_train: np.ndarray = dataclasses.field(repr=False)
    y_train: np.ndarray = dataclasses.field(repr=False)
    x_val: np.ndarray = dataclasses.field(repr=False)
    y_val: np.ndarray = dataclasses.field(repr=False)
    x_test: np.ndarray = dataclasses.field(repr=False)
    y_test: np.ndarray = dataclasses.field(repr=False)
    num_classes: int
    input_shape: tuple[int, int, int]


def holdout(
    x: np.ndarray, y: np.ndarray, source: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The fixed stratified train/test split for sources that ship no test set."""
    from sklearn.model_selection import train_test_split

    try:
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=TEST_FRACTION, stratify=y, random_state=HOLDOUT_SEED
        )
    except ValueError as exc:
        raise DataError(
            f"{source}: {len(y)} rows in {np.unique(y).size} classes are too few to hold out a "
            f"stratified test set ({one_line(exc)})"
        ) from None
    return x_train, y_train, x_test, y_test


def split_dataset(
    dataset: Dataset,
    val_size: int | None = None,
    train_size: int | None = None,
    test_size: int | None = None,
    seed: int = 0,
) -> Splits:
    """Stratified, seeded train/validation/test arrays, scaled to float32 in [0, 1].

    The validation split is carved first and depends only on (dataset, ``val_size``, ``seed``),
    so profiles that differ in ``train_size`` validate on the same images. ``train_size`` and
    ``test_size`` then take stratified subsets; a size at or above what is there keeps it all.
    ``val_size`` defaults to ``min(5000, len(train) // 10)``, raised to one image per class
    when the training set is tiny.
    """
    y = dataset.y_train
    n_classes = int(np.unique(y).size)
    if val_size is None:
        val_size = max(min(MAX_VAL_SIZE, len(y) // 10), n_classes)
    _check_size("val_size", val_size, n_classes)
    if len(y) - val_size < n_classes:
        raise DataError(
            f"val_size {val_size} leaves fewer than one training image per class "
            f"({len(y)} training images, {n_classes} classes in {dataset.name}); "
            "use a smaller val_size"
        )
    train_idx, val_idx = _stratified_split(np.arange(len(y)), y, val_size, seed, dataset.name)
    if train_size is not None:
        _check_size("train_size", train_size, n_classes)
        train_idx = _stratified_subset(train_idx, y, train_size, seed, dataset.name)
    test_idx = np.arange(len(dataset.y_test))
    if test_size is not None:
        _check_size("test_size", test_size, int(np.unique(dataset.y_test).size))
        test_idx = _stratified_subset(test_idx, dataset.y_test, test_size, seed, dataset.name)

    return Splits(
        x_train=_to_unit_float(dataset.x_train[train_idx]),
        y_train=y[train_idx].astype(np.int64),
        x_val=_to_unit_float(dataset.x_train[val_idx]),
        y_val=y[val_idx].astype(np.int64),
        x_test=_to_unit_float(dataset.x_test[test_idx]),
        y_test=dataset.y_test[test_idx].astype(np.int64),
        num_classes=dataset.num_classes,
        input_shape=dataset.input_shape,
    )


def _check_size(name: str, size: object, n_classes: int) -> None:
    if not isinstance(size, numbers.Integral) or isinstance(size, bool) or size <= 0:
        raise DataError(f"{name} must be a positive whole number of images, got {size!r}")
    if size < n_classes:
        raise DataError(
            f"{name} {size} is smaller than the number of classes ({n_classes}); "
            "a stratified split needs at least one image per class"
        )


def _stratified_subset(
    indices: np.ndarray, labels: np.ndarray, size: int, seed: int, name: str
) -> np.ndarray:
    if size >= len(indices):
        return indices
    if len(indices) - size < np.unique(labels[indices]).size:
        # Leaving out fewer images than there are classes cannot be stratified, nor need it be.
        return np.random.default_rng(seed).choice(indices, size, replace=False)
    kept, _ = _stratified_split(indices, labels, len(indices) - size, seed, name)
    return kept


def _stratified_split(
    indices: np.ndarray, labels: np.ndarray, n_out: int, seed: int, name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Split ``indices`` into (kept, ``n_out`` taken out), keeping class proportions."""
    from sklearn.model_selection import train_test_split

    try:
        kept, taken = train_test_split(
            indices, test_size=n_out, stratify=labels[indices], random_state=seed
        )
    except ValueError as exc:
        raise DataError(f"cannot split {name} by class: {one_line(exc)}") from None
    return kept, taken


def _to_unit_float(images: np.ndarray) -> np.ndarray:
    return np.divide(images, np.float32(255), dtype=np.float32)
