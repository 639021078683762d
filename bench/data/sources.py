"""Datasets: where the images come from, how they are checked, and how they are split.

Every loader returns a :class:`Dataset` of uint8 NHWC images and int64 labels, together with
the sha256 of what it read, so a results file records exactly which data a model saw. Anything
wrong with the input raises :class:`~bench.errors.DataError` with a one-line message that names
the file or folder, because the CLI shows nothing else.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import hashlib
import io
import math
import numbers
import os
import sys
import zlib
from pathlib import Path

import numpy as np

from bench.errors import DataError, one_line

DATA_DIR_ENV = "BENCH_DATA_DIR"
NAMED_DATASETS = ("mnist", "fashion_mnist")
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
DATASET_HELP = (
    "One of: mnist, fashion_mnist, digits (scikit-learn's bundled 8x8 digits), "
    "idx:DIR (a folder of the four MNIST-format IDX files) or csv:FILE (label,pixel0,... rows)."
)

TEST_FRACTION = 1 / 7  # MNIST's own 10,000 of 70,000, for sources without a test set
HOLDOUT_SEED = 0  # fixed, so the test part of a source never changes between runs
MAX_VAL_SIZE = 5000

_GZIP_MAGIC = b"\x1f\x8b"
_IDX_UBYTE = 0x08
_IDX_DIMENSIONS = {"images": 3, "labels": 1}  # count x height x width; count
_MNIST_FIELD, _MNIST_BOX = 28, 20  # MNIST centres each digit's 20x20 box in a 28x28 field


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


# --- loading ---------------------------------------------------------------------------------


def load_dataset(name: str = "mnist", data_dir: str | os.PathLike | None = None) -> Dataset:
    """Load a dataset by name; ``data_dir`` is only consulted for mnist and fashion_mnist.

    ``name`` is one of ``mnist``, ``fashion_mnist``, ``digits``, ``idx:DIR`` or ``csv:FILE``.
    """
    kind, sep, location = name.partition(":")
    if name in NAMED_DATASETS:
        return _load_named(name, data_dir)
    if name == "digits":
        return _load_digits()
    if sep and kind == "idx" and location:
        return _load_idx_form(Path(location).expanduser())
    if sep and kind == "csv" and location:
        return _load_csv(Path(location).expanduser())
    raise DataError(f"unknown dataset '{name}'. {DATASET_HELP}")


def _load_named(name: str, data_dir: str | os.PathLike | None) -> Dataset:
    """The first complete set of IDX files under the data folder, else Keras' copy."""
    looked: list[str] = []
    root = _data_root(data_dir, looked)
    if root is not None:
        # The subfolder first: files lying directly in DIR may belong to another dataset.
        for folder in (root / name, root):
            files, missing = _find_idx_files(folder)
            if not missing:
                return _dataset_from_idx(files, name, str(folder), label_max=9)
            looked.append(f"{folder} ({_describe_missing(folder, missing)})")

    try:
        arrays = _load_from_keras(name)
    except Exception as exc:  # no cache and no network, or a broken cache: all the same here
        looked.append(f"Keras' cache {_keras_cache_dir()} (download failed: {one_line(exc)})")
    else:
        return _dataset_from_arrays(name, *arrays, num_classes=10, source="keras cache")

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


def _load_idx_form(folder: Path) -> Dataset:
    folder = Path(os.path.abspath(folder))
    if not folder.exists():
        raise DataError(f"idx folder {folder} does not exist")
    if not folder.is_dir():
        raise DataError(f"idx: needs a folder holding the four IDX files, but {folder} is a file")
    files, missing = _find_idx_files(folder)
    if len(missing) == len(IDX_FILES):
        raise DataError(
            f"idx folder {folder} holds none of {', '.join(IDX_FILES.values())} "
            "(each with or without .gz)"
        )
    if missing:
        raise DataError(f"idx folder {folder} lacks {', '.join(missing)} (with or without .gz)")
    return _dataset_from_idx(files, f"idx:{folder}", str(folder), label_max=None)


def _find_idx_files(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """The four files in ``folder`` (``.gz`` preferred when both exist) and the names missing."""
    found: dict[str, Path] = {}
    missing: list[str] = []
    for key, base in IDX_FILES.items():
        candidates = [folder / f"{base}.gz", folder / base]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            missing.append(base)
        else:
            found[key] = path
    return found, missing


def _describe_missing(folder: Path, missing: list[str]) -> str:
    if not folder.is_dir():
        return "no such folder"
    if len(missing) == len(IDX_FILES):
        return "no IDX files"
    return f"missing {', '.join(missing)}"


# --- IDX files -------------------------------------------------------------------------------


def read_idx(path: str | os.PathLike, expect: str | None = None) -> np.ndarray:
    """One IDX file, gzipped or not, as a read-only uint8 array shaped as its header says.

    Gzip is recognised by its magic bytes, not by the file name. ``expect`` (``"images"`` or
    ``"labels"``) is what the file must hold, checked on the header's number of dimensions
    before anything else. The payload must match the header exactly: a short file is a
    broken download, a long one is not what it claims to be.
    """
    array, _ = _read_idx_with_digest(Path(path), expect)
    return array


def _read_idx_with_digest(path: Path, expect: str | None = None) -> tuple[np.ndarray, str]:
    """The array and the sha256 of the bytes as stored (compressed, if they are)."""
    raw = _read_bytes(path)
    data = _gunzip(raw, path) if raw[:2] == _GZIP_MAGIC else raw
    return _parse_idx(data, path, expect), hashlib.sha256(raw).hexdigest()


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read it: {exc.strerror or one_line(exc)}") from None


def _gunzip(raw: bytes, path: Path) -> bytes:
    try:
        return gzip.decompress(raw)
    except EOFError:
        raise DataError(
            f"{path}: truncated gzip stream (the file is incomplete); download it again"
        ) from None
    except (OSError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise DataError(f"{path}: corrupt gzip data ({one_line(exc)}); download it again") from None


def _parse_idx(data: bytes, path: Path, expect: str | None = None) -> np.ndarray:
    if len(data) < 4:
        raise DataError(f"{path}: {len(data)} bytes is too short for an IDX file")
    magic = int.from_bytes(data[:4], "big")
    type_code, ndim = data[2], data[3]
    if data[0] or data[1] or ndim == 0:
        raise DataError(
            f"{path}: bad magic number 0x{magic:08x}, expected an IDX file "
            "(0x00000803 for images, 0x00000801 for labels)"
        )
    if type_code != _IDX_UBYTE:
        raise DataError(
            f"{path}: IDX data type 0x{type_code:02x} is not supported; "
            f"only unsigned bytes (0x{_IDX_UBYTE:02x}) are"
        )
    if expect is not None:
        _check_idx_kind(ndim, expect, path)
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise DataError(
            f"{path}: truncated header: {ndim} dimensions need {header_size} bytes, "
            f"file has {len(data)}"
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected, actual = math.prod(shape), len(data) - header_size
    if actual != expected:
        problem = "truncated" if actual < expected else "over-long"
        dims = "x".join(str(d) for d in shape)
        raise DataError(
            f"{path}: {problem}: header says {dims} = {expected} bytes, file has {actual}"
        )
    return np.frombuffer(data, np.uint8, count=expected, offset=header_size).reshape(shape)


def _check_idx_kind(ndim: int, expect: str, path: Path) -> None:
    """The header's number of dimensions must be that of ``expect``, images or labels."""
    wanted = _IDX_DIMENSIONS[expect]
    if ndim == wanted:
        return
    kind = next((k for k, n in _IDX_DIMENSIONS.items() if n == ndim), None)
    article = "an" if kind and kind[0] in "aeiou" else "a"
    found = f"this is {article} {kind} file ({_dimensions(ndim)})" if kind else _dimensions(ndim)
    raise DataError(f"{path}: {found}, expected {expect} ({_dimensions(wanted)})")


def _dimensions(n: int) -> str:
    return f"{n} dimension" + ("" if n == 1 else "s")


def _dataset_from_idx(
    files: dict[str, Path], name: str, source: str, label_max: int | None
) -> Dataset:
    """Read and cross-check the four files; ``label_max`` None means "whatever train holds"."""
    arrays: dict[str, np.ndarray] = {}
    checksums: dict[str, str] = {}
    for key, path in files.items():
        expect = key.partition("_")[2]  # train_images -> images
        arrays[key], checksums[path.name] = _read_idx_with_digest(path, expect)

    for part in ("train", "test"):
        _check_pair(arrays, files, part)
    train_images, test_images = files["train_images"], files["test_images"]
    if arrays["train_images"].shape[1:] != arrays["test_images"].shape[1:]:
        raise DataError(
            f"{test_images}: images are {_hw(arrays['test_images'])} but those in "
            f"{train_images.name} are {_hw(arrays['train_images'])}; both must be the same size"
        )

    y_train = arrays["train_labels"].astype(np.int64)
    y_test = arrays["test_labels"].astype(np.int64)
    if label_max is not None:
        for key, labels in (("train_labels", y_train), ("test_labels", y_test)):
            _check_labels(labels, files[key], label_max, f"a {name} class")
        num_classes = label_max + 1
    else:
        num_classes = int(y_train.max()) + 1
        _check_labels(y_test, files["test_labels"], num_classes - 1, "among the training labels")
    _check_labels_repeat(y_train, files["train_labels"], "at index")

    return Dataset(
        name=name,
        x_train=arrays["train_images"][..., np.newaxis],
        y_train=y_train,
        x_test=arrays["test_images"][..., np.newaxis],
        y_test=y_test,
        num_classes=num_classes,
        source=source,
        checksums=checksums,
    )


def _check_pair(arrays: dict[str, np.ndarray], files: dict[str, Path], part: str) -> None:
    images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
    image_path, label_path = files[f"{part}_images"], files[f"{part}_labels"]
    if images.size == 0:
        raise DataError(f"{image_path}: holds no image data (shape {images.shape})")
    if len(images) != len(labels):
        raise DataError(
            f"{image_path.name} holds {len(images)} images but {label_path.name} holds "
            f"{len(labels)} labels (in {image_path.parent}); the files do not belong together"
        )


def _check_labels(labels: np.ndarray, path: Path, label_max: int, what: str) -> None:
    bad = np.flatnonzero(labels > label_max)
    if bad.size:
        i = int(bad[0])
        raise DataError(f"{path}: label {labels[i]} at index {i} is not {what} (0..{label_max})")


def _check_labels_repeat(labels: np.ndarray, path: Path, place: str, first: int = 0) -> None:
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


def _hw(images: np.ndarray) -> str:
    return "x".join(str(d) for d in images.shape[1:])


# --- array sources: Keras, scikit-learn digits, CSV ------------------------------------------


def _dataset_from_arrays(
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


def _holdout(
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


def _load_digits() -> Dataset:
    """scikit-learn's 8x8 digits drawn the MNIST way: a 20x20 digit centred in 28x28."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    scaled = bunch.images * (255.0 / 16.0)  # scikit-learn stores 0..16
    box = _resize_bilinear(scaled, _MNIST_BOX)
    images = np.zeros((len(box), _MNIST_FIELD, _MNIST_FIELD), np.uint8)
    pad = (_MNIST_FIELD - _MNIST_BOX) // 2
    images[:, pad : pad + _MNIST_BOX, pad : pad + _MNIST_BOX] = np.clip(np.rint(box), 0, 255)
    source = "scikit-learn bundled digits"
    x_train, y_train, x_test, y_test = _holdout(images, bunch.target, source)
    return _dataset_from_arrays("digits", x_train, y_train, x_test, y_test, 10, source)


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


def _load_csv(path: Path) -> Dataset:
    """A Kaggle digit-recognizer style CSV: a ``label`` column and one column per pixel."""
    path = Path(os.path.abspath(path))
    if not path.is_file():
        problem = "is a folder, not a CSV file" if path.is_dir() else "does not exist"
        raise DataError(f"CSV file {path} {problem}")
    raw = _read_bytes(path)
    frame = _read_csv_frame(_gunzip(raw, path) if raw[:2] == _GZIP_MAGIC else raw, path)
    frame.columns = [str(c).strip() for c in frame.columns]
    side = _check_csv_header(list(frame.columns), path)
    if frame.empty:
        raise DataError(f"{path}: has a header line but no rows")

    _check_csv_integers(frame, path)
    pixels = frame.drop(columns="label")
    _check_csv_range(frame[["label"]], 0, None, path)
    _check_csv_range(pixels, 0, 255, path)

    labels = frame["label"].to_numpy(np.int64)
    _check_labels_repeat(labels, path, "on line", first=2)  # after the header, from 1
    images = pixels.to_numpy(np.uint8).reshape(-1, side, side)  # in range, so no wrap-around
    x_train, y_train, x_test, y_test = _holdout(images, labels, str(path))
    return _dataset_from_arrays(
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


# --- splitting -------------------------------------------------------------------------------


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
