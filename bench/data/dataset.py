"""The dataset every source returns: uint8 NHWC images, int64 labels, and checksums.

The checksums are the sha256 of what was read, so a results file records exactly which data
a model saw.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """Images and labels as read, before any validation split or scaling.

    ``eq=False`` because comparing arrays elementwise has no single truth value.
    """

    name: str
    x_train: np.ndarray = dataclasses.field(repr=False)
    y_train: np.ndarray = dataclasses.field(repr=False)
    x_test: np.ndarray = dataclasses.field(repr=False)
    y_test: np.ndarray = dataclasses.field(repr=False)
    num_classes: int
    source: str
    checksums: dict[str, str]

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(int(d) for d in self.x_train.shape[1:])


def dataset_from_arrays(
    name: str,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    num_classes: int,
    source: str,
    checksums: dict[str, str] | None = None,
) -> Dataset:
    """A Dataset from in-memory arrays; without file checksums, the arrays' own digest."""
    x_train, x_test = (_as_nhwc_uint8(x) for x in (x_train, x_test))
    y_train, y_test = (np.ascontiguousarray(y, dtype=np.int64) for y in (y_train, y_test))
    if checksums is None:
        digest = hashlib.sha256()
        for array in (x_train, y_train, x_test, y_test):
            digest.update(array.tobytes())
        checksums = {"arrays": digest.hexdigest()}
    return Dataset(name, x_train, y_train, x_test, y_test, num_classes, source, checksums)


def _as_nhwc_uint8(images: np.ndarray) -> np.ndarray:
    images = np.ascontiguousarray(images, dtype=np.uint8)
    return images[..., np.newaxis] if images.ndim == 3 else images
