"""Datasets by name: where the images come from.

Every loader returns a :class:`~bench.data.dataset.Dataset`. Anything wrong with the input
raises :class:`~bench.errors.DataError` with a one-line message that names the file or
folder, because the CLI shows nothing else.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

import numpy as np

from bench.data.csvfile import load_csv
from bench.data.dataset import Dataset, dataset_from_arrays
from bench.data.digits import load_digits
from bench.data.idx import (
    IDX_FILES,
    dataset_from_idx,
    describe_missing,
    find_idx_files,
    load_idx_folder,
)
from bench.errors import DataError, one_line

DATA_DIR_ENV = "BENCH_DATA_DIR"
NAMED_DATASETS = ("mnist", "fashion_mnist")
DATASET_HELP = (
    "One of: mnist, fashion_mnist, digits (scikit-learn's bundled 8x8 digits), "
    "idx:DIR (a folder of the four MNIST-format IDX files) or csv:FILE (label,pixel0,... rows)."
)


def load_dataset(name: str = "mnist", data_dir: str | os.PathLike | None = None) -> Dataset:
    """Load a dataset by name; ``data_dir`` is only consulted for mnist and fashion_mnist.

    ``name`` is one of ``mnist``, ``fashion_mnist``, ``digits``, ``idx:DIR`` or ``csv:FILE``.
    """
    kind, sep, location = name.partition(":")
    if name in NAMED_DATASETS:
        return _load_named(name, data_dir)
    if name == "digits":
        return load_digits()
    if sep and kind == "idx" and location:
        return load_idx_folder(Path(location).expanduser())
    if sep and kind == "csv" and location:
        return load_csv(Path(location).expanduser())
    raise DataError(f"unknown dataset '{name}'. {DATASET_HELP}")


def _load_named(name: str, data_dir: str | os.PathLike | None) -> Dataset:
    """The first complete set of IDX files under the data folder, else Keras' copy."""
    looked: list[str] = []
    root = _data_root(data_dir, looked)
    if root is not None:
        # The subfolder first: files lying directly in DIR may belong to another dataset.
        for folder in (root / name, root):
            files, missing = find_idx_files(folder)
            if not missing:
                return dataset_from_idx(files, name, str(folder), label_max=9)
            looked.append(f"{folder} ({describe_missing(folder, missing)})")

    try:
        arrays = _load_from_keras(name)
    except Exception as exc:  # no cache and no network, or a broken cache: all the same here
        looked.append(f"Keras' cache {_keras_cache_dir()} (download failed: {one_line(exc)})")
    else:
        return dataset_from_arrays(name, *arrays, num_classes=10, source="keras cache")

    names = ", ".join(f"{base}.gz" for base in IDX_FILES.values())
    raise DataError(
        f"cannot find {name}: looked in {'; '.join(looked)}; put {names} in a folder "
        f"(or its subfolder {name}/) and pass --data-dir DIR or set {DATA_DIR_ENV}=DIR"
    )


def _data_root(data_dir: str | os.PathLike | None, looked: list[str]) -> Path | None:
    """The folder named by ``data_dir``, else by the environment; a bad explicit one is fatal."""
    if data_dir is not None:
        root = Path(data_dir).expanduser()
        if not root.exists():
            raise DataError(f"data folder {root} does not exist; check --data-dir")
        if not root.is_dir():
            raise DataError(f"data folder {root} is a file, not a folder; check --data-dir")
        return root
    value = os.environ.get(DATA_DIR_ENV, "")
    if not value:
        looked.append(f"no data folder (neither --data-dir nor {DATA_DIR_ENV} was given)")
        return None
    root = Path(value).expanduser()
    if not root.is_dir():
        looked.append(f"{DATA_DIR_ENV}={value} (not a folder)")
        return None
    return root


def _load_from_keras(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Keras' loader: its cache, or a download when there is a network."""
    import keras

    loader = getattr(keras.datasets, name)
    # Its download messages go to stderr, not among the results, and only once the download
    # worked: a failure is reported in the one line of the error that follows.
    messages = io.StringIO()
    with contextlib.redirect_stdout(messages):
        (x_train, y_train), (x_test, y_test) = loader.load_data()
    sys.stderr.write(messages.getvalue())
    return x_train, y_train, x_test, y_test


def _keras_cache_dir() -> str:
    home = os.environ.get("KERAS_HOME") or os.path.join("~", ".keras")
    return os.path.join(os.path.expanduser(home), "datasets")
