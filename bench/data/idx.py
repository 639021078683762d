"""IDX files, MNIST's own format: reading one file, finding and cross-checking the four."""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

import numpy as np

from bench.data.checks import check_labels, check_labels_repeat
from bench.data.dataset import Dataset
from bench.data.files import read_bytes, unpacked
from bench.errors import DataError

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

_IDX_UBYTE = 0x08
_IDX_DIMENSIONS = {"images": 3, "labels": 1}  # count x height x width; count


# --- a folder of the four files --------------------------------------------------------------


def load_idx_folder(folder: Path) -> Dataset:
    """The ``idx:DIR`` source: the four files in ``folder``, whatever labels train holds."""
    folder = Path(os.path.abspath(folder))
    if not folder.exists():
        raise DataError(f"idx folder {folder} does not exist")
    if not folder.is_dir():
        raise DataError(f"idx: needs a folder holding the four IDX files, but {folder} is a file")
    files, missing = find_idx_files(folder)
    if len(missing) == len(IDX_FILES):
        raise DataError(
            f"idx folder {folder} holds none of {', '.join(IDX_FILES.values())} "
            "(each with or without .gz)"
        )
    if missing:
        raise DataError(f"idx folder {folder} lacks {', '.join(missing)} (with or without .gz)")
    return dataset_from_idx(files, f"idx:{folder}", str(folder), label_max=None)


def find_idx_files(folder: Path) -> tuple[dict[str, Path], list[str]]:
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


def describe_missing(folder: Path, missing: list[str]) -> str:
    """What ``folder`` lacks, in a few words, for a message listing the places looked in."""
    if not folder.is_dir():
        return "no such folder"
    if len(missing) == len(IDX_FILES):
        return "no IDX files"
    return f"missing {', '.join(missing)}"


def dataset_from_idx(
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
            check_labels(labels, files[key], label_max, f"a {name} class")
        num_classes = label_max + 1
    else:
        num_classes = int(y_train.max()) + 1
        check_labels(y_test, files["test_labels"], num_classes - 1, "among the training labels")
    check_labels_repeat(y_train, files["train_labels"], "at index")

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


def _hw(images: np.ndarray) -> str:
    return "x".join(str(d) for d in images.shape[1:])


# --- one file --------------------------------------------------------------------------------


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
    raw = read_bytes(path)
    return _parse_idx(unpacked(raw, path), path, expect), hashlib.sha256(raw).hexdigest()


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
