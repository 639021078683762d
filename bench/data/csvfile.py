"""CSV files in the Kaggle digit-recognizer layout: a ``label`` column, one column per pixel.

Every cell is checked, and a bad one is named by its line and column.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
from pathlib import Path

import numpy as np

from bench.data.checks import check_labels_repeat
from bench.data.dataset import Dataset, dataset_from_arrays
from bench.data.files import read_bytes, unpacked
from bench.data.splits import holdout
from bench.errors import DataError, one_line


def load_csv(path: Path) -> Dataset:
    """The ``csv:FILE`` source (plain or gzipped), with the fixed hold-out as its test set."""
    path = Path(os.path.abspath(path))
    if not path.is_file():
        problem = "is a folder, not a CSV file" if path.is_dir() else "does not exist"
        raise DataError(f"CSV file {path} {problem}")
    raw = read_bytes(path)
    frame = _read_csv_frame(unpacked(raw, path), path)
    frame.columns = [str(c).strip() for c in frame.columns]
    side = _check_csv_header(list(frame.columns), path)
    if frame.empty:
        raise DataError(f"{path}: has a header line but no rows")

    _check_csv_integers(frame, path)
    pixels = frame.drop(columns="label")
    _check_csv_range(frame[["label"]], 0, None, path)
    _check_csv_range(pixels, 0, 255, path)

    labels = frame["label"].to_numpy(np.int64)
    check_labels_repeat(labels, path, "on line", first=2)  # after the header, from 1
    images = pixels.to_numpy(np.uint8).reshape(-1, side, side)  # in range, so no wrap-around
    x_train, y_train, x_test, y_test = holdout(images, labels, str(path))
    return dataset_from_arrays(
        f"csv:{path}",
        x_train,
        y_train,
        x_test,
        y_test,
        num_classes=int(labels.max()) + 1,
        source=str(path),
        checksums={path.name: hashlib.sha256(raw).hexdigest()},
    )


def _read_csv_frame(text: bytes, path: Path):
    import pandas as pd

    try:
        # Trailing blank lines are harmless; ones in the middle become rows of missing values,
        # so that reported line numbers stay true. Read in one piece: in pieces, a column
        # with text in one of them brings a DtypeWarning before the error that names the cell.
        return pd.read_csv(io.BytesIO(text.rstrip()), skip_blank_lines=False, low_memory=False)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: empty file; expected a header line label,pixel0,...") from None
    except UnicodeDecodeError:
        raise DataError(
            f"{path}: not a text file; expected a CSV (plain or gzipped) with a header line "
            "label,pixel0,..."
        ) from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{path}: not a readable CSV file: {one_line(exc)}") from None


def _check_csv_header(columns: list[str], path: Path) -> int:
    """The image side length the header implies."""
    if "label" not in columns:
        raise DataError(
            f"{path}: no 'label' column in the header line; expected label,pixel0,pixel1,..."
        )
    if len(set(columns)) != len(columns):
        raise DataError(f"{path}: the header line names a column twice")
    n_pixels = len(columns) - 1
    side = math.isqrt(n_pixels)
    if n_pixels == 0 or side * side != n_pixels:
        raise DataError(
            f"{path}: {n_pixels} pixel columns is not a square number of pixels "
            "(28x28 images have 784)"
        )
    return side


def _check_csv_integers(frame, path: Path) -> None:
    """Make every column int64 in place, or name the first bad cell's line and column."""
    import pandas as pd

    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_integer_dtype(series):
            continue  # the usual case: nothing to check, and fast
        parsed = pd.to_numeric(series, errors="coerce")
        problems = {
            "missing value": series.isna(),
            "not a number": parsed.isna() & series.notna(),
            "not a whole number": parsed.notna() & (parsed % 1 != 0),
        }
        for problem, mask in problems.items():
            if mask.any():
                row = int(np.flatnonzero(mask.to_numpy())[0])
                cell = "" if problem == "missing value" else f" ('{series.iloc[row]}')"
                raise DataError(f"{path}: line {row + 2}, column {column}: {problem}{cell}")
        frame[column] = parsed.astype(np.int64)


def _check_csv_range(frame, low: int, high: int | None, path: Path) -> None:
    # Column minima and maxima are cheap; only a failing column is searched row by row.
    too_low = frame.min().to_numpy() < low
    too_high = frame.max().to_numpy() > high if high is not None else np.zeros_like(too_low)
    bad_columns = np.flatnonzero(too_low | too_high)
    if bad_columns.size:
        column = frame.columns[bad_columns[0]]
        values = frame[column].to_numpy()
        outside = (values < low) | (values > high) if high is not None else values < low
        row = int(np.flatnonzero(outside)[0])
        allowed = f"{low}..{high}" if high is not None else f"{low} and up"
        raise DataError(
            f"{path}: line {row + 2}, column {column}: value {values[row]} is out of range "
            f"(allowed: {allowed})"
        )
