"""bench.data: loading, validating and splitting datasets, on tiny files written per test."""

from __future__ import annotations

import gzip
import hashlib
import warnings
from pathlib import Path

import numpy as np
import pytest

from bench.data import (
    DATASET_HELP,
    Dataset,
    load_dataset,
    read_idx,
    split_dataset,
)
from bench.data import sources as data
from bench.errors import DataError

N_TRAIN, N_TEST, SIDE = 30, 10, 28


# --- helpers ---------------------------------------------------------------------------------


def idx_bytes(array: np.ndarray) -> bytes:
    """An unsigned-byte IDX file: two zero bytes, type 0x08, ndim, big-endian sizes, payload."""
    header = bytes([0, 0, 0x08, array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_idx(path: Path, array: np.ndarray, gz: bool = True) -> Path:
    content = idx_bytes(array)
    path.write_bytes(gzip.compress(content) if gz else content)
    return path


def make_idx_folder(
    folder: Path,
    gz: bool = True,
    n_train: int = N_TRAIN,
    n_test: int = N_TEST,
    n_classes: int = 10,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """The four MNIST files with random images and labels cycling through 0..n_classes-1."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, SIDE, SIDE), dtype=np.uint8),
        "train-labels-idx1-ubyte": (np.arange(n_train) % n_classes).astype(np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, SIDE, SIDE), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": (np.arange(n_test) % n_classes).astype(np.uint8),
    }
    for name, array in arrays.items():
        write_idx(folder / (f"{name}.gz" if gz else name), array, gz=gz)
    return arrays


def write_csv(path: Path, rows: list[list], header: str | None = None, n_pixels: int = 16) -> Path:
    header = header or "label," + ",".join(f"pixel{i}" for i in range(n_pixels))
    lines = [header] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def csv_rows(n_rows: int = 70, n_classes: int = 5, n_pixels: int = 16) -> list[list[int]]:
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (n_rows, n_pixels))
    return [[i % n_classes, *pixels[i]] for i in range(n_rows)]


def indexed_dataset(n_train: int = 400, n_test: int = 100, n_classes: int = 10) -> Dataset:
    """Images whose first two pixels spell their own index, so splits can be traced back."""

    def images(n: int) -> np.ndarray:
        x = np.zeros((n, 8, 8, 1), np.uint8)
        x[:, 0, 0, 0], x[:, 0, 1, 0] = np.arange(n) // 256, np.arange(n) % 256
        return x

    return Dataset(
        name="indexed",
        x_train=images(n_train),
        y_train=np.arange(n_train, dtype=np.int64) % n_classes,
        x_test=images(n_test),
        y_test=np.arange(n_test, dtype=np.int64) % n_classes,
        num_classes=n_classes,
        source="test arrays",
        checksums={},
    )


def image_ids(x: np.ndarray) -> np.ndarray:
    """Undo ``indexed_dataset``'s encoding on float images in [0, 1]."""
    pixels = np.rint(x[:, 0, :2, 0] * 255).astype(int)
    return pixels[:, 0] * 256 + pixels[:, 1]


def error_text(excinfo: pytest.ExceptionInfo) -> str:
    text = str(excinfo.value)
    assert "\n" not in text, "error messages are printed on one line"
    return text


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """No test reads the environment's data folder, Keras' cache or the network."""
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)

    def no_keras(name):
        raise RuntimeError(f"URL fetch failure for {name}: no network in tests")

    monkeypatch.setattr(data, "_load_from_keras", no_keras)


# --- read_idx --------------------------------------------------------------------------------


def test_read_idx_round_trips_a_gzipped_file(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = write_idx(tmp_path / "images.gz", array, gz=True)
    np.testing.assert_array_equal(read_idx(path), array)


def test_read_idx_round_trips_a_plain_file(tmp_path):
    array = np.arange(7, dtype=np.uint8)
    path = write_idx(tmp_path / "labels", array, gz=False)
    result = read_idx(str(path))
    assert result.dtype == np.uint8 and result.shape == (7,)
    np.testing.assert_array_equal(result, array)


def test_read_idx_recognises_gzip_by_content_not_by_name(tmp_path):
    array = np.arange(5, dtype=np.uint8)
    path = write_idx(tmp_path / "labels-without-suffix", array, gz=True)
    np.testing.assert_array_equal(read_idx(path), array)


def test_a_truncated_idx_file_is_rejected_with_both_sizes(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(idx_bytes(np.zeros((3, 28, 28)))[:-100])
    with pytest.raises(DataError) as excinfo:
        read_idx(path)
    message = error_text(excinfo)
    assert str(path) in message
    assert "truncated: header says 3x28x28 = 2352 bytes, file has 2252" in message


def test_an_over_long_idx_file_is_rejected(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(5)) + b"extra"))
    with pytest.raises(DataError, match=r"over-long: header says 5 = 5 bytes, file has 10"):
        read_idx(path)


def test_a_bad_magic_number_is_rejected(tmp_path):
    path = tmp_path / "images"
    path.write_bytes(b"<html>not found</html>")
    with pytest.raises(DataError) as excinfo:
        read_idx(path)
    message = error_text(excinfo)
    assert str(path) in message and "bad magic number 0x3c68746d" in message
    assert "0x00000803 for images" in message


def test_an_idx_type_other_than_unsigned_byte_is_rejected(tmp_path):
    path = tmp_path / "floats"
    path.write_bytes(bytes([0, 0, 0x0D, 1, 0, 0, 0, 1]) + bytes(4))
    with pytest.raises(DataError, match=r"data type 0x0d is not supported"):
        read_idx(path)


def test_a_truncated_gzip_stream_is_rejected(tmp_path):
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((4, 28, 28))))[:-20])
    with pytest.raises(DataError) as excinfo:
        read_idx(path)
    message = error_text(excinfo)
    assert str(path) in message and "truncated gzip stream" in message


def test_a_gzip_file_with_a_bad_checksum_is_rejected(tmp_path):
    compressed = bytearray(gzip.compress(idx_bytes(np.zeros(10))))
    compressed[-8] ^= 0xFF  # the stored CRC-32
    path = tmp_path / "labels.gz"
    path.write_bytes(bytes(compressed))
    with pytest.raises(DataError, match=r"labels\.gz: corrupt gzip data"):
        read_idx(path)


def test_a_missing_idx_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_idx(tmp_path / "absent.gz")


# --- named datasets: mnist, fashion_mnist ----------------------------------------------------


def test_mnist_loads_from_a_data_dir_with_checksums_of_the_stored_files(tmp_path):
    arrays = make_idx_folder(tmp_path, gz=True)
    dataset = load_dataset("mnist", tmp_path)

    assert dataset.name == "mnist" and dataset.source == str(tmp_path)
    assert dataset.x_train.shape == (N_TRAIN, 28, 28, 1) and dataset.x_train.dtype == np.uint8
    assert dataset.y_train.shape == (N_TRAIN,) and dataset.y_train.dtype == np.int64
    assert dataset.x_test.shape == (N_TEST, 28, 28, 1) and dataset.y_test.dtype == np.int64
    assert dataset.num_classes == 10 and dataset.input_shape == (28, 28, 1)
    np.testing.assert_array_equal(dataset.x_train[..., 0], arrays["train-images-idx3-ubyte"])
    expected = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.glob("*.gz")}
    assert dataset.checksums == expected and len(expected) == 4


def test_mnist_loads_from_uncompressed_files(tmp_path):
    arrays = make_idx_folder(tmp_path, gz=False)
    dataset = load_dataset("mnist", tmp_path)
    np.testing.assert_array_equal(dataset.y_test, arrays["t10k-labels-idx1-ubyte"])
    assert set(dataset.checksums) == set(arrays)


def test_a_dataset_subfolder_of_the_data_dir_is_found(tmp_path):
    make_idx_folder(tmp_path / "fashion_mnist")
    dataset = load_dataset("fashion_mnist", tmp_path)
    assert dataset.source == str(tmp_path / "fashion_mnist")


def test_the_bench_data_dir_variable_points_at_the_data(tmp_path, monkeypatch):
    make_idx_folder(tmp_path / "mnist")
    monkeypatch.setenv("BENCH_DATA_DIR", str(tmp_path))
    assert load_dataset("mnist").source == str(tmp_path / "mnist")


def test_an_explicit_data_dir_that_does_not_exist_is_an_error_without_fallback(
    tmp_path, monkeypatch
):
    def keras_must_not_be_tried(name):
        raise AssertionError("fell back to Keras")

    monkeypatch.setattr(data, "_load_from_keras", keras_must_not_be_tried)
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError) as excinfo:
        load_dataset("mnist", missing)
    assert error_text(excinfo).startswith(f"data folder {missing} does not exist")


def test_when_nothing_is_found_the_error_lists_every_place_and_the_remedy(tmp_path, capsys):
    with pytest.raises(DataError) as excinfo:
        load_dataset("mnist", tmp_path)
    assert capsys.readouterr().err == ""  # Keras' "Downloading ..." line is not left behind
    message = error_text(excinfo)
    assert str(tmp_path / "mnist") in message and "Keras' cache" in message
    assert "download failed" in message
    assert "--data-dir DIR" in message and "BENCH_DATA_DIR=DIR" in message
    assert "train-images-idx3-ubyte.gz" in message


def test_keras_is_the_fallback_when_the_data_dir_lacks_the_files(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    arrays = (
        rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        np.arange(20, dtype=np.uint8) % 10,
        rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
        np.arange(10, dtype=np.uint8),
    )
    monkeypatch.setattr(data, "_load_from_keras", lambda name: arrays)
    dataset = load_dataset("mnist", tmp_path)
    assert dataset.source == "keras cache" and list(dataset.checksums) == ["arrays"]
    assert dataset.x_train.shape == (20, 28, 28, 1) and dataset.y_train.dtype == np.int64


def test_image_and_label_counts_must_agree(tmp_path):
    make_idx_folder(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(N_TRAIN - 1))
    with pytest.raises(DataError) as excinfo:
        load_dataset("mnist", tmp_path)
    message = error_text(excinfo)
    assert f"train-images-idx3-ubyte.gz holds {N_TRAIN} images" in message
    assert f"train-labels-idx1-ubyte.gz holds {N_TRAIN - 1} labels" in message


def test_mnist_labels_must_be_digits(tmp_path):
    make_idx_folder(tmp_path)
    labels = np.zeros(N_TEST, np.uint8)
    labels[3] = 12
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels)
    with pytest.raises(DataError) as excinfo:
        load_dataset("mnist", tmp_path)
    message = error_text(excinfo)
    assert "t10k-labels-idx1-ubyte.gz" in message and "label 12 at index 3" in message


def test_an_image_file_must_be_three_dimensional(tmp_path):
    make_idx_folder(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((N_TRAIN, SIDE)))
    with pytest.raises(DataError) as excinfo:
        load_dataset("mnist", tmp_path)
    assert error_text(excinfo) == (
        f"{tmp_path / 'train-images-idx3-ubyte.gz'}: 2 dimensions, expected images (3 dimensions)"
    )


@pytest.mark.parametrize(
    ("name", "ndim", "expected"),
    [
        ("train-images-idx3-ubyte", 1, "this is a labels file (1 dimension), expected images"),
        ("t10k-labels-idx1-ubyte", 3, "this is an images file (3 dimensions), expected labels"),
    ],
)
def test_a_file_whose_header_says_the_other_kind_is_named_for_what_it_is(
    tmp_path, name, ndim, expected
):
    make_idx_folder(tmp_path, gz=False)
    path = tmp_path / name
    content = bytearray(path.read_bytes())
    content[3] = ndim  # the magic number of the other kind: 0x801 for images, 0x803 for labels
    path.write_bytes(bytes(content))
    with pytest.raises(DataError) as excinfo:
        load_dataset("mnist", tmp_path)
    assert error_text(excinfo).startswith(f"{path}: {expected}")


def test_train_and_test_images_must_be_the_same_size(tmp_path):
    make_idx_folder(tmp_path)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((N_TEST, 32, 32)))
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte\.gz: images are 32x32"):
        load_dataset("mnist", tmp_path)


# --- idx: and csv: forms ---------------------------------------------------------------------


def test_the_idx_form_reads_any_folder_and_counts_its_classes(tmp_path):
    make_idx_folder(tmp_path / "kmnist", n_classes=4)
    dataset = load_dataset(f"idx:{tmp_path / 'kmnist'}")
    assert dataset.name == f"idx:{tmp_path / 'kmnist'}"
    assert dataset.num_classes == 4 and len(dataset.x_train) == N_TRAIN


def test_the_idx_form_rejects_test_labels_beyond_the_training_range(tmp_path):
    make_idx_folder(tmp_path, n_classes=4)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.full(N_TEST, 7))
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: label 7 at index 0"):
        load_dataset(f"idx:{tmp_path}")


def test_a_training_label_that_appears_once_is_named_with_its_file(tmp_path):
    make_idx_folder(tmp_path)
    labels = np.arange(N_TRAIN) % 10
    labels[5] = 12
    path = write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels)
    with pytest.raises(DataError) as excinfo:
        load_dataset(f"idx:{tmp_path}")
    assert error_text(excinfo) == (
        f"{path}: label 12 appears only once (at index 5); expected every label at least "
        "twice, as the split by class needs"
    )


def test_a_csv_label_that_appears_once_is_named_with_its_line(tmp_path):
    rows = csv_rows(n_classes=5)
    rows[6][0] = 9
    path = write_csv(tmp_path / "train.csv", rows)
    with pytest.raises(DataError) as excinfo:
        load_dataset(f"csv:{path}")
    assert error_text(excinfo).startswith(f"{path}: label 9 appears only once (on line 8)")


def test_the_idx_form_names_the_missing_files(tmp_path):
    make_idx_folder(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"lacks t10k-labels-idx1-ubyte"):
        load_dataset(f"idx:{tmp_path}")


def test_the_csv_form_holds_out_a_fixed_stratified_seventh_for_testing(tmp_path):
    path = write_csv(tmp_path / "train.csv", csv_rows(n_rows=70, n_classes=5))
    dataset = load_dataset(f"csv:{path}")

    assert dataset.name == f"csv:{path}" and dataset.source == str(path)
    assert dataset.x_train.shape == (60, 4, 4, 1) and dataset.x_test.shape == (10, 4, 4, 1)
    assert dataset.x_train.dtype == np.uint8 and dataset.num_classes == 5
    assert np.bincount(dataset.y_test).tolist() == [2, 2, 2, 2, 2]
    assert dataset.checksums == {"train.csv": hashlib.sha256(path.read_bytes()).hexdigest()}
    np.testing.assert_array_equal(load_dataset(f"csv:{path}").x_test, dataset.x_test)


def test_a_gzipped_csv_reads_like_the_plain_one(tmp_path):
    plain = write_csv(tmp_path / "train.csv", csv_rows())
    packed = tmp_path / "train.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    expected, result = load_dataset(f"csv:{plain}"), load_dataset(f"csv:{packed}")
    np.testing.assert_array_equal(result.x_train, expected.x_train)
    np.testing.assert_array_equal(result.y_test, expected.y_test)


@pytest.mark.parametrize(
    ("header", "n_pixels", "cell", "expected"),
    [
        ("digit," + ",".join(f"p{i}" for i in range(16)), 16, None, "no 'label' column"),
        (None, 15, None, "15 pixel columns is not a square number"),
        (
            None,
            16,
            (4, 1, 300),
            "line 6, column pixel0: value 300 is out of range (allowed: 0..255)",
        ),
        (None, 16, (0, 0, -1), "line 2, column label: value -1 is out of range"),
        (None, 16, (2, 1, ""), "line 4, column pixel0: missing value"),
        (None, 16, (1, 2, "x"), "line 3, column pixel1: not a number ('x')"),
        (None, 16, (1, 2, 2.5), "line 3, column pixel1: not a whole number"),
    ],
    ids=[
        "no-label-column",
        "non-square",
        "pixel-out-of-range",
        "negative-label",
        "missing-value",
        "not-a-number",
        "fraction",
    ],
)
def test_a_malformed_csv_names_the_file_and_the_bad_cell(
    tmp_path, header, n_pixels, cell, expected
):
    rows = csv_rows(n_pixels=n_pixels)
    if cell is not None:
        row, column, value = cell
        rows[row][column] = value
    path = write_csv(tmp_path / "bad.csv", rows, header=header, n_pixels=n_pixels)
    with pytest.raises(DataError) as excinfo:
        load_dataset(f"csv:{path}")
    message = error_text(excinfo)
    assert str(path) in message and expected in message


def test_a_bad_cell_in_a_large_csv_is_the_one_thing_said(tmp_path):
    """Over 1024 rows of 785 columns, pandas reads a CSV in pieces by default; a column with
    text in one piece and numbers in the others used to bring a DtypeWarning first."""
    rows = csv_rows(n_rows=1100, n_pixels=784)
    rows[-1][1] = "x"
    path = write_csv(tmp_path / "train.csv", rows, n_pixels=784)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataError, match=r"line 1101, column pixel0: not a number \('x'\)"):
            load_dataset(f"csv:{path}")


# --- digits and unknown names ----------------------------------------------------------------


def test_digits_are_mnist_shaped_bytes_with_a_fixed_test_part():
    dataset = load_dataset("digits")
    assert dataset.x_train.shape[1:] == (28, 28, 1) and dataset.x_train.dtype == np.uint8
    assert len(dataset.x_train) + len(dataset.x_test) == 1797
    assert dataset.num_classes == 10 and set(np.unique(dataset.y_test)) == set(range(10))
    assert dataset.x_train.max() > 200  # scaled from scikit-learn's 0..16
    assert not dataset.x_train[:, :4].any() and not dataset.x_train[:, :, 24:].any()  # margin
    assert dataset.source == "scikit-learn bundled digits" and "arrays" in dataset.checksums


def test_an_unknown_dataset_name_lists_the_accepted_forms():
    with pytest.raises(DataError) as excinfo:
        load_dataset("cifar10")
    message = error_text(excinfo)
    assert "unknown dataset 'cifar10'" in message and DATASET_HELP in message
    assert "idx:DIR" in DATASET_HELP and "csv:FILE" in DATASET_HELP


# --- split_dataset ---------------------------------------------------------------------------


def test_split_sizes_follow_the_arguments():
    splits = split_dataset(indexed_dataset(), val_size=50, train_size=100, test_size=40)
    assert (len(splits.x_train), len(splits.x_val), len(splits.x_test)) == (100, 50, 40)
    assert splits.num_classes == 10 and splits.input_shape == (8, 8, 1)


def test_the_default_validation_size_is_a_tenth_of_the_training_set():
    splits = split_dataset(indexed_dataset(n_train=400))
    assert (len(splits.x_train), len(splits.x_val), len(splits.x_test)) == (360, 40, 100)


def test_every_class_is_in_the_validation_split_in_proportion():
    splits = split_dataset(indexed_dataset(), val_size=50)
    assert np.bincount(splits.y_val, minlength=10).tolist() == [5] * 10


def test_training_and_validation_images_are_disjoint_and_complete():
    splits = split_dataset(indexed_dataset(n_train=400), val_size=60)
    train_ids, val_ids = image_ids(splits.x_train), image_ids(splits.x_val)
    assert not set(train_ids) & set(val_ids)
    assert sorted([*train_ids, *val_ids]) == list(range(400))


def test_the_same_seed_gives_the_same_split_and_another_seed_another():
    dataset = indexed_dataset()
    first, again = (split_dataset(dataset, val_size=50, seed=3) for _ in range(2))
    other = split_dataset(dataset, val_size=50, seed=4)
    np.testing.assert_array_equal(image_ids(first.x_val), image_ids(again.x_val))
    np.testing.assert_array_equal(image_ids(first.x_train), image_ids(again.x_train))
    assert set(image_ids(first.x_val)) != set(image_ids(other.x_val))


def test_the_validation_split_does_not_depend_on_the_training_size():
    dataset = indexed_dataset()
    full = split_dataset(dataset, val_size=50, seed=1)
    small = split_dataset(dataset, val_size=50, train_size=60, seed=1)
    np.testing.assert_array_equal(image_ids(full.x_val), image_ids(small.x_val))
    assert set(image_ids(small.x_train)) <= set(image_ids(full.x_train))


def test_a_train_size_beyond_what_remains_keeps_everything():
    splits = split_dataset(indexed_dataset(n_train=400), val_size=40, train_size=10_000)
    assert len(splits.x_train) == 360


def test_split_images_are_float32_in_the_unit_range_and_labels_int64(tmp_path):
    make_idx_folder(tmp_path)
    splits = split_dataset(load_dataset("mnist", tmp_path), val_size=10)
    for x, y in [(splits.x_train, splits.y_train), (splits.x_val, splits.y_val)]:
        assert x.dtype == np.float32 and y.dtype == np.int64
        assert x.min() >= 0.0 and x.max() <= 1.0 and x.max() > 0.9


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        ({"val_size": 0}, "val_size must be a positive whole number"),
        ({"val_size": 5}, "val_size 5 is smaller than the number of classes (10)"),
        ({"val_size": 395}, "leaves fewer than one training image per class"),
        ({"val_size": 50, "train_size": -1}, "train_size must be a positive whole number"),
    ],
    ids=["zero", "fewer-than-classes", "too-large", "negative-train"],
)
def test_impossible_split_sizes_are_one_line_errors(sizes, expected):
    with pytest.raises(DataError) as excinfo:
        split_dataset(indexed_dataset(n_train=400), **sizes)
    assert expected in error_text(excinfo)
