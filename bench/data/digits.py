"""scikit-learn's bundled 8x8 digits, drawn the MNIST way: a 20x20 digit centred in 28x28."""

from __future__ import annotations

import numpy as np

from bench.data.dataset import Dataset, dataset_from_arrays
from bench.data.splits import holdout

_MNIST_FIELD, _MNIST_BOX = 28, 20  # MNIST centres each digit's 20x20 box in a 28x28 field


def load_digits() -> Dataset:
    """The ``digits`` source, with the fixed hold-out as its test set."""
    from sklearn.datasets import load_digits as load_bunch

    bunch = load_bunch()
    scaled = bunch.images * (255.0 / 16.0)  # scikit-learn stores 0..16
    box = _resize_bilinear(scaled, _MNIST_BOX)
    images = np.zeros((len(box), _MNIST_FIELD, _MNIST_FIELD), np.uint8)
    pad = (_MNIST_FIELD - _MNIST_BOX) // 2
    images[:, pad : pad + _MNIST_BOX, pad : pad + _MNIST_BOX] = np.clip(np.rint(box), 0, 255)
    source = "scikit-learn bundled digits"
    x_train, y_train, x_test, y_test = holdout(images, bunch.target, source)
    return dataset_from_arrays("digits", x_train, y_train, x_test, y_test, 10, source)


def _resize_bilinear(images: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of square (N, n, n) images, as one matrix product per axis."""
    weights = _bilinear_weights(images.shape[-1], size)
    return weights @ images @ weights.T


def _bilinear_weights(n_in: int, n_out: int) -> np.ndarray:
    """Row i blends the two inputs nearest output pixel i's centre (half-pixel alignment)."""
    centres = np.clip((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0, n_in - 1)
    low = np.floor(centres).astype(int)
    high = np.minimum(low + 1, n_in - 1)
    frac = centres - low
    weights = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(weights, (rows, low), 1 - frac)
    np.add.at(weights, (rows, high), frac)
    return weights
