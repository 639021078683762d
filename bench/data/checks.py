"""Checks on a source's labels, shared by the file formats; each failure names the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.errors import DataError


def check_labels(labels: np.ndarray, path: Path, label_max: int, what: str) -> None:
    """Every label must be at most ``label_max``; ``what`` says what such a label is."""
    bad = np.flatnonzero(labels > label_max)
    if bad.size:
        i = int(bad[0])
        raise DataError(f"{path}: label {labels[i]} at index {i} is not {what} (0..{label_max})")


def check_labels_repeat(labels: np.ndarray, path: Path, place: str, first: int = 0) -> None:
    """Every label must appear at least twice: a split by class puts some of each class on
    both sides. A label seen once is usually a stray; name it and where it is (``place``,
    "at index" or "on line", counting from ``first``)."""
    values, positions, counts = np.unique(labels, return_index=True, return_counts=True)
    once = np.flatnonzero(counts < 2)
    if once.size:
        label, position = values[once[0]], positions[once[0]] + first
        raise DataError(
            f"{path}: label {label} appears only once ({place} {position}); expected every "
            "label at least twice, as the split by class needs"
        )
